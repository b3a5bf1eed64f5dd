package putiotest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Fault makes matching requests misbehave. A fault with a Status replies
// at once with that status; otherwise the request is served, slowed by
// Latency, cut (Cut) or with its body truncated (Truncate). With AfterWork
// the request is served in full first and only its reply is lost.
type Fault struct {
	// Route is a route name such as "POST /v2/files/delete"; empty or "*"
	// matches every route (the admin API excepted), "unknown" requests that
	// match none. Inject refuses any other name that is no route.
	Route string `json:"route,omitempty"`
	// Token, if set, limits the fault to requests with that token.
	Token string `json:"token,omitempty"`

	// Status is the reply status; the body is the put.io error JSON with
	// ErrorType and Message unless Body is set.
	Status    int               `json:"status,omitempty"`
	ErrorType string            `json:"error_type,omitempty"`
	Message   string            `json:"message,omitempty"`
	Headers   map[string]string `json:"headers,omitempty"`
	// Body replaces the error JSON verbatim (e.g. "<html>", or "{\"sta");
	// ContentType goes with it (default application/json).
	Body        string `json:"body,omitempty"`
	ContentType string `json:"content_type,omitempty"`

	// Latency delays the request before anything else happens.
	Latency time.Duration `json:"latency,omitempty"`
	// Hold, if set, then holds the request until it is closed (or the
	// client gives up): a delay that ends on the test's word rather than
	// after a time a slow machine may overrun. Go only.
	Hold <-chan struct{} `json:"-"`
	// Cut closes the connection after CutAfter bytes of the request body
	// (CutRequest: no reply is sent) or of the response body (CutResponse).
	Cut      Cut   `json:"cut,omitempty"`
	CutAfter int64 `json:"cut_after,omitempty"`
	// Truncate sends only the first half of the real reply body, with a
	// matching Content-Length: a well-formed reply carrying broken JSON.
	Truncate bool `json:"truncate,omitempty"`
	// AfterWork serves the request in full (state changes included), then
	// throws its reply away and sends the Status reply instead, or, with
	// Cut "response", drops the connection without a byte of reply: the
	// server did the work but the client never heard.
	AfterWork bool `json:"after_work,omitempty"`

	// Times limits the fault to the next N matching requests (0: all).
	Times int `json:"times,omitempty"`
	// Probability, if in (0,1), fires the fault on that share of matching
	// requests, drawn from a generator seeded with Seed.
	Probability float64 `json:"probability,omitempty"`
	Seed        uint64  `json:"seed,omitempty"`
}

// Cut says which body a fault cuts.
type Cut string

// Cut values.
const (
	CutRequest  Cut = "request"
	CutResponse Cut = "response"
)

// UnmarshalJSON also accepts latency as a Go duration string ("250ms").
func (f *Fault) UnmarshalJSON(data []byte) error {
	type plain Fault
	var aux struct {
		*plain
		Latency json.RawMessage `json:"latency,omitempty"`
	}
	aux.plain = (*plain)(f)
	if err := json.Unmarshal(data, &aux); err != nil {
		return err
	}
	if len(aux.Latency) == 0 {
		return nil
	}
	var s string
	if json.Unmarshal(aux.Latency, &s) == nil {
		d, err := time.ParseDuration(s)
		f.Latency = d
		return err
	}
	return json.Unmarshal(aux.Latency, (*int64)(&f.Latency))
}

func (f Fault) validate() error {
	switch {
	case f.Status != 0 && (f.Status < 100 || f.Status > 599):
		return errors.New("fault status must be an HTTP status code")
	case f.Status == 0 && (f.Body != "" || f.ErrorType != "" || f.Message != "" || len(f.Headers) > 0 || f.ContentType != ""):
		return errors.New("fault body, error type, message, headers and content type go with a status; set one")
	case f.Cut != "" && f.Cut != CutRequest && f.Cut != CutResponse:
		return errors.New(`fault cut must be "request" or "response"`)
	case f.Probability < 0 || f.Probability > 1:
		return errors.New("fault probability must be between 0 and 1")
	case f.Times < 0 || f.CutAfter < 0:
		return errors.New("fault times and cut_after cannot be negative")
	case f.AfterWork && (f.Status == 0) == (f.Cut != CutResponse):
		return errors.New(`an after_work fault needs either a status or cut "response", not both`)
	case f.AfterWork && (f.CutAfter != 0 || f.Truncate):
		return errors.New("an after_work fault loses the whole reply; cut_after and truncate do not apply")
	}
	return nil
}

// checkFault validates f, including that its route exists: a misspelt
// route would silently never fire.
func (e *Emulator) checkFault(f Fault) error {
	if err := f.validate(); err != nil {
		return err
	}
	if f.Route == "" || f.Route == "*" || e.isRoute(f.Route) {
		return nil
	}
	return fmt.Errorf("fault route %q names no route; use one of: %s", f.Route, e.routeNames())
}

type armedFault struct {
	Fault
	left int // remaining firings when Times > 0
	rng  *rand.Rand
}

// faultSet holds the injected faults, first match wins. Its lock is its
// own, never held with another.
type faultSet struct {
	mu     sync.Mutex // guards faults and each one's left and rng
	faults []*armedFault
}

