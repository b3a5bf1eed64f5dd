package putiotest

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// route is one endpoint. Its name, "METHOD /path/{var}", is the key for
// counters, the request log and fault injection, and (but for a trailing
// slash, see pattern) its http.ServeMux pattern.
type route struct {
	name   string
	method string
	auth   bool // needs a token (and counts against the rate limit)
	tus    bool // a tus upload route: Tus-Resumable on every reply
	hasID  bool // has an {id}, which put.io fills with digits only
	handle func(*call)
	// literal, if set, is a path segment matched as a wildcard (see
	// literalSegment): the route takes only requests with the word there.
	literal literalSegment
	// secretSegments are the path segments the request log redacts: its
	// wildcards named in secretWildcards.
	secretSegments []int
}

// Route flags for newRoute.
const public, authed = false, true

// The paths of the upload host (tus) and the download host, which the
// emulator serves on the API's listener.
const (
	tusPrefix      = "/files/"
	downloadPrefix = "/download/"
)

func newRoute(name string, auth bool, handle func(*call)) *route {
	method, path, _ := strings.Cut(name, " ")
	return &route{name: name, method: method, auth: auth, handle: handle,
		tus: strings.HasPrefix(path, tusPrefix), hasID: strings.Contains(path, "{id}"), secretSegments: secretSegments(name)}
}

// routeTable lists every endpoint, in the order the "use METHOD" hints
// of unknown routes follow (docs/architecture.md's table groups them its
// own way; TestRouteTableMatchesRouter compares the sets).
func (e *Emulator) routeTable() []*route {
	return slices.Concat(e.fileRoutes(), e.bodyRoutes(), e.accountRoutes(),
		e.transferRoutes(), e.authRoutes(), e.shareRoutes(), e.sdkAreaRoutes(), e.socialRoutes(),
		e.friendShareRoutes(), e.rssRoutes())
}

// fileRoutes are the file tree's: listing, changes, search, extraction
// and the links to a file's body.
func (e *Emulator) fileRoutes() []*route {
	return []*route{
		newRoute("GET /v2/files/list", authed, e.listFiles),
		newRoute("POST /v2/files/list/continue", authed, e.continueFiles),
		newRoute("GET /v2/files/list/items-shared-with-you", authed, e.itemsSharedWithYou),
		newRoute("POST /v2/files/create-folder", authed, e.createFolder),
		newRoute("POST /v2/files/rename", authed, e.rename),
		newRoute("POST /v2/files/move", authed, e.move),
		newRoute("POST /v2/files/copy", authed, e.copy),
		newRoute("POST /v2/files/copy-to-disk", authed, e.copyToDisk),
		newRoute("POST /v2/files/set-sort-by", authed, e.setSortBy),
		newRoute("POST /v2/files/remove-sort-by-settings", authed, e.removeSortBySettings),
		newRoute("POST /v2/files/delete", authed, e.deleteFiles),
		newRoute("POST /v2/files/touch", authed, e.touch),
		newRoute("GET /v2/files/search", authed, e.searchFiles),
		newRoute("POST /v2/files/search/continue", authed, e.continueSearch),
		newRoute("GET /v2/files/search/{query}/page/{n}", authed, e.legacySearch),
		newRoute("POST /v2/files/upload", authed, e.legacyUpload),
		newRoute("POST /v2/files/extract", authed, e.startExtraction),
		newRoute("GET /v2/files/extract", authed, e.listExtractions),
		newRoute("DELETE /v2/files/extract/{id}", authed, e.deleteExtraction),
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
		newRoute("GET /v2/files/{id}/mp4", authed, e.mp4Status),
		newRoute("POST /v2/files/{id}/mp4", authed, e.convertMP4),
		newRoute("GET /v2/files/{id}/mp4/download", authed, e.mp4Download),
		newRoute("GET /v2/files/{id}/mp4/download/{name}", authed, e.mp4Download),
		newRoute("GET /v2/files/{id}/subtitles", authed, e.subtitles),
		newRoute("GET /v2/files/{id}/start-from", authed, e.getStartFrom),
		newRoute("POST /v2/files/{id}/start-from", authed, e.setStartFrom),
		newRoute("POST /v2/files/{id}/start-from/delete", authed, e.resetStartFrom),
		newRoute("POST /v2/files/watch-status", authed, e.setWatchStatus),
		newRoute("GET /v2/files/{id}/next-file", authed, e.nextFile),
		newRoute("GET /v2/files/{id}/next-video", authed, e.nextVideo),
	}
}

