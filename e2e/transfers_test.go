package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// transferInfo is one transfer as the backend commands print it.
type transferInfo struct {
	ID      int64
	Name    string
	Status  string
	Percent int
	Size    int64
	Folder  string
	Error   string
	File    string
}

// pollFlags make -o wait check progress often.
var pollFlags = []string{"-o", "wait", "-o", "interval=100ms"}

// loopbackFile serves body at any path on 127.0.0.1 once ready is set
// (404 before), for the emulator to fetch.
func loopbackFile(t *testing.T, body []byte, ready *atomic.Bool) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !ready.Load() {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func decodeTransfers(t *testing.T, out string) []transferInfo {
	t.Helper()
	var infos []transferInfo
	if err := json.Unmarshal([]byte(out), &infos); err != nil {
		t.Fatalf("decoding transfers: %v\n%s", err, out)
	}
	return infos
}

func (r *remote) transfers(t *testing.T) []transferInfo {
	t.Helper()
	return decodeTransfers(t, r.rclone(t, "backend", "transfers", path("")))
}

func TestTransferWaitIntoANewFolderThenCat(t *testing.T) {
	t.Parallel()
	r := newRemote(t, startEmulator(t))
	body := randomBytes(3*chunkSize+17, 9)
	var ready atomic.Bool
	ready.Store(true)
	source := loopbackFile(t, body, &ready) + "/releases/image.iso"

	res := r.run(t, append([]string{"backend", "transfer", path("not/yet/there"), source}, pollFlags...)...)

	if res.code != 0 {
		t.Fatalf("%s", res)
	}
	infos := decodeTransfers(t, res.stdout)
	if len(infos) != 1 || infos[0].Status != "COMPLETED" || infos[0].Folder != "not/yet/there" || infos[0].File != "not/yet/there/image.iso" {
		t.Fatalf("transfer printed %+v", infos)
	}
	if !strings.Contains(res.stderr, "COMPLETED 100%") {
		t.Errorf("no progress on stderr:\n%s", res.stderr)
	}
	if got := r.rclone(t, "cat", path("not/yet/there/image.iso")); !bytes.Equal([]byte(got), body) {
		t.Errorf("cat gave %d bytes that differ from the %d served", len(got), len(body))
	}
}

func TestTransferFailureRetryCancelClean(t *testing.T) {
	t.Parallel()
	r := newRemote(t, startEmulator(t))
	var ready atomic.Bool
	source := loopbackFile(t, []byte("second time lucky"), &ready) + "/late.txt"

	res := r.run(t, append([]string{"backend", "transfer", path("in"), source}, pollFlags...)...)
	if res.code == 0 || !strings.Contains(res.stderr, "HTTP 404") || !strings.Contains(res.stderr, "late.txt") {
		t.Fatalf("a failing transfer should fail the command with put.io's message:\n%s", res)
	}
	failed := r.transfers(t)
	if len(failed) != 1 || failed[0].Status != "ERROR" || !strings.Contains(failed[0].Error, "404") {
		t.Fatalf("transfers after the failure: %+v", failed)
	}

	ready.Store(true)
	r.rclone(t, "backend", "transfer-retry", path(""), fmt.Sprint(failed[0].ID))
	deadline := time.Now().Add(time.Minute)
	for r.transfers(t)[0].Status != "COMPLETED" {
		if time.Now().After(deadline) {
			t.Fatalf("retried transfer did not complete: %+v", r.transfers(t))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := r.rclone(t, "cat", path("in/late.txt")); got != "second time lucky" {
		t.Errorf("retried transfer's file reads %q", got)
	}

	busy := decodeTransfers(t, r.rclone(t, "backend", "transfer", path("in"), "magnet:?xt=urn:btih:feedface&dn=busy"))
	r.rclone(t, "backend", "transfer-cancel", path(""), fmt.Sprint(busy[0].ID))
	left := r.transfers(t)
	if len(left) != 1 || left[0].ID != failed[0].ID {
		t.Fatalf("after cancel: %+v", left)
	}
	r.rclone(t, "backend", "transfer-clean", path(""))
	if left := r.transfers(t); len(left) != 0 {
		t.Fatalf("after clean: %+v", left)
	}
	if got := r.rclone(t, "lsf", path("in")); got != "late.txt\n" {
		t.Errorf("clean must keep the file; in/ lists %q", got)
	}
	if res := r.run(t, "backend", "transfer-cancel", path(""), "x1"); res.code == 0 || !strings.Contains(res.stderr, "not a transfer id") {
		t.Errorf("cancel with a bad id: want a clear error:\n%s", res)
	}
}

// The documented flow: fetch a torrent, wait, move the result elsewhere.
func TestTransferMagnetWaitThenMove(t *testing.T) {
	t.Parallel()
	r := newRemote(t, startEmulator(t))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := r.command(ctx, nil, append([]string{"backend", "transfer", path("incoming"), "magnet:?xt=urn:btih:c0ffee&dn=Episode.mkv"}, pollFlags...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var id int64
	for id == 0 && ctx.Err() == nil {
		var list struct{ Transfers []struct{ ID int64 } }
		r.apiDecode(t, http.MethodGet, "/v2/transfers/list", nil, &list)
		if len(list.Transfers) > 0 {
			id = list.Transfers[0].ID
		}
		time.Sleep(20 * time.Millisecond)
	}
	complete := map[string]any{"token": r.token, "id": id, "action": "complete", "size": 4096}
	r.emu.adminCall(t, http.MethodPost, "transfers", complete, nil)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("transfer -o wait: %v\nstderr:\n%s", err, stderr.String())
	}
	if infos := decodeTransfers(t, stdout.String()); len(infos) != 1 || infos[0].File != "incoming/Episode.mkv" {
		t.Fatalf("transfer printed %s", stdout.String())
	}

	media := t.TempDir()
	r.rclone(t, "move", path("incoming"), media)

	if files := readTree(t, media); len(files["Episode.mkv"]) != 4096 {
		t.Errorf("moved tree %v", files)
	}
	if left := r.rclone(t, "lsf", path("incoming")); left != "" {
		t.Errorf("incoming still holds %q after the move", left)
	}
}

func TestCaptchaMessageFromRclone(t *testing.T) {
	t.Parallel()
	emu := startEmulator(t, "-rate-limit", "1", "-rate-window", "1h", "-rate-captcha", "-rate-omit-headers", "X-Ratelimit-Remaining")
	r := newRemote(t, emu)

	res := r.run(t, "lsf", "--retries", "1", path("somewhere"))

	if res.code == 0 || !strings.Contains(res.stderr, "https://app.put.io/captcha/") || !strings.Contains(res.stderr, "solve it, then run the command again") {
		t.Fatalf("want the captcha advice:\n%s", res)
	}
	if strings.Contains(res.stderr, "holding requests") {
		t.Errorf("a captcha should stop rclone at once, not wait for the rate limit:\n%s", res)
	}

	// A copy that meets a captcha mid-run stops too, without its --retries.
	plain := startEmulator(t)
	r = newRemote(t, plain)
	plain.inject(t, map[string]any{"route": "POST /files/", "status": 429, "error_type": "RATE_LIMIT_ERROR",
		"headers": map[string]string{"X-Ratelimit-Action": "captcha-needed", "X-Ratelimit-Id": "e2e"}})
	res = r.run(t, "copy", localTree(t, map[string][]byte{"a.txt": []byte("a")}), path("dst"))
	if res.code == 0 || !strings.Contains(res.stderr, "https://app.put.io/captcha/e2e") || strings.Contains(res.stderr, "Attempt 2/") {
		t.Errorf("copy should stop at the captcha, without retrying the run:\n%s", res)
	}
	if n := plain.calls(t, "POST /files/"); n != 1 {
		t.Errorf("the upload was tried %d times, want once", n)
	}
}

func TestBackendHelpShowsEveryCommandWithItsOptions(t *testing.T) {
	t.Parallel()
	r := &remote{env: hermeticEnv()}
	help := r.rclone(t, "--config=/notfound", "backend", "help", "putio")
	for _, want := range []string{"### trash", "### restore", "### transfer\n", "### transfers", "### transfer-cancel",
		"### transfer-retry", "### transfer-clean", "### changes", "### extract", `- "wait": `, `- "interval": `,
		`- "since": `, `- "password": `} {
		if !strings.Contains(help, want) {
			t.Errorf("rclone backend help putio lacks %q:\n%s", want, help)
		}
	}
}
