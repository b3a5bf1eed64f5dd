package putiotest_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
)

// What the admin API shows of the requests names each token by its
// fingerprint, and leaves credentials out of the logged paths: whoever
// reads the log must not be able to act as the accounts in it.
func TestAdminAPIShowsNoToken(t *testing.T) {
	srv, api := newAPI(t)
	other := &apiClient{t: t, srv: srv, token: "other-secret-token"}
	api.upload(0, "a", []byte("abc"), nil)
	id := other.upload(0, "b", []byte("de"), nil)
	link := other.get("/v2/files/"+itoa(id)+"/url", nil).body["url"].(string)
	signed, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	anonymous := &apiClient{t: t, srv: srv}
	mustStatus(t, anonymous.get("/v2/account/info", url.Values{"oauth_token": {"query-secret-token"}}), 200)
	closeBody(t, anonymous.send("GET", signed.RequestURI(), nil, nil).Body)
	signature := signed.Query().Get("u")

	log := api.get("/_emulator/log", nil)
	bytes := api.get("/_emulator/upload-bytes", nil)
	for what, raw := range map[string]string{"log": string(log.raw), "upload-bytes": string(bytes.raw)} {
		for _, secret := range []string{api.token, other.token, "query-secret-token", signature} {
			if strings.Contains(raw, secret) {
				t.Errorf("admin %s shows %q: %s", what, secret, raw)
			}
		}
	}
	mine, theirs := putiotest.TokenFingerprint(api.token), putiotest.TokenFingerprint(other.token)
	if mine == theirs || !strings.HasPrefix(mine, "sha256:") {
		t.Fatalf("fingerprints %q and %q", mine, theirs)
	}
	byToken := bytes.body["token_fingerprints"].(map[string]any)
	if byToken[mine] != float64(3) || byToken[theirs] != float64(2) {
		t.Errorf("upload-bytes by fingerprint %v, want %s: 3, %s: 2", byToken, mine, theirs)
	}
	seen := map[string]bool{}
	for _, entry := range log.body["log"].([]any) {
		e := entry.(map[string]any)
		seen[e["token_fingerprint"].(string)] = true
		if path := e["path"].(string); strings.Contains(path, "oauth_token=") && !strings.Contains(path, "oauth_token=REDACTED") {
			t.Errorf("logged path %q", path)
		}
	}
	if !seen[mine] || !seen[theirs] || !seen[putiotest.TokenFingerprint("query-secret-token")] {
		t.Errorf("log names %v, want the fingerprints of all three tokens", seen)
	}
}

// Go's request log is the admin API's: a test tells accounts apart by
// fingerprint there too, and a signed URL's signature is not kept.
func TestRequestLogRedactsQueryCredentials(t *testing.T) {
	srv, api := newAPI(t)
	id := api.upload(0, "f", []byte("x"), nil)
	srv.ResetCounters()
	link := api.get("/v2/files/"+itoa(id)+"/url", nil).body["url"].(string)
	closeBody(t, api.send("GET", link, nil, nil).Body)
	mustStatus(t, api.get("/v2/files/list", url.Values{"oauth_token": {"q"}, "per_page": {"1"}}), 200)
	log := srv.Log()
	if len(log) != 3 {
		t.Fatalf("log %+v", log)
	}
	if got := log[1].Path; !strings.HasPrefix(got, "/download/") || !strings.Contains(got, "u=REDACTED") {
		t.Errorf("download logged as %q, want its signature redacted", got)
	}
	if got := log[2].Path; got != "/v2/files/list?oauth_token=REDACTED&per_page=1" {
		t.Errorf("listing logged as %q", got)
	}
	if log[0].TokenFingerprint != putiotest.TokenFingerprint(api.token) {
		t.Errorf("token fingerprint %q", log[0].TokenFingerprint)
	}
}

// A token another account holds is refused by name of its fingerprint.
func TestAdminTokenConflictShowsNoToken(t *testing.T) {
	srv, api := newAPI(t)
	srv.Account("taken-secret-token")
	r := api.post("/_emulator/tokens?token=taken-secret-token&owner="+url.QueryEscape(api.token), nil)
	mustError(t, r, 400, "BadRequest")
	if strings.Contains(string(r.raw), "taken-secret-token") || !strings.Contains(string(r.raw), putiotest.TokenFingerprint("taken-secret-token")) {
		t.Errorf("refusal %s", r.raw)
	}
}