// bodyRoutes carry file bodies: signed downloads and tus uploads.
func (e *Emulator) bodyRoutes() []*route {
	return []*route{
		newRoute("GET /download/{id}", public, e.download),
		newRoute("HEAD /download/{id}", public, e.download),
		newRoute("POST /files/", authed, e.tusCreate),
		newRoute("OPTIONS /files/", authed, e.tusOptions),
		newRoute("PATCH /files/{upload}", authed, e.tusPatch),
		newRoute("HEAD /files/{upload}", authed, e.tusHead),
		newRoute("DELETE /files/{upload}", authed, e.tusDelete),
	}
}

// accountRoutes are the trash's, the account's and its history's.
func (e *Emulator) accountRoutes() []*route {
	return []*route{
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
		newRoute("GET /v2/events/{id}/torrent", authed, e.eventTorrent),
	}
}

// transferRoutes are the transfers'.
func (e *Emulator) transferRoutes() []*route {
	return []*route{
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
		newRoute("POST /v2/transfers/reannounce", authed, e.reannounceTransfer),
		newRoute("POST /v2/transfers/stop-recording", authed, e.stopRecording),
		newRoute("GET /v2/transfers/{id}", authed, e.getTransfer),
	}
}

// authRoutes are OAuth's and the grants'.
func (e *Emulator) authRoutes() []*route {
	return []*route{
		newRoute("GET /v2/oauth2/authenticate", public, e.oauthAuthenticate),
		newRoute("GET /v2/oauth2/access_token", public, e.oauthAccessToken),
		newRoute("POST /v2/oauth2/access_token", public, e.oauthAccessToken),
		newRoute("GET /v2/oauth2/validate", public, e.oauthValidate),
		newRoute("GET /v2/oauth2/oob/code", public, e.newOOBCode),
		newRoute("POST /v2/oauth2/oob/code", authed, firstParty(e.approveOOBCode)),
		newRoute("GET /v2/oauth2/oob/code/{code}", public, e.pollOOBCode),
		newRoute("PUT /v2/oauth2/authorizations/clients/{client}", public, e.passwordLogin),
		newRoute("PUT /v2/oauth2/authorizations/clients/{client}/{fingerprint}", public, e.passwordLogin),
		newRoute("GET /v2/oauth/grants", authed, firstParty(e.listGrants)),
		newRoute("POST /v2/oauth/grants/logout", authed, firstParty(e.logoutGrant)),
		newRoute("POST /v2/oauth/grants/{id}/delete", authed, firstParty(e.deleteGrant)),
	}
}

// shareRoutes are the public shares' and the real-time feed's.
func (e *Emulator) shareRoutes() []*route {
	return []*route{
		newRoute("GET /v2/public_share/list", authed, firstParty(e.listShares)),
		newRoute("GET /v2/public_share", public, e.getPublicShare),
		newRoute("GET /v2/public_share/files/list", public, e.listShareFiles),
		newRoute("POST /v2/public_share/files/list/continue", public, e.continueShareFiles),
		newRoute("GET /v2/public_share/files/{id}/url", public, e.shareFileURL),
		newRoute("POST /v2/public_share/{id}", authed, e.createShare),
		newRoute("DELETE /v2/public_share/{id}", authed, e.deleteShare),
		newRoute("GET "+feedPath, public, e.serveFeed),
	}
}

