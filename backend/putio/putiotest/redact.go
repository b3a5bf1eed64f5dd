package putiotest

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
)

// TokenFingerprint is how the request log, the admin API and the
// emulator's messages name a token: "sha256:" and the first 16 hex digits
// of its SHA-256, enough to tell accounts apart without showing the
// token. A prefix of the token itself would show all of a short one. ""
// (no token) stays "".
func TokenFingerprint(token string) string {
	if token == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(token))
	return "sha256:" + hex.EncodeToString(sum[:8])
}

// secretParams are the query parameters whose values are credentials: an
// access or share token, a signed download URL's signature, an OAuth code
// and a client secret sent in the query.
var secretParams = []string{"oauth_token", "u", "code", "client_secret"}

// redactedTarget is a request's path and query with the values of
// secretParams replaced, for the request log.
func redactedTarget(u *url.URL) string {
	q := u.Query()
	found := false
	for _, name := range secretParams {
		if q.Has(name) {
			q.Set(name, "REDACTED")
			found = true
		}
	}
	if !found {
		return u.RequestURI()
	}
	redacted := *u
	redacted.RawQuery = q.Encode()
	return redacted.RequestURI()
}
