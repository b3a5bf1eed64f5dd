package putiotest

import (
	"net/http"
	"net/url"
	"slices"
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
	g, known := e.tokens[c.token]
	if !known {
		if owner := e.downloadTokenOwnerLocked(c.token); owner != nil {
			return e.authorizeDownloadToken(c, owner)
		}
	}
	if !known && (e.opts.Strict || e.revoked[c.token]) {
		c.fail(http.StatusUnauthorized, "invalid_grant", "the access token is not valid (revoked or never issued); authorize again to get a new one")
		return false
	}
	if !known {
		g = e.grantLocked(c.token, ScopeFull, nil, "")
	}
	c.acct, c.grant = g.acct, g
	return true
}

// downloadTokenRoutes are the routes that take an account's download
// token (account/info?download_token=1) as oauth_token: put.io's SDK
// builds its download and stream URLs with it (TS SDK
// utilities/file-url-provider.ts). Of those, these are emulated.
var downloadTokenRoutes = map[string]bool{
	"GET /v2/files/{id}/download":        true,
	"GET /v2/files/{id}/download/{name}": true,
	"HEAD /v2/files/{id}/download":       true,
	"GET /v2/files/{id}/stream":          true,
	"HEAD /v2/files/{id}/stream":         true,
}

// downloadTokenOwnerLocked is the account whose download token token
// is, or nil. Call it with mu held.
func (e *Emulator) downloadTokenOwnerLocked(token string) *account {
	for _, g := range e.tokens {
		if g.acct.secret("download") == token {
			return g.acct
		}
	}
	return nil
}

// authorizeDownloadToken binds a call made with owner's download token
// to owner on the routes that take one, and refuses it elsewhere: the
// record shows it used on download and stream URLs only, so the
// strictest reading is that it opens nothing else.
func (e *Emulator) authorizeDownloadToken(c *call, owner *account) bool {
	if !downloadTokenRoutes[c.r.Pattern] {
		c.fail(http.StatusUnauthorized, "invalid_scope", "a download token only opens download and stream URLs")
		return false
	}
	c.acct, c.grant = owner, &grant{acct: owner, scope: ScopeApp}
	return true
}

// oauthAuthenticate serves GET /v2/oauth2/authenticate: it approves at
// once and redirects with a one-time code (or, for response_type=token,
// the token in the fragment). A request that carries a known token is the
// signed-in user approving, so the new token joins that account; else a
// fresh account is made.
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
	e.mu.Lock()
	pending := &authCode{clientID: q.Get("client_id")}
	if g, ok := e.tokens[c.token]; ok {
		pending.acct = g.acct
	}
	e.mu.Unlock()
	if q.Get("response_type") == "token" {
		redirect.Fragment = url.Values{"access_token": {e.issueToken(pending)}}.Encode()
	} else {
		values.Set("code", e.issueCode(pending))
	}
	redirect.RawQuery = values.Encode()
	http.Redirect(c.w, c.r, redirect.String(), http.StatusFound)
}

// authCode is an authorization code waiting to be exchanged.
type authCode struct {
	expires  time.Time
	clientID string
	acct     *account // nil: a fresh account
}

// codeLife is how long an authorization code can be exchanged; OAuth
// codes are short-lived, and expiry also bounds the codes kept.
const codeLife = 10 * time.Minute

func (e *Emulator) issueCode(pending *authCode) string {
	code := "code-" + randomHex(12)
	now := e.opts.Now()
	e.mu.Lock()
	defer e.mu.Unlock()
	for c, old := range e.codes {
		if now.After(old.expires) {
			delete(e.codes, c)
		}
	}
	pending.expires = now.Add(codeLife)
	e.codes[code] = pending
	return code
}

// takeCode returns an issued, unexpired code and uses it up.
func (e *Emulator) takeCode(code string) *authCode {
	e.mu.Lock()
	defer e.mu.Unlock()
	pending := e.codes[code]
	delete(e.codes, code)
	if pending == nil || e.opts.Now().After(pending.expires) {
		return nil
	}
	return pending
}

// issueToken creates the token an approved authorization gives: its scope
// follows the client id (Options.FirstPartyClients).
func (e *Emulator) issueToken(pending *authCode) string {
	token := "token-" + randomHex(16)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.grantLocked(token, e.clientScope(pending.clientID), pending.acct, pending.clientID)
	return token
}

// clientScope is the scope of tokens issued to an OAuth client.
func (e *Emulator) clientScope(clientID string) Scope {
	if slices.Contains(e.opts.FirstPartyClients, clientID) {
		return ScopeFull
	}
	return ScopeApp
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
	pending := e.takeCode(v.Get("code"))
	if pending == nil {
		c.json(http.StatusBadRequest, oauthError("invalid_request", "the code is unknown, expired or already used; authorize again"))
		return
	}
	c.json(http.StatusOK, obj{"access_token": e.issueToken(pending)})
}

// oauthError is an error body of the OAuth endpoints, which carry "error".
func oauthError(kind, message string) obj {
	body := errorBody(http.StatusBadRequest, kind, message)
	body["error"] = kind
	body["error_description"] = message
	return body
}

// oauthValidate serves GET /v2/oauth2/validate. token_scope is "default"
// for app tokens too: the record's values for it name no third-party
// scope, and a strict client would refuse an invented one.
func (e *Emulator) oauthValidate(c *call) {
	e.mu.Lock()
	g, known := e.tokens[c.token]
	if !known && !e.opts.Strict && !e.revoked[c.token] && c.token != "" {
		g, known = e.grantLocked(c.token, ScopeFull, nil, ""), true
	}
	e.mu.Unlock()
	if !known {
		c.ok(obj{"result": false, "token_id": nil, "token_scope": nil, "user_id": nil})
		return
	}
	c.ok(obj{"result": true, "token_id": g.id, "token_scope": string(ScopeFull), "user_id": g.acct.userID})
}
