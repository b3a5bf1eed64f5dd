package putio

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/rclone/rclone/fs"
)

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
	if err := u.stream.seek(u.offset); err != nil {
		return err
	}
	piece := u.job.size - u.offset
	if limit := u.patchLimit(); limit > 0 {
		piece = min(piece, limit)
	}
	u.patchStart = u.offset
	header, got, err := u.patch(ctx, piece)
	_, replied := apiError(err)
	u.cut = err != nil && !replied
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
	case resumable(err):
		u.unsure = true
		return fmt.Errorf("%w after: %v", errResumeUpload, err)
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
	if u.stream.src.canReopen() {
		return 0
	}
	window := max(u.stream.win.size, minPatch)
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
	sentWhole := u.stream.win.end == u.job.size
	gone := uploadGone(err)
	switch {
	case err == nil && offset == u.job.size, gone && sentWhole:
		return fmt.Errorf("%w (the server then answered: offset %d, %v)", errReplyLost, offset, err)
	case gone:
		return fmt.Errorf("putio: the upload session ended on the server (expired?) at byte %d: %w", u.offset, err)
	case err != nil:
		return err
	}
	if u.cut && offset == u.patchStart && u.stream.win.end > offset && !u.f.uploads.dropsCutPatches.Swap(true) {
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
// offset and continuing can work.
func resumable(err error) bool {
	return hasStatus(err, http.StatusConflict) || (!isRateLimited(err) && shouldRetry(context.Background(), err))
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
		return nil, 0, fmt.Errorf("%w: the server reports offset %d after a PATCH of bytes %d-%d", errResumeUpload, got, at, at+piece)
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
