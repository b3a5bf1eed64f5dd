package emuproc

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// emulatorBin is cmd/putio-emulator, built once by TestMain: the tests
// run the real process, as the benchmark and the e2e tests do.
var emulatorBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "emuproc-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	emulatorBin = filepath.Join(dir, "putio-emulator")
	code := 1
	if out, err := exec.Command("go", "build", "-o", emulatorBin, "github.com/rclone-putio/rclone-putio/cmd/putio-emulator").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building the emulator: %v\n%s", err, out)
	} else {
		code = m.Run()
	}
	if err := os.RemoveAll(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	os.Exit(code)
}

// start runs the emulator until the test ends and returns a client of
// account token on it.
func start(t *testing.T, token string, args ...string) (*Process, *Client) {
	t.Helper()
	var stderr bytes.Buffer
	p, err := Start(context.Background(), emulatorBin, args, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Stop(); err != nil {
			t.Errorf("stopping the emulator: %v\n%s", err, stderr.String())
		}
	})
	return p, &Client{URL: p.URL, Token: token, HTTP: &http.Client{Timeout: time.Minute}}
}

func TestParseAddress(t *testing.T) {
	for line, want := range map[string]string{
		"putio-emulator listening on http://127.0.0.1:4321":   "http://127.0.0.1:4321",
		"putio-emulator listening on http://127.0.0.1:4321\r": "http://127.0.0.1:4321",
		"putio-emulator listening on http://[::1]:80":         "http://[::1]:80",
		"putio-emulator listening on https://127.0.0.1:4321":  "https://127.0.0.1:4321",
		"putio-emulator listening on ftp://127.0.0.1:4321":    "",
		"putio-emulator listening on http://127.0.0.1:1/v2":   "",
		"putio-emulator listening on http://a b":              "",
		"putio-emulator listening on ":                        "",
		"listening on http://127.0.0.1:4321":                  "",
		"":                                                    "",
	} {
		got, err := parseAddress(line)
		if got != want || (err == nil) != (want != "") {
			t.Errorf("parseAddress(%q) = %q, %v; want %q", line, got, err, want)
		}
	}
}

func TestStartServesAtTheAddressItPrinted(t *testing.T) {
	p, c := start(t, "t1")
	if !strings.HasPrefix(p.URL, "http://127.0.0.1:") {
		t.Fatalf("URL = %q, want a loopback address", p.URL)
	}
	var info struct{ Info struct{ Username string } }
	if err := c.API(context.Background(), http.MethodGet, "/v2/account/info", nil, &info); err != nil {
		t.Fatal(err)
	}
	if info.Info.Username == "" {
		t.Fatalf("account info has no user name: %+v", info)
	}
}

// An admin secret in the tests' environment does not lock the client out.
func TestAdminSecretNotInherited(t *testing.T) {
	t.Setenv(adminSecretEnv, "developer-secret")
	_, c := start(t, "t1")
	if _, err := c.Calls(context.Background()); err != nil {
		t.Fatalf("admin calls: %v", err)
	}
}