// pattern is the route's ServeMux pattern. A name ending in a slash
// ("POST /files/") names that path alone, not the tree under it.
func (rt *route) pattern() string {
	if strings.HasSuffix(rt.name, "/") {
		return rt.name + "{$}"
	}
	return rt.literal.pattern(rt.name)
}

// newRouter registers the routes with a ServeMux, used only to match:
// the emulator answers unmatched requests itself, as put.io does, with a
// 404 and a put.io error body, where ServeMux would send a 405, or a
// redirect for an unclean path or a missing trailing slash. ServeMux
// matches the escaped path, so an escaped slash (%2F) stays inside its
// segment: a {query} may hold one, an {id} with one is no id.
func newRouter(routes []*route) *http.ServeMux {
	mux := http.NewServeMux()
	for _, rt := range routes {
		mux.Handle(rt.pattern(), rt)
	}
	return mux
}

// checkRouter fails if ServeMux ignores method patterns, as Go 1.21's
// mux does (GODEBUG=httpmuxgo121=1, from the environment, a //go:debug
// line or go.mod): every request would then be an unknown route.
func (e *Emulator) checkRouter() error {
	for _, rt := range e.routes {
		method, path, _ := strings.Cut(rt.name, " ")
		if strings.Contains(path, "{") {
			continue
		}
		if r, err := http.NewRequest(method, path, nil); err != nil || e.route(r) != rt {
			return fmt.Errorf("putiotest: net/http.ServeMux does not match %q: the emulator needs its Go 1.22 patterns, so drop httpmuxgo121=1 from GODEBUG", rt.name)
		}
		return nil
	}
	return nil
}

// route finds the route that takes r, or nil. ServeMux matches and sets
// r.Pattern and r's path values on the way.
func (e *Emulator) route(r *http.Request) *route {
	var m match
	e.router.ServeHTTP(&m, r)
	return m.route
}

// match is the ResponseWriter of a ServeMux match: a route's ServeHTTP
// names itself in it; what ServeMux writes itself (404, 405, redirects) is
// dropped.
type match struct {
	route  *route
	header http.Header
}

func (m *match) Header() http.Header {
	if m.header == nil {
		m.header = http.Header{}
	}
	return m.header
}

func (m *match) Write(p []byte) (int, error) { return len(p), nil }
func (m *match) WriteHeader(int)             {}

// ServeHTTP is how ServeMux hands a match back to Emulator.route.
func (rt *route) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if m, ok := w.(*match); ok && rt.takes(r) {
		m.route = rt
	}
}

// takes reports whether rt serves r, which ServeMux matched to rt's
// pattern. ServeMux also gives a GET pattern HEAD requests, and an {id} any
// word; put.io's routes take neither, so that an unknown word such as
// "search" under /v2/files/ is an unknown route, not a missing item.
func (rt *route) takes(r *http.Request) bool {
	if r.Method != rt.method {
		return false
	}
	id := r.PathValue("id")
	return (!rt.hasID || strings.Trim(id, "0123456789") == "") && rt.literal.takes(r)
}

// allowedMethods lists, in route-table order, the methods of the routes
// that take r's path with another method: the hint of an unknown route.
func (e *Emulator) allowedMethods(r *http.Request) []string {
	var allowed []string
	for _, rt := range e.routes {
		if rt.method == r.Method || slices.Contains(allowed, rt.method) {
			continue
		}
		probe := r.WithContext(r.Context()) // a copy, for its own method and match
		probe.Method = rt.method
		if e.route(probe) == rt {
			allowed = append(allowed, rt.method)
		}
	}
	return allowed
}

// isRoute reports whether name names a route (unknownRoute included).
func (e *Emulator) isRoute(name string) bool {
	return name == unknownRoute || slices.ContainsFunc(e.routes, func(rt *route) bool { return rt.name == name })
}

// routeNames lists the route names, for error messages.
func (e *Emulator) routeNames() string {
	names := make([]string, len(e.routes))
	for i, rt := range e.routes {
		names[i] = rt.name
	}
	return strings.Join(names, ", ")
}
