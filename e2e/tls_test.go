package e2e

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// startTLSEmulator runs bin/putio-emulator with -tls, the tests' own
// requests trusting the certificate it writes to the returned file.
func startTLSEmulator(t *testing.T, args ...string) (emu *emulator, caFile string) {
	t.Helper()
	caFile = filepath.Join(t.TempDir(), "ca.pem")
	emu = startEmulator(t, append([]string{"-tls", "-tls-ca-out", caFile}, args...)...)
	if !strings.HasPrefix(emu.URL, "https://") {
		t.Fatalf("a -tls emulator listens on %s, want https", emu.URL)
	}
	pemData, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pemData) {
		t.Fatalf("-tls-ca-out wrote no PEM certificate: %q", pemData)
	}
	emu.http = &http.Client{Timeout: httpClient.Timeout, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	emu.admin.HTTP = emu.http
	return emu, caFile
}

// rclone trusts a -tls emulator given --ca-cert and the file -tls-ca-out
// wrote: the upload (tus), the listing and the download all go over
// HTTPS and the bytes come back whole.
func TestTLSCopyAndCat(t *testing.T) {
	t.Parallel()
	emu, caFile := startTLSEmulator(t)
	r := newRemote(t, emu)
	files := map[string][]byte{"big.bin": randomBytes(3<<20+17, 7), "small.txt": []byte("over TLS\n")}
	src := localTree(t, files)
	r.rclone(t, "--ca-cert", caFile, "copy", src, path("tls"))
	if got := r.rootNames(t, "tls"); !slices.Equal(slices.Sorted(slices.Values(got)), []string{"big.bin", "small.txt"}) {
		t.Fatalf("the account's tls folder holds %v", got)
	}
	for name, want := range files {
		if got := r.rclone(t, "--ca-cert", caFile, "cat", path("tls/"+name)); !bytes.Equal([]byte(got), want) {
			t.Errorf("cat %s: %d bytes differ from the %d copied", name, len(got), len(want))
		}
	}
	if emu.calls(t, "PATCH /files/{upload}") == 0 {
		t.Error("no tus PATCH reached the emulator: the upload did not go through upload_url")
	}
	// Without --ca-cert rclone refuses the certificate.
	res := r.run(t, "--retries", "1", "--low-level-retries", "1", "lsf", path("tls"))
	if res.code == 0 || !strings.Contains(res.stderr, "certificate") {
		t.Errorf("rclone without --ca-cert: %s", res)
	}
}
