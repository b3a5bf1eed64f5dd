// Package tus is the tus 1.0 client put.io's uploads speak to its upload
// service: OPTIONS learns what the service supports, a POST creates the
// upload (with the whole file in it when the service offers
// creation-with-upload), PATCHes send the rest from the server's offset,
// HEAD asks for that offset after a failure, and DELETE ends an upload
// that failed for good. The file appears only when the last byte
// arrives. What is sent, and resent after a cut, is window.go's.
//
// The client builds, sends, retries and reads failures only through
// Backend, so the login, pacing and reading of error replies stay the
// caller's.
//
// What upload.put.io answers to tus OPTIONS is not on record, so anything
// short of a clear tus 1.0.0 answer means plain creation plus PATCH,
// which every put.io client uses.
package tus

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/rclone/rclone/fs"
)

const (
	tusVersion = "1.0.0"
	// minPatch is the PATCH size below which a 413 is taken as final.
	minPatch = 64 * 1024
)

var (
	// ErrReplyLost is a final request whose reply never came although the
	// server may have made the file: it holds every byte, or has let go
	// of an upload that was sent whole.
	ErrReplyLost = errors.New("upload reply lost")
	// errPatchTooLarge is a 413: the next PATCH is smaller. It is no
	// failure, so it does not use up a retry.
	errPatchTooLarge = errors.New("PATCH too large")
)

// resyncError is a PATCH the server did not take whole: the next attempt
// asks the server for its offset and goes on from there. It is temporary,
// as network errors are, so the backend's retry tries again by rclone's
// own rules (fserrors.ShouldRetry) without knowing this type.
type resyncError string

func (e resyncError) Error() string { return string(e) }

// Temporary marks the error as worth another attempt.
func (e resyncError) Temporary() bool { return true }

// Backend is what the tus client needs of the backend.
type Backend interface {
	// NewRequest builds a body-less request with the caller's own headers,
	// to which the client adds its own.
	NewRequest(ctx context.Context, method, target string) (*http.Request, error)
	// Do sends one attempt of a request NewRequest built, signed in. On
	// failure the reply's body is closed.
	Do(req *http.Request) (*http.Response, error)
	// Retry runs attempt until it succeeds, fails for good or the
	// retries are used up.
	Retry(ctx context.Context, what string, attempt func() error) error
	// Classify reads a failed request for the client.
	Classify(ctx context.Context, err error) Failure
}

// Outcome is what a failed request means for the upload.
type Outcome int

const (
	// Fails means the failure stands; Retry decides whether to try again.
	Fails Outcome = iota
	// Resync means the server may hold more or fewer bytes than we think;
	// ask it for its offset and go on from there.
	Resync
	// TooLarge means the request's body was too large; send less at a time.
	TooLarge
	// Gone means the server has no such upload (any more).
	Gone
)

// Failure is the backend's reading of a failed request.
type Failure struct {
	Outcome Outcome
	// Answered: the server replied; else the connection failed first.
	Answered bool
	// MayHaveWorked: the server may have taken the request in spite of
	// the failure.
	MayHaveWorked bool
}

// Metadata encodes Upload-Metadata: "key base64(value)" pairs.
func Metadata(pairs ...[2]string) string {
	encoded := make([]string, len(pairs))
	for i, pair := range pairs {
		encoded[i] = pair[0] + " " + base64.StdEncoding.EncodeToString([]byte(pair[1]))
	}
	return strings.Join(encoded, ",")
}

// Caps is what the upload service said it supports.
type Caps struct {
	CreationWithUpload bool
	MaxSize            int64 // Tus-Max-Size; 0: not given
}

// Service is what one login learnt about its upload service, shared by
// the clients of that login; the zero Service has learnt nothing yet.
type Service struct {
	mu    sync.Mutex
	known bool
	caps  Caps
	// probing is closed when the OPTIONS request in flight ends; nil when
	// none is.
	probing chan struct{}
	// maxPatch is the PATCH size learnt from 413 replies; 0: none yet.
	maxPatch atomic.Int64
	// acceptedPatch is the largest PATCH the server has taken whole, a
	// size it is known not to refuse; 0: none yet.
	acceptedPatch atomic.Int64
	// dropsCutPatches is set once the server kept nothing of a PATCH whose
	// connection was cut: from then on a source that can't be read again
	// goes in PATCHes the window can resend whole.
	dropsCutPatches atomic.Bool
}

