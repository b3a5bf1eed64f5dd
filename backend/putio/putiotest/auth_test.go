package putiotest_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
)

func TestTokenForms(t *testing.T) {
	srv, api := newAPI(t)
	id := api.mkdir(0, "mine")
	anon := as(api, "")
	for name, send := range map[string]func() reply{
		"Bearer": func() reply {
			return anon.read(anon.send("GET", "/v2/files/"+itoa(id), nil, http.Header{"Authorization": {"Bearer " + srv.Token}}))
		},
		"token": func() reply {
			return anon.read(anon.send("GET", "/v2/files/"+itoa(id), nil, http.Header{"Authorization": {"token " + srv.Token}}))
		},
		"Token": func() reply {
			return anon.read(anon.send("GET", "/v2/files/"+itoa(id), nil, http.Header{"Authorization": {"Token " + srv.Token}}))
		},
		"oauth_token": func() reply { return anon.get("/v2/files/"+itoa(id), url.Values{"oauth_token": {srv.Token}}) },
	} {
		t.Run(name, func(t *testing.T) { mustStatus(t, send(), 200) })
	}
	mustError(t, anon.get("/v2/files/0", nil), 401, "Unauthorized")
	mustError(t, anon.read(anon.send("GET", "/v2/files/0", nil, http.Header{"Authorization": {"Basic abc"}})), 401, "Unauthorized")
	// Each token is its own account.
	other := as(api, "fresh-token")
	mustError(t, other.get("/v2/files/"+itoa(id), nil), 404, "NotFound")
	if files, _ := srv.Account("fresh-token").List(""); len(files) != 0 {
		t.Fatalf("fresh account sees %v", files)
	}
}

func TestStrictMode(t *testing.T) {
	srv, api := newAPI(t, putiotest.Options{Strict: true, Tokens: []string{"given"}})
	mustStatus(t, api.get("/v2/files/0", nil), 200) // srv.Token is registered
	stranger := as(api, "revoked")
	r := stranger.get("/v2/files/0", nil)
	mustError(t, r, 401, "invalid_grant")
	if !strings.Contains(r.body["error_message"].(string), "authorize again") {
		t.Errorf("message does not say what to do: %s", r.raw)
	}
	given := as(api, "given")
	mustStatus(t, given.get("/v2/files/0", nil), 200)
	// Over tus too.
	resp := stranger.send("POST", srv.UploadURL(), nil, http.Header{"Upload-Length": {"1"}})
	closeBody(t, resp.Body)
	if resp.StatusCode != 401 {
		t.Fatalf("tus with unknown token: %d", resp.StatusCode)
	}
}

