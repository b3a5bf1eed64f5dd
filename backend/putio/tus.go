package putio

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/internal/tus"
	"github.com/rclone/rclone/fs"
)

// Uploads speak tus 1.0 to upload_url through the client in internal/tus.
// What the client needs of the backend is here: requests are sent signed
// in and with rclone's --header-upload headers, retried through the
// pacer, and their failures read by the backend's predicates.

// terminateTimeout bounds the clean-up DELETE, which runs even when the
// upload's own context was cancelled.
const terminateTimeout = 30 * time.Second

// uploadServices holds what each login learnt about its upload service,
// shared by every Fs of the login.
var uploadServices = perLogin[tus.Service]{newT: func() *tus.Service { return &tus.Service{} }}

// tusClient is the client of this Fs's upload service.
func (f *Fs) tusClient() *tus.Client {
	return &tus.Client{Backend: tusBackendOf{f}, URL: f.opt.UploadURL, ChunkSize: int64(f.opt.ChunkSize), Service: f.uploads, Pages: f.pages}
}

// uploadCaps is what the upload service supports, asked once per login.
func (f *Fs) uploadCaps(ctx context.Context) tus.Caps { return f.tusClient().Caps(ctx) }

// tooBig is the error for a file larger than the service's Tus-Max-Size,
// or nil.
func tooBig(caps tus.Caps, job *uploadJob) error {
	if caps.MaxSize > 0 && job.size > caps.MaxSize {
		return fmt.Errorf("putio: %q is %d bytes, more than the %d bytes put.io's upload service takes in one file (its Tus-Max-Size)", job.leaf, job.size, caps.MaxSize)
	}
	return nil
}

// tusBackendOf is the backend as the tus client sees it.
type tusBackendOf struct{ f *Fs }

// NewRequest builds req through go-putio, with rclone's --header-upload
// headers, under which the client sets its own.
func (b tusBackendOf) NewRequest(ctx context.Context, method, target string) (*http.Request, error) {
	req, err := b.f.newRequest(ctx, apiCall{method: method, path: target})
	if err != nil {
		return nil, err
	}
	for _, header := range fs.GetConfig(ctx).UploadHeaders {
		req.Header.Set(header.Key, header.Value)
	}
	return req, nil
}

// Do sends req through go-putio, signed in.
func (b tusBackendOf) Do(req *http.Request) (*http.Response, error) { return b.f.send(req) }

// Retry is the backend's retry through the pacer.
func (b tusBackendOf) Retry(ctx context.Context, what string, attempt func() error) error {
	return b.f.retry(ctx, what, attempt)
}

// Classify reads a failed upload request with the backend's predicates.
func (b tusBackendOf) Classify(ctx context.Context, err error) tus.Failure {
	_, answered := apiError(err)
	failure := tus.Failure{Answered: answered, MayHaveWorked: mayHaveWorked(ctx, err)}
	switch outcome := classify(ctx, err); {
	case outcome == absent || outcome == lostForGood:
		failure.Outcome = tus.Gone
	case isPatchTooLarge(err):
		failure.Outcome = tus.TooLarge
	case hasStatus(err, http.StatusConflict) || outcome == unanswered:
		failure.Outcome = tus.Resync
	}
	return failure
}

// uploadOffset asks the server how many bytes of the upload at location
// it holds.
func (f *Fs) uploadOffset(ctx context.Context, location string) (int64, error) {
	return f.tusClient().Offset(ctx, location)
}

// terminateUpload deletes an unfinished tus upload so nothing is left
// behind, even when ctx was cancelled.
func (f *Fs) terminateUpload(ctx context.Context, location string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), terminateTimeout)
	defer cancel()
	err := f.tusClient().Terminate(ctx, location)
	if isNotFound(err) {
		return
	}
	logIgnored(nil, "terminating the failed upload "+location, err)
}

// isPatchTooLarge reports a 413 about the size of a request's body (a
// PATCH, or a creation carrying the file). A full account answers 413
// too, but sending less at a time would not help it.
func isPatchTooLarge(err error) bool {
	return hasStatus(err, http.StatusRequestEntityTooLarge) && !isAccountFull(err)
}
