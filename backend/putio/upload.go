package putio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/api"
	"github.com/rclone-putio/rclone-putio/backend/putio/internal/tus"
	"github.com/rclone/rclone/fs"
)

// Put and Update upload through the tus client (internal/tus; what it
// needs of the backend is in tus.go): upload runs one from the start (or
// a session a previous run left, sessions.go) to the file put.io made,
// identified by the final reply or, when that reply was lost, by
// looking; its CRC-32 is checked against what was sent.

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
	return tus.Metadata(
		[2]string{"name", j.name},
		[2]string{"parent_id", j.dirID},
		[2]string{"no-torrent", "true"},
		[2]string{"updated-at", formatTime(j.modTime)},
	)
}

// tusUpload is one upload: the tus client's transfer, then what is learnt
// while identifying the file.
type tusUpload struct {
	f   *Fs
	job *uploadJob
	src *source
	tus *tus.Upload

	// unsettled says a try may have made the file and no look could tell
	// whether it did; made is the file, when found after a lost reply.
	unsettled bool
	made      *api.File
}

// beforeUpload is what Put and Update do first, before any lookup: stop
// rclone's read-ahead of a file the upload reads itself, and start
// learning what the upload service supports.
func (f *Fs) beforeUpload(ctx context.Context, in io.Reader, src fs.ObjectInfo) {
	takeOverSource(in, src)
	f.tusClient().LearnCaps(ctx)
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
	u := &tusUpload{f: f, job: job, src: source, tus: f.tusClient().NewUpload(source, job.size, f.windowFor(source, job.size), job.metadata(), job)}
	defer u.tus.Free()
	record, err := u.start(ctx)
	if err == nil && u.tus.Final() == nil && u.made == nil {
		err = u.tus.Send(ctx)
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

// windowFor is the resend window of an upload of size bytes from source:
// none for a local file, which is read again instead.
func (f *Fs) windowFor(source *source, size int64) int64 {
	if source.local {
		return 0
	}
	return min(f.window, size)
}

// setWindow takes resend windows from rclone's buffer pool, of
// upload_window bytes or as many whole pages as --max-buffer-memory
// allows, if fewer: the pool would wait for ever for more.
func (f *Fs) setWindow() {
	f.pages = tus.GlobalPages()
	limit := fs.GetConfig(context.Background()).MaxBufferMemory // what the pool's limit was made of
	f.window = f.pages.Within(int64(f.opt.UploadWindow), int64(limit))
	if f.window < int64(f.opt.UploadWindow) {
		fs.Logf(f, "upload_window %v is more than --max-buffer-memory %v allows: uploads keep %v for resending", f.opt.UploadWindow, limit, fs.SizeSuffix(f.window))
	}
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
		if err := tooBig(caps, u.job); err != nil {
			return nil, err
		}
		if caps.CreationWithUpload {
			err := u.createWithUpload(ctx)
			if !isPatchTooLarge(err) || u.made != nil || u.unsettled {
				return nil, err
			}
			// The service takes no body that large in one request: the
			// bytes go in PATCHes it takes, to the upload the refusal
			// names if it made one, else to one created bare.
			fs.Debugf(u.job, "the upload service refused the file in its creation request (%v): sending it in PATCHes", err)
			if refused, _ := apiError(err); refused.Location != "" {
				u.tus.Adopt(refused.Location)
				return nil, nil
			}
		}
	}
	err = u.tus.Create(ctx)
	// A file too big for the service is refused before a byte is sent,
	// with the reason: put.io may have refused its creation with a bare
	// 413, or made a session that abandon then ends.
	if tooBig := tooBig(u.f.uploadCaps(ctx), u.job); tooBig != nil {
		return record, tooBig
	}
	if err == nil {
		record.save(u.tus.Location())
	}
	return record, err
}

// createWithUpload sends the whole file in the creation POST. When a try
// may have made the file (its reply lost, or a 5xx that can come after
// the work), the file is looked for before the POST is sent again.
func (u *tusUpload) createWithUpload(ctx context.Context) error {
	return u.f.retryLookingFirst(ctx, "POST upload with data", func() (bool, error) { return u.foundMade(ctx) }, func() error {
		return u.tus.CreateWithData(ctx)
	})
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
	case errors.Is(err, tus.ErrReplyLost):
		item, findErr := u.lookTwice(ctx)
		if findErr == nil && item == nil {
			findErr = errors.New("no file with its name, size, CRC-32 and time is there")
		}
		if findErr != nil {
			u.unsettled = true
			return nil, fmt.Errorf("putio: the final upload reply was lost (%v) and the uploaded file of %q could not be identified: %w", err, u.job.leaf, findErr)
		}
		return item, nil
	case err != nil && !u.unsettled && u.tus.LastByteMayBeIn():
		item, findErr := u.lookTwice(ctx)
		if item != nil {
			return item, nil
		}
		u.unsettled = findErr != nil
		return nil, err
	case err != nil:
		return nil, err
	}
	sum, err := u.src.sum()
	if err != nil {
		return nil, err
	}
	return u.f.finishUpload(ctx, u.job, u.tus.Final(), sum)
}

