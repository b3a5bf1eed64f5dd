package putiotest_test

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
)

// Contract tests of the config store, the account's lists, OAuth apps and
// sessions, tunnel routes and podcast links, as the TS SDK's live suite
// (test/live/{config,account,auth,oauth,auth-credentials,tunnel,podcast})
// shows them.

func (c *apiClient) putJSON(path, body string) reply {
	c.t.Helper()
	return c.read(c.send("PUT", path, strings.NewReader(body), http.Header{"Content-Type": {"application/json"}}))
}

func TestConfigStoreRoundTrip(t *testing.T) {
	_, api := newAPI(t)
	app := appTokenClient(t, api) // the suite's config tests use an app token
	if r := app.get("/v2/config", nil); r.status != 200 || string(r.raw) != `{"config":{},"status":"OK"}` {
		t.Fatalf("empty config %d %s", r.status, r.raw)
	}
	strict(t, app.putJSON("/v2/config/probe", `{"value": {"version": 1, "tags": ["a", "b"], "on": true}}`), 200, &wireOK{})
	if r := app.get("/v2/config/probe", nil); string(r.raw) != `{"status":"OK","value":{"version":1,"tags":["a","b"],"on":true}}` {
		t.Fatalf("key read %s", r.raw)
	}
	if r := api.get("/v2/config", nil); string(r.raw) != `{"config":{"probe":{"version":1,"tags":["a","b"],"on":true}},"status":"OK"}` {
		t.Fatalf("config read %s", r.raw)
	}
	strict(t, app.read(app.send("DELETE", "/v2/config/probe", nil, nil)), 200, &wireOK{})
	if r := app.get("/v2/config/probe", nil); string(r.raw) != `{"status":"OK","value":null}` {
		t.Fatalf("deleted key read %s", r.raw)
	}
	strict(t, app.putJSON("/v2/config", `{"config": {"x": 1}}`), 200, &wireOK{})
	if r := app.get("/v2/config", nil); string(r.raw) != `{"config":{"x":1},"status":"OK"}` {
		t.Fatalf("replaced config %s", r.raw)
	}
	strictError(t, app.putJSON("/v2/config", `{"config": [1]}`), 400, "BadRequest")
	strictError(t, app.putJSON("/v2/config/k", `{"other": 1}`), 400, "BadRequest")
	strictError(t, app.putJSON("/v2/config/k", `not json`), 400, "BadRequest")
	other := as(api, "another-account")
	if r := other.get("/v2/config", nil); string(r.raw) != `{"config":{},"status":"OK"}` {
		t.Fatalf("another account sees %s", r.raw)
	}
}

func TestAccountListsAndTheirScopes(t *testing.T) {
	_, api := newAPI(t)
	app := appTokenClient(t, api)
	var languages struct {
		Status    string `json:"status"`
		Languages []struct {
			Code string `json:"code"`
			Name string `json:"name"`
		} `json:"languages"`
	}
	strict(t, app.get("/v2/account/subtitle_languages", nil), 200, &languages)
	english := false
	for _, l := range languages.Languages {
		english = english || (l.Code == "eng" && l.Name == "English")
	}
	if !english {
		t.Fatalf("no {eng, English} in %+v", languages.Languages)
	}
	var confirmations struct {
		Status        string `json:"status"`
		Confirmations []any  `json:"confirmations"`
	}
	strict(t, api.get("/v2/account/confirmation/list", url.Values{"type": {"password_change"}}), 200, &confirmations)
	strictError(t, api.get("/v2/account/confirmation/list", url.Values{"type": {"nonsense"}}), 400, "BadRequest")
	strictError(t, app.get("/v2/account/confirmation/list", nil), 401, "invalid_scope")
}

