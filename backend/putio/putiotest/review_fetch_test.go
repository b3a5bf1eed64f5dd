package putiotest_test

import (
	"net/http"
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

// Review finding: a local reverse proxy is recognised only by Forwarded
// or X-Forwarded-For. nginx's common "proxy_set_header X-Real-IP
// $remote_addr" (and Cloudflare's CF-Connecting-IP, Akamai's
// True-Client-IP) mark a relayed request too; with none of the three, a
// relayed request from another machine reads the log and adds tokens.
// (A relay that adds no header at all cannot be told apart: the sound
// mechanism is a secret the admin API always needs, generated when none is
// given and handed to local tooling, not a guess from the peer address.)
func TestReviewAdminAPIRefusesOtherRelayHeaders(t *testing.T) {
	emu := newEmulator(t, putiotest.Options{})
	for _, h := range []string{"X-Real-Ip", "Cf-Connecting-Ip", "True-Client-Ip"} {
		code, _ := adminRequest(t, emu, "GET", "/_emulator/log", "127.0.0.1:5000", http.Header{h: {"203.0.113.7"}})
		if code != http.StatusForbidden {
			t.Errorf("admin log through a proxy that sets %s: %d, want 403", h, code)
		}
	}
}