// foundMade looks for the file a try of the upload may have made, before
// it is sent again.
func (u *tusUpload) foundMade(ctx context.Context) (bool, error) {
	item, err := u.identify(ctx)
	if err != nil {
		// Unsure is never absent: sending again could make a second copy.
		u.unsettled = true
		return false, fmt.Errorf("putio: a try of the upload of %q may have made the file, and looking for it failed: %w", u.job.leaf, err)
	}
	u.made, u.unsettled = item, false
	return item != nil, nil
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
	if u.tus.Location() == "" {
		return
	}
	if record != nil && mayPass(ctx, err) {
		fs.Logf(u.job, "upload stopped at byte %d of %d; a later run resumes it: %v", u.tus.Offset(), u.job.size, err)
		return
	}
	u.f.terminateUpload(ctx, u.tus.Location())
	record.forget()
}

// mayPass reports a failure after which a later attempt can go on:
// interruptions, the source's own failures, exhausted retries, and a
// captcha, a revoked token or a full account, which the user clears
// without the session.
func mayPass(ctx context.Context, err error) bool {
	switch classify(ctx, err) {
	case cancelled, sourceFailed, busy, unanswered, unsent, captchaNeeded, loginRejected, accountFull:
		return true
	}
	return false
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
	uploaded := uploadedSpec(job, id)
	switch {
	case !f.fits(&uploaded, made):
		return nil, fmt.Errorf("putio: the final upload reply of %q gave no CRC-32 and names id %v, which is not the uploaded file, so the upload could not be checked", job.leaf, id)
	case api.NormalizeCRC32(made.CRC32) == "":
		return nil, fmt.Errorf("putio: put.io gave no CRC-32 of the uploaded file %q (id %v), in its final reply or on the file, so the upload could not be checked", job.leaf, id)
	}
	return made, nil
}

// uploadedSpec seeks id, an item a final reply named, as the upload's
// file: a new file of its name in its folder, not the version it
// replaces.
func uploadedSpec(job *uploadJob, id api.ID) itemSpec {
	return itemSpec{id: id, dirID: job.dirID, leaf: job.leaf, kind: fileKind, notID: job.replacing}
}

// deleteCorrupt deletes the file a corrupt upload made, once the lookup
// proves the id the reply named is that file: never the version being
// replaced, a folder, or an item of another name or place.
func (f *Fs) deleteCorrupt(ctx context.Context, job *uploadJob, id api.ID) {
	made, err := f.find(ctx, uploadedSpec(job, id))
	switch {
	case err != nil:
		fs.Errorf(job, "not deleting the corrupt upload: can't look up id %v: %v", id, err)
	case made == nil:
		fs.Errorf(job, "not deleting id %v: the corrupt upload's reply names no new file of its name and folder", id)
	default:
		reportLeftover(ctx, "deleting the corrupt upload", f.deleteItems(ctx, id.String()))
	}
}

// identify looks for the file the upload made, by the CRC-32 of what was
// sent; see identifyUpload.
func (u *tusUpload) identify(ctx context.Context) (*api.File, error) {
	sum, err := u.src.sum()
	if err != nil {
		return nil, err
	}
	return u.f.identifyUpload(ctx, u.job, sum)
}

// identifyUpload finds the file an upload made when the reply naming it
// was lost: in a listing of the folder, the newest file with the name,
// size, CRC-32 and modification time sent, newer than the version it
// replaces and not created before the upload began. A single child?name=
// answer could be an older duplicate. No file and no error means the
// whole folder was listed and the file is not there; a failed listing is
// an error, never "not there".
func (f *Fs) identifyUpload(ctx context.Context, job *uploadJob, sentCRC string) (*api.File, error) {
	found, err := f.find(ctx, itemSpec{
		dirID: job.dirID, leaf: job.leaf, kind: fileKind, newerThan: job.replacing,
		sized: true, size: job.size, crc32: sentCRC, modTime: job.modTime,
		createdSince: func() time.Time { return job.notBefore(f.gate) }, // the listing gave the API's Date
		newest:       true,
	})
	if err != nil || found == nil {
		return nil, err
	}
	return &api.File{ID: found.ID, CRC32: sentCRC}, nil
}