// The flow rclone config drives: authorize, get redirected with a code,
// exchange it for a token.
func TestOAuthFlow(t *testing.T) {
	_, api := newAPI(t, putiotest.Options{Strict: true})
	anon := as(api, "")
	authorize := func() (code string) {
		t.Helper()
		resp := anon.send("GET", "/v2/oauth2/authenticate?"+url.Values{"client_id": {"4131"}, "response_type": {"code"},
			"redirect_uri": {"http://127.0.0.1:53682/"}, "state": {"xyz"}}.Encode(), nil, nil)
		closeBody(t, resp.Body)
		loc, err := resp.Location()
		if resp.StatusCode != 302 || err != nil || loc.Host != "127.0.0.1:53682" || loc.Query().Get("state") != "xyz" || loc.Query().Get("code") == "" {
			t.Fatalf("authorize: %d %v", resp.StatusCode, loc)
		}
		return loc.Query().Get("code")
	}
	exchanges := map[string]func(code string) reply{
		"POST form": func(code string) reply {
			return anon.post("/v2/oauth2/access_token", url.Values{"client_id": {"4131"}, "client_secret": {"s"}, "grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {"http://127.0.0.1:53682/"}})
		},
		"GET query": func(code string) reply {
			return anon.get("/v2/oauth2/access_token", url.Values{"client_id": {"4131"}, "grant_type": {"authorization_code"}, "code": {code}})
		},
	}
	var tokens []string
	for name, exchange := range exchanges {
		t.Run(name, func(t *testing.T) {
			code := authorize()
			r := exchange(code)
			mustStatus(t, r, 200)
			token, _ := r.body["access_token"].(string)
			if token == "" {
				t.Fatalf("no access_token: %s", r.raw)
			}
			tokens = append(tokens, token)
			user := as(anon, token)
			mustStatus(t, user.get("/v2/files/list", nil), 200) // strict mode accepts it
			// A code works once.
			again := exchange(code)
			mustStatus(t, again, 400)
			if again.body["error"] != "invalid_request" {
				t.Fatalf("reused code: %s", again.raw)
			}
		})
	}
	if len(tokens) == 2 && tokens[0] == tokens[1] {
		t.Fatal("two exchanges gave the same token")
	}
	mustStatus(t, anon.get("/v2/oauth2/authenticate", url.Values{"redirect_uri": {"not a url"}}), 400)

	t.Run("implicit", func(t *testing.T) {
		resp := anon.send("GET", "/v2/oauth2/authenticate?response_type=token&redirect_uri=http://localhost/cb", nil, nil)
		closeBody(t, resp.Body)
		loc, _ := resp.Location()
		frag, _ := url.ParseQuery(loc.Fragment)
		if frag.Get("access_token") == "" {
			t.Fatalf("implicit redirect %v", loc)
		}
	})
}

func TestOAuthValidate(t *testing.T) {
	_, api := newAPI(t, putiotest.Options{Strict: true})
	r := api.get("/v2/oauth2/validate", nil)
	mustStatus(t, r, 200)
	if r.body["result"] != true || r.body["user_id"] == nil || r.body["token_scope"] != "default" {
		t.Fatalf("validate %s", r.raw)
	}
	bad := as(api, "nope")
	r = bad.get("/v2/oauth2/validate", nil)
	if r.body["result"] != false || r.body["user_id"] != nil {
		t.Fatalf("validate unknown %s", r.raw)
	}
}

func TestPublicShares(t *testing.T) {
	_, api := newAPI(t)
	file := api.upload(0, "movie.mp4", []byte("x"), nil)
	dir := api.mkdir(0, "d")
	r := api.post("/v2/public_share/"+itoa(file), url.Values{"expiration_date": {"2030-01-02"}})
	mustStatus(t, r, 200)
	share := r.body["public_share"].(map[string]any)
	uf := share["user_file"].(map[string]any)
	if num(uf, "id") != file || uf["name"] != "movie.mp4" || uf["file_type"] != "VIDEO" ||
		share["expiration_date"] != "2030-01-02T23:59:59" || share["token"] == "" || share["owner"].(map[string]any)["name"] == nil || share["created_at"] == nil {
		t.Fatalf("share %s", r.raw)
	}
	r2 := api.post("/v2/public_share/"+itoa(dir), url.Values{"expiration_date": {"2030-01-02T10:00:00+01:00"}})
	mustStatus(t, r2, 200)
	if exp := r2.body["public_share"].(map[string]any)["expiration_date"]; exp != "2030-01-02T09:00:00" {
		t.Fatalf("RFC 3339 expiration %v", exp)
	}
	mustError(t, api.post("/v2/public_share/"+itoa(file), url.Values{"expiration_date": {"someday"}}), 400, "BadRequest")
	mustError(t, api.post("/v2/public_share/0", nil), 400, "PUBLIC_SHARE_FOLDER_ROOT_NOT_ALLOWED")

	list := api.get("/v2/public_share/list", nil)
	shares := list.body["public_shares"].([]any)
	if len(shares) != 2 {
		t.Fatalf("list %s", list.raw)
	}
	id := num(share, "id")
	other := as(api, "other")
	mustError(t, other.read(other.send("DELETE", "/v2/public_share/"+itoa(id), nil, nil)), 404, "NotFound")
	mustStatus(t, api.read(api.send("DELETE", "/v2/public_share/"+itoa(id), nil, nil)), 200)
	if n := len(api.get("/v2/public_share/list", nil).body["public_shares"].([]any)); n != 1 {
		t.Fatalf("%d shares after delete", n)
	}
	mustError(t, api.read(api.send("DELETE", "/v2/public_share/"+itoa(id), nil, nil)), 404, "NotFound")
}

func TestUnknownRoute(t *testing.T) {
	srv, api := newAPI(t)
	for _, path := range []string{"/v2/nope", "/v2/files/1/nope", "/", "/v3/files/list"} {
		mustError(t, api.get(path, nil), 404, "NotFound")
	}
	mustError(t, api.read(api.send("PUT", "/v2/files/list", nil, nil)), 404, "NotFound")
	r := api.get("/v2/files/delete", nil)
	mustError(t, r, 404, "NotFound")
	if msg, _ := r.body["error_message"].(string); !strings.Contains(msg, "use POST") {
		t.Errorf("a wrong method is not named as such: %q", msg)
	}
	if srv.Calls("unknown") != 6 {
		t.Fatalf("unknown counter %d", srv.Calls("unknown"))
	}
}

// A share of a file deleted for good disappears with it.
func TestPublicShareGoesWithItsFile(t *testing.T) {
	_, api := newAPI(t)
	file := api.upload(0, "f", []byte("x"), nil)
	mustStatus(t, api.post("/v2/public_share/"+itoa(file), nil), 200)
	api.post("/v2/files/delete", url.Values{"file_ids": {itoa(file)}, "skip_trash": {"1"}})
	if n := len(api.get("/v2/public_share/list", nil).body["public_shares"].([]any)); n != 0 {
		t.Fatalf("%d shares left", n)
	}
}

// An authorization code is short-lived and only for grant_type
// authorization_code.
func TestOAuthCodeLimits(t *testing.T) {
	clock := newClock()
	_, api := newAPI(t, putiotest.Options{Now: clock.Now})
	anon := as(api, "")
	authorize := func() string {
		resp := anon.send("GET", "/v2/oauth2/authenticate?response_type=code&redirect_uri=http://localhost/cb", nil, nil)
		closeBody(t, resp.Body)
		loc, _ := resp.Location()
		return loc.Query().Get("code")
	}
	exchange := func(code, grant string) reply {
		return anon.post("/v2/oauth2/access_token", url.Values{"grant_type": {grant}, "code": {code}})
	}
	code := authorize()
	clock.Advance(11 * time.Minute)
	if r := exchange(code, "authorization_code"); r.status != 400 || r.body["error"] != "invalid_request" {
		t.Fatalf("expired code: %s", r.raw)
	}
	code = authorize()
	if r := exchange(code, "password"); r.status != 400 || r.body["error"] != "invalid_request" {
		t.Fatalf("wrong grant_type: %s", r.raw)
	}
	mustStatus(t, exchange(code, "authorization_code"), 200)
}
