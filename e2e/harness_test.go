package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// emulator is a running bin/putio-emulator process.
type emulator struct {
	URL    string
	output *bytes.Buffer // what it logged after its first line, shown when a test fails
}

// listeningLine is the first line the emulator prints, naming its URL.
var listeningLine = regexp.MustCompile(`^putio-emulator listening on (http://\S+)$`)

// startEmulator runs bin/putio-emulator on a free loopback port until the
// test ends.
func startEmulator(t *testing.T, args ...string) *emulator {
	t.Helper()
	emu := &emulator{output: &bytes.Buffer{}}
	cmd := exec.Command(emulatorBin, append([]string{"-addr", "127.0.0.1:0"}, args...)...)
	cmd.Stderr = emu.output
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", emulatorBin, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("emulator output:\n%s", emu.output)
		}
	})
	firstLine := make(chan string, 1)
	go func() {
		lines := bufio.NewReader(stdout)
		line, _ := lines.ReadString('\n')
		firstLine <- strings.TrimSpace(line)
		_, _ = io.Copy(io.Discard, lines)
	}()
	select {
	case line := <-firstLine:
		match := listeningLine.FindStringSubmatch(line)
		if match == nil {
			t.Fatalf("emulator's first line is %q, want %q", line, listeningLine)
		}
		emu.URL = match[1]
	case <-time.After(time.Minute):
		t.Fatal("the emulator printed no URL within a minute")
	}
	return emu
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
	var reply struct{ Calls map[string]int }
	if err := json.Unmarshal(e.admin(t, http.MethodGet, "calls", nil), &reply); err != nil {
		t.Fatalf("decoding /_emulator/calls: %v", err)
	}
	return reply.Calls[route]
}

// inject adds a fault (putiotest.Fault as JSON) through the admin API.
func (e *emulator) inject(t *testing.T, fault map[string]any) {
	t.Helper()
	body, err := json.Marshal(fault)
	if err != nil {
		t.Fatal(err)
	}
	e.admin(t, http.MethodPost, "faults", body)
}

// clearFaults removes every injected fault.
func (e *emulator) clearFaults(t *testing.T) {
	t.Helper()
	e.admin(t, http.MethodDelete, "faults", nil)
}

func (e *emulator) admin(t *testing.T, method, route string, body []byte) []byte {
	t.Helper()
	req, err := http.NewRequest(method, e.URL+"/_emulator/"+route, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("%s /_emulator/%s: %v", method, route, err)
	}
	defer resp.Body.Close()
	reply, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s /_emulator/%s: reading reply: %v", method, route, err)
	}
	if resp.StatusCode/100 != 2 {
		t.Fatalf("%s /_emulator/%s: %s\n%s", method, route, resp.Status, reply)
	}
	return reply
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
	req, err := http.NewRequest(method, r.emu.URL+route, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+r.token)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, route, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading reply: %v", method, route, err)
	}
	if resp.StatusCode/100 != 2 {
		t.Fatalf("%s %s: %s\n%s", method, route, resp.Status, body)
	}
	if err := json.Unmarshal(body, out); err != nil {
		t.Fatalf("%s %s: decoding reply: %v\n%s", method, route, err, body)
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
	meta := []string{}
	for key, value := range map[string]string{
		"name": name, "parent_id": "0", "no-torrent": "true", "updated-at": modTime.UTC().Format(time.RFC3339),
	} {
		meta = append(meta, key+" "+base64.StdEncoding.EncodeToString([]byte(value)))
	}
	create := r.tusRequest(t, http.MethodPost, r.emu.URL+"/files/", nil, map[string]string{
		"Upload-Length":   strconv.Itoa(len(data)),
		"Upload-Metadata": strings.Join(meta, ","),
	})
	r.tusRequest(t, http.MethodPatch, create.Header.Get("Location"), data, map[string]string{
		"Upload-Offset": "0",
		"Content-Type":  "application/offset+octet-stream",
	})
}

func (r *remote) tusRequest(t *testing.T, method, target string, body []byte, headers map[string]string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, target, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+r.token)
	req.Header.Set("Tus-Resumable", "1.0.0")
	for key, value := range headers {
		req.Header.Set(key, value)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("tus %s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		reply, _ := io.ReadAll(resp.Body)
		t.Fatalf("tus %s %s: %s\n%s", method, target, resp.Status, reply)
	}
	return resp
}
