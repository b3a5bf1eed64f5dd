package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// start runs the command with args and returns its URL and a stop
// function that waits for a clean exit and returns the output after the
// ready line.
func start(t *testing.T, args ...string) (baseURL string, stop func() string) {
	t.Helper()
	return startLogging(t, io.Discard, args...)
}

// startLogging is start with the command's stderr going to stderr.
func startLogging(t *testing.T, stderr io.Writer, args ...string) (baseURL string, stop func() string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out, outW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := run(ctx, args, outW, stderr)
		outW.CloseWithError(err) // never fails; the reader sees err, or EOF if nil
		done <- err
	}()
	lines := bufio.NewReader(out)
	first, err := lines.ReadString('\n')
	if err != nil {
		cancel()
		t.Fatalf("no ready line: %v (run: %v)", err, <-done)
	}
	const prefix = "putio-emulator listening on "
	if !strings.HasPrefix(first, prefix) {
		t.Fatalf("ready line %q", first)
	}
	return strings.TrimSpace(strings.TrimPrefix(first, prefix)), func() string {
		cancel()
		rest, _ := io.ReadAll(lines)
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("no clean shutdown")
		}
		return string(rest)
	}
}

func get(t *testing.T, u, token string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if err := resp.Body.Close(); err != nil {
		t.Error(err)
	}
	return resp.StatusCode
}

func TestServesOnPortZero(t *testing.T) {
	base, stop := start(t, "-addr", "127.0.0.1:0", "-data-dir", t.TempDir(), "-print-config=false")
	if strings.HasSuffix(base, ":0") || !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Fatalf("URL %q does not show the real port", base)
	}
	if code := get(t, base+"/v2/files/list", "anything"); code != 200 {
		t.Fatalf("list: %d", code)
	}
	if rest := stop(); rest != "" {
		t.Fatalf("more output after the ready line: %q", rest)
	}
}

func TestStrictTokensFlag(t *testing.T) {
	base, stop := start(t, "-addr", "127.0.0.1:0", "-strict", "-tokens", "a,b")
	defer stop()
	for token, want := range map[string]int{"a": 200, "b": 200, "c": 401} {
		if code := get(t, base+"/v2/account/info", token); code != want {
			t.Errorf("token %s: %d, want %d", token, code, want)
		}
	}
}

// A first-party token, an app token of its own account and an app token
// sharing the first one's account: public_share/list tells the scopes
// apart, files/list the accounts.
func TestAppTokensFlag(t *testing.T) {
	base, stop := start(t, "-addr", "127.0.0.1:0", "-strict", "-tokens", "full", "-app-tokens", "solo,shared=full")
	defer stop()
	for token, want := range map[string]int{"full": 200, "solo": 401, "shared": 401} {
		if code := get(t, base+"/v2/public_share/list", token); code != want {
			t.Errorf("public_share/list with %s: %d, want %d", token, code, want)
		}
		if code := get(t, base+"/v2/files/list", token); code != 200 {
			t.Errorf("files/list with %s: %d", token, code)
		}
	}
	if code := get(t, base+"/v2/files/list", "other"); code != 401 {
		t.Errorf("unregistered token: %d", code)
	}
}

func TestAppTokensFlagRefusesBadEntries(t *testing.T) {
	for _, bad := range []string{"=owner", "x="} {
		if _, err := parseFlags([]string{"-app-tokens", bad}, io.Discard); err == nil {
			t.Errorf("-app-tokens %q accepted", bad)
		}
	}
	if _, err := parseFlags([]string{"-users", "nopassword"}, io.Discard); err == nil {
		t.Error("-users without a password accepted")
	}
	cfg, err := parseFlags([]string{"-app-tokens", "a, b=c", "-first-party-clients", "1,7", "-users", "ann:pw,bob:x:y"}, io.Discard)
	if err != nil || len(cfg.opts.AppTokens) != 1 || cfg.sharedAppTokens["b"] != "c" || len(cfg.opts.FirstPartyClients) != 2 ||
		cfg.opts.Users["ann"] != "pw" || cfg.opts.Users["bob"] != "x:y" {
		t.Fatalf("%+v %v", cfg, err)
	}
}

