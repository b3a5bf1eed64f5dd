package putiotest_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
)

// oauthToken runs the code flow for clientID; a non-empty signedIn token
// is the user approving while logged in.
func oauthToken(t *testing.T, api *apiClient, clientID, signedIn string) string {
	t.Helper()
	user := *api
	user.token = signedIn
	q := url.Values{"client_id": {clientID}, "response_type": {"code"}, "redirect_uri": {"http://127.0.0.1:53682/"}}
	resp := user.send("GET", "/v2/oauth2/authenticate?"+q.Encode(), nil, http.Header{"Authorization": {"Bearer " + signedIn}})
	closeBody(t, resp.Body)
	loc, err := resp.Location()
	if err != nil {
		t.Fatalf("authorize: %d %v", resp.StatusCode, err)
	}
	user.token = ""
	r := user.post("/v2/oauth2/access_token", url.Values{"client_id": {clientID}, "grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")}})
	mustStatus(t, r, 200)
	return r.body["access_token"].(string)
}

func as(api *apiClient, token string) *apiClient {
	c := *api
	c.token = token
	return &c
}

// The OAuth flow gives third-party app tokens, rclone's client 4131
// included, unless the client is listed as first-party. Validate reports
// "default" for both: the record's token_scope values have no app scope.
func TestOAuthScopeFollowsClient(t *testing.T) {
	srv, api := newAPI(t, putiotest.Options{Strict: true, FirstPartyClients: []string{"1"}})
	for _, c := range []struct {
		client string
		scope  putiotest.Scope
		shares int
	}{
		{"4131", putiotest.ScopeApp, 401},
		{"", putiotest.ScopeApp, 401},
		{"1", putiotest.ScopeFull, 200},
	} {
		t.Run("client "+c.client, func(t *testing.T) {
			token := oauthToken(t, api, c.client, "")
			if scope, ok := srv.TokenScope(token); !ok || scope != c.scope {
				t.Fatalf("scope %q %v, want %q", scope, ok, c.scope)
			}
			user := as(api, token)
			r := user.get("/v2/public_share/list", nil)
			mustStatus(t, r, c.shares)
			if c.shares == 401 {
				strictError(t, r, 401, "invalid_scope")
			}
			mustStatus(t, user.get("/v2/files/list", nil), 200)
			if v := user.get("/v2/oauth2/validate", nil); v.body["token_scope"] != "default" || v.body["result"] != true {
				t.Fatalf("validate %s", v.raw)
			}
		})
	}
	t.Run("implicit", func(t *testing.T) {
		resp := as(api, "").send("GET", "/v2/oauth2/authenticate?client_id=4131&response_type=token&redirect_uri=http://localhost/cb", nil, nil)
		closeBody(t, resp.Body)
		loc, _ := resp.Location()
		frag, _ := url.ParseQuery(loc.Fragment)
		if scope, _ := srv.TokenScope(frag.Get("access_token")); scope != putiotest.ScopeApp {
			t.Fatalf("implicit token scope %q", scope)
		}
	})
}

// Approving while signed in adds the new token to that account.
func TestOAuthSignedInJoinsAccount(t *testing.T) {
	srv, api := newAPI(t)
	api.mkdir(0, "mine")
	app := as(api, oauthToken(t, api, "4131", srv.Token))
	list := app.get("/v2/files/list", nil)
	if files := list.files(); len(files) != 1 || files[0]["name"] != "mine" {
		t.Fatalf("app token sees %s", list.raw)
	}
	if a, b := api.get("/v2/oauth2/validate", nil), app.get("/v2/oauth2/validate", nil); a.body["user_id"] != b.body["user_id"] || a.body["token_id"] == b.body["token_id"] {
		t.Fatalf("validate: %s vs %s", a.raw, b.raw)
	}
	// Not signed in: a fresh account.
	newAccount := as(api, oauthToken(t, api, "4131", ""))
	if files := newAccount.get("/v2/files/list", nil).files(); len(files) != 0 {
		t.Fatalf("fresh account sees %v", files)
	}
}

// Every scope rule: the routes put.io refuses app tokens, and some it
// takes from them (trash works with app tokens, per the TS live tests).
func TestAppTokenScopeRules(t *testing.T) {
	srv, full := newAPI(t)
	appToken, err := srv.Account(srv.Token).NewToken(putiotest.ScopeApp)
	if err != nil {
		t.Fatal(err)
	}
	app := as(full, appToken)
	file := full.upload(0, "f.txt", []byte("x"), nil)
	for _, c := range []struct {
		method, path string
		appStatus    int // full tokens get 200
	}{
		{"GET", "/v2/public_share/list", 401},
		{"POST", "/v2/events/delete/999", 401},
		{"POST", "/v2/events/delete", 401},
		{"GET", "/v2/oauth/grants", 401},
		{"POST", "/v2/oauth/grants/4131/delete", 401},
		{"GET", "/v2/files/list", 200},
		{"GET", "/v2/trash/list", 200},
		{"GET", "/v2/events/list", 200},
		{"GET", "/v2/account/info", 200},
		{"GET", "/v2/account/settings", 200},
		{"POST", "/v2/public_share/" + itoa(file), 200},
		{"GET", "/v2/files/search?query=f", 200},
		{"GET", "/v2/files/extract", 200},
		{"GET", "/v2/files/list/items-shared-with-you", 200},
		{"POST", "/v2/files/set-sort-by?file_id=0&sort_by=NAME_ASC", 200},
		{"POST", "/v2/files/remove-sort-by-settings", 200},
	} {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			r := app.read(app.send(c.method, c.path, nil, nil))
			if c.appStatus == 401 {
				strictError(t, r, 401, "invalid_scope")
			} else {
				mustStatus(t, r, c.appStatus)
			}
			if r := full.read(full.send(c.method, c.path, nil, nil)); r.status == 401 {
				t.Fatalf("full token refused: %s", r.raw)
			}
		})
	}
	// logout last: it revokes the token that sends it.
	strictError(t, app.post("/v2/oauth/grants/logout", nil), 401, "invalid_scope")
}

