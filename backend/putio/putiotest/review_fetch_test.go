package putiotest_test

import (
	"strings"
	"testing"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
)

// Review finding: with an admin secret the emulator is meant to be
// reachable from other machines, and admitAdmin already treats a request
// from loopback as possibly relayed (an ssh tunnel, socat, kubectl
// port-forward or an nginx proxy_pass without proxy_set_header add no
// Forwarded or X-Forwarded-For). The transfer fetcher still takes the
// peer address as proof of a local client, so anyone reaching the
// emulator through such a relay makes it read services on its loopback.
func TestReviewLoopbackFetchNotTrustedWithAdminSecret(t *testing.T) {
	origin, hits := countingServer(t, "loopback only")
	emu := newEmulator(t, putiotest.Options{AdminSecret: "s3cret-admin"})
	tr := addTransferFrom(t, emu, "127.0.0.1:5000", nil, origin.URL+"/secret.txt")
	if tr.Status != putiotest.StatusError || !strings.Contains(tr.ErrorMessage, "loopback") || hits.Load() != 0 {
		t.Fatalf("a loopback transfer from a relayed-looking request on an emulator with an admin secret: %+v, %d requests to the loopback service", tr, hits.Load())
	}
}
