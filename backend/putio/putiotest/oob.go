package putiotest

import (
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The out-of-band (device) flow of putio-cli and the TV apps: the device
// asks for a code, the user approves it signed in to put.io, the device
// polls until the token appears.

// oobCode is a device code waiting for approval, then for its poll.
type oobCode struct {
	expires  time.Time
	clientID string
	token    string // "" until approved
}

// oobCodeLife bounds a device code; putio-cli polls for 120 s.
const oobCodeLife = 10 * time.Minute

// newOOBCode serves GET /v2/oauth2/oob/code?app_id=...
func (e *Emulator) newOOBCode(c *call) {
	q := c.r.URL.Query()
	clientID := strings.TrimSpace(q.Get("app_id"))
	if _, err := strconv.ParseInt(clientID, 10, 64); err != nil {
		c.badRequest("BadRequest", "app_id must be the OAuth client id, got "+strconv.Quote(clientID))
		return
	}
	code := strings.ToUpper(randomHex(3))
	now := e.opts.Now()
	e.mu.Lock()
	for old, pending := range e.oobCodes {
		if now.After(pending.expires) {
			delete(e.oobCodes, old)
		}
	}
	e.oobCodes[code] = &oobCode{expires: now.Add(oobCodeLife), clientID: clientID}
	e.mu.Unlock()
	link := "https://app.put.io/link?" + url.Values{"code": {code}}.Encode()
	c.ok(obj{"code": code, "qr_code_url": "https://chart.invalid/qr?" + url.Values{"data": {link}}.Encode()})
}

// liveOOBCode finds an unexpired device code. Call with e.mu held.
func (e *Emulator) liveOOBCode(code string) (*oobCode, error) {
	pending := e.oobCodes[strings.ToUpper(strings.TrimSpace(code))]
	if pending == nil || e.opts.Now().After(pending.expires) {
		return nil, errNotFound("device code " + strconv.Quote(code) + " (unknown, expired or already used; ask for a new one)")
	}
	return pending, nil
}

// approveOOBCode serves POST /v2/oauth2/oob/code (form code): the signed-in
// user approves, and the device's token joins their account.
func (e *Emulator) approveOOBCode(c *call) {
	c.locked(func(v url.Values) (obj, error) {
		pending, err := e.liveOOBCode(v.Get("code"))
		if err != nil {
			return nil, err
		}
		if pending.token == "" {
			pending.token = "token-" + randomHex(16)
			e.grantLocked(pending.token, e.clientScope(pending.clientID), c.acct, pending.clientID)
		}
		id, _ := strconv.ParseInt(pending.clientID, 10, 64)
		return obj{"app": e.appJSONLocked(id)}, nil
	})
}

// pollOOBCode serves GET /v2/oauth2/oob/code/{code}: oauth_token is null
// until the code is approved; once the token is handed out the code is
// used up.
func (e *Emulator) pollOOBCode(c *call) {
	c.locked(func(url.Values) (obj, error) {
		pending, err := e.liveOOBCode(c.r.PathValue("code"))
		if err != nil {
			return nil, err
		}
		if pending.token == "" {
			return obj{"oauth_token": nil}, nil
		}
		delete(e.oobCodes, strings.ToUpper(c.r.PathValue("code")))
		return obj{"oauth_token": pending.token}, nil
	})
}
