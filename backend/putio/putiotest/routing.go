package putiotest

import (
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// route is one endpoint. Its name, "METHOD /path/{var}", is the key for
// counters, the request log and fault injection.
type route struct {
	name   string
	method string
	segs   []string
	auth   bool // needs a token (and counts against the rate limit)
	tus    bool // a tus upload route: Tus-Resumable on every reply
	handle func(*call)
}

func newRoute(name string, auth bool, handle func(*call)) *route {
	method, path, _ := strings.Cut(name, " ")
	return &route{name: name, method: method, segs: strings.Split(path, "/"), auth: auth,
		tus: strings.HasPrefix(path, "/files/"), handle: handle}
}

// routeTable lists every endpoint. Literal routes come before templated
// ones so that "files/list" is not taken for a file id.
func (e *Emulator) routeTable() []*route {
	const open, authed = false, true
	return []*route{
		newRoute("GET /v2/files/list", authed, e.listFiles),
		newRoute("POST /v2/files/list/continue", authed, e.continueFiles),
		newRoute("POST /v2/files/create-folder", authed, e.createFolder),
		newRoute("POST /v2/files/rename", authed, e.rename),
		newRoute("POST /v2/files/move", authed, e.move),
		newRoute("POST /v2/files/copy", authed, e.copy),
		newRoute("POST /v2/files/delete", authed, e.deleteFiles),
		newRoute("POST /v2/files/touch", authed, e.touch),
		newRoute("GET /v2/files/search", authed, e.searchFiles),
		newRoute("POST /v2/files/search/continue", authed, e.continueSearch),
		newRoute("GET /v2/files/search/{query}/page/{n}", authed, e.legacySearch),
		newRoute("POST /v2/files/upload", authed, e.legacyUpload),
		newRoute("GET /v2/files/{id}", authed, e.getFile),
		newRoute("GET /v2/files/{id}/child", authed, e.child),
		newRoute("GET /v2/files/{id}/url", authed, e.fileURL),
		newRoute("GET /v2/files/{id}/download", authed, e.fileDownload),
		newRoute("GET /v2/files/{id}/download/{name}", authed, e.fileDownload),
		newRoute("HEAD /v2/files/{id}/download", authed, e.fileDownload),
		newRoute("GET /v2/files/{id}/stream", authed, e.fileDownload),
		newRoute("HEAD /v2/files/{id}/stream", authed, e.fileDownload),
		newRoute("GET /v2/files/{id}/shared-with-v2", authed, e.sharedWith),
		newRoute("GET /v2/files/{id}/can-write", authed, e.canWrite),
		newRoute("GET /download/{id}", open, e.download),
		newRoute("HEAD /download/{id}", open, e.download),
		newRoute("POST /files/", authed, e.tusCreate),
		newRoute("OPTIONS /files/", authed, e.tusOptions),
		newRoute("PATCH /files/{upload}", authed, e.tusPatch),
		newRoute("HEAD /files/{upload}", authed, e.tusHead),
		newRoute("DELETE /files/{upload}", authed, e.tusDelete),
		newRoute("GET /v2/trash/list", authed, e.listTrash),
		newRoute("POST /v2/trash/list/continue", authed, e.continueTrash),
		newRoute("POST /v2/trash/restore", authed, e.restoreTrash),
		newRoute("POST /v2/trash/delete", authed, e.deleteTrash),
		newRoute("POST /v2/trash/empty", authed, e.emptyTrash),
		newRoute("GET /v2/account/info", authed, e.accountInfo),
		newRoute("GET /v2/account/settings", authed, e.getSettings),
		newRoute("POST /v2/account/settings", authed, e.saveSettings),
		newRoute("GET /v2/events/list", authed, e.listEvents),
		newRoute("POST /v2/events/delete", authed, firstParty(e.clearEvents)),
		newRoute("POST /v2/events/delete/{id}", authed, firstParty(e.deleteEvent)),
		newRoute("GET /v2/transfers/list", authed, e.listTransfers),
		newRoute("POST /v2/transfers/list/continue", authed, e.continueTransfers),
		newRoute("GET /v2/transfers/count", authed, e.countTransfers),
		newRoute("POST /v2/transfers/info", authed, e.transferInfo),
		newRoute("POST /v2/transfers/add", authed, e.addTransfer),
		newRoute("POST /v2/transfers/add-multi", authed, e.addMultiple),
		newRoute("POST /v2/transfers/cancel", authed, e.cancelTransfers),
		newRoute("POST /v2/transfers/retry", authed, e.retryTransfer),
		newRoute("POST /v2/transfers/clean", authed, e.cleanTransfers),
		newRoute("POST /v2/transfers/remove", authed, e.removeTransfers),
		newRoute("GET /v2/transfers/{id}", authed, e.getTransfer),
		newRoute("GET /v2/oauth2/authenticate", open, e.oauthAuthenticate),
		newRoute("GET /v2/oauth2/access_token", open, e.oauthAccessToken),
		newRoute("POST /v2/oauth2/access_token", open, e.oauthAccessToken),
		newRoute("GET /v2/oauth2/validate", open, e.oauthValidate),
		newRoute("GET /v2/oauth2/oob/code", open, e.newOOBCode),
		newRoute("POST /v2/oauth2/oob/code", authed, firstParty(e.approveOOBCode)),
		newRoute("GET /v2/oauth2/oob/code/{code}", open, e.pollOOBCode),
		newRoute("PUT /v2/oauth2/authorizations/clients/{client}", open, e.passwordLogin),
		newRoute("PUT /v2/oauth2/authorizations/clients/{client}/{fingerprint}", open, e.passwordLogin),
		newRoute("GET /v2/oauth/grants", authed, firstParty(e.listGrants)),
		newRoute("POST /v2/oauth/grants/logout", authed, firstParty(e.logoutGrant)),
		newRoute("POST /v2/oauth/grants/{id}/delete", authed, firstParty(e.deleteGrant)),
		newRoute("GET /v2/public_share/list", authed, firstParty(e.listShares)),
		newRoute("GET /v2/public_share", open, e.getPublicShare),
		newRoute("GET /v2/public_share/files/list", open, e.listShareFiles),
		newRoute("POST /v2/public_share/files/list/continue", open, e.continueShareFiles),
		newRoute("GET /v2/public_share/files/{id}/url", open, e.shareFileURL),
		newRoute("POST /v2/public_share/{id}", authed, e.createShare),
		newRoute("DELETE /v2/public_share/{id}", authed, e.deleteShare),
		newRoute("GET "+feedPath, open, e.serveFeed),
	}
}

// match finds the route for a request and the values of its {vars}. The
// first route whose path matches owns the path; when none of the routes
// with that path takes the method, allowed lists the methods they take.
func (e *Emulator) match(method, path string) (rt *route, vars map[string]string, allowed []string) {
	segs := strings.Split(path, "/")
	var owner []string
	for _, r := range e.routes {
		if len(r.segs) != len(segs) || owner != nil && !slices.Equal(r.segs, owner) {
			continue
		}
		v, ok := matchSegments(r.segs, segs)
		if !ok {
			continue
		}
		if r.method == method {
			return r, v, nil
		}
		owner = r.segs
		allowed = append(allowed, r.method)
	}
	return nil, nil, allowed
}

func matchSegments(pattern, segs []string) (map[string]string, bool) {
	var vars map[string]string
	for i, p := range pattern {
		if strings.HasPrefix(p, "{") {
			if !varMatches(p, segs[i]) {
				return nil, false
			}
			if vars == nil {
				vars = map[string]string{}
			}
			vars[strings.Trim(p, "{}")] = segs[i]
		} else if p != segs[i] {
			return nil, false
		}
	}
	return vars, true
}

// varMatches reports whether a path segment can fill a {var}: any
// non-empty word, but an {id} only digits, so that an unknown word such as
// "search" under /v2/files/ is an unknown route, not a missing item.
func varMatches(pattern, seg string) bool {
	if pattern != "{id}" {
		return seg != ""
	}
	return seg != "" && strings.Trim(seg, "0123456789") == ""
}

// call is one request on its way through a handler.
type call struct {
	e           *Emulator
	w           http.ResponseWriter
	r           *http.Request
	vars        map[string]string
	acct        *account
	grant       *grant // the token's grant, once authorized
	token       string
	allowed     []string // methods the path takes when the request's is not one
	paramsCache paramSet
}

// ServeHTTP routes a request, applying faults, latency, auth and the rate
// limit in that order, and records it.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, adminPrefix) {
		e.serveAdmin(w, r)
		return
	}
	w.Header().Set("X-Trace-Id", randomHex(8)) // as on put.io, whose JS SDK reads it
	// The server's own clock, which x-ratelimit-reset is an instant on.
	w.Header().Set("Date", e.opts.Now().UTC().Format(http.TimeFormat))
	rec := &recorder{ResponseWriter: w}
	c := &call{e: e, w: rec, r: r, token: requestToken(r)}
	rt, vars, allowed := e.match(r.Method, r.URL.Path)
	name := unknownRoute
	if rt != nil {
		name, c.vars = rt.name, vars
	}
	c.allowed = allowed
	e.counters.count(name)
	defer e.record(name, c, rec, e.opts.Now())
	done, finish := e.applyFault(c, name)
	if done {
		return
	}
	if finish != nil {
		defer finish()
	}
	e.serve(c, rt)
}