func TestGoAPITokens(t *testing.T) {
	srv, api := newAPI(t, putiotest.Options{Strict: true, AppTokens: []string{"app-only"}})
	acct := srv.Account(srv.Token)
	if err := acct.AddToken("second-app", putiotest.ScopeApp); err != nil {
		t.Fatal(err)
	}
	if err := acct.AddToken("second-full", putiotest.ScopeFull); err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"other account": acct.AddToken("app-only", putiotest.ScopeApp),
		"bad scope":     acct.AddToken("x", putiotest.Scope("admin")),
		"empty":         acct.AddToken("", putiotest.ScopeApp),
	} {
		if err == nil {
			t.Errorf("%s accepted", name)
		}
	}
	for token, want := range map[string]putiotest.Scope{srv.Token: putiotest.ScopeFull, "second-full": putiotest.ScopeFull,
		"second-app": putiotest.ScopeApp, "app-only": putiotest.ScopeApp} {
		if got, ok := srv.TokenScope(token); !ok || got != want {
			t.Errorf("%s: %q %v, want %q", token, got, ok, want)
		}
	}
	api.mkdir(0, "shared")
	if files := as(api, "second-app").get("/v2/files/list", nil).files(); len(files) != 1 {
		t.Fatalf("second token of the account sees %v", files)
	}
	if files := as(api, "app-only").get("/v2/files/list", nil).files(); len(files) != 0 {
		t.Fatalf("AppTokens account is not its own: %v", files)
	}
	mustError(t, as(api, "app-only").get("/v2/public_share/list", nil), 401, "invalid_scope")
}

// Logout revokes the token sent, for good even where new tokens are
// accepted; the account's other tokens keep working.
func TestLogoutRevokes(t *testing.T) {
	srv, api := newAPI(t)
	otherToken, err := srv.Account(srv.Token).NewToken(putiotest.ScopeFull)
	if err != nil {
		t.Fatal(err)
	}
	other := as(api, otherToken)
	api.mkdir(0, "kept")
	before := srv.Account(srv.Token).UserID()
	mustStatus(t, api.post("/v2/oauth/grants/logout", nil), 200)
	strictError(t, api.get("/v2/files/list", nil), 401, "invalid_grant")
	if v := api.get("/v2/oauth2/validate", nil); v.body["result"] != false {
		t.Fatalf("validate after logout %s", v.raw)
	}
	mustStatus(t, other.get("/v2/files/list", nil), 200)
	if _, ok := srv.TokenScope(srv.Token); ok {
		t.Fatal("revoked token still known")
	}
	// From Go, the revoked token still names its account, and asking does
	// not bring it back.
	if files, _ := srv.Account(srv.Token).List(""); srv.Account(srv.Token).UserID() != before || len(files) != 1 {
		t.Fatalf("account after logout: %+v", files)
	}
	mustError(t, api.get("/v2/files/list", nil), 401, "invalid_grant")
	if _, err := srv.Account(srv.Token).NewToken(putiotest.Scope("root")); err == nil {
		t.Fatal("NewToken took an unknown scope")
	}
}

// Grants list the OAuth apps holding tokens; deleting one revokes them all.
func TestGrantsListAndDelete(t *testing.T) {
	srv, api := newAPI(t)
	first := as(api, oauthToken(t, api, "4131", srv.Token))
	second := as(api, oauthToken(t, api, "4131", srv.Token))
	as(api, oauthToken(t, api, "9", srv.Token))
	var apps wireApps
	strict(t, api.get("/v2/oauth/grants", nil), 200, &apps)
	if len(apps.Apps) != 2 || apps.Apps[0].ID != 9 || apps.Apps[1].ID != 4131 || apps.Apps[1].Name != "rclone" {
		t.Fatalf("grants %+v", apps)
	}
	strict(t, api.post("/v2/oauth/grants/4131/delete", nil), 200, &wireOK{})
	for _, app := range []*apiClient{first, second} {
		mustError(t, app.get("/v2/files/list", nil), 401, "invalid_grant")
	}
	strictError(t, api.post("/v2/oauth/grants/4131/delete", nil), 404, "NotFound")
	mustStatus(t, api.get("/v2/files/list", nil), 200)
}

// The admin API registers tokens of either scope, on a given account.
func TestAdminRegistersScopedTokens(t *testing.T) {
	srv, api := newAPI(t, putiotest.Options{Strict: true})
	admin := func(query string) reply {
		return api.read(api.send("POST", "/_emulator/tokens?"+query, nil, nil))
	}
	mustStatus(t, admin("token=own-app&scope=app"), 200)
	mustStatus(t, admin(url.Values{"token": {"joined"}, "scope": {"app"}, "owner": {srv.Token}}.Encode()), 200)
	mustError(t, admin("token=x&scope=root"), 400, "BadRequest")
	mustError(t, admin(url.Values{"token": {"joined"}, "owner": {"own-app"}}.Encode()), 400, "BadRequest")
	if s, _ := srv.TokenScope("own-app"); s != putiotest.ScopeApp {
		t.Fatalf("own-app scope %q", s)
	}
	if srv.Account("joined").UserID() != srv.Account(srv.Token).UserID() || srv.Account("own-app").UserID() == srv.Account(srv.Token).UserID() {
		t.Fatal("tokens on the wrong accounts")
	}
	mustError(t, as(api, "joined").get("/v2/public_share/list", nil), 401, "invalid_scope")
}
