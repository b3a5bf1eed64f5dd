package e2e

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The OAuth tests cannot run in parallel: rclone's redirect listener always
// binds 127.0.0.1:53682.

// authLink is the local URL rclone asks the user to open in a browser.
var authLink = regexp.MustCompile(`http://127\.0\.0\.1:53682/auth\?state=[^\s]+`)

func keyValues(options map[string]string) []string {
	var args []string
	for key, value := range options {
		args = append(args, key+"="+value)
	}
	return args
}

// runAuthorizing runs rclone with stdin read from input (nil: none), plays
// the user's browser by opening the auth link rclone prints (the emulator
// approves at once and redirects back to rclone's listener) and returns
// rclone's stdout once it exits.
func runAuthorizing(t *testing.T, r *remote, input io.Reader, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := r.command(ctx, input, args...)
	var stdout strings.Builder
	cmd.Stdout = &stdout
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	link := scanFor(io.TeeReader(stderr, &log), authLink)
	if link == "" {
		_ = cmd.Wait()
		t.Fatalf("rclone %v printed no auth link:\n%s", args, log.String())
	}
	openInBrowser(t, link)
	_, _ = io.Copy(&log, stderr)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("rclone %v: %v\nstdout:\n%s\nstderr:\n%s", args, err, stdout.String(), log.String())
	}
	return stdout.String()
}

// scanFor reads lines until one matches re and returns the match.
func scanFor(r io.Reader, re *regexp.Regexp) string {
	lines := bufio.NewScanner(r)
	for lines.Scan() {
		if match := re.FindString(lines.Text()); match != "" {
			return match
		}
	}
	return ""
}