// serve runs the route's handler once latency, auth and the rate limit
// allow it.
func (e *Emulator) serve(c *call, rt *route) {
	if !sleepCtx(c.r, e.opts.Latency) {
		return
	}
	if rt == nil {
		c.noRoute()
		return
	}
	if rt.tus && !tusVersionOK(c) {
		return
	}
	if rt.auth && (!e.authorize(c) || !e.limiter.admit(c)) {
		return
	}
	rt.handle(c)
}

// record logs a finished request. A connection cut by a fault
// (an http.ErrAbortHandler panic) is logged as StatusCut and the panic goes
// on, so net/http drops the connection.
func (e *Emulator) record(name string, c *call, rec *recorder, start time.Time) {
	status := rec.statusCode()
	aborted := recover()
	if aborted != nil {
		status = StatusCut
	}
	entry := LogEntry{Time: start, Duration: e.opts.Now().Sub(start), Route: name, Method: c.r.Method,
		Path: c.r.URL.RequestURI(), Status: status, Token: c.token}
	e.counters.addToLog(entry)
	if e.opts.OnRequest != nil {
		e.opts.OnRequest(entry)
	}
	if aborted != nil {
		panic(aborted)
	}
}

const unknownRoute = "unknown"

// sleepCtx waits d unless the client goes away first; it reports whether
// the request should go on.
func sleepCtx(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

func (c *call) noRoute() {
	hint := "; see the put.io API v2 reference"
	if len(c.allowed) > 0 {
		hint = "; use " + strings.Join(c.allowed, " or ")
	}
	c.fail(http.StatusNotFound, "NotFound", "no such API route: "+c.r.Method+" "+c.r.URL.Path+hint)
}

// idVar parses the {id} path variable.
func (c *call) idVar() (int64, bool) {
	id, err := strconv.ParseInt(c.vars["id"], 10, 64)
	if err != nil || id < 0 {
		c.fail(http.StatusNotFound, "NotFound", "no item with id "+strconv.Quote(c.vars["id"]))
		return 0, false
	}
	return id, true
}

// recorder remembers the status a handler sent, for counters and the log.
type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(p)
}

// ReadFrom keeps sendfile(2) for downloads.
func (r *recorder) ReadFrom(src io.Reader) (int64, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return io.Copy(r.ResponseWriter, src)
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (r *recorder) statusCode() int {
	if r.status == 0 {
		return http.StatusOK
	}
	return r.status
}
