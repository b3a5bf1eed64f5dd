package putiotest

import (
	"errors"
	"hash/crc32"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// upload is a tus upload in progress. Its body grows in a file in the data
// directory; the put.io item appears only when the last byte is in. The
// fields up to body are fixed at creation; the map of uploads is guarded
// by Emulator.mu.
type upload struct {
	id        string
	acct      *account
	parentID  int64
	name      string
	length    int64
	updatedAt time.Time // zero: the completion time
	overwrite bool
	noTorrent bool
	// body is the path of the bytes so far. It is opened only for the
	// length of a PATCH, so abandoned uploads hold no descriptors.
	body string

	busy       sync.Mutex // one PATCH at a time; taken before Emulator.mu
	offset     atomic.Int64
	crc        uint32 // of the bytes so far; guarded by busy
	lastActive atomic.Int64
}

// registerUpload checks the target folder and quota and opens the body file.
func (e *Emulator) registerUpload(up *upload) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.expireUploads()
	if _, err := e.lookupFolder(up.acct, up.parentID); err != nil {
		return err
	}
	if avail := up.acct.avail(e.opts.Quota); up.length > avail {
		return errQuota(up.length, avail)
	}
	body, err := e.blobs.createEmpty()
	if err != nil {
		return err
	}
	up.body = body
	up.lastActive.Store(e.opts.Now().UnixNano())
	e.uploads[up.id] = up
	return nil
}

// expireUploads drops uploads idle longer than Options.UploadExpiry.
func (e *Emulator) expireUploads() {
	cutoff := e.opts.Now().Add(-e.opts.UploadExpiry).UnixNano()
	for id, up := range e.uploads {
		if up.lastActive.Load() < cutoff && up.busy.TryLock() {
			e.dropUpload(id, up)
			up.busy.Unlock()
		}
	}
}

func (e *Emulator) dropUpload(id string, up *upload) {
	delete(e.uploads, id)
	e.blobs.remove(up.body)
}

// patch appends the request body at the client's offset.
func (e *Emulator) patch(c *call, up *upload, clientOffset int64) (err error) {
	limit, err := e.patchLimit(c.r, up, clientOffset)
	if err != nil {
		return err
	}
	f, err := up.openBody()
	if err != nil {
		return errStorage(err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = errStorage(cerr)
		}
	}()
	offset, crc := up.offset.Load(), up.crc
	buf := copyBuffers.Get().(*[]byte)
	defer copyBuffers.Put(buf)
	n, err := io.CopyBuffer(uploadSink{e, up, f}, io.LimitReader(c.r.Body, limit), *buf)
	up.lastActive.Store(e.opts.Now().UnixNano())
	var storeErr *storageError
	switch {
	case errors.As(err, &storeErr):
		return errStorage(storeErr.err)
	case err != nil && !errors.Is(err, io.EOF):
		// The client went away mid-body: the bytes received stay, as in
		// tus, unless this server drops interrupted PATCHes.
		cut := &apiError{http.StatusBadRequest, "BadRequest", "reading the PATCH body: " + err.Error()}
		if e.opts.DropPartialPatch {
			return up.rollback(f, offset, crc, cut)
		}
		return cut
	case n == limit && bodyHasMore(c.r.Body), e.refusesLate(n):
		// A body without Content-Length ran past the limit, or one over
		// MaxPatchSize is refused only now it is read: undo it all.
		return up.rollback(f, offset, crc, errTooLarge)
	}
	return nil
}

// refusesLate reports a PATCH body of n bytes that MaxPatchSizeAfterBody
// refuses once read.
func (e *Emulator) refusesLate(n int64) bool {
	return e.opts.MaxPatchSizeAfterBody && e.opts.MaxPatchSize > 0 && n > e.opts.MaxPatchSize
}

// openBody opens the upload's body for writing at its current offset.
func (up *upload) openBody() (*os.File, error) {
	f, err := os.OpenFile(up.body, os.O_WRONLY, 0)
	if err != nil {
		return nil, err
	}
	if _, err := f.Seek(up.offset.Load(), io.SeekStart); err != nil {
		_ = f.Close()
		return nil, err
	}
	return f, nil
}

