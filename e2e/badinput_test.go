package e2e

import (
	"os"
	"strings"
	"testing"
)

// TestRevokedTokenSaysHowToLogInAgain covers a remote from the config file
// and one from RCLONE_CONFIG_* variables: rclone names the latter with a
// "{hash}" suffix, which must not leak into the advice. It binds rclone's
// OAuth port, so it does not run in parallel.
func TestRevokedTokenSaysHowToLogInAgain(t *testing.T) {
	// -strict accepts only the tokens it knows: ours is "revoked".
	r := newRemote(t, startEmulator(t, "-strict", "-tokens", "someone-else"))
	conf := "[infile]\ntype = putio\n"
	for key, value := range endpoints(r.emu) {
		conf += key + " = " + value + "\n"
	}
	conf += `token = {"access_token":"revoked","expiry":"0001-01-01T00:00:00Z"}` + "\n"
	if err := os.WriteFile(r.configFile, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"infile", remoteName} {
		res := r.run(t, "lsd", name+":")
		if res.code == 0 {
			t.Fatalf("lsd with a revoked token succeeded:\n%s", res)
		}
		if !strings.Contains(res.stderr, `"rclone config reconnect `+name+`:"`) {
			t.Errorf("the error does not say how to log in again to %s:\n%s", name, res)
		}
	}

	// Following the advice works: log in again (the emulator issues a token
	// it knows), then list.
	r.env = append(r.env, "RCLONE_AUTH_NO_OPEN_BROWSER=true")
	runAuthorizing(t, r, strings.NewReader("y\ny\n"), "config", "reconnect", "infile:") // replace token, use browser
	r.rclone(t, "lsd", "infile:")
}

func TestBrokenConfigIsReportedNotPanicked(t *testing.T) {
	t.Parallel()
	r := newRemote(t, startEmulator(t))
	for name, option := range map[string]string{
		"api_url not a URL":  "RCLONE_CONFIG_E2E_API_URL=not-a-url",
		"token not JSON":     "RCLONE_CONFIG_E2E_TOKEN=not-json",
		"upload_url not tus": "RCLONE_CONFIG_E2E_UPLOAD_URL=ftp://upload.example/files/",
		"chunk size off":     "RCLONE_CONFIG_E2E_CHUNK_SIZE=off",
	} {
		broken := &remote{emu: r.emu, token: r.token, env: append(append([]string{}, r.env...), option)}
		res := broken.run(t, "lsd", path(""))
		if res.code == 0 || strings.Contains(res.stderr, "panic") || !strings.Contains(res.stderr, "putio") {
			t.Errorf("%s: want a failure naming the backend, no panic:\n%s", name, res)
		}
	}
}