func TestFlagsReachOptions(t *testing.T) {
	cfg, err := parseFlags([]string{"-quota", "1000", "-rate-limit", "5", "-rate-window", "2s", "-rate-omit-headers", "Retry-After, X-Ratelimit-Reset",
		"-latency", "3ms", "-public-url", "https://x", "-url-expiry", "1m", "-upload-expiry", "2m", "-max-patch-size", "9",
		"-shuffle-listing", "-seed", "4", "-trash-lock-wait", "1s", "-trash-hold", "2s", "-spurious-copy-conflict", "-refuse-same-name", "-keep-percent-escapes",
		"-feed-heartbeat", "3s", "-feed-file-objects", "-feed-text-heartbeat",
		"-transfer-source-normalize", "-cancel-missing-transfer-not-found", "-create-folder-returns-existing"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	o := cfg.opts
	if o.Quota != 1000 || o.RateLimit.Requests != 5 || o.RateLimit.Window != 2*time.Second || len(o.RateLimit.Omit) != 2 ||
		o.Latency != 3*time.Millisecond || o.PublicURL != "https://x" || o.URLExpiry != time.Minute || o.UploadExpiry != 2*time.Minute ||
		o.MaxPatchSize != 9 || !o.ShuffleListing || o.Seed != 4 || o.TrashLockWait != time.Second || o.TrashHold != 2*time.Second || !o.SpuriousCopyConflict || !o.RefuseSameName || !o.KeepPercentEscapes ||
		o.FeedHeartbeat != 3*time.Second || !o.FeedFileObjects || !o.FeedTextHeartbeat || !o.TransferSourceNormalize ||
		!o.CancelMissingTransferNotFound || !o.CreateFolderReturnsExisting {
		t.Fatalf("options %+v", o)
	}
}

func TestIgnoreRangeFlag(t *testing.T) {
	cfg, err := parseFlags([]string{"-ignore-range"}, io.Discard)
	if err != nil || !cfg.opts.IgnoreRange {
		t.Fatalf("options %+v, %v", cfg.opts, err)
	}
}

func TestHideHiddenItemsFlag(t *testing.T) {
	cfg, err := parseFlags([]string{"-hide-hidden-items"}, io.Discard)
	if err != nil || !cfg.opts.HideHiddenItems {
		t.Fatalf("options %+v, %v", cfg.opts, err)
	}
}

func TestBadCommandLine(t *testing.T) {
	for _, args := range [][]string{{"extra"}, {"-nope"}, {"-addr", "256.0.0.1:99999"}} {
		if err := run(context.Background(), args, io.Discard, io.Discard); err == nil {
			t.Errorf("%q accepted", args)
		}
	}
}

func TestVerboseLogsRequests(t *testing.T) {
	var log strings.Builder
	base, stop := startLogging(t, &syncWriter{w: &log}, "-addr", "127.0.0.1:0", "-verbose")
	get(t, base+"/v2/files/list?parent_id=0", "secret-token")
	get(t, base+"/v2/files/0?oauth_token=query-token", "")
	stop()
	got := log.String()
	if !strings.Contains(got, " 200 ") || !strings.Contains(got, "GET /v2/files/list /v2/files/list?parent_id=0") || strings.Contains(got, "secret-token") || strings.Contains(got, "query-token") {
		t.Fatalf("verbose log %q", got)
	}
}

// syncWriter lets the test read what the server goroutine wrote.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// -h says what the command is and how to point rclone at it, on the
// given stderr, and is not an error.
func TestHelp(t *testing.T) {
	var out strings.Builder
	if err := run(context.Background(), []string{"-h"}, io.Discard, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Usage: putio-emulator [flags]", "api_url", "upload_url", "/_emulator/", "-addr", adminSecretEnv, "-admin-secret", "-transfer-fetch-hosts"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help lacks %q:\n%s", want, out.String())
		}
	}
}

func TestTusFlagsReachOptions(t *testing.T) {
	cfg, err := parseFlags([]string{"-drop-partial-patch", "-tus-extensions", "creation, creation-with-upload", "-tus-max-size", "77", "-refuse-options",
		"-upload-clock-skew", "90s", "-download-clock-skew", "-1m", "-max-patch-size-after-body", "-normalize-names-nfc", "-omit-upload-crc"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	o := cfg.opts
	if !o.DropPartialPatch || strings.Join(o.TusExtensions, ",") != "creation,creation-with-upload" || o.TusMaxSize != 77 || !o.RefuseOptions ||
		o.UploadClockSkew != 90*time.Second || o.DownloadClockSkew != -time.Minute || !o.MaxPatchSizeAfterBody || !o.NormalizeNamesNFC || !o.OmitUploadCRC {
		t.Fatalf("options %+v", o)
	}
	cfg, err = parseFlags([]string{"-tus-extensions", ""}, io.Discard)
	if err != nil || cfg.opts.TusExtensions == nil || len(cfg.opts.TusExtensions) != 0 {
		t.Fatalf("-tus-extensions \"\" gives %#v (%v), want none advertised", cfg.opts.TusExtensions, err)
	}
	cfg, _ = parseFlags(nil, io.Discard)
	if strings.Join(cfg.opts.TusExtensions, ",") != "creation,termination" {
		t.Fatalf("default extensions %v", cfg.opts.TusExtensions)
	}
}

// A ready line that cannot be written stops the emulator with an error,
// rather than leaving whoever started it waiting for the line.
func TestUnwritableStdoutStops(t *testing.T) {
	err := run(context.Background(), []string{"-addr", "127.0.0.1:0"}, failingWriter{}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "cannot announce the address") {
		t.Fatalf("run: %v, want the failed announcement", err)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("stdout is closed") }

// A token that cannot join its owner is named by fingerprint only.
func TestAppTokenConflictNamesNoToken(t *testing.T) {
	err := run(context.Background(), []string{"-addr", "127.0.0.1:0", "-tokens", "secret-a,secret-b", "-app-tokens", "secret-a=secret-b"}, io.Discard, io.Discard)
	if err == nil || strings.Contains(err.Error(), "secret-") || !strings.Contains(err.Error(), "sha256:") {
		t.Fatalf("run: %v, want a refusal naming fingerprints", err)
	}
}

// -user-tokens binds a token to a -users user: the password login reaches
// the token's account, whose files/list shows what the token made.
func TestUserTokensFlag(t *testing.T) {
	cfg, err := parseFlags([]string{"-users", "ann:pw", "-tokens", "t1", "-user-tokens", "t1=ann", "-seed-user-invites"}, io.Discard)
	if err != nil || cfg.opts.UserTokens["t1"] != "ann" || !cfg.opts.SeedUserInvites {
		t.Fatalf("%+v %v", cfg.opts, err)
	}
	for _, bad := range []string{"t1", "=ann", "t1="} {
		if _, err := parseFlags([]string{"-user-tokens", bad}, io.Discard); err == nil {
			t.Errorf("-user-tokens %q accepted", bad)
		}
	}
}
