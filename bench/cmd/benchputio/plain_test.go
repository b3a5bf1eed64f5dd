package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rclone-putio/rclone-putio/bench/internal/mitm"
)

// The baseline runs as a child process, through the proxy, trusting the
// CA it is given, and is measured as an rclone is.
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
	env := rcloneEnv{dir: dir, token: "plain", proxyURL: proxy.URL(), caFile: filepath.Join(dir, "ca.pem"), timeout: time.Minute}
	local := filepath.Join(dir, "local.bin")
	if err := os.WriteFile(env.caFile, ca.CertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(local, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}

	baseline, err := freshBaseline(filepath.Join(dir, "bin"))
	if err != nil {
		t.Fatal(err)
	}

	r := (&bench{baseline: baseline}).plainUpload(context.Background(), env, local, "up.bin")

	if r.Err != nil || r.Wall <= 0 || r.MaxRSS <= 0 {
		t.Fatalf("plain-upload: %+v", r)
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
