package putio

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
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/api"
	"github.com/rclone/rclone/fs"
	"github.com/rclone/rclone/fs/fserrors"
)

// The tus 1.0 client that uploads speak to upload_url: OPTIONS learns
// what the service supports (once per login), a POST creates the upload
// (with the whole file in it when the service offers creation-with-upload
// and the file fits the window), PATCHes send the rest from the server's
// offset, HEAD asks for that offset after a failure, and DELETE ends an
// upload that failed for good. The file appears only when the last byte
// arrives. What is sent, and resent after a cut, is uploadwindow.go's.
//
// What upload.put.io answers to tus OPTIONS is not on record, so anything
// short of a clear tus 1.0.0 answer means plain creation plus PATCH,
// which every put.io client uses.

const (
	tusVersion = "1.0.0"
	// terminateTimeout bounds the clean-up DELETE, which runs even when
	// the upload's own context was cancelled.
	terminateTimeout = 30 * time.Second
	// minPatch is the PATCH size below which a 413 is taken as final.
	minPatch = 64 * 1024
)

var (
	// errPatchTooLarge is a 413: the next PATCH is smaller. It is no
	// failure, so it does not use up a low-level retry.
	errPatchTooLarge = errors.New("PATCH too large")
)

// tusMetadata encodes Upload-Metadata: "key base64(value)" pairs.
func tusMetadata(pairs ...[2]string) string {
	encoded := make([]string, len(pairs))
	for i, pair := range pairs {
		encoded[i] = pair[0] + " " + base64.StdEncoding.EncodeToString([]byte(pair[1]))
	}
	return strings.Join(encoded, ",")
}

// tusUpload is one upload in progress: the tus client's state, then what
// upload.go learns while identifying the file.
type tusUpload struct {
	f        *Fs
	job      *uploadJob
	payload  *payload
	location string
	offset   int64 // the server's offset as last known
	unsure   bool  // a request failed: ask the server for its offset
	// patchStart is where the last PATCH started; patchUnanswered says
	// its connection failed without a reply (was cut).
	patchStart      int64
	patchUnanswered bool
	final           http.Header // the reply that completed the upload
	// lastByteMayBeIn says a request with the last byte failed in a way
	// that may have come after put.io took it; finalReplyLost says the
	// server then held every byte (or let go of an upload sent whole), so
	// it made the file unless it failed to, and only its reply was lost.
	lastByteMayBeIn bool
	finalReplyLost  bool

	// unsettled says a try may have made the file and no look could tell
	// whether it did; made is the file, when found after a lost reply.
	unsettled bool
	made      *api.File
}

// tusCaps is what the upload service said it supports.
type tusCaps struct {
	creationWithUpload bool
	maxSize            int64 // Tus-Max-Size; 0: not given
}

// uploadService is what one login learnt about its upload service.
type uploadService struct {
	mu    sync.Mutex
	known bool
	caps  tusCaps
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

// accepted notes that the server took a PATCH of n bytes whole.
func (s *uploadService) accepted(n int64) {
	for {
		known := s.acceptedPatch.Load()
		if n <= known || s.acceptedPatch.CompareAndSwap(known, n) {
			return
		}
	}
}

// uploadServices holds one uploadService per login and upload URL, shared
// by every Fs of the login.
var uploadServices = perLogin[uploadService]{newT: func() *uploadService { return &uploadService{} }}

// uploadCaps asks the upload service what it supports the first time it
// is called for the login. A failure is remembered too, unless ctx ended.
// One request is in flight at a time; other uploads wait for its answer
// as long as their own contexts allow, and ask again if it gave none.
func (f *Fs) uploadCaps(ctx context.Context) tusCaps {
	s := f.uploads
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
				return tusCaps{}
			}
		}
		done := make(chan struct{})
		s.probing = done
		s.mu.Unlock()
		caps := f.discoverTus(ctx)
		s.mu.Lock()
		s.caps, s.known, s.probing = caps, ctx.Err() == nil, nil
		s.mu.Unlock()
		close(done)
		return caps
	}
}