func TestStopEndsTheProcess(t *testing.T) {
	p, err := Start(context.Background(), emulatorBin, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Stop(); err != nil {
		t.Fatalf("Stop = %v, want a clean exit", err)
	}
	if err := p.Stop(); err != nil {
		t.Fatalf("second Stop = %v, want nil", err)
	}
	if resp, err := http.Get(p.URL + "/_emulator/calls"); err == nil {
		t.Fatalf("the stopped emulator still answers: %s", resp.Status)
	}
}

func TestStartRefusesWhatIsNotTheEmulator(t *testing.T) {
	// echo prints its arguments: a first line that is no address line.
	_, err := Start(context.Background(), "echo", nil, nil)
	if err == nil || !strings.Contains(err.Error(), `first line is "-addr 127.0.0.1:0"`) {
		t.Fatalf("Start(echo) = %v, want the line quoted", err)
	}
	_, err = Start(context.Background(), emulatorBin, []string{"-no-such-flag"}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "exited before printing its address") {
		t.Fatalf("Start with a bad flag = %v, want an early exit reported", err)
	}
}

func TestUploadLandsWithTheBytesSent(t *testing.T) {
	ctx := context.Background()
	_, c := start(t, "t1")
	body := strings.Repeat("0123456789", 1000)
	modTime := time.Date(2021, 2, 3, 4, 5, 6, 0, time.UTC)
	if err := c.Upload(ctx, TusFile{Name: "ten.txt", Body: strings.NewReader(body), Size: int64(len(body)), ModTime: modTime, NoTorrent: true}); err != nil {
		t.Fatal(err)
	}
	var list struct {
		Files []struct {
			ID        int64
			Name      string
			Size      int64
			UpdatedAt string `json:"updated_at"`
		}
	}
	if err := c.API(ctx, http.MethodGet, "/v2/files/list?parent_id=0", nil, &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Files) != 1 || list.Files[0].Name != "ten.txt" || list.Files[0].Size != int64(len(body)) || !strings.HasPrefix(list.Files[0].UpdatedAt, "2021-02-03T04:05:06") {
		t.Fatalf("root after the upload: %+v", list.Files)
	}
	if got := download(t, c, list.Files[0].ID); got != body {
		t.Fatalf("downloaded %d bytes, not the %d uploaded", len(got), len(body))
	}
	calls, err := c.Calls(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if calls.Routes["POST /files/"] != 1 || calls.Routes["PATCH /files/{upload}"] != 1 {
		t.Fatalf("tus calls = %v, want one creation and one PATCH", calls.Routes)
	}
}

// download reads file id's content through its signed URL.
func download(t *testing.T, c *Client, id int64) string {
	t.Helper()
	var link struct{ URL string }
	if err := c.API(context.Background(), http.MethodGet, fmt.Sprintf("/v2/files/%d/url", id), nil, &link); err != nil {
		t.Fatal(err)
	}
	resp, err := c.HTTP.Get(link.URL)
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(resp.Body)
	if err := resp.Body.Close(); err != nil {
		t.Error(err)
	}
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s, %v", link.URL, resp.Status, err)
	}
	return string(data)
}

func TestAdminFaultsAndCounters(t *testing.T) {
	ctx := context.Background()
	_, c := start(t, "t1")
	fault := map[string]any{"route": "POST /v2/files/create-folder", "status": 500, "error_type": "InternalServerError", "times": 1}
	if err := c.Admin(ctx, http.MethodPost, "faults", fault, nil); err != nil {
		t.Fatal(err)
	}
	form := url.Values{"parent_id": {"0"}, "name": {"d"}}
	if err := c.API(ctx, http.MethodPost, "/v2/files/create-folder", form, nil); err == nil || !strings.Contains(err.Error(), "500") {
		t.Fatalf("create-folder under a fault = %v, want the injected 500", err)
	}
	if err := c.API(ctx, http.MethodPost, "/v2/files/create-folder", form, nil); err != nil {
		t.Fatalf("create-folder once the fault is spent: %v", err)
	}
	if calls, err := c.Calls(ctx); err != nil || calls.Routes["POST /v2/files/create-folder"] != 2 || calls.Total != 2 {
		t.Fatalf("calls = %+v, %v; want two create-folders and nothing else", calls, err)
	}
	if err := c.ResetCounters(ctx); err != nil {
		t.Fatal(err)
	}
	if calls, err := c.Calls(ctx); err != nil || calls.Total != 0 {
		t.Fatalf("calls after reset = %+v, %v", calls, err)
	}
	if err := c.Admin(ctx, http.MethodPost, "no-such-route", nil, nil); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("an unknown admin route = %v, want its 404", err)
	}
}

func TestNoTorrentKeepsATorrentAFile(t *testing.T) {
	ctx := context.Background()
	_, c := start(t, "t1")
	for name, noTorrent := range map[string]bool{"kept.torrent": true, "fetched.torrent": false} {
		f := TusFile{Name: name, Body: strings.NewReader("d8e"), Size: 3, ModTime: time.Now(), NoTorrent: noTorrent}
		if err := c.Upload(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	var list struct{ Files []struct{ Name string } }
	if err := c.API(ctx, http.MethodGet, "/v2/files/list?parent_id=0", nil, &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Files) != 1 || list.Files[0].Name != "kept.torrent" {
		t.Fatalf("root holds %+v, want only kept.torrent (the other became a transfer)", list.Files)
	}
}
