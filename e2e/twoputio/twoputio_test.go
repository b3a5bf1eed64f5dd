// Package twoputio links rclone's putio backend next to ours, as a program
// importing rclone's backend/all would, and checks which one wins. It is a
// package of its own so that no other test binary carries both.
package twoputio

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"reflect"
	"runtime"
	"strings"
	"testing"

	// Both putio backends, as in a program that imports rclone's
	// backend/all next to ours: the probe below checks who wins.
	_ "github.com/rclone-putio/rclone-putio/backend/putio"
	_ "github.com/rclone/rclone/backend/putio"
	"github.com/rclone/rclone/fs"
)

const probeEnv = "E2E_TWO_PUTIO_PROBE"

// init runs the probe when this test binary is started by
// TestTwoPutioBackendsResolveToOursWithAdvice, before any test.
func init() {
	if os.Getenv(probeEnv) == "" {
		return
	}
	fn := runtime.FuncForPC(reflect.ValueOf(fs.MustFind("putio").NewFs).Pointer())
	fmt.Println("putio resolves to", fn.Name())
	// Creating a remote is where a late duplicate gets reported; the
	// address is unused, the error is expected and irrelevant.
	_, _ = fs.NewFs(context.Background(), ":putio,api_url='http://127.0.0.1:9',upload_url='http://127.0.0.1:9/files/':")
	os.Exit(0)
}

func TestTwoPutioBackendsResolveToOursWithAdvice(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), probeEnv+"=1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("probe: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(string(out), "putio resolves to github.com/rclone-putio/rclone-putio/backend/putio.") {
		t.Errorf("putio does not resolve to this module's backend: %s", out)
	}
	if n := strings.Count(stderr.String(), "backends are registered"); n != 1 {
		t.Errorf("duplicate message logged %d times, want once:\n%s", n, stderr.String())
	}
	for _, want := range []string{
		"putio: 2 backends are registered under that name",
		"github.com/rclone/rclone/backend/putio",
		"import github.com/rclone-putio/rclone-putio/backend/all instead of github.com/rclone/rclone/backend/all",
	} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
}
