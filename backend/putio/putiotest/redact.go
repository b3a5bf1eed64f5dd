package putiotest

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"slices"
	"strings"
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

// secretWildcards are the route path wildcards whose values are
// credentials: a device code (polled for the token once approved) and a
// family or friend invite code. TestPathWildcardsClassified makes every
// new wildcard name choose between this list and the public ones.
var secretWildcards = []string{"code"}

// redactedValue replaces a credential in the request log.
const redactedValue = "REDACTED"

// secretSegments are the positions, in the "/"-separated path of a route
// name ("METHOD /path/{var}"), of the wildcards in secretWildcards.
func secretSegments(name string) []int {
	_, path, _ := strings.Cut(name, " ")
	var out []int
	for i, segment := range strings.Split(path, "/") {
		wildcard, ok := strings.CutPrefix(segment, "{")
		if ok && slices.Contains(secretWildcards, strings.TrimSuffix(wildcard, "}")) {
			out = append(out, i)
		}
	}
	return out
}

// redactedTarget is a request's path and query for the request log: the
// path segments at secretSegments (of the route that took it) and the
// values of secretParams replaced.
func redactedTarget(u *url.URL, secretSegments []int) string {
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	if len(secretSegments) > 0 {
		segments := strings.Split(path, "/")
		for _, i := range secretSegments {
			if i < len(segments) {
				segments[i] = redactedValue
			}
		}
		path = strings.Join(segments, "/")
	}
	query := u.RawQuery
	q := u.Query()
	found := false
	for _, name := range secretParams {
		if q.Has(name) {
			q.Set(name, redactedValue)
			found = true
		}
	}
	if found {
		query = q.Encode()
	}
	if query == "" && !u.ForceQuery {
		return path
	}
	return path + "?" + query
}
