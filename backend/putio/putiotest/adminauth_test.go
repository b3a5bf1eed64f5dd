package putiotest_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
)

// adminRequest serves one request straight through the emulator's
// handler, as if it came from remoteAddr, and returns the status and the
// decoded JSON reply.
func adminRequest(t *testing.T, emu *putiotest.Emulator, method, target, remoteAddr string, header http.Header) (int, map[string]any) {
	t.Helper()
	return requestFrom(t, emu, remoteAddr, method, target, nil, header)
}

// requestFrom is adminRequest for any request, with form (if not nil) as
// its body.
func requestFrom(t *testing.T, emu *putiotest.Emulator, remoteAddr, method, target string, form url.Values, header http.Header) (int, map[string]any) {
	t.Helper()
	var content io.Reader
	if form != nil {
		content = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, target, content)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.RemoteAddr = remoteAddr
	for k, v := range header {
		req.Header[k] = v
	}
	w := httptest.NewRecorder()
	emu.ServeHTTP(w, req)
	var body map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || w.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("%s %s from %s: %d %q is no JSON reply: %v", method, target, remoteAddr, w.Code, w.Body, err)
	}
	return w.Code, body
}

func newEmulator(t *testing.T, opts putiotest.Options) *putiotest.Emulator {
	t.Helper()
	emu, err := putiotest.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	closeAtEnd(t, emu)
	return emu
}

// Without a secret the admin API serves this machine only; the API
// itself serves everyone.
func TestAdminAPIWithoutSecretServesOnlyLocalRequests(t *testing.T) {
	emu := newEmulator(t, putiotest.Options{})
	forwarded := http.Header{"X-Forwarded-For": {"203.0.113.7"}}
	for _, c := range []struct {
		remote string
		header http.Header
		want   int
	}{
		{"127.0.0.1:5000", nil, 200},
		{"127.8.9.1:5000", nil, 200},
		{"[::1]:5000", nil, 200},
		{"[::ffff:127.0.0.1]:5000", nil, 200},
		{"203.0.113.7:5000", nil, 403},
		{"[2001:db8::1]:5000", nil, 403},
		{"10.0.0.2:5000", nil, 403},
		{"", nil, 403},
		{"not an address", nil, 403},
		{"127.0.0.1:5000", forwarded, 403},
		{"127.0.0.1:5000", http.Header{"Forwarded": {"for=203.0.113.7"}}, 403},
		{"127.0.0.1:5000", http.Header{"Via": {"1.1 proxy"}}, 403},
		{"127.0.0.1:5000", http.Header{"X-Forwarded-Host": {"emulator.example"}}, 403},
		{"127.0.0.1:5000", http.Header{"X-Original-Forwarded-For": {"203.0.113.7"}}, 403},
		{"127.0.0.1:5000", http.Header{"X-Client-Ip": {"203.0.113.7"}}, 403},
		{"127.0.0.1:5000", http.Header{"Fastly-Client-Ip": {"203.0.113.7"}}, 403},
		{"127.0.0.1:5000", http.Header{"X-Cluster-Client-Ip": {"203.0.113.7"}}, 403},
		{"127.0.0.1:5000", http.Header{"X-Envoy-External-Address": {"203.0.113.7"}}, 403},
		{"127.0.0.1:5000", http.Header{"Accept": {"application/json"}, "X-Request-Id": {"1"}}, 200},
	} {
		code, body := adminRequest(t, emu, "GET", "/_emulator/calls", c.remote, c.header)
		if code != c.want || code == 403 && body["error_type"] != "Forbidden" {
			t.Errorf("admin calls from %q (%v): %d %v, want %d", c.remote, c.header, code, body, c.want)
		}
	}
	if code, _ := adminRequest(t, emu, "GET", "/v2/account/info", "203.0.113.7:5000", http.Header{"Authorization": {"Bearer someone"}}); code != 200 {
		t.Errorf("the API from afar: %d", code)
	}
}

// A remote client cannot join another account by registering a token
// into it, which would make -strict mean nothing.
func TestAdminTokensRefusedFromAfar(t *testing.T) {
	emu := newEmulator(t, putiotest.Options{Strict: true, Tokens: []string{"victim"}})
	code, _ := adminRequest(t, emu, "POST", "/_emulator/tokens?token=intruder&owner=victim", "198.51.100.4:1234", nil)
	if _, known := emu.TokenScope("intruder"); code != 403 || known {
		t.Fatalf("token registration from afar: %d, registered %v", code, known)
	}
	if code, _ := adminRequest(t, emu, "GET", "/v2/files/list", "198.51.100.4:1234", http.Header{"Authorization": {"Bearer intruder"}}); code != 401 {
		t.Fatalf("the refused token lists files: %d", code)
	}
}

// With a secret every admin request needs it, local ones too; a wrong or
// missing one gets 401 and changes nothing.
func TestAdminAPIWithSecret(t *testing.T) {
	const secret = "admin-s3cret"
	emu := newEmulator(t, putiotest.Options{AdminSecret: secret})
	for i, c := range []struct {
		remote, authorization string
		want                  int
	}{
		{"203.0.113.7:5000", "Bearer " + secret, 200},
		{"127.0.0.1:5000", "bearer " + secret, 200},
		{"127.0.0.1:5000", "", 401},
		{"203.0.113.7:5000", "", 401},
		{"203.0.113.7:5000", "Bearer " + secret + "x", 401},
		{"203.0.113.7:5000", "Bearer " + secret[:5], 401},
		{"203.0.113.7:5000", "Basic " + secret, 401},
	} {
		header := http.Header{}
		if c.authorization != "" {
			header.Set("Authorization", c.authorization)
		}
		token := fmt.Sprintf("t%d", i)
		code, body := adminRequest(t, emu, "POST", "/_emulator/tokens?token="+token, c.remote, header)
		_, registered := emu.TokenScope(token)
		if code != c.want || registered != (c.want == 200) || code == 401 && body["error_type"] != "Unauthorized" {
			t.Errorf("from %s with %q: %d %v (registered %v), want %d", c.remote, c.authorization, code, body, registered, c.want)
		}
	}
}
