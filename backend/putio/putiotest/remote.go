package putiotest

import (
	"encoding/json"
	"strings"
)

// RemoteOption is one option of an rclone putio remote: its name in a
// config file and its value.
type RemoteOption struct {
	Name, Value string
}

// RemoteOptions point an rclone putio remote at an emulator served at
// baseURL ("http://127.0.0.1:8080"), in config file order: type, token
// (rclone's JSON token with token as access token, never expiring;
// left out if token is ""), then every endpoint the backend has an option
// for. A remote that sets api_url alone would still upload to put.io and
// listen to put.io's feed.
func RemoteOptions(baseURL, token string) []RemoteOption {
	base := strings.TrimSuffix(baseURL, "/")
	options := []RemoteOption{{"type", "putio"}}
	if token != "" {
		options = append(options, RemoteOption{"token", oauthTokenJSON(token)})
	}
	return append(options,
		RemoteOption{"api_url", base},
		RemoteOption{"upload_url", base + tusPrefix},
		RemoteOption{"feed_url", feedURL(base)},
		RemoteOption{"auth_url", base + "/v2/oauth2/authenticate"},
		RemoteOption{"token_url", base + "/v2/oauth2/access_token"},
	)
}

// oauthTokenJSON is token as rclone stores an OAuth token; the zero expiry
// means it never expires, so rclone never tries to refresh it.
func oauthTokenJSON(token string) string {
	data, _ := json.Marshal(struct { // a struct of strings always marshals
		AccessToken string `json:"access_token"`
		Expiry      string `json:"expiry"`
	}{token, "0001-01-01T00:00:00Z"})
	return string(data)
}

// feedURL is the real-time feed's websocket URL on the emulator at base.
func feedURL(base string) string {
	return "ws" + strings.TrimPrefix(base, "http") + feedPath
}