func TestTunnelRoutesAndPodcastLinks(t *testing.T) {
	srv, api := newAPI(t)
	app := appTokenClient(t, api)
	var routes struct {
		Status string `json:"status"`
		Routes []struct {
			Name        string   `json:"name"`
			Description string   `json:"description"`
			Hosts       []string `json:"hosts"`
		} `json:"routes"`
	}
	strict(t, api.get("/v2/tunnel/routes", nil), 200, &routes)
	host := strings.TrimPrefix(srv.URL, "http://")
	if len(routes.Routes) != 2 || routes.Routes[0].Name != "default" || routes.Routes[1].Name != "cdn77" || routes.Routes[0].Hosts[0] != host {
		t.Fatalf("tunnel routes %+v", routes)
	}
	strictError(t, app.get("/v2/tunnel/routes", nil), 401, "invalid_scope")

	dir := api.mkdir(0, "pod")
	var links struct {
		Status string            `json:"status"`
		Token  string            `json:"token"`
		Links  map[string]string `json:"links"`
	}
	strict(t, api.get("/v2/podcast/links", url.Values{"parent_id": {"0"}}), 200, &links)
	if len(links.Links) != 4 || links.Token == "" || !strings.Contains(links.Links["mp4"], links.Token) {
		t.Fatalf("default podcast links %+v", links)
	}
	selected := links
	selected.Links = nil
	strict(t, api.get("/v2/podcast/links", url.Values{"parent_id": {itoa(dir)}, "type": {"audio,mp4"}}), 200, &selected)
	if len(selected.Links) != 2 || selected.Links["audio"] == "" || selected.Links["mp4"] == "" {
		t.Fatalf("selected podcast links %+v", selected)
	}
	strictError(t, api.get("/v2/podcast/links", url.Values{"parent_id": {"0"}, "type": {"flac"}}), 400, "BadRequest")
	strictError(t, api.get("/v2/podcast/links", url.Values{"parent_id": {"999999"}}), 404, "NotFound")
	strictError(t, app.get("/v2/podcast/links", url.Values{"parent_id": {"0"}}), 401, "invalid_scope")
}

type wireOwnedApp struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Website     string `json:"website"`
	HasIcon     bool   `json:"has_icon"`
	Callback    string `json:"callback"`
	Hidden      bool   `json:"hidden"`
	Secret      string `json:"secret"`
}

type wireAppReply struct {
	Status string       `json:"status"`
	App    wireOwnedApp `json:"app"`
}

type wireAppWithToken struct {
	Status string       `json:"status"`
	App    wireOwnedApp `json:"app"`
	Token  *string      `json:"token"`
}

