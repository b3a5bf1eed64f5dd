package main

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/rclone-putio/rclone-putio/bench/internal/emu"
)

// buildCommand builds the package pkg of this module into a temporary
// binary and returns its path.
func buildCommand(t *testing.T, pkg string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), filepath.Base(pkg))
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/rclone-putio/rclone-putio/"+pkg).CombinedOutput(); err != nil {
		t.Fatalf("building %s: %v\n%s", pkg, err, out)
	}
	return bin
}

// startEmulator runs a real emulator process with token's account.
func startEmulator(t *testing.T, token string) *emu.Emulator {
	t.Helper()
	e, err := emu.Start(context.Background(), buildCommand(t, "cmd/putio-emulator"), t.TempDir(), token, nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := e.Stop(); err != nil {
			t.Errorf("stopping the emulator: %v", err)
		}
	})
	return e
}

// TestSeedFilesFromDisk seeds a local file into a real emulator process:
// the file is the tus PATCH body, which net/http closes after sending.
func TestSeedFilesFromDisk(t *testing.T) {
	ctx := context.Background()
	e := startEmulator(t, "seed")
	local := filepath.Join(t.TempDir(), "hello.dat")
	if err := os.WriteFile(local, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := seedFiles(ctx, &world{emu: e}, []seedFile{{remote: "d/hello.dat", local: local}}); err != nil {
		t.Fatalf("seeding from disk: %v", err)
	}
	files, err := e.Tree(ctx, "d")
	if err != nil {
		t.Fatal(err)
	}
	if got := files["hello.dat"]; len(files) != 1 || got.Size != 5 || got.CRC32 != "3610a686" {
		t.Fatalf("Tree(d) = %+v, want hello.dat, 5 bytes, crc32 of hello", files)
	}
}