// Inject adds a fault. It fails only on a malformed fault or one whose
// Route names no route.
func (e *Emulator) Inject(f Fault) error {
	if err := e.checkFault(f); err != nil {
		return err
	}
	e.faults.add(f)
	return nil
}

// ClearFaults removes every injected fault.
func (e *Emulator) ClearFaults() { e.faults.clear() }

func (s *faultSet) add(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &armedFault{Fault: f, left: f.Times, rng: rand.New(rand.NewPCG(f.Seed, 0x6661756c74))})
}

func (s *faultSet) clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// pick returns the fault that fires for a request, if any.
func (s *faultSet) pick(routeName, token string) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if f.Route != "" && f.Route != "*" && f.Route != routeName || f.Token != "" && f.Token != token {
			continue
		}
		if f.Probability > 0 && f.rng.Float64() >= f.Probability {
			continue
		}
		if f.Times > 0 {
			f.left--
			if f.left == 0 {
				s.faults = append(s.faults[:i], s.faults[i+1:]...)
			}
		}
		return f.Fault, true
	}
	return Fault{}, false
}

// applyFault runs the fault for this request. It reports whether the
// request is finished; finish, if not nil, must run after the handler.
func (e *Emulator) applyFault(c *call, routeName string) (done bool, finish func()) {
	f, fired := e.faults.pick(routeName, c.token)
	if !fired {
		return false, nil
	}
	if !sleepCtx(c.r, f.Latency) || !holdCtx(c.r, f.Hold) {
		return true, nil
	}
	switch {
	case f.AfterWork:
		reply := c.w
		c.w = &silentWriter{header: http.Header{}}
		return false, func() {
			if f.Cut != "" {
				panic(http.ErrAbortHandler)
			}
			writeFault(reply, f)
		}
	case f.Status != 0:
		writeFault(c.w, f)
		return true, nil
	case f.Cut == CutRequest:
		c.r.Body = &cutReader{r: c.r.Body, left: f.CutAfter}
		c.w = &silentWriter{header: http.Header{}}
		return false, func() { panic(http.ErrAbortHandler) }
	case f.Cut == CutResponse:
		c.w = &cutWriter{ResponseWriter: c.w, left: f.CutAfter}
	case f.Truncate:
		tw := &truncWriter{ResponseWriter: c.w}
		c.w = tw
		return false, tw.finish
	}
	return false, nil
}

// holdCtx waits until hold is closed (at once if it is nil); false if the
// request ended first.
func holdCtx(r *http.Request, hold <-chan struct{}) bool {
	if hold == nil {
		return true
	}
	select {
	case <-hold:
		return true
	case <-r.Context().Done():
		return false
	}
}

func writeFault(w http.ResponseWriter, f Fault) {
	for k, v := range f.Headers {
		w.Header().Set(k, v)
	}
	if f.Body == "" {
		errorType, message := f.ErrorType, f.Message
		if errorType == "" {
			errorType = http.StatusText(f.Status)
		}
		if message == "" {
			message = "injected fault"
		}
		writeJSON(w, f.Status, errorBody(f.Status, errorType, message))
		return
	}
	contentType := f.ContentType
	if contentType == "" {
		contentType = jsonContentType
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(f.Body)))
	w.WriteHeader(f.Status)
	_, _ = io.WriteString(w, f.Body)
}

var errCut = errors.New("putiotest: connection cut by an injected fault")

// cutReader yields left bytes of the request body, then fails.
type cutReader struct {
	r    io.ReadCloser
	left int64
}

func (c *cutReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, errCut
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

func (c *cutReader) Close() error { return c.r.Close() }

// silentWriter swallows a reply that must never reach the client.
type silentWriter struct{ header http.Header }

func (s *silentWriter) Header() http.Header         { return s.header }
func (s *silentWriter) Write(p []byte) (int, error) { return len(p), nil }
func (s *silentWriter) WriteHeader(int)             {}

// cutWriter passes left bytes of the response body, then drops the
// connection.
type cutWriter struct {
	http.ResponseWriter
	left int64
}

func (c *cutWriter) Write(p []byte) (int, error) {
	if int64(len(p)) <= c.left {
		c.left -= int64(len(p))
		return c.ResponseWriter.Write(p)
	}
	_, _ = c.ResponseWriter.Write(p[:c.left])
	c.left = 0
	// Flush, or the client sees no reply at all and may retry.
	_ = http.NewResponseController(c.ResponseWriter).Flush()
	panic(http.ErrAbortHandler)
}

// truncWriter holds the reply body back and sends only its first half.
type truncWriter struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (t *truncWriter) WriteHeader(code int) {
	if t.status == 0 {
		t.status = code
	}
}

func (t *truncWriter) Write(p []byte) (int, error) {
	if t.status == 0 {
		t.status = http.StatusOK
	}
	return t.body.Write(p)
}

func (t *truncWriter) finish() {
	half := t.body.Bytes()[:t.body.Len()/2]
	t.ResponseWriter.Header().Set("Content-Length", strconv.Itoa(len(half)))
	t.ResponseWriter.WriteHeader(max(t.status, http.StatusOK))
	_, _ = t.ResponseWriter.Write(half)
}
