package mitm

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func startProxy(t *testing.T, target http.Handler, delay time.Duration) (*Proxy, *http.Client) {
	t.Helper()
	return startProxyWith(t, target, Config{Hosts: []string{"api.put.io"}, Delay: delay})
}

// startProxyWith starts a proxy with cfg in front of target.
func startProxyWith(t *testing.T, target http.Handler, cfg Config) (*Proxy, *http.Client) {
	t.Helper()
	backend := httptest.NewServer(target)
	t.Cleanup(backend.Close)
	ca, err := NewCA()
	if err != nil {
		t.Fatal(err)
	}
	cfg.Target = backend.URL
	p, err := Start(ca, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca.CertPEM())
	proxyURL, _ := url.Parse(p.URL())
	client := &http.Client{Transport: &http.Transport{
		Proxy:           http.ProxyURL(proxyURL),
		TLSClientConfig: &tls.Config{RootCAs: roots},
	}}
	t.Cleanup(client.CloseIdleConnections)
	return p, client
}

// closeBody closes a reply's body; failing to is a test failure.
func closeBody(t *testing.T, resp *http.Response) {
	t.Helper()
	if err := resp.Body.Close(); err != nil {
		t.Errorf("closing the reply from %s: %v", resp.Request.URL, err)
	}
}

func TestForwardsWithOriginalHost(t *testing.T) {
	_, client := startProxy(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.Header.Get("X-Forwarded-Proto")+" "+r.Header.Get("X-Forwarded-Host")+" "+r.URL.RequestURI())
	}), 0)
	resp, err := client.Get("https://api.put.io/v2/files/list?parent_id=0")
	if err != nil {
		t.Fatal(err)
	}
	defer closeBody(t, resp)
	body, _ := io.ReadAll(resp.Body)
	if want := "https api.put.io /v2/files/list?parent_id=0"; string(body) != want {
		t.Fatalf("backend saw %q, want %q", body, want)
	}
}

func TestRefusesOtherHosts(t *testing.T) {
	p, client := startProxy(t, http.NotFoundHandler(), 0)
	for _, u := range []string{"https://example.com/", "http://api.put.io/"} {
		resp, err := client.Get(u)
		if err == nil {
			closeBody(t, resp)
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s: status %d, want an error or 403", u, resp.StatusCode)
			}
		}
	}
	if p.Refused() != 2 {
		t.Errorf("Refused() = %d, want 2", p.Refused())
	}
}

func TestRejectsNonLoopbackTarget(t *testing.T) {
	ca, err := NewCA()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Start(ca, Config{Target: "http://192.0.2.1:80", Hosts: []string{"api.put.io"}}); err == nil {
		t.Fatal("Start accepted a non-loopback target")
	}
}

func TestDelayEachRequest(t *testing.T) {
	const delay = 50 * time.Millisecond
	_, client := startProxy(t, http.NotFoundHandler(), delay)
	start := time.Now()
	resp, err := client.Get("https://api.put.io/")
	if err != nil {
		t.Fatal(err)
	}
	closeBody(t, resp)
	if took := time.Since(start); took < delay {
		t.Fatalf("request took %s, want at least the %s delay", took, delay)
	}
}

func TestCountsUploadBodyBytes(t *testing.T) {
	p, client := startProxy(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusNoContent)
	}), 0)
	half := p.AfterUploadBytes(1000)
	for _, req := range []struct {
		method, contentType string
		size                int
	}{{http.MethodPatch, "application/offset+octet-stream", 700}, {http.MethodPost, "application/x-www-form-urlencoded", 5000}, {http.MethodPost, "application/offset+octet-stream", 100}, {http.MethodPatch, "application/offset+octet-stream", 500}} {
		r, err := http.NewRequest(req.method, "https://api.put.io/files/x", strings.NewReader(strings.Repeat("a", req.size)))
		if err != nil {
			t.Fatal(err)
		}
		r.Header.Set("Content-Type", req.contentType)
		resp, err := client.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		closeBody(t, resp)
	}
	select {
	case <-half:
	default:
		t.Error("AfterUploadBytes(1000) not closed after 1300 upload bytes")
	}
	got := settled(p.Uploads)
	if got.Requests != 3 || got.Bytes != 1300 || got.InFlight != 0 {
		t.Errorf("Uploads() = %d requests, %d bytes, %d in flight; want 2 PATCHes and a creation-with-upload POST, 1300 bytes (the form POST left out), none in flight", got.Requests, got.Bytes, got.InFlight)
	}
	if got.Span() <= 0 {
		t.Errorf("Span() = %s, want the time between the first upload request and the last reply", got.Span())
	}
	select {
	case <-p.AfterUploadBytes(1300):
	default:
		t.Error("AfterUploadBytes for bytes already seen is not closed at once")
	}
	select {
	case <-p.AfterUploadBytes(1301):
		t.Error("AfterUploadBytes(1301) closed after 1300 bytes")
	default:
	}
}

func TestCountsRequestsCutOffFromTheTarget(t *testing.T) {
	p, client := startProxy(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			_ = conn.Close() // the target goes away without a reply
		}
	}), 0)
	resp, err := client.Get("https://api.put.io/v2/files/list")
	if err != nil {
		t.Fatal(err)
	}
	closeBody(t, resp)
	if resp.StatusCode != http.StatusBadGateway || p.Failed() != 1 {
		t.Fatalf("status %d, Failed() = %d; want 502 and 1", resp.StatusCode, p.Failed())
	}
}

// Download replies are counted by what the proxy wrote to the client, so a
// client that reads part of a body and hangs up is charged for what it
// pulled; replies on other paths are not counted.
func TestCountsDownloadReplyBytes(t *testing.T) {
	const size = 64 << 10
	p, client := startProxyWith(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, strings.Repeat("d", size))
	}), Config{Hosts: []string{"api.put.io"}, DownloadPrefix: "/download/"})
	for _, u := range []string{"https://api.put.io/download/7?u=sig", "https://api.put.io/v2/files/list"} {
		resp, err := client.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		if body, err := io.ReadAll(resp.Body); err != nil || len(body) != size {
			t.Fatalf("%s: read %d bytes (%v), want %d", u, len(body), err, size)
		}
		closeBody(t, resp)
	}
	got := settled(p.Downloads)
	if got.Requests != 1 || got.Bytes != size || got.InFlight != 0 {
		t.Fatalf("Downloads() = %d requests, %d bytes, %d in flight; want the one /download/ reply of %d bytes", got.Requests, got.Bytes, got.InFlight, size)
	}
	if up := p.Uploads(); up.Requests != 0 {
		t.Errorf("Uploads() = %+v, want none", up)
	}
}

// settled reads stats until no request is in flight. The client can hold
// the last reply before the proxy's handler has returned and counted it
// as finished; that comes soon after, however busy the machine, so the
// wait has no budget of its own (the test binary's -timeout bounds it).
func settled(stats func() BodyStats) BodyStats {
	got := stats()
	for got.InFlight != 0 {
		time.Sleep(time.Millisecond)
		got = stats()
	}
	return got
}
