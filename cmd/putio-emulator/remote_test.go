package main

import (
	"bufio"
	"encoding/json"
	"io"
	"regexp"
	"strings"
	"testing"
)

// printedRemote is what the emulator printed after its ready line: the
// exported variables and the config file section, each by option.
type printedRemote struct {
	env     map[string]string // by variable name, unquoted
	section string            // the [name] line
	options map[string]string // the section's options
}

// parsePrinted reads the printed remote as a shell and rclone's config
// parser would.
func parsePrinted(t *testing.T, out string) printedRemote {
	t.Helper()
	p := printedRemote{env: map[string]string{}, options: map[string]string{}}
	lines := bufio.NewScanner(strings.NewReader(out))
	for lines.Scan() {
		line := lines.Text()
		switch {
		case strings.HasPrefix(line, "export "):
			name, quoted, _ := strings.Cut(strings.TrimPrefix(line, "export "), "=")
			p.env[name] = shellUnquote(t, quoted)
		case strings.HasPrefix(line, "["):
			p.section = line
		case p.section != "" && strings.Contains(line, " = "):
			key, value, _ := strings.Cut(line, " = ")
			p.options[key] = value
		}
	}
	return p
}

// shellUnquote undoes shellQuote as sh does: 'abc' with '\” for a quote.
func shellUnquote(t *testing.T, quoted string) string {
	t.Helper()
	if !strings.HasPrefix(quoted, "'") || !strings.HasSuffix(quoted, "'") {
		t.Fatalf("value %s is not single-quoted", quoted)
	}
	return strings.ReplaceAll(quoted[1:len(quoted)-1], `'\''`, "'")
}

func TestPrintsARemoteToPaste(t *testing.T) {
	t.Setenv(adminSecretEnv, "never-print-me")
	base, stop := start(t, "-addr", "127.0.0.1:0", "-strict", "-tokens", "tok'one,two", "-remote-name", "emu_1")
	out := stop()
	if strings.Contains(out, "never-print-me") {
		t.Fatalf("the admin secret is printed:\n%s", out)
	}
	p := parsePrinted(t, out)
	ws := "ws" + strings.TrimPrefix(base, "http")
	want := map[string]string{
		"type":       "putio",
		"api_url":    base,
		"upload_url": base + "/files/",
		"feed_url":   ws + "/socket/sockjs/websocket",
		"auth_url":   base + "/v2/oauth2/authenticate",
		"token_url":  base + "/v2/oauth2/access_token",
	}
	for key, value := range want {
		if got := p.env["RCLONE_CONFIG_EMU_1_"+strings.ToUpper(key)]; got != value {
			t.Errorf("RCLONE_CONFIG_EMU_1_%s = %q, want %q", strings.ToUpper(key), got, value)
		}
		if got := p.options[key]; got != value {
			t.Errorf("section option %s = %q, want %q", key, got, value)
		}
	}
	var token struct {
		AccessToken string `json:"access_token"`
		Expiry      string `json:"expiry"`
	}
	if err := json.Unmarshal([]byte(p.env["RCLONE_CONFIG_EMU_1_TOKEN"]), &token); err != nil || token.AccessToken != "tok'one" {
		t.Errorf("token variable %q (%v), want the first of -tokens", p.env["RCLONE_CONFIG_EMU_1_TOKEN"], err)
	}
	if p.options["token"] != p.env["RCLONE_CONFIG_EMU_1_TOKEN"] || p.section != "[emu_1]" || len(p.env) != 7 || len(p.options) != 7 {
		t.Errorf("section %s %v and variables %v differ", p.section, p.options, p.env)
	}
}

// Without -tokens the remote gets a token that works, unless -strict
// leaves none; a name a shell cannot export is refused.
func TestPrintedToken(t *testing.T) {
	_, stop := start(t, "-addr", "127.0.0.1:0")
	if p := parsePrinted(t, stop()); !strings.Contains(p.options["token"], `"access_token":"`+defaultPrintedToken+`"`) || p.section != "["+defaultRemoteName+"]" {
		t.Errorf("default remote %s %v", p.section, p.options)
	}
	_, stop = start(t, "-addr", "127.0.0.1:0", "-strict")
	out := stop()
	if p := parsePrinted(t, out); p.options["token"] != "" || !strings.Contains(out, "rclone config reconnect "+defaultRemoteName+":") {
		t.Errorf("-strict without tokens printed:\n%s", out)
	}
	for _, bad := range []string{"putio-emulator", "a b", ""} {
		if _, err := parseFlags([]string{"-remote-name", bad}, io.Discard); err == nil {
			t.Errorf("-remote-name %q accepted", bad)
		}
	}
}

// Where other machines can connect, the printed remote's token is a
// fresh random one each run, so no client can guess the account the
// user fills through it; -tokens still chooses it.
func TestPrintedTokenOffLoopbackIsRandom(t *testing.T) {
	printedAccessToken := func(args ...string) string {
		_, stop := start(t, append([]string{"-addr", "0.0.0.0:0", "-admin-secret", "s3cret-admin", "-data-dir", t.TempDir()}, args...)...)
		var token struct {
			AccessToken string `json:"access_token"`
		}
		if err := json.Unmarshal([]byte(parsePrinted(t, stop()).options["token"]), &token); err != nil {
			t.Fatalf("printed token: %v", err)
		}
		return token.AccessToken
	}
	first, second := printedAccessToken(), printedAccessToken()
	random := regexp.MustCompile(`^emulator-[0-9a-f]{32}$`)
	if first == second || !random.MatchString(first) || !random.MatchString(second) {
		t.Errorf("printed tokens off loopback %q and %q, want two different emulator-<32 hex digits>", first, second)
	}
	if chosen := printedAccessToken("-tokens", "mine,other"); chosen != "mine" {
		t.Errorf("with -tokens off loopback the remote uses %q, want the first of them", chosen)
	}
}
