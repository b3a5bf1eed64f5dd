package putiotest

import (
	"cmp"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// oauthApp is an OAuth app registered through the API by its owner. The
// whole lifecycle (register, edit, icon, token, delete) is API routes, so
// the emulator needs no put.io website for it.
type oauthApp struct {
	id                                   int64
	owner                                *account
	name, description, website, callback string
	hidden                               bool
	secret                               string
	icon                                 []byte
	iconType                             string
}

// firstAppID is the first id the emulator gives a registered app, clear
// of the ids on record (rclone's 4131) and of small test client ids.
const firstAppID = 100001

func (e *Emulator) oauthAppRoutes() []*route {
	return []*route{
		newRoute("GET /v2/oauth/apps", authed, firstParty(e.queryApps)),
		newRoute("GET /v2/oauth/apps/popular", authed, e.popularApps),
		newRoute("POST /v2/oauth/apps/register", authed, firstParty(e.registerApp)),
		newRoute("GET /v2/oauth/apps/{id}", authed, firstParty(e.getApp)),
		newRoute("GET /v2/oauth/apps/{id}/edit", authed, firstParty(e.editApp)),
		newRoute("POST /v2/oauth/apps/{id}", authed, firstParty(e.updateApp)),
		newRoute("POST /v2/oauth/apps/{id}/icon", authed, firstParty(e.setAppIcon)),
		newRoute("GET /v2/oauth/apps/{id}/icon", authed, e.appIcon),
		newRoute("POST /v2/oauth/apps/{id}/delete", authed, firstParty(e.deleteApp)),
		newRoute("POST /v2/oauth/apps/{id}/regenerate_token", authed, firstParty(e.regenerateAppToken)),
		newRoute("GET /v2/oauth/grants/", authed, firstParty(e.listGrants)),
		newRoute("GET /v2/oauth/clients/", authed, firstParty(e.listClients)),
	}
}

// publicJSON is the app as anyone sees it (the SDK's OAuthApp).
func (app *oauthApp) publicJSON() obj {
	return obj{"id": app.id, "name": app.name, "description": app.description,
		"website": app.website, "has_icon": app.icon != nil}
}

// ownedJSON is the app as its owner sees it, secret included.
func (app *oauthApp) ownedJSON() obj {
	o := app.publicJSON()
	o["callback"], o["hidden"], o["secret"] = app.callback, app.hidden, app.secret
	return o
}

// usersLocked counts the accounts holding a token of the app.
func (e *Emulator) usersLocked(id int64) int {
	var accounts []*account
	for _, g := range e.tokens {
		if g.clientID == itoa(id) && !slices.Contains(accounts, g.acct) {
			accounts = append(accounts, g.acct)
		}
	}
	return len(accounts)
}

// queryApps serves GET /v2/oauth/apps: the apps the account registered.
func (e *Emulator) queryApps(c *call) {
	c.locked(func(url.Values) (obj, error) {
		apps := []obj{}
		for _, app := range e.appsLocked() {
			if app.owner == c.acct {
				o := app.ownedJSON()
				o["users"] = e.usersLocked(app.id)
				apps = append(apps, o)
			}
		}
		return obj{"apps": apps}, nil
	})
}

// appsLocked lists the registered apps in id order.
func (e *Emulator) appsLocked() []*oauthApp {
	apps := make([]*oauthApp, 0, len(e.oauthApps))
	for _, app := range e.oauthApps {
		apps = append(apps, app)
	}
	slices.SortFunc(apps, func(x, y *oauthApp) int { return cmp.Compare(x.id, y.id) })
	return apps
}

// popularApps serves GET /v2/oauth/apps/popular: rclone, on record as a
// put.io app, and every registered app not hidden, with its maker.
func (e *Emulator) popularApps(c *call) {
	c.locked(func(url.Values) (obj, error) {
		rclone := appJSON(4131)
		rclone["maker"], rclone["users"] = "rclone", e.usersLocked(4131)
		apps := []obj{rclone}
		for _, app := range e.appsLocked() {
			if !app.hidden {
				o := app.publicJSON()
				o["maker"], o["users"] = app.owner.username, e.usersLocked(app.id)
				apps = append(apps, o)
			}
		}
		return obj{"apps": apps}, nil
	})
}

// appLocked finds a registered app; mine asks that the account own it.
// Neither an unknown app nor another's is told apart: 404.
func (e *Emulator) appLocked(c *call, mine bool) (*oauthApp, error) {
	id, err := parseID(c.r.PathValue("id"))
	app := e.oauthApps[id]
	if err != nil || app == nil || (mine && app.owner != c.acct) {
		return nil, errNotFound("OAuth app " + c.r.PathValue("id"))
	}
	return app, nil
}

// appTokenLocked is the account's current token for the app, or nil.
func (e *Emulator) appTokenLocked(a *account, id int64) any {
	for token, g := range e.tokens {
		if g.acct == a && g.clientID == itoa(id) {
			return token
		}
	}
	return nil
}

// getApp serves GET /v2/oauth/apps/{id}: {app, token}, the app's public
// fields (all of them for its owner) and the caller's token for it.
func (e *Emulator) getApp(c *call) {
	c.locked(func(url.Values) (obj, error) {
		app, err := e.appLocked(c, false)
		if err != nil {
			return nil, err
		}
		o := app.publicJSON()
		if app.owner == c.acct {
			o = app.ownedJSON()
		}
		return obj{"app": o, "token": e.appTokenLocked(c.acct, app.id)}, nil
	})
}

// editApp serves GET /v2/oauth/apps/{id}/edit, for the owner only.
func (e *Emulator) editApp(c *call) {
	c.locked(func(url.Values) (obj, error) {
		app, err := e.appLocked(c, true)
		if err != nil {
			return nil, err
		}
		return obj{"app": app.ownedJSON(), "token": e.appTokenLocked(c.acct, app.id)}, nil
	})
}

// appForm is the multipart (or urlencoded) form of register and update.
type appForm struct {
	values   url.Values
	icon     []byte
	iconType string
}

// readAppForm reads the form; an icon part is optional.
func (c *call) readAppForm() (*appForm, error) {
	mediaType := c.r.Header.Get("Content-Type")
	if !strings.HasPrefix(mediaType, "multipart/form-data") {
		v, err := parseParams(c.r)
		if err != nil {
			return nil, errBadRequest("BadRequest", err.Error())
		}
		return &appForm{values: v}, nil
	}
	c.r.Body = http.MaxBytesReader(c.w, c.r.Body, maxParamBody)
	if err := c.r.ParseMultipartForm(maxParamBody); err != nil {
		return nil, errBadRequest("BadRequest", "malformed multipart form: "+err.Error())
	}
	form := &appForm{values: url.Values(c.r.MultipartForm.Value)}
	if files := c.r.MultipartForm.File["icon"]; len(files) > 0 {
		icon, err := readPart(files[0])
		if err != nil {
			return nil, err
		}
		form.icon, form.iconType = icon, files[0].Header.Get("Content-Type")
	}
	return form, nil
}

func readPart(fh *multipart.FileHeader) ([]byte, error) {
	f, err := fh.Open()
	if err != nil {
		return nil, errBadRequest("BadRequest", "cannot read the icon: "+err.Error())
	}
	defer closeRead(f, "an app icon")
	return io.ReadAll(f)
}

// apply sets the editable fields from the form, checking them as
// the SDK's input schema does: description of 10 or more characters,
// website and callback absolute URLs of at most 255.
func (app *oauthApp) apply(form *appForm) error {
	v := form.values
	description, website, callback := v.Get("description"), v.Get("website"), v.Get("callback")
	if len(description) < 10 {
		return errBadRequest("BadRequest", "description must have 10 or more characters")
	}
	for name, u := range map[string]string{"website": website, "callback": callback} {
		if parsed, err := url.Parse(u); err != nil || !parsed.IsAbs() || len(u) > 255 {
			return errBadRequest("BadRequest", name+" must be an absolute URL of at most 255 characters")
		}
	}
	app.description, app.website, app.callback = description, website, callback
	if v.Has("hidden") {
		app.hidden = flagParam(v, "hidden")
	}
	if form.icon != nil {
		app.icon, app.iconType = form.icon, form.iconType
	}
	return nil
}

// registerApp serves POST /v2/oauth/apps/register: {app}, as its owner
// sees it, with a fresh secret.
func (e *Emulator) registerApp(c *call) {
	form, err := c.readAppForm()
	if err != nil {
		c.failErr(err)
		return
	}
	c.locked(func(url.Values) (obj, error) {
		name := form.values.Get("name")
		if len(name) < 5 {
			return nil, errBadRequest("BadRequest", "name must have 5 or more characters")
		}
		app := &oauthApp{owner: c.acct, name: name, secret: randomHex(16)}
		if err := app.apply(form); err != nil {
			return nil, err
		}
		if e.oauthApps == nil {
			e.oauthApps, e.nextApp = map[int64]*oauthApp{}, firstAppID
		}
		app.id = e.nextApp
		e.nextApp++
		e.oauthApps[app.id] = app
		return obj{"app": app.ownedJSON()}, nil
	})
}

// updateApp serves POST /v2/oauth/apps/{id}: {app, token}.
func (e *Emulator) updateApp(c *call) {
	form, err := c.readAppForm()
	if err != nil {
		c.failErr(err)
		return
	}
	c.locked(func(url.Values) (obj, error) {
		app, err := e.appLocked(c, true)
		if err != nil {
			return nil, err
		}
		edited := *app
		if err := edited.apply(form); err != nil {
			return nil, err
		}
		*app = edited
		return obj{"app": app.ownedJSON(), "token": e.appTokenLocked(c.acct, app.id)}, nil
	})
}

// setAppIcon serves POST /v2/oauth/apps/{id}/icon with an icon part.
func (e *Emulator) setAppIcon(c *call) {
	form, err := c.readAppForm()
	if err == nil && form.icon == nil {
		err = errBadRequest("BadRequest", "the form has no icon part")
	}
	if err != nil {
		c.failErr(err)
		return
	}
	c.locked(func(url.Values) (obj, error) {
		app, err := e.appLocked(c, true)
		if err != nil {
			return nil, err
		}
		app.icon, app.iconType = form.icon, form.iconType
		return nil, nil
	})
}

// appIcon serves GET /v2/oauth/apps/{id}/icon: the icon's bytes.
func (e *Emulator) appIcon(c *call) {
	e.mu.Lock()
	app, err := e.appLocked(c, false)
	if err == nil && app.icon == nil {
		err = errNotFound("icon of OAuth app " + itoa(app.id))
	}
	var icon []byte
	var iconType string
	if err == nil {
		icon, iconType = app.icon, app.iconType
	}
	e.mu.Unlock()
	if err != nil {
		c.failErr(err)
		return
	}
	c.w.Header().Set("Content-Type", cmp.Or(iconType, "application/octet-stream"))
	_, _ = c.w.Write(icon)
}

// deleteApp serves POST /v2/oauth/apps/{id}/delete: the app is gone and
// every token issued to it, on any account, is revoked.
func (e *Emulator) deleteApp(c *call) {
	c.locked(func(url.Values) (obj, error) {
		app, err := e.appLocked(c, true)
		if err != nil {
			return nil, err
		}
		delete(e.oauthApps, app.id)
		e.revokeLocked(func(_ string, g *grant) bool { return g.clientID == itoa(app.id) })
		return nil, nil
	})
}

// regenerateAppToken serves POST /v2/oauth/apps/{id}/regenerate_token:
// {access_token}, a new app token of the owner's account for the app; the
// owner's earlier tokens of the app are revoked.
func (e *Emulator) regenerateAppToken(c *call) {
	c.locked(func(url.Values) (obj, error) {
		app, err := e.appLocked(c, true)
		if err != nil {
			return nil, err
		}
		client := itoa(app.id)
		e.revokeLocked(func(_ string, g *grant) bool { return g.acct == c.acct && g.clientID == client })
		token := "token-" + randomHex(16)
		e.grantLocked(token, e.clientScope(client), c.acct, client)
		return obj{"access_token": token}, nil
	})
}

// listClients serves GET /v2/oauth/clients/: the account's sessions, one
// per token issued to an OAuth client (tokens registered up front belong
// to none). The emulator keeps no IP address or user agent: "".
func (e *Emulator) listClients(c *call) {
	c.locked(func(url.Values) (obj, error) {
		var grants []*grant
		for _, g := range e.tokens {
			if g.acct == c.acct && g.clientID != "" {
				grants = append(grants, g)
			}
		}
		slices.SortFunc(grants, func(x, y *grant) int { return cmp.Compare(x.id, y.id) })
		clients := []obj{}
		for _, g := range grants {
			id, err := parseID(g.clientID)
			if err != nil {
				continue
			}
			name := e.appNameLocked(id)
			clients = append(clients, obj{"id": g.id, "app_id": id, "app_name": name, "client_name": name,
				"created_at": formatTime(g.issued), "active": true, "ip_address": "", "last_used_at": nil,
				"note": nil, "user_agent": ""})
		}
		return obj{"clients": clients}, nil
	})
}

// appJSONLocked is an OAuth client as the grants, sessions and device-flow
// routes show it: a registered app's public fields, else appJSON's.
func (e *Emulator) appJSONLocked(id int64) obj {
	if app := e.oauthApps[id]; app != nil {
		return app.publicJSON()
	}
	return appJSON(id)
}

// appNameLocked names an OAuth client.
func (e *Emulator) appNameLocked(id int64) string {
	name, _ := e.appJSONLocked(id)["name"].(string)
	return name
}

// parseID reads a decimal id.
func parseID(s string) (int64, error) {
	id, err := intParam(url.Values{"id": {s}}, "id", -1)
	if err == nil && id < 0 {
		err = errors.New("no id")
	}
	return id, err
}