func errStorage(err error) error {
	return &apiError{http.StatusInternalServerError, "StorageError", "the emulator cannot store the upload (" + err.Error() + "); free disk space in its data directory"}
}

var errTooLarge = &apiError{http.StatusRequestEntityTooLarge, "BadRequest", "the PATCH body is larger than the rest of the upload or the maximum PATCH size"}

// patchLimit checks the client's offset and returns how many body bytes
// the PATCH may carry.
func (e *Emulator) patchLimit(r *http.Request, up *upload, offset int64) (int64, error) {
	if offset != up.offset.Load() {
		return 0, &apiError{http.StatusConflict, "OFFSET_MISMATCH", "Upload-Offset " + itoa(offset) + " does not match the server's " + itoa(up.offset.Load()) + "; ask with HEAD and resume from there"}
	}
	limit := up.length - offset
	if e.opts.MaxPatchSize > 0 && !e.opts.MaxPatchSizeAfterBody {
		limit = min(limit, e.opts.MaxPatchSize)
	}
	if r.ContentLength > limit {
		return 0, errTooLarge
	}
	return limit, nil
}

func bodyHasMore(body io.Reader) bool {
	var one [1]byte
	n, _ := io.ReadFull(body, one[:])
	return n > 0
}

// rollback forgets the bytes after offset.
func (up *upload) rollback(f *os.File, offset int64, crc uint32, cause error) error {
	if err := f.Truncate(offset); err != nil {
		return errStorage(err)
	}
	up.offset.Store(offset)
	up.crc = crc
	return cause
}

// storageError is a failure to write an upload's body to disk.
type storageError struct{ err error }

func (e *storageError) Error() string { return e.err.Error() }

var copyBuffers = sync.Pool{New: func() any { b := make([]byte, 1<<20); return &b }}

// uploadSink appends to an upload's open body and keeps offset, CRC and
// the byte counters.
type uploadSink struct {
	e    *Emulator
	up   *upload
	body *os.File
}

func (s uploadSink) Write(p []byte) (int, error) {
	s.e.counters.addReceived(s.up.acct, int64(len(p)))
	n, err := s.body.Write(p)
	s.up.crc = crc32.Update(s.up.crc, crc32.IEEETable, p[:n])
	s.up.offset.Add(int64(n))
	if err != nil {
		return n, &storageError{err}
	}
	return n, nil
}

// finishUpload turns a complete upload into a put.io file, atomically.
// With overwrite, same-named files in the folder go to the trash. A
// torrent without no-torrent becomes a transfer, as on put.io: no file
// (nil), and the bytes are not kept.
func (e *Emulator) finishUpload(up *upload) (*node, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.uploads, up.id)
	if up.becomesTransfer() {
		e.blobs.remove(up.body)
		if parent, err := e.lookupFolder(up.acct, up.parentID); err == nil {
			e.torrentTransferLocked(up.acct, up.name, parent)
		}
		return nil, nil
	}
	parent, err := e.lookupFolder(up.acct, up.parentID)
	if avail := up.acct.avail(e.opts.Quota); err == nil && up.length > avail {
		err = errQuota(up.length, avail) // other uploads filled the disk meanwhile
	}
	if err != nil {
		e.blobs.remove(up.body)
		return nil, err
	}
	if up.overwrite {
		e.trashSameNamedFiles(parent, up.name)
	}
	n := e.newFile(parent, up.name, up.body, up.length, up.crc)
	if !up.updatedAt.IsZero() {
		n.updated = up.updatedAt
	}
	e.recordUploadLocked(n)
	return n, nil
}

func (up *upload) becomesTransfer() bool {
	return !up.noTorrent && strings.HasSuffix(strings.ToLower(up.name), ".torrent")
}

func (e *Emulator) trashSameNamedFiles(parent *node, name string) {
	key := nameKey(name)
	for _, c := range append([]*node(nil), parent.children...) {
		if !c.dir && c.key == key {
			e.detach(c)
			e.moveToTrash(c)
		}
	}
}
