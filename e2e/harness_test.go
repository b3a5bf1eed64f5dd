package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rclone-putio/rclone-putio/internal/emuproc"
)

// emulator is a running bin/putio-emulator process.
type emulator struct {
	*emuproc.Process
	admin  *emuproc.Client // its admin API
	output *bytes.Buffer   // its stderr, shown when a test fails
	http   *http.Client    // for the tests' own requests to it
}

// startEmulator runs bin/putio-emulator on a free loopback port until the
// test ends.
func startEmulator(t *testing.T, args ...string) *emulator {
	t.Helper()
	output := &bytes.Buffer{}
	proc, err := emuproc.Start(context.Background(), emulatorBin, args, output)
	if err != nil {
		t.Fatalf("%v\nemulator output:\n%s", err, output)
	}
	t.Cleanup(func() {
		if err := proc.Kill(); err != nil {
			t.Errorf("the emulator failed: %v", err)
		}
		if t.Failed() {
			t.Logf("emulator output:\n%s", output)
		}
	})
	return &emulator{Process: proc, admin: &emuproc.Client{URL: proc.URL, HTTP: httpClient}, output: output, http: httpClient}
}

// remote is one put.io account on an emulator, configured for rclone
// through environment variables only: the user's rclone config is never
// read or written.
type remote struct {
	emu        *emulator
	token      string
	env        []string
	configFile string // where RCLONE_CONFIG points
}

// httpClient is for the tests' own requests; the timeout turns a hung
// emulator into a failure rather than a stuck run.
var httpClient = &http.Client{Timeout: time.Minute}

// remoteName is the rclone remote every test uses ("e2e:path").
const remoteName = "e2e"

// newRemote gives the test a fresh, empty account (a fresh token) on emu.
func newRemote(t *testing.T, emu *emulator) *remote {
	t.Helper()
	token := "e2e-" + strings.NewReplacer("/", "-", " ", "-").Replace(t.Name()) + fmt.Sprintf("-%d", time.Now().UnixNano())
	dir := t.TempDir()
	configFile := filepath.Join(dir, "rclone.conf")
	prefix := "RCLONE_CONFIG_" + strings.ToUpper(remoteName) + "_"
	env := append(hermeticEnv(),
		"RCLONE_CONFIG="+configFile,
		"RCLONE_CACHE_DIR="+filepath.Join(dir, "cache"),
		prefix+"TYPE=putio",
		prefix+`TOKEN={"access_token":"`+token+`","expiry":"0001-01-01T00:00:00Z"}`,
	)
	for key, value := range endpoints(emu) {
		env = append(env, prefix+strings.ToUpper(key)+"="+value)
	}
	return &remote{emu: emu, token: token, env: env, configFile: configFile}
}

// hermeticEnv is this process's environment without RCLONE_* variables,
// so a developer's own rclone settings cannot change what tests see.
func hermeticEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "RCLONE_") {
			env = append(env, kv)
		}
	}
	return env
}

// endpoints are the options pointing a putio remote at the emulator.
func endpoints(emu *emulator) map[string]string {
	return map[string]string{
		"api_url":    emu.URL,
		"upload_url": emu.URL + "/files/",
		"feed_url":   "ws" + strings.TrimPrefix(emu.URL, "http") + "/socket/sockjs/websocket",
		"auth_url":   emu.URL + "/v2/oauth2/authenticate",
		"token_url":  emu.URL + "/v2/oauth2/access_token",
	}
}

