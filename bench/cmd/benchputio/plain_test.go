package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/rclone-putio/rclone-putio/bench/internal/mitm"
)

// The baseline child uploads the file through the proxy, trusting the CA
// it is given, as a process of its own.
func TestPlainUploadChildStoresTheFile(t *testing.T) {
	e := startEmulator(t, "plain")
	ca, err := mitm.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	proxy, err := mitm.Start(ca, mitm.Config{Target: e.URL, Hosts: putioHosts})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := proxy.Close(); err != nil {
			t.Errorf("closing the proxy: %v", err)
		}
	})
	dir := t.TempDir()
	caFile, local := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "local.bin")
	if err := os.WriteFile(caFile, ca.CertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(local, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}

	out, err := exec.Command(buildCommand(t, "bench/cmd/benchputio"), plainUploadCommand,
		"-proxy", proxy.URL(), "-ca", caFile, "-token", "plain", "-name", "up.bin", local).CombinedOutput()

	if err != nil {
		t.Fatalf("plain-upload: %v\n%s", err, out)
	}
	files, err := e.Tree(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if got := files["up.bin"]; got.Size != 5 || got.CRC32 != "3610a686" {
		t.Fatalf("Tree = %+v, want up.bin, 5 bytes, crc32 of hello", files)
	}
	if uploads := proxy.Uploads(); uploads.Requests != 1 || uploads.Bytes != 5 {
		t.Fatalf("proxy saw %+v, want one upload request of 5 bytes", uploads)
	}
}