// MaxPatch is the PATCH size 413 replies taught; 0: none yet.
func (s *Service) MaxPatch() int64 { return s.maxPatch.Load() }

// Accepted notes that the server took a PATCH of n bytes whole.
func (s *Service) Accepted(n int64) {
	for {
		known := s.acceptedPatch.Load()
		if n <= known || s.acceptedPatch.CompareAndSwap(known, n) {
			return
		}
	}
}

// Client uploads to one upload service.
type Client struct {
	Backend   Backend
	URL       string // where uploads are created
	ChunkSize int64  // the largest PATCH to send; 0 for no limit
	Service   *Service
	Pages     Pages // where resend windows get their memory
}

// Caps asks the upload service what it supports the first time it is
// called for the service. A failure is remembered too, unless ctx ended.
// One request is in flight at a time; other uploads wait for its answer
// as long as their own contexts allow, and ask again if it gave none.
func (c *Client) Caps(ctx context.Context) Caps {
	s := c.Service
	for {
		s.mu.Lock()
		if s.known {
			defer s.mu.Unlock()
			return s.caps
		}
		if wait := s.probing; wait != nil {
			s.mu.Unlock()
			select {
			case <-wait:
				continue
			case <-ctx.Done():
				return Caps{}
			}
		}
		done := make(chan struct{})
		s.probing = done
		s.mu.Unlock()
		caps := c.discover(ctx)
		s.mu.Lock()
		s.caps, s.known, s.probing = caps, ctx.Err() == nil, nil
		s.mu.Unlock()
		close(done)
		return caps
	}
}

// LearnCaps starts asking the upload service, unless that is known or
// under way, without waiting for the answer, so that the OPTIONS request,
// and with it the connection to the upload host, overlaps what comes
// before the upload.
func (c *Client) LearnCaps(ctx context.Context) {
	s := c.Service
	s.mu.Lock()
	idle := !s.known && s.probing == nil
	s.mu.Unlock()
	if idle {
		go c.Caps(ctx)
	}
}

// discover sends one OPTIONS request, never again: it only informs.
// Retry only paces it, as the attempt reports no failure.
func (c *Client) discover(ctx context.Context) Caps {
	var caps Caps
	var err error
	if paced := c.Backend.Retry(ctx, "OPTIONS upload", func() error {
		err = c.once(ctx, http.MethodOptions, c.URL, nil, func(resp *http.Response) error {
			caps = readCaps(resp.Header)
			return nil
		})
		return nil
	}); paced != nil {
		return Caps{}
	}
	if err != nil {
		fs.Debugf(nil, "tus OPTIONS failed, using creation and PATCH: %v", err)
		return Caps{}
	}
	fs.Debugf(nil, "tus OPTIONS: creation-with-upload %v, max size %d", caps.CreationWithUpload, caps.MaxSize)
	return caps
}

// readCaps reads an OPTIONS reply: nothing unless it names tus 1.0.0.
func readCaps(h http.Header) Caps {
	var caps Caps
	if !slices.Contains(headerList(h.Get("Tus-Version")), tusVersion) {
		fs.Debugf(nil, "tus OPTIONS names no version %s (%q): using creation and PATCH", tusVersion, h.Get("Tus-Version"))
		return caps
	}
	caps.CreationWithUpload = slices.Contains(headerList(h.Get("Tus-Extension")), "creation-with-upload")
	if size, err := strconv.ParseInt(h.Get("Tus-Max-Size"), 10, 64); err == nil && size > 0 {
		caps.MaxSize = size
	}
	return caps
}