// result is what one rclone run left behind.
type result struct {
	args           []string
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("rclone %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(r.args, " "), r.code, r.stdout, r.stderr)
}

// run runs bin/rclone with args and returns whatever happened.
func (r *remote) run(t *testing.T, args ...string) result {
	t.Helper()
	return r.runWithInput(t, nil, args...)
}

// runWithInput is run with stdin read from input.
func (r *remote) runWithInput(t *testing.T, input io.Reader, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := r.command(ctx, input, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := result{args: args, stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		res.code = exit.ExitCode()
	case err != nil:
		t.Fatalf("running rclone %v: %v", args, err)
	}
	return res
}

// command prepares bin/rclone with args, the remote's environment and
// stdin read from input (nil: none).
func (r *remote) command(ctx context.Context, input io.Reader, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, rcloneBin, args...)
	cmd.Env = r.env
	cmd.Stdin = input
	return cmd
}

// rclone runs bin/rclone and fails the test unless it exits 0; it returns
// stdout.
func (r *remote) rclone(t *testing.T, args ...string) string {
	t.Helper()
	res := r.run(t, args...)
	if res.code != 0 {
		t.Fatalf("%s", res)
	}
	return res.stdout
}

// path names p on the test's remote.
func path(p string) string { return remoteName + ":" + p }

// writeTree creates files under dir from a map of slash paths to contents;
// a path ending in "/" is an empty directory.
func writeTree(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for name, data := range files {
		full := filepath.Join(dir, filepath.FromSlash(name))
		if strings.HasSuffix(name, "/") {
			mustMkdirAll(t, full)
			continue
		}
		mustMkdirAll(t, filepath.Dir(full))
		if err := os.WriteFile(full, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// readTree returns every regular file under dir by slash path.
func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = data
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func mustMkdirAll(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}

// calls returns how often the emulator served route (a route name such as
// "PATCH /files/{upload}") since it started.
func (e *emulator) calls(t *testing.T, route string) int {
	t.Helper()
	calls, err := e.admin.Calls(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return calls.Routes[route]
}

// inject adds a fault (putiotest.Fault as JSON) through the admin API.
func (e *emulator) inject(t *testing.T, fault map[string]any) {
	t.Helper()
	e.adminCall(t, http.MethodPost, "faults", fault, nil)
}

// clearFaults removes every injected fault.
func (e *emulator) clearFaults(t *testing.T) {
	t.Helper()
	e.adminCall(t, http.MethodDelete, "faults", nil, nil)
}

// adminCall calls an admin route with body as JSON (nil: none) and
// decodes the reply into reply (nil: not decoded).
func (e *emulator) adminCall(t *testing.T, method, route string, body, reply any) {
	t.Helper()
	if err := e.admin.Admin(t.Context(), method, route, body, reply); err != nil {
		t.Fatal(err)
	}
}

// client calls the put.io API and tus as the remote's account.
func (r *remote) client() *emuproc.Client {
	return &emuproc.Client{URL: r.emu.URL, Token: r.token, HTTP: r.emu.http}
}

// api calls the put.io API of the remote's account directly, to check what
// rclone did without going through the backend under test.
func (r *remote) api(t *testing.T, method, route string, form url.Values) map[string]any {
	t.Helper()
	var reply map[string]any
	r.apiDecode(t, method, route, form, &reply)
	return reply
}

// apiDecode calls the API like api and decodes the reply into out.
func (r *remote) apiDecode(t *testing.T, method, route string, form url.Values, out any) {
	t.Helper()
	if err := r.client().API(t.Context(), method, route, form, out); err != nil {
		t.Fatal(err)
	}
}

// trashNames lists the names in the account's trash, through the API.
func (r *remote) trashNames(t *testing.T) []string {
	t.Helper()
	reply := r.api(t, http.MethodGet, "/v2/trash/list?per_page=1000", nil)
	return names(reply["files"])
}

// rootNames lists the names in folder dir of the account root through the
// API; a missing folder lists as empty.
func (r *remote) rootNames(t *testing.T, dir string) []string {
	t.Helper()
	root := r.api(t, http.MethodGet, "/v2/files/list?parent_id=0&per_page=1000", nil)
	items, _ := root["files"].([]any)
	for _, item := range items {
		obj, _ := item.(map[string]any)
		if obj["name"] == dir {
			id := fmt.Sprint(int64(obj["id"].(float64)))
			return names(r.api(t, http.MethodGet, "/v2/files/list?per_page=1000&parent_id="+id, nil)["files"])
		}
	}
	return nil
}

// names picks the "name" of each object in a decoded JSON array.
func names(list any) []string {
	items, _ := list.([]any)
	out := []string{}
	for _, item := range items {
		if obj, ok := item.(map[string]any); ok {
			name, _ := obj["name"].(string)
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// listing is one entry of `rclone lsjson`.
type listing struct {
	Path    string
	Name    string
	Size    int64
	ModTime time.Time
	IsDir   bool
	ID      string
	Hashes  map[string]string
}

// lsjson lists p recursively with hashes, keyed by path.
func (r *remote) lsjson(t *testing.T, p string) map[string]listing {
	t.Helper()
	var entries []listing
	if err := json.Unmarshal([]byte(r.rclone(t, "lsjson", "-R", "--hash", p)), &entries); err != nil {
		t.Fatalf("decoding lsjson of %s: %v", p, err)
	}
	byPath := map[string]listing{}
	for _, e := range entries {
		byPath[e.Path] = e
	}
	return byPath
}

// tusUpload stores a file in the account's root with a direct tus upload,
// bypassing rclone: it is how tests make duplicate names.
func (r *remote) tusUpload(t *testing.T, name string, data []byte, modTime time.Time) {
	t.Helper()
	f := emuproc.TusFile{Name: name, Body: bytes.NewReader(data), Size: int64(len(data)), ModTime: modTime, NoTorrent: true}
	if err := r.client().Upload(t.Context(), f); err != nil {
		t.Fatal(err)
	}
}