// postMultipart sends a multipart form, with an icon part if icon is set.
func (c *apiClient) postMultipart(path string, fields map[string]string, icon []byte) reply {
	c.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for k, v := range fields {
		if err := w.WriteField(k, v); err != nil {
			c.t.Fatal(err)
		}
	}
	if icon != nil {
		part, err := w.CreateFormFile("icon", "icon.png")
		if err == nil {
			_, err = part.Write(icon)
		}
		if err != nil {
			c.t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		c.t.Fatal(err)
	}
	return c.read(c.send("POST", path, &body, http.Header{"Content-Type": {w.FormDataContentType()}}))
}

func TestOAuthAppLifecycleThroughTheAPI(t *testing.T) {
	srv, api := newAPI(t)
	app := appTokenClient(t, api)
	fields := map[string]string{"name": "Disposable", "description": "an app for a test", "website": "https://example.com/w",
		"callback": "https://example.com/cb", "hidden": "true"}
	strictError(t, app.postMultipart("/v2/oauth/apps/register", fields, nil), 401, "invalid_scope")
	var created wireAppReply
	strict(t, api.postMultipart("/v2/oauth/apps/register", fields, nil), 200, &created)
	id := created.App.ID
	if !created.App.Hidden || created.App.Secret == "" || created.App.HasIcon || created.App.Name != "Disposable" {
		t.Fatalf("registered app %+v", created.App)
	}
	query := api.get("/v2/oauth/apps", nil)
	if apps, _ := query.body["apps"].([]any); len(apps) != 1 || num(apps[0].(map[string]any), "id") != id {
		t.Fatalf("apps query %s", query.raw)
	}
	popular := api.get("/v2/oauth/apps/popular", nil)
	if strings.Contains(string(popular.raw), "Disposable") || !strings.Contains(string(popular.raw), `"maker":"rclone"`) {
		t.Fatalf("popular apps show a hidden app or lack rclone: %s", popular.raw)
	}

	var updated wireAppWithToken
	fields = map[string]string{"description": "an app for a test, updated", "website": "https://example.com/w",
		"callback": "https://example.com/cb?updated=1", "hidden": "false"}
	strict(t, api.postMultipart("/v2/oauth/apps/"+itoa(id), fields, nil), 200, &updated)
	if updated.App.Hidden || !strings.Contains(updated.App.Callback, "updated=") || updated.Token != nil {
		t.Fatalf("updated app %+v", updated)
	}
	strictError(t, api.postMultipart("/v2/oauth/apps/"+itoa(id), map[string]string{"description": "short"}, nil), 400, "BadRequest")
	if !strings.Contains(string(api.get("/v2/oauth/apps/popular", nil).raw), "Disposable") {
		t.Fatal("an app no longer hidden is not among the popular ones")
	}

	icon := []byte("\x89PNG icon bytes")
	strict(t, api.postMultipart("/v2/oauth/apps/"+itoa(id)+"/icon", nil, icon), 200, &wireOK{})
	resp := api.send("GET", "/v2/oauth/apps/"+itoa(id)+"/icon", nil, nil)
	got, err := io.ReadAll(resp.Body)
	closeBody(t, resp.Body)
	if err != nil || !bytes.Equal(got, icon) {
		t.Fatalf("icon %q, %v", got, err)
	}

	var regenerated struct {
		Status      string `json:"status"`
		AccessToken string `json:"access_token"`
	}
	strict(t, api.post("/v2/oauth/apps/"+itoa(id)+"/regenerate_token", nil), 200, &regenerated)
	first := regenerated.AccessToken
	if scope, _ := srv.TokenScope(first); scope != putiotest.ScopeApp {
		t.Fatalf("regenerated token scope %q", scope)
	}
	validation := api.get("/v2/oauth2/validate?oauth_token="+first, nil)
	if validation.body["result"] != true || num(validation.body, "user_id") != srv.Account(srv.Token).UserID() {
		t.Fatalf("validation of the regenerated token %s", validation.raw)
	}
	if grants := api.get("/v2/oauth/grants", nil); !strings.Contains(string(grants.raw), `"name":"Disposable"`) {
		t.Fatalf("grants do not name the registered app: %s", grants.raw)
	}
	var edit wireAppWithToken
	strict(t, api.get("/v2/oauth/apps/"+itoa(id)+"/edit", nil), 200, &edit)
	if edit.Token == nil || *edit.Token != first || !edit.App.HasIcon {
		t.Fatalf("edit view %+v", edit)
	}
	strict(t, api.post("/v2/oauth/apps/"+itoa(id)+"/regenerate_token", nil), 200, &regenerated)
	if _, known := srv.TokenScope(first); known || regenerated.AccessToken == first {
		t.Fatal("regenerating left the earlier token live")
	}

	other := as(api, "another-account")
	strictError(t, other.get("/v2/oauth/apps/"+itoa(id)+"/edit", nil), 404, "NotFound")
	strictError(t, other.post("/v2/oauth/apps/"+itoa(id)+"/delete", nil), 404, "NotFound")
	strict(t, api.post("/v2/oauth/apps/"+itoa(id)+"/delete", nil), 200, &wireOK{})
	if _, known := srv.TokenScope(regenerated.AccessToken); known {
		t.Fatal("a deleted app's token is still live")
	}
	strictError(t, api.get("/v2/oauth/apps/"+itoa(id), nil), 404, "NotFound")
}

func TestOAuthSessionsAndTrailingSlashGrants(t *testing.T) {
	_, api := newAPI(t, putiotest.Options{Users: map[string]string{"ann": "pw"}, FirstPartyClients: []string{"9001"}})
	login := func(client string) string {
		basic := http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte("ann:pw"))}}
		r := api.read(api.send("PUT", "/v2/oauth2/authorizations/clients/"+client+"?client_secret=s", nil, basic))
		mustStatus(t, r, 200)
		return r.body["access_token"].(string)
	}
	first := as(api, login("9001"))
	login("4131")
	var clients struct {
		Status  string `json:"status"`
		Clients []struct {
			ID         int64   `json:"id"`
			AppID      int64   `json:"app_id"`
			AppName    string  `json:"app_name"`
			ClientName string  `json:"client_name"`
			CreatedAt  string  `json:"created_at"`
			Active     bool    `json:"active"`
			IPAddress  string  `json:"ip_address"`
			LastUsedAt *string `json:"last_used_at"`
			Note       *string `json:"note"`
			UserAgent  string  `json:"user_agent"`
		} `json:"clients"`
	}
	strict(t, first.get("/v2/oauth/clients/", nil), 200, &clients)
	if len(clients.Clients) != 2 || clients.Clients[0].AppID != 9001 || clients.Clients[1].AppName != "rclone" || clients.Clients[0].CreatedAt == "" {
		t.Fatalf("sessions %+v", clients.Clients)
	}
	grants := first.get("/v2/oauth/grants/", nil)
	if !strings.Contains(string(grants.raw), `"name":"rclone"`) {
		t.Fatalf("grants %s", grants.raw)
	}
	app := appTokenClient(t, api)
	strictError(t, app.get("/v2/oauth/grants/", nil), 401, "invalid_scope")
	strictError(t, app.get("/v2/oauth/clients/", nil), 401, "invalid_scope")
}
