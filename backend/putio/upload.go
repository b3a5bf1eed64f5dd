package putio

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/api"
	"github.com/rclone/rclone/fs"
)

// Uploads use put.io's tus service. One POST creates the upload (with the
// whole file in it when the service offers creation-with-upload and the
// file fits the window); the bytes then go in one PATCH, read straight
// from the source, or in as few as chunk_size and the server allow. The
// file appears only when the last byte arrives. After a failure the
// server's offset (HEAD) says where to go on; uploadsource.go and
// uploadwindow.go say where the bytes come from, sessions.go how an
// upload outlives the process.

const (
	tusVersion = "1.0.0"
	// terminateTimeout bounds the clean-up DELETE, which runs even when
	// the upload's own context was cancelled.
	terminateTimeout = 30 * time.Second
	// minPatch is the PATCH size below which a 413 is taken as final.
	minPatch = 64 * 1024
)

var (
	// errReplyLost is a final request whose reply never came although the
	// server may have made the file.
	errReplyLost = errors.New("upload reply lost")
	// errResumeUpload is a PATCH the server did not take whole; the next
	// attempt resumes where the server is.
	errResumeUpload = errors.New("resuming upload")
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

// uploadJob says what is uploaded where.
type uploadJob struct {
	leaf, dirID string
	name        string // leaf as put.io spells it
	size        int64
	modTime     time.Time
	replacing   api.ID // Update: the version being replaced, 0 for Put
	// started is when the upload began on our monotonic clock: a file the
	// API says it created earlier is not the upload's (see notBefore).
	started time.Time
}

// notBefore is the earliest created_at the upload's file can have: the
// API's clock when the upload began, in whole seconds as created_at is;
// zero (no bound) before any API reply gave its Date. It is read off the
// API's own Date headers only, never a comparison of our clock or an
// upload or download host's with the API's.
func (j *uploadJob) notBefore(g *gate) time.Time {
	apiTime, ok := g.apiTimeAt(j.started)
	if !ok {
		return time.Time{}
	}
	return apiTime.Truncate(time.Second)
}

func (j *uploadJob) String() string { return j.leaf }

func (j *uploadJob) metadata() string {
	return tusMetadata(
		[2]string{"name", j.name},
		[2]string{"parent_id", j.dirID},
		[2]string{"no-torrent", "true"},
		[2]string{"updated-at", formatTime(j.modTime)},
	)
}

// creationHeaders sets the headers of the POST that creates the upload.
func (j *uploadJob) creationHeaders(req *http.Request) {
	req.Header.Set("Upload-Length", strconv.FormatInt(j.size, 10))
	req.Header.Set("Upload-Metadata", j.metadata())
}

// tusUpload is one upload in progress.
type tusUpload struct {
	f        *Fs
	job      *uploadJob
	stream   *stream
	location string
	offset   int64 // the server's offset as last known
	unsure   bool  // a request failed: ask the server for its offset
	// patchStart is where the last PATCH started; cut says its
	// connection failed without a reply.
	patchStart int64
	cut        bool
	final      http.Header // the reply that completed the upload
	// unsettled says a try may have made the file and no look could tell
	// whether it did; lastByteMayBeIn, that a request with the last byte
	// failed in a way that may have come after put.io took it.
	unsettled, lastByteMayBeIn bool
	made                       *api.File // the file, when found after a lost reply
}

// beforeUpload is what Put and Update do first, before any lookup: stop
// rclone's read-ahead of a file the upload reads itself, and start
// learning what the upload service supports.
func (f *Fs) beforeUpload(ctx context.Context, in io.Reader, src fs.ObjectInfo) {
	takeOverSource(in, src)
	f.learnUploadCaps(ctx)
}

// upload sends in as leaf into the folder dirID and returns the new item,
// built from what we know and the final reply's headers (no extra call).
func (f *Fs) upload(ctx context.Context, in io.Reader, src fs.ObjectInfo, leaf, dirID string, replacing api.ID, options []fs.OpenOption) (*api.File, error) {
	job := &uploadJob{leaf: leaf, dirID: dirID, name: f.serverName(leaf), size: src.Size(), modTime: src.ModTime(ctx), replacing: replacing,
		started: time.Now()}
	if job.size < 0 {
		return nil, errors.New("putio: can't upload a file of unknown size: put.io's upload service needs the length up front")
	}
	source, err := newSource(ctx, in, src, options)
	if err != nil {
		return nil, err
	}
	defer source.close()
	win := newWindow(f.pages, f.windowFor(source, job.size))
	defer win.free() // every body is detached by now: see sendBody
	u := &tusUpload{f: f, job: job, stream: &stream{src: source, win: win}}
	record, err := u.start(ctx)
	if err == nil && u.final == nil && u.made == nil {
		err = u.send(ctx)
	}
	item, err := u.complete(ctx, err)
	if err != nil {
		u.abandon(ctx, record, err)
		if u.unsettled && u.made == nil {
			return nil, &unsettledError{err}
		}
		return nil, err
	}
	record.forget()
	item.Name = job.name
	item.ParentID = parseID(dirID)
	item.Size = job.size
	item.UpdatedAt = api.Time{Time: job.modTime.UTC().Truncate(time.Second)}
	item.CreatedAt = api.Time{Time: time.Now().UTC().Truncate(time.Second)}
	item.ContentType = fs.MimeTypeFromName(leaf)
	return item, nil
}

// start resumes the session a previous run left for this file, or
// creates the upload, with the file in it if the service allows. Only a
// file that could travel in the creation POST waits for the service's
// answer to OPTIONS; a larger one is created while that is under way, so
// the two round trips overlap.
func (u *tusUpload) start(ctx context.Context) (*sessionRecord, error) {
	record, resumed, err := u.f.resumeSession(ctx, u)
	if err != nil || resumed {
		return record, err
	}
	if u.job.size > 0 && u.job.size <= u.f.window {
		caps := u.f.uploadCaps(ctx)
		if err := caps.refuse(u.job); err != nil {
			return nil, err
		}
		if caps.creationWithUpload {
			err := u.createWithUpload(ctx)
			if !isPatchTooLarge(err) || u.made != nil || u.unsettled {
				return nil, err
			}
			// The service takes no body that large in one request: the
			// bytes go in PATCHes it takes, to the upload the refusal
			// names if it made one, else to one created bare.
			fs.Debugf(u.job, "the upload service refused the file in its creation request (%v): sending it in PATCHes", err)
			if refused, _ := apiError(err); refused.Location != "" {
				u.location, u.unsure = refused.Location, true
				return nil, nil
			}
		}
	}
	u.location, err = u.f.createUpload(ctx, u.job)
	// A file too big for the service is refused before a byte is sent,
	// with the reason: put.io may have refused its creation with a bare
	// 413, or made a session that abandon then ends.
	if tooBig := u.f.uploadCaps(ctx).refuse(u.job); tooBig != nil {
		return record, tooBig
	}
	if err == nil {
		record.save(u.location)
	}
	return record, err
}

// complete identifies the file the upload made and checks its CRC-32.
// A failure after a request with the last byte that may have arrived
// may have come after put.io made the file: it is looked for before the
// failure stands, and when no look can tell, the upload is unsettled (see
// unsettledError).
func (u *tusUpload) complete(ctx context.Context, err error) (*api.File, error) {
	switch {
	case u.made != nil:
		return u.made, nil
	case errors.Is(err, errReplyLost):
		item, findErr := u.lookTwice(ctx)
		if findErr == nil && item == nil {
			findErr = errors.New("no file with its name, size, CRC-32 and time is there")
		}
		if findErr != nil {
			u.unsettled = true
			return nil, fmt.Errorf("putio: the final upload reply was lost (%v) and the uploaded file of %q could not be identified: %w", err, u.job.leaf, findErr)
		}
		return item, nil
	case err != nil && !u.unsettled && u.lastByteMayBeIn:
		item, findErr := u.lookTwice(ctx)
		if item != nil {
			return item, nil
		}
		u.unsettled = findErr != nil
		return nil, err
	case err != nil:
		return nil, err
	}
	sum, err := u.stream.src.sum()
	if err != nil {
		return nil, err
	}
	return u.f.finishUpload(ctx, u.job, u.final, sum)
}

// lookTwice identifies the upload's file, looking once more, with fresh
// tries, when the first look can't tell: unsure is never absent.
func (u *tusUpload) lookTwice(ctx context.Context) (*api.File, error) {
	item, err := u.identify(ctx)
	if err != nil && ctx.Err() == nil {
		item, err = u.identify(ctx)
	}
	return item, err
}

// abandon ends a failed upload: a session on record is kept for the next
// run when the failure may pass, anything else is terminated.
func (u *tusUpload) abandon(ctx context.Context, record *sessionRecord, err error) {
	if u.location == "" {
		return
	}
	if record != nil && mayPass(err) {
		fs.Logf(u.job, "upload stopped at byte %d of %d; a later run resumes it: %v", u.offset, u.job.size, err)
		return
	}
	u.f.terminateUpload(ctx, u.location)
	record.forget()
}

// mayPass reports a failure after which a later attempt can go on:
// interruptions, the source's own failures, exhausted retries, and a
// captcha, a revoked token or a full account, which the user clears
// without the session.
func mayPass(err error) bool {
	var srcErr *sourceError
	var auth *authError
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		errors.As(err, &srcErr) || errors.Is(err, errCannotRewind) || shouldRetry(context.Background(), err) ||
		isCaptcha(err) || errors.As(err, &auth) || isAccountFull(err)
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
// the work), the file is looked for before the POST is sent again.
func (u *tusUpload) createWithUpload(ctx context.Context) error {
	return u.f.retryLookingFirst(ctx, "POST upload with data", func() (bool, error) {
		item, err := u.identify(ctx)
		if err != nil {
			// Unsure is never absent: sending again could make a second copy.
			u.unsettled = true
			return false, fmt.Errorf("putio: a try of the upload of %q may have made the file, and looking for it failed: %w", u.job.leaf, err)
		}
		u.made, u.unsettled = item, false
		return item != nil, nil
	}, func() error {
		if err := u.stream.seek(0); err != nil {
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

// sendBody sends bytes [at, at+n) of the stream to target. The body is
// detached before anything else happens, so the transport is done with
// it whatever the outcome.
func (u *tusUpload) sendBody(ctx context.Context, method, target string, at, n int64, prepare func(*http.Request)) (*http.Response, error) {
	body := u.stream.body(at, at+n)
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

// finishUpload reads the new file's id from the final reply and checks the
// size and CRC-32 put.io stored against ours; a corrupt file is deleted.
// The reply's Putio-File-Crc32 is the check; a reply without it costs a
// lookup of the file instead, never a file taken unchecked (a resumed
// upload holds bytes an earlier run sent).
func (f *Fs) finishUpload(ctx context.Context, job *uploadJob, final http.Header, sentCRC string) (*api.File, error) {
	id, err := strconv.ParseInt(final.Get("Putio-File-Id"), 10, 64)
	if err != nil || id <= 0 {
		return nil, fmt.Errorf("putio: upload finished without a usable putio-file-id header (%q)", final.Get("Putio-File-Id"))
	}
	item := &api.File{ID: api.ID(id), CRC32: sentCRC}
	stored := &api.File{CRC32: final.Get("Putio-File-Crc32"), Size: job.size}
	if api.NormalizeCRC32(stored.CRC32) == "" {
		made, lookupErr := f.getItem(ctx, item.ID.String())
		if lookupErr != nil {
			// The file is in place: an error would have rclone send it
			// again, and the unchecked one go to the trash.
			fs.Errorf(job, "uploaded as id %v, but the final reply gave no CRC-32 and looking the file up to check it failed: %v", item.ID, lookupErr)
			_ = fs.CountError(ctx, lookupErr)
			return item, nil
		}
		if stored, err = f.checkableFile(made, job, item.ID); err != nil {
			return nil, err
		}
	}
	if api.NormalizeCRC32(stored.CRC32) == sentCRC && stored.Size == job.size {
		return item, nil
	}
	err = fmt.Errorf("putio: upload corrupted: sent %d bytes with CRC-32 %s but put.io stored %d bytes with CRC-32 %s",
		job.size, sentCRC, stored.Size, api.NormalizeCRC32(stored.CRC32))
	f.deleteCorrupt(ctx, job, item.ID)
	return nil, err
}

// checkableFile is made, the file a final reply without a CRC-32 names,
// if it can check the upload instead: anything short of the uploaded file
// with a CRC-32 is an error, and the upload is neither taken as good nor
// deleted.
func (f *Fs) checkableFile(made *api.File, job *uploadJob, id api.ID) (*api.File, error) {
	switch {
	case !f.isUploadedFile(made, job):
		return nil, fmt.Errorf("putio: the final upload reply of %q gave no CRC-32 and names id %v, which is not the uploaded file, so the upload could not be checked", job.leaf, id)
	case api.NormalizeCRC32(made.CRC32) == "":
		return nil, fmt.Errorf("putio: put.io gave no CRC-32 of the uploaded file %q (id %v), in its final reply or on the file, so the upload could not be checked", job.leaf, id)
	}
	return made, nil
}

// isUploadedFile reports whether made, an item a final reply named, can
// be the upload's file: a new file of its name in its folder, not the
// version it replaces.
func (f *Fs) isUploadedFile(made *api.File, job *uploadJob) bool {
	return made != nil && !made.IsDir() && made.ID != job.replacing && f.isNamed(made, job.leaf) && made.ParentID.String() == job.dirID
}

// deleteCorrupt deletes the file a corrupt upload made, once it is sure
// the id the reply named is that file: never the version being
// replaced, a folder, or an item of another name or place.
func (f *Fs) deleteCorrupt(ctx context.Context, job *uploadJob, id api.ID) {
	if id == job.replacing {
		fs.Errorf(job, "the corrupt upload's reply names the version it replaces (id %v); leaving it alone", id)
		return
	}
	made, err := f.getItem(ctx, id.String())
	switch {
	case err != nil:
		fs.Errorf(job, "not deleting the corrupt upload: can't look up id %v: %v", id, err)
	case !f.isUploadedFile(made, job):
		fs.Errorf(job, "not deleting id %v: the corrupt upload's reply names an item that is not the uploaded file", id)
	default:
		reportLeftover(ctx, "deleting the corrupt upload", f.deleteItems(ctx, id.String()))
	}
}

// identify looks for the file the upload made, by the CRC-32 of what was
// sent; see identifyUpload.
func (u *tusUpload) identify(ctx context.Context) (*api.File, error) {
	sum, err := u.stream.src.sum()
	if err != nil {
		return nil, err
	}
	return u.f.identifyUpload(ctx, u.job, sum)
}

// identifyUpload finds the file an upload made when the reply naming it
// was lost: in a listing of the folder, the newest file with the name,
// size, CRC-32 and modification time sent, newer than the version it
// replaces and not created before the upload began. A single child?name=
// answer could be an older duplicate. Names compare as put.io compares
// them, after NFC, since it may store them so. No file and no error means
// the whole folder was listed and the file is not there; a failed listing
// is an error, never "not there".
func (f *Fs) identifyUpload(ctx context.Context, job *uploadJob, sentCRC string) (*api.File, error) {
	var found *api.File
	modTime := job.modTime.UTC().Truncate(time.Second)
	err := f.listPages(ctx, job.dirID, f.pageSize, func(items []api.File, _ int) error {
		notBefore := job.notBefore(f.gate) // this very listing gave the API's Date
		for i := range items {
			item := &items[i]
			if item.IsDir() || !f.isNamed(item, job.leaf) || item.Size != job.size || !strings.EqualFold(item.CRC32, sentCRC) ||
				item.ID <= job.replacing || !item.UpdatedAt.IsZero() && !item.ModTime().Equal(modTime) ||
				!item.CreatedAt.IsZero() && item.CreatedAt.Before(notBefore) {
				continue
			}
			if found == nil || item.ID > found.ID {
				found = &api.File{ID: item.ID, CRC32: sentCRC}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return found, nil
}

// terminateUpload deletes an unfinished tus upload so nothing is left
// behind, even when ctx was cancelled.
func (f *Fs) terminateUpload(ctx context.Context, location string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), terminateTimeout)
	defer cancel()
	err := f.tusRequest(ctx, http.MethodDelete, location, nil, nil)
	if uploadGone(err) {
		return
	}
	logIgnored(nil, "terminating the failed upload "+location, err)
}

// uploadGone reports that the upload service no longer has a session:
// 404 or 410 to a request on its URL.
func uploadGone(err error) bool {
	return hasStatus(err, http.StatusNotFound) || hasStatus(err, http.StatusGone)
}
