package putiotest

import (
	"net/http"
	"strconv"
)

// loginKey names the token a password login hands out, so that the same
// client and device fingerprint get the same token again.
type loginKey struct {
	user, client, fingerprint string
}

// passwordLogin serves PUT /v2/oauth2/authorizations/clients/{client}[/
// {fingerprint}] with HTTP Basic credentials of an Options.Users user, as
// putio-sync logs in: {access_token, user_id}. The token's scope follows
// the client id, as in the OAuth flow.
func (e *Emulator) passwordLogin(c *call) {
	client := c.r.PathValue("client")
	if _, err := strconv.ParseInt(client, 10, 64); err != nil {
		c.badRequest("BadRequest", "the client id in the path must be a number, got "+strconv.Quote(client))
		return
	}
	v, ok := c.params()
	if !ok {
		return
	}
	if v.Get("client_secret") == "" {
		c.badRequest("BadRequest", "client_secret is required")
		return
	}
	user, password, basic := c.r.BasicAuth()
	want, known := e.opts.Users[user]
	if !basic || !known || password != want {
		c.fail(http.StatusUnauthorized, "Unauthorized", "wrong username or password (send them as HTTP Basic credentials)")
		return
	}
	token, userID := e.loginToken(user, client, c.r.PathValue("fingerprint"))
	c.ok(obj{"access_token": token, "user_id": userID})
}

// loginToken is the token of a password login: the one this user, client
// and fingerprint got before if it is still live, else a new one.
func (e *Emulator) loginToken(user, client, fingerprint string) (string, int64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	a := e.userAccountLocked(user)
	key := loginKey{user, client, fingerprint}
	token, reused := e.logins[key]
	if g, live := e.tokens[token]; !reused || !live || g.acct != a {
		token = "token-" + randomHex(16)
		e.grantLocked(token, e.clientScope(client), a, client)
		e.logins[key] = token
	}
	return token, a.userID
}

// userAccountLocked is the account of an Options.Users user, made on first
// use with that username.
func (e *Emulator) userAccountLocked(user string) *account {
	if a := e.users[user]; a != nil {
		return a
	}
	a := e.newAccountLocked()
	a.username = user
	e.users[user] = a
	e.seedInvitesLocked(a)
	return a
}
