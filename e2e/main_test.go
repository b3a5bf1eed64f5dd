package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Paths of the binaries under test, set by TestMain.
var (
	repoRoot    string
	rcloneBin   string
	emulatorBin string
)

// TestMain builds both binaries once per run into the repository's bin/,
// where `make build` puts them; go build leaves an up-to-date binary alone.
func TestMain(m *testing.M) {
	if err := buildBinaries(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

func buildBinaries() error {
	root, err := filepath.Abs("..")
	if err != nil {
		return err
	}
	repoRoot = root
	rcloneBin = filepath.Join(root, "bin", "rclone")
	emulatorBin = filepath.Join(root, "bin", "putio-emulator")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	for bin, pkg := range map[string]string{rcloneBin: "./cmd/rclone", emulatorBin: "./cmd/putio-emulator"} {
		cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, pkg)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
		}
	}
	return nil
}
