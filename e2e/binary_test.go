package e2e

import (
	"context"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// startupNoise are log lines that mean a broken build: two backends
// fighting over a flag, or a backend without overview data.
var startupNoise = []string{"duplicate flag", "internal error"}

func assertQuietStartup(t *testing.T, res result) {
	t.Helper()
	if res.code != 0 {
		t.Fatalf("%s", res)
	}
	for _, noise := range startupNoise {
		if strings.Contains(strings.ToLower(res.stderr), noise) {
			t.Errorf("%q on stderr:\n%s", noise, res)
		}
	}
}

func TestVersionNamesThisBackend(t *testing.T) {
	t.Parallel()
	r := &remote{env: hermeticEnv()}
	res := r.run(t, "--config=/notfound", "version")
	assertQuietStartup(t, res)
	if first, _, _ := strings.Cut(res.stdout, "\n"); first != "rclone v1.76.0-putio" {
		t.Errorf("first line of rclone version: %q, want \"rclone v1.76.0-putio\"", first)
	}
}

func TestHelpBackendShowsOurOptions(t *testing.T) {
	t.Parallel()
	r := &remote{env: hermeticEnv()}
	res := r.run(t, "--config=/notfound", "help", "backend", "putio")
	assertQuietStartup(t, res)
	for _, option := range []string{"--putio-chunk-size", "--putio-hard-delete", "--putio-encoding", "--putio-api-url", "--putio-upload-url", "--putio-token"} {
		if !strings.Contains(res.stdout, "#### "+option+"\n") {
			t.Errorf("help backend putio lacks %s", option)
		}
	}
}

func TestEveryUpstreamBackendIsLinked(t *testing.T) {
	t.Parallel()
	r := &remote{env: hermeticEnv()}
	res := r.run(t, "--config=/notfound", "help", "backends")
	assertQuietStartup(t, res)
	for _, name := range []string{"local", "s3", "drive", "box", "pcloud", "crypt", "putio", "zoho"} {
		if !strings.Contains(res.stdout, "\n  "+name+" ") {
			t.Errorf("rclone help backends lacks %q:\n%s", name, res.stdout)
		}
	}
	if n := strings.Count(res.stdout, "\n  putio "); n != 1 {
		t.Errorf("putio listed %d times", n)
	}
}

func TestDocsOptionsBlockIsCurrent(t *testing.T) {
	t.Parallel()
	cmd := exec.CommandContext(context.Background(), "go", "run", "./scripts/backenddocs", "-check",
		"-rclone", rcloneBin, filepath.Join("docs", "content", "putio.md"))
	cmd.Dir = repoRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
}

// TestRcloneLinksOnlyOurPutio checks the build graph of cmd/rclone: our
// putio in, rclone's out, the other backends in.
func TestRcloneLinksOnlyOurPutio(t *testing.T) {
	t.Parallel()
	cmd := exec.Command("go", "list", "-deps", "./cmd/rclone")
	cmd.Dir = repoRoot
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps ./cmd/rclone: %v", err)
	}
	deps := map[string]bool{}
	for _, pkg := range strings.Fields(string(out)) {
		deps[pkg] = true
	}
	if deps["github.com/rclone/rclone/backend/putio"] {
		t.Error("cmd/rclone links rclone's own putio backend")
	}
	for _, pkg := range []string{
		"github.com/rclone-putio/rclone-putio/backend/putio",
		"github.com/rclone/rclone/backend/s3",
		"github.com/rclone/rclone/backend/local",
		"github.com/rclone/rclone/backend/crypt",
	} {
		if !deps[pkg] {
			t.Errorf("cmd/rclone does not link %s", pkg)
		}
	}
}

// userAgentLine is the header as rclone's --dump headers shows it.
var userAgentLine = regexp.MustCompile(`(?m)^User-Agent: rclone/v1\.76\.0-putio\r?$`)

func TestUserAgentNamesThisBuild(t *testing.T) {
	t.Parallel()
	r := newRemote(t, startEmulator(t))
	res := r.run(t, "lsd", "--dump", "headers", path(""))
	if res.code != 0 || !userAgentLine.MatchString(res.stderr) {
		t.Errorf("requests do not carry User-Agent rclone/v1.76.0-putio:\n%s", res)
	}
}
