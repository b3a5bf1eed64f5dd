package putiotest_test

import (
	"net/url"
	"testing"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
)

// The device flow as putio-cli drives it: code, approval by the signed-in
// user, poll.
func TestDeviceFlow(t *testing.T) {
	clock := newClock()
	srv, api := newAPI(t, putiotest.Options{Strict: true, Now: clock.Now})
	api.mkdir(0, "mine")
	device := as(api, "")
	var code struct {
		Code      string `json:"code"`
		QRCodeURL string `json:"qr_code_url"`
		Status    string `json:"status"`
	}
	strict(t, device.get("/v2/oauth2/oob/code", url.Values{"app_id": {"4131"}, "client_name": {"cli"}}), 200, &code)
	type poll struct {
		OAuthToken *string `json:"oauth_token"`
		Status     string  `json:"status"`
	}
	var p poll
	strict(t, device.get("/v2/oauth2/oob/code/"+code.Code, nil), 200, &p)
	if p.OAuthToken != nil {
		t.Fatalf("token before approval: %v", *p.OAuthToken)
	}
	var approved struct {
		App struct {
			Description string `json:"description"`
			HasIcon     *bool  `json:"has_icon"`
			ID          int64  `json:"id"`
			Name        string `json:"name"`
			Website     string `json:"website"`
		} `json:"app"`
		Status string `json:"status"`
	}
	appToken, err := srv.Account(srv.Token).NewToken(putiotest.ScopeApp)
	if err != nil {
		t.Fatal(err)
	}
	strictError(t, as(api, appToken).post("/v2/oauth2/oob/code", url.Values{"code": {code.Code}}), 401, "invalid_scope")
	strict(t, api.post("/v2/oauth2/oob/code", url.Values{"code": {code.Code}}), 200, &approved)
	if approved.App.ID != 4131 || approved.App.Name != "rclone" {
		t.Fatalf("approved %+v", approved)
	}
	strict(t, device.get("/v2/oauth2/oob/code/"+code.Code, nil), 200, &p)
	if p.OAuthToken == nil {
		t.Fatal("no token after approval")
	}
	if scope, _ := srv.TokenScope(*p.OAuthToken); scope != putiotest.ScopeApp {
		t.Fatalf("scope %q", scope)
	}
	if files := as(api, *p.OAuthToken).get("/v2/files/list", nil).files(); len(files) != 1 {
		t.Fatalf("device token is not on the approver's account: %v", files)
	}
	// Used up once handed out; unknown and expired codes are 404.
	strictError(t, device.get("/v2/oauth2/oob/code/"+code.Code, nil), 404, "NotFound")
	strictError(t, api.post("/v2/oauth2/oob/code", url.Values{"code": {"NOPE"}}), 404, "NotFound")
	strict(t, device.get("/v2/oauth2/oob/code", url.Values{"app_id": {"4131"}}), 200, &code)
	clock.Advance(11 * time.Minute)
	strictError(t, device.get("/v2/oauth2/oob/code/"+code.Code, nil), 404, "NotFound")
	strictError(t, device.get("/v2/oauth2/oob/code", nil), 400, "BadRequest")
}