// headerList splits a comma-separated header value.
func headerList(value string) []string {
	var out []string
	for _, item := range strings.Split(value, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// newRequest builds one attempt of a request to the upload service.
func (c *Client) newRequest(ctx context.Context, method, target string, body io.ReadCloser, length int64) (*http.Request, error) {
	req, err := c.Backend.NewRequest(ctx, method, target)
	if err != nil {
		return nil, err
	}
	if method != http.MethodOptions {
		req.Header.Set("Tus-Resumable", tusVersion)
	}
	if body != nil {
		req.Body, req.ContentLength = body, length
		if length == 0 {
			req.Body = http.NoBody
		}
	}
	return req, nil
}

// once sends one body-less request to the upload service: prepare adds
// headers, check reads the successful reply, whose body is closed here.
func (c *Client) once(ctx context.Context, method, target string, prepare func(*http.Request), check func(*http.Response) error) error {
	req, err := c.newRequest(ctx, method, target, nil, 0)
	if err != nil {
		return err
	}
	if prepare != nil {
		prepare(req)
	}
	resp, err := c.Backend.Do(req)
	if err != nil {
		return err
	}
	_ = resp.Body.Close()
	if check == nil {
		return nil
	}
	return check(resp)
}

// request is once with retries.
func (c *Client) request(ctx context.Context, method, target string, prepare func(*http.Request), check func(*http.Response) error) error {
	return c.Backend.Retry(ctx, method+" upload", func() error {
		return c.once(ctx, method, target, prepare, check)
	})
}

// offsetOnce asks the server how many bytes it holds, once.
func (c *Client) offsetOnce(ctx context.Context, location string) (int64, error) {
	var offset int64
	err := c.once(ctx, http.MethodHead, location, nil, func(resp *http.Response) (err error) {
		offset, err = strconv.ParseInt(resp.Header.Get("Upload-Offset"), 10, 64)
		if err != nil || offset < 0 {
			return fmt.Errorf("putio: upload server sent a bad Upload-Offset %q", resp.Header.Get("Upload-Offset"))
		}
		return nil
	})
	return offset, err
}

// Offset asks the server how many bytes of the upload at location it
// holds, with retries.
func (c *Client) Offset(ctx context.Context, location string) (int64, error) {
	var offset int64
	err := c.Backend.Retry(ctx, "HEAD upload", func() (err error) {
		offset, err = c.offsetOnce(ctx, location)
		return err
	})
	return offset, err
}

// Terminate deletes an unfinished upload.
func (c *Client) Terminate(ctx context.Context, location string) error {
	return c.request(ctx, http.MethodDelete, location, nil, nil)
}

// Upload is one upload in progress. Its only knowledge of the server
// is the offset last heard and whether to ask for it again.
type Upload struct {
	c        *Client
	log      any // what the upload's log lines are about
	size     int64
	metadata string // Upload-Metadata
	payload  *payload
	location string
	offset   int64 // the server's offset as last known
	unsure   bool  // a request failed: ask the server for its offset
	// patchUnanswered says the last PATCH, which started at offset, failed
	// without a reply (its connection was cut).
	patchUnanswered bool
	final           http.Header // the reply that completed the upload
	// lastByteMayBeIn says a request with the last byte failed in a way
	// that may have come after the server took it.
	lastByteMayBeIn bool
}

// NewUpload prepares the upload of size bytes from src, keeping the
// last window bytes sent for resending. free ends it.
func (c *Client) NewUpload(src Source, size, window int64, metadata string, log any) *Upload {
	return &Upload{c: c, log: log, size: size, metadata: metadata, payload: &payload{src: src, win: newWindow(c.Pages, window)}}
}

// Free gives the window back. Every body is detached by now: see sendBody.
func (u *Upload) Free() { u.payload.win.free() }

// Location is the upload's URL; empty until it is created.
func (u *Upload) Location() string { return u.location }

// Offset is the server's offset as last known.
func (u *Upload) Offset() int64 { return u.offset }

// Final is the reply that completed the upload; nil until one did.
func (u *Upload) Final() http.Header { return u.final }

// LastByteMayBeIn reports that a request with the last byte failed in a
// way that may have come after the server took it.
func (u *Upload) LastByteMayBeIn() bool { return u.lastByteMayBeIn }

// creationHeaders sets the headers of the POST that creates the upload.
func (u *Upload) creationHeaders(req *http.Request) {
	req.Header.Set("Upload-Length", strconv.FormatInt(u.size, 10))
	req.Header.Set("Upload-Metadata", u.metadata)
}

// Create starts the upload without data.
func (u *Upload) Create(ctx context.Context) error {
	return u.c.request(ctx, http.MethodPost, u.c.URL, u.creationHeaders, func(resp *http.Response) (err error) {
		u.location, err = resolveLocation(resp)
		return err
	})
}

// CreateWithData is one try of creating the upload with the whole file
// in it. It is not safe to repeat: a try whose reply was lost may have
// made the file, which the caller must look for before trying again.
func (u *Upload) CreateWithData(ctx context.Context) error {
	if err := u.payload.seek(0); err != nil {
		return err
	}
	resp, err := u.sendBody(ctx, http.MethodPost, u.c.URL, 0, u.size, u.creationHeaders)
	if err != nil {
		return err
	}
	if u.location, err = resolveLocation(resp); err != nil {
		return err
	}
	u.offset, err = strconv.ParseInt(resp.Header.Get("Upload-Offset"), 10, 64)
	switch {
	case err != nil || u.offset < 0 || u.offset > u.size:
		u.offset, u.unsure = 0, true
	case u.offset == u.size:
		u.final = resp.Header
	}
	return nil
}

// Adopt takes over the upload at location, of which the server holds an
// offset still to be asked.
func (u *Upload) Adopt(location string) {
	u.location, u.unsure = location, true
}

// Resume goes on with the upload at location, of which the server holds
// offset bytes: the source is read through to there unless the window
// holds it. The server holding every byte is asked again, to tell a file
// made from a lost final reply.
func (u *Upload) Resume(location string, offset int64) error {
	if err := u.payload.seek(offset); err != nil {
		return err
	}
	u.location, u.offset, u.unsure = location, offset, offset == u.size
	return nil
}

// ReadAhead reads the first n bytes of the source into the window, and
// into w too, before any is sent.
func (u *Upload) ReadAhead(w io.Writer, n int64) error {
	_, err := io.CopyN(io.MultiWriter(u.payload.win, w), u.payload.src, n)
	return err
}

// sendBody sends bytes [at, at+n) of the payload to target. The body is
// detached before anything else happens, so the transport is done with
// it whatever the outcome.
func (u *Upload) sendBody(ctx context.Context, method, target string, at, n int64, prepare func(*http.Request)) (*http.Response, error) {
	body := u.payload.body(at, at+n)
	req, err := u.c.newRequest(ctx, method, target, body, n)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/offset+octet-stream")
	prepare(req)
	resp, err := u.c.Backend.Do(req)
	if srcErr := body.detach(); srcErr != nil {
		if err == nil {
			_ = resp.Body.Close()
		}
		return nil, srcErr
	}
	if err != nil {
		u.lastByteMayBeIn = u.lastByteMayBeIn || at+n == u.size && u.c.Backend.Classify(ctx, err).MayHaveWorked
		return nil, err
	}
	_ = resp.Body.Close()
	return resp, nil
}

// resolveLocation makes the Location of a creation reply absolute.
func resolveLocation(resp *http.Response) (string, error) {
	header := resp.Header.Get("Location")
	if header == "" {
		return "", fmt.Errorf("putio: upload creation answered HTTP %d without a Location", resp.StatusCode)
	}
	location, err := resp.Request.URL.Parse(header)
	if err != nil {
		return "", fmt.Errorf("putio: upload creation gave a bad Location %q: %w", header, err)
	}
	return location.String(), nil
}

// Send PATCHes the rest of the file. Each PATCH is one retried call,
// whose attempts first ask the server for its offset when the last one
// failed; a 413 makes PATCHes smaller without counting as a failed
// attempt.
func (u *Upload) Send(ctx context.Context) error {
	for u.final == nil {
		err := u.c.Backend.Retry(ctx, "upload PATCH", func() error { return u.attempt(ctx) })
		if err != nil && !errors.Is(err, errPatchTooLarge) {
			return err
		}
	}
	return nil
}

// attempt sends one PATCH from the server's offset.
func (u *Upload) attempt(ctx context.Context) error {
	if u.unsure {
		if err := u.resync(ctx); err != nil {
			return err
		}
	}
	if err := u.payload.seek(u.offset); err != nil {
		return err
	}
	piece := u.size - u.offset
	if limit := u.patchLimit(); limit > 0 {
		piece = min(piece, limit)
	}
	header, got, err := u.patch(ctx, piece)
	if err == nil {
		u.patchUnanswered = false
		u.c.Service.Accepted(got - u.offset)
		u.offset = got
		if got == u.size {
			u.final = header
		}
		return nil
	}
	failure := u.c.Backend.Classify(ctx, err)
	u.patchUnanswered = !failure.Answered
	switch {
	case failure.Outcome == TooLarge && piece > minPatch:
		smaller := max(piece/2, minPatch)
		u.c.Service.maxPatch.Store(smaller)
		u.unsure = true
		fs.Debugf(u.log, "the server refused a PATCH of %d bytes; sending %d", piece, smaller)
		return errPatchTooLarge
	case failure.Outcome == Resync:
		u.unsure = true
		return resyncError(fmt.Sprintf("resuming upload after: %v", err))
	}
	return err
}

// patchLimit is the largest PATCH to send: the chunk size, what 413s
// taught the service, or what a source that can't be read again can
// risk, whichever is smallest; 0 for no limit.
func (u *Upload) patchLimit() int64 {
	limit := u.c.ChunkSize
	for _, bound := range []int64{u.c.Service.maxPatch.Load(), u.oneWayPatch()} {
		if bound > 0 && (limit == 0 || bound < limit) {
			limit = bound
		}
	}
	return limit
}

// oneWayPatch bounds the PATCHes of a source that can't be read again by
// what the window can send again; 0 for a source that can. The server may
// refuse a PATCH as too large (413) only after the transport has read the
// source past the window, which would cost the upload, so a PATCH larger
// than the window goes only once the server has taken one as large. Once
// the server is seen to drop cut PATCHes, none is larger than the window,
// so that a cut costs no failure either.
func (u *Upload) oneWayPatch() int64 {
	if u.payload.src.CanReopen() {
		return 0
	}
	window := max(u.payload.win.size, minPatch)
	if u.c.Service.dropsCutPatches.Load() {
		return window
	}
	return max(window, u.c.Service.acceptedPatch.Load())
}

// resync asks the server for its offset after a failed request. A server
// that holds every byte, or has let go of an upload that was sent whole,
// may have made the file and lost only the reply.
func (u *Upload) resync(ctx context.Context) error {
	offset, err := u.c.offsetOnce(ctx, u.location)
	sentWhole := u.payload.win.end == u.size
	gone := err != nil && u.c.Backend.Classify(ctx, err).Outcome == Gone
	switch {
	case err == nil && offset == u.size, gone && sentWhole:
		return fmt.Errorf("%w (the server then answered: offset %d, %v)", ErrReplyLost, offset, err)
	case gone:
		return fmt.Errorf("putio: the upload session ended on the server (expired?) at byte %d: %w", u.offset, err)
	case err != nil:
		return err
	case offset > u.size:
		return fmt.Errorf("putio: the upload server holds %d bytes of a file of %d", offset, u.size)
	}
	if u.patchUnanswered && offset == u.offset && u.payload.win.end > offset && !u.c.Service.dropsCutPatches.Swap(true) {
		fs.Debugf(u.log, "the server kept nothing of a cut PATCH; sources that can't be read again now go in PATCHes of the window's size")
	}
	u.offset, u.unsure = offset, false
	return nil
}

// patch sends piece bytes at the current offset and returns the final
// reply's headers and the server's new offset.
func (u *Upload) patch(ctx context.Context, piece int64) (http.Header, int64, error) {
	at := u.offset
	resp, err := u.sendBody(ctx, http.MethodPatch, u.location, at, piece, func(req *http.Request) {
		req.Header.Set("Upload-Offset", strconv.FormatInt(at, 10))
	})
	if err != nil {
		return nil, 0, err
	}
	got, err := strconv.ParseInt(resp.Header.Get("Upload-Offset"), 10, 64)
	if err != nil {
		return resp.Header, at + piece, nil // no offset given: trust the 2xx
	}
	if got < at || got > at+piece || (got == at && piece > 0) {
		return nil, 0, resyncError(fmt.Sprintf("resuming upload: the server reports offset %d after a PATCH of bytes %d-%d", got, at, at+piece))
	}
	return resp.Header, got, nil
}
