package putiotest

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"
)

// Scope is the kind of a token. put.io tells its own (first-party) apps'
// tokens from those of third-party apps, and refuses the latter on some
// routes with 401 invalid_scope.
type Scope string

const (
	// ScopeFull is a first-party token: every route.
	ScopeFull Scope = "default"
	// ScopeApp is a third-party app token, what the OAuth flow gives an
	// app such as rclone (client id 4131). It is refused on
	// public_share/list, events/delete (clearing the history or deleting
	// one event), the oauth/grants, oauth/clients and oauth/apps routes
	// (but for the popular apps and an app's icon), the device-flow
	// approval, account/confirmation/list, tunnel/routes and podcast/links.
	ScopeApp Scope = "app"
)

// grant is what a token stands for: an account, a scope and the OAuth
// client it was issued to ("" for tokens registered from Go or flags).
type grant struct {
	id       int64
	acct     *account
	scope    Scope
	clientID string
	issued   time.Time // for the oauth/clients sessions
}

// firstParty wraps the handler of a route that put.io refuses to
// third-party app tokens, with 401 invalid_scope.
func firstParty(handle func(*call)) func(*call) {
	return func(c *call) {
		if c.grant == nil || c.grant.scope != ScopeFull {
			c.fail(http.StatusUnauthorized, "invalid_scope", "this route needs a first-party put.io token; third-party app tokens are refused here")
			return
		}
		handle(c)
	}
}

// newAccountLocked creates an empty account.
func (e *Emulator) newAccountLocked() *account {
	now := e.now()
	a := &account{userID: e.nextUser, trashLock: make(chan struct{}, 1), settings: defaultSettings()}
	a.username = "user" + itoa(a.userID)
	a.root = &node{id: 0, acct: a, dir: true, created: now, updated: now}
	e.setName(a.root, "Your Files")
	e.nextUser++
	return a
}

// grantLocked registers token for account a (a new one if nil).
func (e *Emulator) grantLocked(token string, scope Scope, a *account, clientID string) *grant {
	if a == nil {
		a = e.newAccountLocked()
	}
	g := &grant{id: e.nextGrant, acct: a, scope: scope, clientID: clientID, issued: e.now()}
	e.nextGrant++
	e.tokens[token] = g
	return g
}

// TokenScope is the scope of a token, and whether the emulator knows it.
func (e *Emulator) TokenScope(token string) (Scope, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	g, ok := e.tokens[token]
	if !ok {
		return "", false
	}
	return g.scope, true
}

// NewToken issues a fresh token of the given scope for the account.
func (acc *Account) NewToken(scope Scope) (string, error) {
	token := "token-" + randomHex(16)
	return token, acc.AddToken(token, scope)
}

// AddToken registers token for the account with the given scope. A token
// of another account, or an unknown scope, is refused.
func (acc *Account) AddToken(token string, scope Scope) error {
	if scope != ScopeFull && scope != ScopeApp {
		return fmt.Errorf("putiotest: unknown token scope %q (want %q or %q)", scope, ScopeFull, ScopeApp)
	}
	if token == "" {
		return errors.New("putiotest: empty token")
	}
	e := acc.emu
	e.mu.Lock()
	defer e.mu.Unlock()
	if g, ok := e.tokens[token]; ok && g.acct != acc.account {
		return fmt.Errorf("putiotest: token %s belongs to another account", TokenFingerprint(token))
	}
	e.grantLocked(token, scope, acc.account, "")
	return nil
}

// revokeLocked revokes the tokens for which drop is true: they are
// refused from then on, even where new tokens are accepted, and their
// feed connections close with 4001. Their accounts stay reachable from Go
// (Emulator.Account).
func (e *Emulator) revokeLocked(drop func(token string, g *grant) bool) {
	for token, g := range e.tokens {
		if drop(token, g) {
			delete(e.tokens, token)
			e.revoked[token] = true
			e.retired[token] = g.acct
			e.feeds.each(token, func(c *feedConn) { c.close(closeUnauthorized) })
		}
	}
}

// registerTokens gives each first-party token and each app token not
// already taken an account of its own (Options.Tokens, Options.AppTokens).
func (e *Emulator) registerTokens(firstParty, app []string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, token := range firstParty {
		if user, bound := e.opts.UserTokens[token]; bound {
			e.grantLocked(token, ScopeFull, e.userAccountLocked(user), "")
		} else {
			e.accountLocked(token)
		}
	}
	for _, token := range app {
		if _, taken := e.tokens[token]; !taken {
			e.grantLocked(token, ScopeApp, nil, "")
		}
	}
}

// checkUserTokens refuses a binding (Options.UserTokens) of a token that
// is not registered, or to a user that does not exist.
func (o Options) checkUserTokens() error {
	for token, user := range o.UserTokens {
		if !slices.Contains(o.Tokens, token) {
			return errors.New("putiotest: UserTokens binds a token that is not in Tokens")
		}
		if _, ok := o.Users[user]; !ok {
			return fmt.Errorf("putiotest: UserTokens binds a token to %q, who is not in Users", user)
		}
	}
	return nil
}