// openInBrowser follows the redirects a browser would: rclone's listener,
// the emulator's authorize page, back to the listener with the code.
func openInBrowser(t *testing.T, link string) {
	t.Helper()
	// Each rclone run has a listener of its own on the same port: a
	// connection kept alive from an earlier run would reach a dead one.
	browser := &http.Client{Timeout: httpClient.Timeout, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := browser.Get(link)
	if codeDeliveredUnanswered(err) {
		// rclone's auth server (lib/oauthutil) hands the code on before
		// its reply is flushed and then closes every connection, so the
		// browser may see the callback end with no page. The code got
		// through; the caller checks what rclone did with it.
		t.Logf("rclone closed the callback without a page: %v", err)
		return
	}
	if err != nil {
		t.Fatalf("opening %s: %v", link, err)
	}
	page, err := io.ReadAll(resp.Body)
	if closeErr := resp.Body.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		t.Fatalf("reading the page at %s: %v", resp.Request.URL, err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("opening %s ended at %s: %s\n%s", link, resp.Request.URL, resp.Status, page)
	}
}

// codeDeliveredUnanswered reports a request to rclone's OAuth callback
// with a code that the server took and closed without an answer.
func codeDeliveredUnanswered(err error) bool {
	var urlErr *url.Error
	if !errors.As(err, &urlErr) || !errors.Is(err, io.EOF) {
		return false
	}
	callback, parseErr := url.Parse(urlErr.URL)
	return parseErr == nil && callback.Port() == "53682" && callback.Query().Get("code") != ""
}

// savedAccessToken reads the token rclone saved for remote name.
func savedAccessToken(t *testing.T, r *remote, name string) string {
	t.Helper()
	var token struct {
		AccessToken string `json:"access_token"`
	}
	raw := strings.TrimSpace(r.rclone(t, "config", "show", name))
	for _, line := range strings.Split(raw, "\n") {
		if value, ok := strings.CutPrefix(line, "token = "); ok {
			if err := json.Unmarshal([]byte(value), &token); err != nil {
				t.Fatalf("saved token %q: %v", value, err)
			}
		}
	}
	if token.AccessToken == "" {
		t.Fatalf("no token saved for %s:\n%s", name, raw)
	}
	return token.AccessToken
}

// assertTokenWorks lists the new remote with rclone and checks, through the
// API, that the folder rclone made landed in the token's account.
func assertTokenWorks(t *testing.T, r *remote, name string) {
	t.Helper()
	r.rclone(t, "mkdir", name+":made-after-login")
	if got := r.rclone(t, "lsd", name+":"); !strings.Contains(got, " made-after-login\n") {
		t.Fatalf("lsd %s: after mkdir:\n%s", name, got)
	}
	owner := &remote{emu: r.emu, token: savedAccessToken(t, r, name)}
	reply := owner.api(t, http.MethodGet, "/v2/files/list?parent_id=0", nil)
	if got := names(reply["files"]); len(got) != 1 || got[0] != "made-after-login" {
		t.Errorf("the saved token's account holds %q, want the folder rclone made", got)
	}
}

func TestConfigCreateRunsBrowserFlow(t *testing.T) {
	emu := startEmulator(t)
	r := newRemote(t, emu)
	args := append([]string{"config", "create", "viabrowser", "putio"}, keyValues(endpoints(emu))...)
	runAuthorizing(t, r, nil, append(args, "config_auth_no_browser=true")...)
	assertTokenWorks(t, r, "viabrowser")
}

func TestHeadlessAuthorizeTokenIsAccepted(t *testing.T) {
	emu := startEmulator(t)
	r := newRemote(t, emu)
	overrides, err := json.Marshal(map[string]string{
		"auth_url":  emu.URL + "/v2/oauth2/authenticate",
		"token_url": emu.URL + "/v2/oauth2/access_token",
	})
	if err != nil {
		t.Fatal(err)
	}
	out := runAuthorizing(t, r, nil, "authorize", "putio", base64.RawStdEncoding.EncodeToString(overrides), "--auth-no-open-browser")
	pasted := pastedResult(t, out)

	args := append([]string{"config", "create", "headless", "putio"}, keyValues(endpoints(emu))...)
	r.rclone(t, append(args, "config_is_local=false", "config_token="+pasted)...)
	assertTokenWorks(t, r, "headless")
}

// pastedResult extracts what `rclone authorize` tells the user to paste.
func pastedResult(t *testing.T, out string) string {
	t.Helper()
	_, rest, ok := strings.Cut(out, "--->\n")
	blob, _, ok2 := strings.Cut(rest, "\n<---End paste")
	if !ok || !ok2 || blob == "" {
		t.Fatalf("no paste block in rclone authorize output:\n%s", out)
	}
	return blob
}

// TestConfigWizardOnStdin answers `rclone config` the way the docs'
// transcript does; the emulator's URLs come in as backend defaults
// (RCLONE_PUTIO_*), since the wizard asks for them only in advanced mode.
func TestConfigWizardOnStdin(t *testing.T) {
	emu := startEmulator(t)
	r := newRemote(t, emu)
	for key, value := range endpoints(emu) {
		r.env = append(r.env, "RCLONE_PUTIO_"+strings.ToUpper(key)+"="+value)
	}
	r.env = append(r.env, "RCLONE_AUTH_NO_OPEN_BROWSER=true")
	answers := strings.Join([]string{
		"n",      // new remote
		"wizard", // name
		"putio",  // storage
		"", "",   // client_id, client_secret
		"", "", // chunk_size, hard_delete
		"n", // advanced config
		"y", // use a web browser
		"y", // keep the remote
		"q", // quit
	}, "\n") + "\n"
	out := runAuthorizing(t, r, strings.NewReader(answers), "config")
	for _, prompt := range []string{"Option chunk_size.", "Option hard_delete.", "Configuration complete."} {
		if !strings.Contains(out, prompt) {
			t.Errorf("the wizard did not show %q:\n%s", prompt, out)
		}
	}
	assertTokenWorks(t, r, "wizard")
}

// Only a callback with a code that ended unanswered counts as delivered.
func TestCodeDeliveredUnanswered(t *testing.T) {
	t.Parallel()
	callback := "http://localhost:53682/?code=c&state=s"
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&url.Error{Op: "Get", URL: callback, Err: io.EOF}, true},
		{&url.Error{Op: "Get", URL: callback, Err: errors.New("connection refused")}, false},
		{&url.Error{Op: "Get", URL: "http://localhost:53682/?state=s", Err: io.EOF}, false},
		{&url.Error{Op: "Get", URL: "http://127.0.0.1:8080/?code=c", Err: io.EOF}, false},
		{io.EOF, false},
		{nil, false},
	} {
		if got := codeDeliveredUnanswered(tc.err); got != tc.want {
			t.Errorf("codeDeliveredUnanswered(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
