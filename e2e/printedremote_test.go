package e2e

import (
	"bufio"
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rclone-putio/rclone-putio/internal/emuproc"
)

// announcement is what bin/putio-emulator prints on start.
type announcement struct {
	url     string
	env     []string // the exported RCLONE_CONFIG_* variables, NAME=value
	section string   // the rclone.conf section
}

// startAnnouncing runs bin/putio-emulator with args until the test ends
// and reads what it prints before it serves.
func startAnnouncing(t *testing.T, args ...string) announcement {
	t.Helper()
	cmd := exec.Command(emulatorBin, append([]string{"-addr", "127.0.0.1:0"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill() // it serves until killed
		_ = cmd.Wait()
	})
	read := make(chan announcement, 1)
	go func() { read <- readAnnouncement(bufio.NewReader(stdout)) }()
	select {
	case a := <-read:
		if a.url == "" || len(a.env) == 0 || a.section == "" {
			t.Fatalf("announcement %+v lacks the URL or the remote", a)
		}
		return a
	case <-time.After(time.Minute):
		t.Fatal("the emulator printed no remote within a minute")
	}
	return announcement{}
}

// readAnnouncement reads the ready line, the exported variables (as a
// shell would set them) and the config section, up to the closing hint.
func readAnnouncement(out *bufio.Reader) announcement {
	var a announcement
	var section strings.Builder
	for {
		line, err := out.ReadString('\n')
		line = strings.TrimRight(line, "\n")
		switch {
		case strings.HasPrefix(line, "putio-emulator listening on "):
			a.url = strings.TrimPrefix(line, "putio-emulator listening on ")
		case strings.HasPrefix(line, "export "):
			name, quoted, _ := strings.Cut(strings.TrimPrefix(line, "export "), "=")
			value := strings.ReplaceAll(strings.TrimSuffix(strings.TrimPrefix(quoted, "'"), "'"), `'\''`, "'")
			a.env = append(a.env, name+"="+value)
		case strings.HasPrefix(line, "# then"):
			a.section = section.String()
			return a
		case strings.HasPrefix(line, "[") || section.Len() > 0 && line != "":
			section.WriteString(line + "\n")
		}
		if err != nil {
			return a
		}
	}
}

// TestPrintedRemoteWorks pastes the remote the emulator prints: rclone
// with only its variables uploads into the token's account, and rclone
// with only its config section reads the same bytes back.
func TestPrintedRemoteWorks(t *testing.T) {
	t.Parallel()
	const token = "pasted-token"
	a := startAnnouncing(t, "-strict", "-tokens", token)
	data := randomBytes(300_000, 23)
	local := localTree(t, map[string][]byte{"hello.bin": data})
	dir := t.TempDir()
	base := append(hermeticEnv(), "RCLONE_CACHE_DIR="+filepath.Join(dir, "cache"))

	fromEnv := &remote{env: slices.Concat(base, []string{"RCLONE_CONFIG=" + filepath.Join(dir, "empty.conf")}, a.env)}
	fromEnv.rclone(t, "copy", local, "putio_emulator:pasted")
	account := &emuproc.Client{URL: a.url, Token: token, HTTP: httpClient}
	var list struct{ Files []struct{ Name string } }
	if err := account.API(context.Background(), http.MethodGet, "/v2/files/list?parent_id=0", nil, &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Files) != 1 || list.Files[0].Name != "pasted" {
		t.Fatalf("the token's account holds %+v, want the folder rclone made", list.Files)
	}

	conf := filepath.Join(dir, "rclone.conf")
	if err := os.WriteFile(conf, []byte(a.section), 0o600); err != nil {
		t.Fatal(err)
	}
	fromFile := &remote{env: append(base, "RCLONE_CONFIG="+conf)}
	if got := fromFile.rclone(t, "cat", "putio_emulator:pasted/hello.bin"); got != string(data) {
		t.Fatalf("read back %d bytes, not the %d uploaded", len(got), len(data))
	}
	fromFile.rclone(t, "check", local, "putio_emulator:pasted")
}