// learnUploadCaps starts asking the upload service, unless that is known
// or under way, without waiting for the answer: Put calls it first, so
// the OPTIONS request, and with it the connection to the upload host,
// overlaps the lookups that come before the upload.
func (f *Fs) learnUploadCaps(ctx context.Context) {
	s := f.uploads
	s.mu.Lock()
	idle := !s.known && s.probing == nil
	s.mu.Unlock()
	if idle {
		go f.uploadCaps(ctx)
	}
}

// discoverTus sends one OPTIONS request once the gate opens, not retried:
// it only informs.
func (f *Fs) discoverTus(ctx context.Context) tusCaps {
	if err := f.gate.wait(ctx); err != nil {
		return tusCaps{}
	}
	var caps tusCaps
	err := f.tusOnce(ctx, http.MethodOptions, f.opt.UploadURL, nil, func(resp *http.Response) error {
		if !slices.Contains(headerList(resp.Header.Get("Tus-Version")), tusVersion) {
			fs.Debugf(f, "tus OPTIONS names no version %s (%q): using creation and PATCH", tusVersion, resp.Header.Get("Tus-Version"))
			return nil
		}
		caps.creationWithUpload = slices.Contains(headerList(resp.Header.Get("Tus-Extension")), "creation-with-upload")
		if size, err := strconv.ParseInt(resp.Header.Get("Tus-Max-Size"), 10, 64); err == nil && size > 0 {
			caps.maxSize = size
		}
		return nil
	})
	if err != nil {
		fs.Debugf(f, "tus OPTIONS failed, using creation and PATCH: %v", err)
		return tusCaps{}
	}
	fs.Debugf(f, "tus OPTIONS: creation-with-upload %v, max size %d", caps.creationWithUpload, caps.maxSize)
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

// refuse is the error for a file larger than the service's Tus-Max-Size,
// or nil.
func (c tusCaps) refuse(job *uploadJob) error {
	if c.maxSize > 0 && job.size > c.maxSize {
		return fmt.Errorf("putio: %q is %d bytes, more than the %d bytes put.io's upload service takes in one file (its Tus-Max-Size)", job.leaf, job.size, c.maxSize)
	}
	return nil
}

// newUploadRequest builds one attempt of a request to the upload service,
// with rclone's --header-upload headers.
func (f *Fs) newUploadRequest(ctx context.Context, method, target string, body io.ReadCloser, length int64) (*http.Request, error) {
	req, err := f.newRequest(ctx, apiCall{method: method, path: target})
	if err != nil {
		return nil, err
	}
	for _, header := range fs.GetConfig(ctx).UploadHeaders {
		req.Header.Set(header.Key, header.Value)
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

// tusOnce sends one body-less request to the upload service: prepare adds
// headers, check reads the successful reply, whose body is closed here.
func (f *Fs) tusOnce(ctx context.Context, method, target string, prepare func(*http.Request), check func(*http.Response) error) error {
	req, err := f.newUploadRequest(ctx, method, target, nil, 0)
	if err != nil {
		return err
	}
	if prepare != nil {
		prepare(req)
	}
	resp, err := f.send(req)
	if err != nil {
		return err
	}
	_ = resp.Body.Close()
	if check == nil {
		return nil
	}
	return check(resp)
}

// tusRequest is tusOnce with retries.
func (f *Fs) tusRequest(ctx context.Context, method, target string, prepare func(*http.Request), check func(*http.Response) error) error {
	return f.retry(ctx, method+" upload", func() error {
		return f.tusOnce(ctx, method, target, prepare, check)
	})
}

// createUpload starts a tus upload and returns its absolute URL.
func (f *Fs) createUpload(ctx context.Context, job *uploadJob) (string, error) {
	var location string
	err := f.tusRequest(ctx, http.MethodPost, f.opt.UploadURL, job.creationHeaders, func(resp *http.Response) (err error) {
		location, err = resolveLocation(resp)
		return err
	})
	return location, err
}

// createWithUpload sends the whole file in the creation POST. When a try
// may have made the file (its reply lost, or a 5xx that can come after
// the work), made is asked whether it did before the POST is sent again.
func (u *tusUpload) createWithUpload(ctx context.Context, made func() (bool, error)) error {
	return u.f.retryLookingFirst(ctx, "POST upload with data", made, func() error {
		if err := u.payload.seek(0); err != nil {
			return err
		}
		resp, err := u.sendBody(ctx, http.MethodPost, u.f.opt.UploadURL, 0, u.job.size, u.job.creationHeaders)
		if err != nil {
			return err
		}
		if u.location, err = resolveLocation(resp); err != nil {
			return err
		}
		u.offset, err = strconv.ParseInt(resp.Header.Get("Upload-Offset"), 10, 64)
		switch {
		case err != nil || u.offset < 0 || u.offset > u.job.size:
			u.offset, u.unsure = 0, true
		case u.offset == u.job.size:
			u.final = resp.Header
		}
		return nil
	})
}

// sendBody sends bytes [at, at+n) of the payload to target. The body is
// detached before anything else happens, so the transport is done with
// it whatever the outcome.
func (u *tusUpload) sendBody(ctx context.Context, method, target string, at, n int64, prepare func(*http.Request)) (*http.Response, error) {
	body := u.payload.body(at, at+n)
	req, err := u.f.newUploadRequest(ctx, method, target, body, n)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/offset+octet-stream")
	prepare(req)
	resp, err := u.f.send(req)
	if srcErr := body.detach(); srcErr != nil {
		if err == nil {
			_ = resp.Body.Close()
		}
		return nil, srcErr
	}
	if err != nil {
		u.lastByteMayBeIn = u.lastByteMayBeIn || at+n == u.job.size && mayHaveWorked(ctx, err)
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

// send PATCHes the rest of the file. Each PATCH is one paced call, whose
// attempts first ask the server for its offset when the last one failed;
// a 413 makes PATCHes smaller without counting as a failed attempt.
func (u *tusUpload) send(ctx context.Context) error {
	for u.final == nil {
		err := u.f.retry(ctx, "upload PATCH", func() error { return u.attempt(ctx) })
		if err != nil && !errors.Is(err, errPatchTooLarge) {
			return err
		}
	}
	return nil
}

// attempt sends one PATCH from the server's offset.
func (u *tusUpload) attempt(ctx context.Context) error {
	if u.unsure {
		if err := u.resync(ctx); err != nil {
			return err
		}
	}
	if err := u.payload.seek(u.offset); err != nil {
		return err
	}
	piece := u.job.size - u.offset
	if limit := u.patchLimit(); limit > 0 {
		piece = min(piece, limit)
	}
	u.patchStart = u.offset
	header, got, err := u.patch(ctx, piece)
	_, replied := apiError(err)
	u.patchUnanswered = err != nil && !replied
	switch {
	case err == nil:
		u.f.uploads.accepted(got - u.patchStart)
		u.offset = got
		if got == u.job.size {
			u.final = header
		}
		return nil
	case isPatchTooLarge(err) && piece > minPatch:
		smaller := max(piece/2, minPatch)
		u.f.uploads.maxPatch.Store(smaller)
		u.unsure = true
		fs.Debugf(u.job, "the server refused a PATCH of %d bytes; sending %d", piece, smaller)
		return errPatchTooLarge
	case resumable(ctx, err):
		// The next attempt asks the server for its offset, so a failure
		// that alone would end the upload (a 409) is worth another try.
		u.unsure = true
		return fserrors.RetryErrorf("putio: resuming the upload after: %v", err)
	}
	return err
}

// patchLimit is the largest PATCH to send: chunk_size, what 413s taught
// this login, or what a source that can't be read again can risk,
// whichever is smallest; 0 for no limit.
func (u *tusUpload) patchLimit() int64 {
	limit := int64(u.f.opt.ChunkSize)
	for _, bound := range []int64{u.f.uploads.maxPatch.Load(), u.oneWayPatch()} {
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
func (u *tusUpload) oneWayPatch() int64 {
	if u.payload.src.canReopen() {
		return 0
	}
	window := max(u.payload.win.size, minPatch)
	if u.f.uploads.dropsCutPatches.Load() {
		return window
	}
	return max(window, u.f.uploads.acceptedPatch.Load())
}

// resync asks the server for its offset after a failed request. A server
// that holds every byte, or has let go of an upload that was sent whole,
// may have made the file and lost only the reply.
func (u *tusUpload) resync(ctx context.Context) error {
	offset, err := u.f.uploadOffsetOnce(ctx, u.location)
	sentWhole := u.payload.win.end == u.job.size
	gone := isNotFound(err)
	switch {
	case err == nil && offset == u.job.size, gone && sentWhole:
		// Sending more can't help: what is left is to look for the file.
		u.finalReplyLost = true
		return fserrors.NoLowLevelRetryError(fmt.Errorf("putio: the reply that completes the upload was lost (the server then answered: offset %d, %v)", offset, err))
	case gone:
		return fmt.Errorf("putio: the upload session ended on the server (expired?) at byte %d: %w", u.offset, err)
	case err != nil:
		return err
	}
	if u.patchUnanswered && offset == u.patchStart && u.payload.win.end > offset && !u.f.uploads.dropsCutPatches.Swap(true) {
		fs.Debugf(u.job, "the server kept nothing of a cut PATCH; sources that can't be read again now go in PATCHes of the window's size")
	}
	u.offset, u.unsure = offset, false
	return nil
}

// isPatchTooLarge reports a 413 about the size of a request's body (a
// PATCH, or a creation carrying the file). A full account answers 413
// too, but sending less at a time would not help it.
func isPatchTooLarge(err error) bool {
	return hasStatus(err, http.StatusRequestEntityTooLarge) && !isAccountFull(err)
}

// resumable reports a PATCH failure after which asking the server for its
// offset and continuing can work: one that may have left bytes on the
// server, or a 409 (the offsets disagree).
func resumable(ctx context.Context, err error) bool {
	return hasStatus(err, http.StatusConflict) || classify(ctx, err) == unanswered
}

// patch sends piece bytes at the current offset and returns the final
// reply's headers and the server's new offset.
func (u *tusUpload) patch(ctx context.Context, piece int64) (http.Header, int64, error) {
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
		return nil, 0, fserrors.RetryErrorf("putio: resuming the upload: the server reports offset %d after a PATCH of bytes %d-%d", got, at, at+piece)
	}
	return resp.Header, got, nil
}

// uploadOffsetOnce asks the server how many bytes it holds, once.
func (f *Fs) uploadOffsetOnce(ctx context.Context, location string) (int64, error) {
	var offset int64
	err := f.tusOnce(ctx, http.MethodHead, location, nil, func(resp *http.Response) (err error) {
		offset, err = strconv.ParseInt(resp.Header.Get("Upload-Offset"), 10, 64)
		if err != nil || offset < 0 {
			return fmt.Errorf("putio: upload server sent a bad Upload-Offset %q", resp.Header.Get("Upload-Offset"))
		}
		return nil
	})
	return offset, err
}

// uploadOffset is uploadOffsetOnce with retries.
func (f *Fs) uploadOffset(ctx context.Context, location string) (int64, error) {
	var offset int64
	err := f.retry(ctx, "HEAD upload", func() (err error) {
		offset, err = f.uploadOffsetOnce(ctx, location)
		return err
	})
	return offset, err
}

// terminateUpload deletes an unfinished tus upload so nothing is left
// behind, even when ctx was cancelled.
func (f *Fs) terminateUpload(ctx context.Context, location string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), terminateTimeout)
	defer cancel()
	err := f.tusRequest(ctx, http.MethodDelete, location, nil, nil)
	if isNotFound(err) {
		return
	}
	logIgnored(nil, "terminating the failed upload "+location, err)
}
