package putiotest

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// call is one request on its way through a handler.
type call struct {
	e           *Emulator
	w           http.ResponseWriter
	r           *http.Request // routed: r.PathValue gives the route's {vars}
	acct        *account
	grant       *grant // the token's grant, once authorized
	token       string
	paramsCache paramSet
	// clockSkew is how far the clock of the host serving the call is
	// ahead of the API's (Options.UploadClockSkew, DownloadClockSkew).
	clockSkew time.Duration
}

// hostClockSkew is how far the clock of the host serving path runs ahead
// of the API's: the upload host serves /files/, the download host
// /download/.
func (e *Emulator) hostClockSkew(path string) time.Duration {
	switch {
	case strings.HasPrefix(path, tusPrefix):
		return e.opts.UploadClockSkew
	case strings.HasPrefix(path, downloadPrefix):
		return e.opts.DownloadClockSkew
	}
	return 0
}

// ServeHTTP routes a request, applying faults, latency, auth and the rate
// limit in that order, and records it.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, adminPrefix) {
		e.serveAdmin(w, r)
		return
	}
	w.Header().Set("X-Trace-Id", randomHex(8)) // as on put.io, whose JS SDK reads it
	skew := e.hostClockSkew(r.URL.Path)
	// The host's own clock, which x-ratelimit-reset is an instant on.
	w.Header().Set("Date", e.opts.Now().Add(skew).UTC().Format(http.TimeFormat))
	rec := &recorder{ResponseWriter: w}
	c := &call{e: e, w: rec, r: r, token: requestToken(r), clockSkew: skew}
	rt := e.route(r)
	name, secretSegments := unknownRoute, []int(nil)
	if rt != nil {
		name, secretSegments = rt.name, rt.secretSegments
	}
	e.counters.count(name)
	defer e.record(name, secretSegments, c, rec, e.opts.Now())
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

// record logs a finished request, its path redacted at secretSegments
// (see redactedTarget). A connection cut by a fault
// (an http.ErrAbortHandler panic) is logged as StatusCut and the panic goes
// on, so net/http drops the connection.
func (e *Emulator) record(name string, secretSegments []int, c *call, rec *recorder, start time.Time) {
	status := rec.statusCode()
	aborted := recover()
	if aborted != nil {
		status = StatusCut
	}
	entry := LogEntry{Time: start, Duration: e.opts.Now().Sub(start), Route: name, Method: c.r.Method,
		Path: redactedTarget(c.r.URL, secretSegments), Status: status, TokenFingerprint: TokenFingerprint(c.token)}
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
	if allowed := c.e.allowedMethods(c.r); len(allowed) > 0 {
		hint = "; use " + strings.Join(allowed, " or ")
	}
	c.fail(http.StatusNotFound, "NotFound", "no such API route: "+c.r.Method+" "+c.r.URL.Path+hint)
}

// idVar parses the {id} path variable.
func (c *call) idVar() (int64, bool) {
	id, err := strconv.ParseInt(c.r.PathValue("id"), 10, 64)
	if err != nil || id < 0 {
		c.fail(http.StatusNotFound, "NotFound", "no item with id "+strconv.Quote(c.r.PathValue("id")))
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
