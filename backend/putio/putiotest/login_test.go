package putiotest_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
)

// The password login putio-sync uses.
func TestPasswordLogin(t *testing.T) {
	srv, api := newAPI(t, putiotest.Options{Strict: true, Users: map[string]string{"ann": "secret"}, FirstPartyClients: []string{"7"}})
	anon := as(api, "")
	login := func(path, user, password string, query url.Values) reply {
		req, _ := http.NewRequest("PUT", srv.URL+path+"?"+query.Encode(), nil)
		req.SetBasicAuth(user, password)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return anon.read(resp)
	}
	secret := url.Values{"client_secret": {"s"}, "client_name": {"sync"}}
	type token struct {
		AccessToken string `json:"access_token"`
		UserID      int64  `json:"user_id"`
		Status      string `json:"status"`
	}
	var first, again, other token
	strict(t, login("/v2/oauth2/authorizations/clients/7/laptop", "ann", "secret", secret), 200, &first)
	strict(t, login("/v2/oauth2/authorizations/clients/7/laptop", "ann", "secret", secret), 200, &again)
	strict(t, login("/v2/oauth2/authorizations/clients/4131", "ann", "secret", secret), 200, &other)
	if first.AccessToken != again.AccessToken || other.AccessToken == first.AccessToken || first.UserID != other.UserID {
		t.Fatalf("tokens %+v %+v %+v", first, again, other)
	}
	if s, _ := srv.TokenScope(first.AccessToken); s != putiotest.ScopeFull {
		t.Fatalf("first-party client's scope %q", s)
	}
	if s, _ := srv.TokenScope(other.AccessToken); s != putiotest.ScopeApp {
		t.Fatalf("third-party client's scope %q", s)
	}
	info := as(api, first.AccessToken).get("/v2/account/info", nil)
	if info.body["info"].(map[string]any)["username"] != "ann" {
		t.Fatalf("info %s", info.raw)
	}
	for name, c := range map[string]struct {
		r         reply
		status    int
		errorType string
	}{
		"wrong password": {login("/v2/oauth2/authorizations/clients/7", "ann", "guess", secret), 401, "Unauthorized"},
		"unknown user":   {login("/v2/oauth2/authorizations/clients/7", "bob", "secret", secret), 401, "Unauthorized"},
		"no secret":      {login("/v2/oauth2/authorizations/clients/7", "ann", "secret", nil), 400, "BadRequest"},
		"bad client":     {login("/v2/oauth2/authorizations/clients/x", "ann", "secret", secret), 400, "BadRequest"},
	} {
		t.Run(name, func(t *testing.T) { strictError(t, c.r, c.status, c.errorType) })
	}
	// After a logout, the same fingerprint gets a fresh token.
	mustStatus(t, as(api, first.AccessToken).post("/v2/oauth/grants/logout", nil), 200)
	strict(t, login("/v2/oauth2/authorizations/clients/7/laptop", "ann", "secret", secret), 200, &again)
	if again.AccessToken == first.AccessToken || again.UserID != first.UserID {
		t.Fatalf("after logout %+v", again)
	}
}
