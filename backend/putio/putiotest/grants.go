package putiotest

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strconv"
)

// appNames names the OAuth apps the emulator knows; others are "app N".
var appNames = map[int64]string{4131: "rclone"}

// listGrants serves GET /v2/oauth/grants: the OAuth apps holding tokens
// of the account. The app fields are those of the TS SDK's OAuthApp.
func (e *Emulator) listGrants(c *call) {
	c.locked(func(url.Values) (obj, error) {
		var ids []int64
		for _, g := range e.tokens {
			id, err := strconv.ParseInt(g.clientID, 10, 64)
			if g.acct == c.acct && err == nil && !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
		slices.SortFunc(ids, cmp.Compare)
		apps := make([]obj, len(ids))
		for i, id := range ids {
			apps[i] = e.appJSONLocked(id)
		}
		return obj{"apps": apps}, nil
	})
}

// logoutGrant serves POST /v2/oauth/grants/logout: the token used is
// revoked.
func (e *Emulator) logoutGrant(c *call) {
	c.locked(func(url.Values) (obj, error) {
		e.revokeLocked(func(_ string, g *grant) bool { return g == c.grant })
		return nil, nil
	})
}

// deleteGrant serves POST /v2/oauth/grants/{id}/delete: every token of
// the account issued to OAuth app {id} is revoked.
func (e *Emulator) deleteGrant(c *call) {
	id, ok := c.idVar()
	if !ok {
		return
	}
	c.locked(func(url.Values) (obj, error) {
		app := itoa(id)
		found := false
		e.revokeLocked(func(_ string, g *grant) bool {
			match := g.acct == c.acct && g.clientID == app
			found = found || match
			return match
		})
		if !found {
			return nil, &apiError{http.StatusNotFound, "NotFound", "no grant of app " + app + " on this account"}
		}
		return nil, nil
	})
}

// appJSON is an OAuth app as the grants and device-flow routes show it.
func appJSON(id int64) obj {
	name, ok := appNames[id]
	if !ok {
		name = "app " + itoa(id)
	}
	return obj{"id": id, "name": name, "description": "", "website": "", "has_icon": false}
}
