package putiotest_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
)

// countingServer serves body on loopback and counts the requests it got.
func countingServer(t *testing.T, body string) (*httptest.Server, *atomic.Int64) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

// addTransferFrom adds a transfer of source as if the request came from
// remoteAddr (with header) and waits for the emulator's fetch to end.
func addTransferFrom(t *testing.T, emu *putiotest.Emulator, remoteAddr string, header http.Header, source string) putiotest.Transfer {
	t.Helper()
	const token = "adder"
	all := http.Header{"Authorization": {"Bearer " + token}}
	for k, v := range header {
		all[k] = v
	}
	if code, body := requestFrom(t, emu, remoteAddr, "POST", "/v2/transfers/add", url.Values{"url": {source}}, all); code != 200 {
		t.Fatalf("transfers/add from %s: %d %v", remoteAddr, code, body)
	}
	acct := emu.Account(token)
	var last putiotest.Transfer
	waitUntil(t, "the fetch ends", func() bool {
		list := acct.Transfers()
		last = list[len(list)-1]
		return last.Status == putiotest.StatusCompleted || last.Status == putiotest.StatusError
	})
	return last
}

// A client on another machine cannot make the emulator read a service
// that listens on the emulator's loopback: the transfer fails without a
// connection. A client on this machine still gets the file.
func TestLoopbackTransferOnlyForLocalRequests(t *testing.T) {
	origin, hits := countingServer(t, "loopback only")
	emu := newEmulator(t, putiotest.Options{})
	_, port, _ := strings.Cut(strings.TrimPrefix(origin.URL, "http://"), ":")
	for _, c := range []struct {
		remote, source string
		header         http.Header
	}{
		{"203.0.113.7:5000", origin.URL + "/secret.txt", nil},
		{"203.0.113.7:5000", "http://localhost:" + port + "/secret.txt", nil},
		{"[2001:db8::7]:5000", "http://[::ffff:127.0.0.1]:" + port + "/secret.txt", nil},
		{"127.0.0.1:5000", origin.URL + "/secret.txt", http.Header{"X-Forwarded-For": {"203.0.113.7"}}},
	} {
		tr := addTransferFrom(t, emu, c.remote, c.header, c.source)
		if tr.Status != putiotest.StatusError || !strings.Contains(tr.ErrorMessage, "loopback") || tr.FileID != 0 {
			t.Errorf("%s from %s (%v): %+v, want ERROR naming loopback", c.source, c.remote, c.header, tr)
		}
	}
	if hits.Load() != 0 {
		t.Fatalf("the loopback service got %d requests from remote transfers", hits.Load())
	}
	tr := addTransferFrom(t, emu, "127.0.0.1:5000", nil, origin.URL+"/local.txt")
	got, err := emu.Account("adder").ReadFile("local.txt")
	if tr.Status != putiotest.StatusCompleted || err != nil || string(got) != "loopback only" || hits.Load() != 1 {
		t.Fatalf("local transfer %+v, file %q (%v), %d requests", tr, got, err, hits.Load())
	}
}

// Listing a loopback host opens loopback to every client, as the
// operator chose.
func TestTransferFetchHostsListingLoopback(t *testing.T) {
	origin, _ := countingServer(t, "shared")
	emu := newEmulator(t, putiotest.Options{TransferFetchHosts: []string{"LocalHost"}})
	_, port, _ := strings.Cut(strings.TrimPrefix(origin.URL, "http://"), ":")
	tr := addTransferFrom(t, emu, "203.0.113.7:5000", nil, "http://localhost:"+port+"/s.txt")
	if got, err := emu.Account("adder").ReadFile("s.txt"); tr.Status != putiotest.StatusCompleted || err != nil || string(got) != "shared" {
		t.Fatalf("%+v, file %q (%v)", tr, got, err)
	}
}

// With an admin secret (the emulator exposed, maybe through a relay that
// makes every client look local) loopback is fetched only when the
// operator lists it, for any client.
func TestTransferFetchHostsOpenLoopbackWithAdminSecret(t *testing.T) {
	origin, hits := countingServer(t, "listed")
	emu := newEmulator(t, putiotest.Options{AdminSecret: "s3cret-admin", TransferFetchHosts: []string{"127.0.0.1"}})
	tr := addTransferFrom(t, emu, "127.0.0.1:5000", nil, origin.URL+"/l.txt")
	if got, err := emu.Account("adder").ReadFile("l.txt"); tr.Status != putiotest.StatusCompleted || err != nil || string(got) != "listed" || hits.Load() != 1 {
		t.Fatalf("%+v, file %q (%v), %d requests", tr, got, err, hits.Load())
	}
}

// A redirect to a host the emulator does not fetch from fails the
// transfer rather than being followed.
func TestTransferRedirectOffTheListFails(t *testing.T) {
	redirector := httptest.NewServer(http.RedirectHandler("http://192.0.2.1/elsewhere.bin", http.StatusFound))
	t.Cleanup(redirector.Close)
	emu := newEmulator(t, putiotest.Options{})
	tr := addTransferFrom(t, emu, "127.0.0.1:5000", nil, redirector.URL+"/start.bin")
	if tr.Status != putiotest.StatusError || !strings.Contains(tr.ErrorMessage, "redirected to 192.0.2.1") {
		t.Fatalf("%+v, want ERROR naming the redirect", tr)
	}
}
