package putiotest

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// requestToken finds the token in "Authorization: Bearer|token <t>" (any
// case) or the oauth_token query parameter.
func requestToken(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, token, ok := strings.Cut(strings.TrimSpace(h), " ")
		if ok && (strings.EqualFold(scheme, "bearer") || strings.EqualFold(scheme, "token")) {
			return strings.TrimSpace(token)
		}
	}
	return r.URL.Query().Get("oauth_token")
}

// authorize binds the call to the token's account; a new token gets a new
// account unless the emulator is strict.
func (e *Emulator) authorize(c *call) bool {
	if c.token == "" {
		c.fail(http.StatusUnauthorized, "Unauthorized", "no access token: send Authorization: Bearer <token> or ?oauth_token=")
		return false
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	a, known := e.accounts[c.token]
	if !known && (e.opts.Strict || e.revoked[c.token]) {
		c.fail(http.StatusUnauthorized, "invalid_grant", "the access token is not valid (revoked or never issued); authorize again to get a new one")
		return false
	}
	if !known {
		a = e.accountLocked(c.token)
	}
	c.acct = a
	return true
}

// oauthAuthenticate serves GET /v2/oauth2/authenticate: it approves at
// once and redirects with a one-time code (or, for response_type=token,
// the token in the fragment).
func (e *Emulator) oauthAuthenticate(c *call) {
	q := c.r.URL.Query()
	redirect, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || !redirect.IsAbs() {
		c.json(http.StatusBadRequest, oauthError("invalid_request", "redirect_uri must be an absolute URL"))
		return
	}
	values := redirect.Query()
	if state := q.Get("state"); state != "" {
		values.Set("state", state)
	}
	if q.Get("response_type") == "token" {
		token := e.issueToken()
		redirect.Fragment = url.Values{"access_token": {token}}.Encode()
	} else {
		values.Set("code", e.issueCode())
	}
	redirect.RawQuery = values.Encode()
	http.Redirect(c.w, c.r, redirect.String(), http.StatusFound)
}

// codeLife is how long an authorization code can be exchanged; OAuth
// codes are short-lived, and expiry also bounds the codes kept.
const codeLife = 10 * time.Minute

func (e *Emulator) issueCode() string {
	code := "code-" + randomHex(12)
	now := e.opts.Now()
	e.mu.Lock()
	defer e.mu.Unlock()
	for c, expires := range e.codes {
		if now.After(expires) {
			delete(e.codes, c)
		}
	}
	e.codes[code] = now.Add(codeLife)
	return code
}

// takeCode reports whether code is issued and unexpired, and uses it up.
func (e *Emulator) takeCode(code string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	expires, issued := e.codes[code]
	delete(e.codes, code)
	return issued && !e.opts.Now().After(expires)
}

// issueToken creates a token with a fresh account.
func (e *Emulator) issueToken() string {
	token := "token-" + randomHex(16)
	e.accountFor(token)
	return token
}

// oauthAccessToken serves GET and POST /v2/oauth2/access_token: a code is
// exchanged, once, for a token of a fresh account.
func (e *Emulator) oauthAccessToken(c *call) {
	v, ok := c.params()
	if !ok {
		return
	}
	if grant := v.Get("grant_type"); grant != "authorization_code" {
		c.json(http.StatusBadRequest, oauthError("invalid_request", "grant_type must be authorization_code, got "+strconv.Quote(grant)))
		return
	}
	if !e.takeCode(v.Get("code")) {
		c.json(http.StatusBadRequest, oauthError("invalid_request", "the code is unknown, expired or already used; authorize again"))
		return
	}
	c.json(http.StatusOK, obj{"access_token": e.issueToken()})
}

// oauthError is an error body of the OAuth endpoints, which carry "error".
func oauthError(kind, message string) obj {
	body := errorBody(http.StatusBadRequest, kind, message)
	body["error"] = kind
	body["error_description"] = message
	return body
}

// oauthValidate serves GET /v2/oauth2/validate.
func (e *Emulator) oauthValidate(c *call) {
	e.mu.Lock()
	a, known := e.accounts[c.token]
	if !known && !e.opts.Strict && c.token != "" && !e.revoked[c.token] {
		a, known = e.accountLocked(c.token), true
	}
	e.mu.Unlock()
	if !known {
		c.ok(obj{"result": false, "token_id": nil, "token_scope": nil, "user_id": nil})
		return
	}
	c.ok(obj{"result": true, "token_id": a.userID, "token_scope": "default", "user_id": a.userID})
}
