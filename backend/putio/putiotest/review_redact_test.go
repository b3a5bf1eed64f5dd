package putiotest_test

import (
	"net/url"
	"strings"
	"testing"
)

// Review finding: the request log (admin API, -verbose) redacts secrets
// in the query only. A device code travels in the path of its poll
// (GET /v2/oauth2/oob/code/{code}), so whoever reads the log can poll it
// once the user approves and take the token meant for the device.
// Invite codes (/v2/family/join/{code}, /v2/registration/*/{code}) are
// logged the same way.
func TestReviewLogShowsNoDeviceCode(t *testing.T) {
	_, api := newAPI(t)
	device := &apiClient{t: t, srv: api.srv}
	code := device.get("/v2/oauth2/oob/code", url.Values{"app_id": {"4131"}}).body["code"].(string)
	device.get("/v2/oauth2/oob/code/"+code, nil) // the device's first poll: not approved yet
	log := string(api.get("/_emulator/log", nil).raw)
	if strings.Contains(log, "/oob/code/"+code) {
		t.Errorf("the log shows the device code %s a reader can redeem for the user's token once approved: %s", code, log)
	}
}
