package putiotest

import (
	"encoding/base64"
	"errors"
	"hash/crc32"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const (
	tusVersion     = "1.0.0"
	tusContentType = "application/offset+octet-stream"
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

// tusCreate serves POST /files/. With creation-with-upload advertised, a
// body is taken as the first bytes of the upload, and a body that
// completes it makes the file at once.
func (e *Emulator) tusCreate(c *call) {
	withBody := c.r.ContentLength > 0 || c.r.ContentLength < 0 && c.r.Header.Get("Content-Type") == tusContentType
	if withBody && !e.advertises("creation-with-upload") {
		c.fail(http.StatusBadRequest, "BadRequest", "this upload service does not take a body in the creation POST (creation-with-upload); send it in a PATCH")
		return
	}
	if ct := c.r.Header.Get("Content-Type"); withBody && ct != tusContentType {
		c.fail(http.StatusUnsupportedMediaType, "BadRequest", "Content-Type of a creation with upload must be "+tusContentType+", got "+strconv.Quote(ct))
		return
	}
	up, err := e.newUpload(c)
	if err != nil {
		c.failErr(err)
		return
	}
	c.w.Header().Set("Location", e.baseURL(c.r)+"/files/"+up.id)
	if withBody {
		up.busy.Lock()
		defer up.busy.Unlock()
		if !e.receiveAndFinish(c, up, 0) {
			return
		}
	}
	c.w.Header().Set("Upload-Offset", itoa(up.offset.Load()))
	c.w.WriteHeader(http.StatusCreated)
}

// advertises reports whether OPTIONS lists the tus extension.
func (e *Emulator) advertises(extension string) bool {
	return slices.Contains(e.opts.TusExtensions, extension)
}

// tusOptions serves OPTIONS /files/: what this tus service supports.
func (e *Emulator) tusOptions(c *call) {
	if e.opts.RefuseOptions {
		c.fail(http.StatusMethodNotAllowed, "MethodNotAllowed", "OPTIONS is not supported here")
		return
	}
	h := c.w.Header()
	h.Set("Tus-Version", tusVersion)
	if len(e.opts.TusExtensions) > 0 {
		h.Set("Tus-Extension", strings.Join(e.opts.TusExtensions, ","))
	}
	if e.opts.TusMaxSize > 0 {
		h.Set("Tus-Max-Size", itoa(e.opts.TusMaxSize))
	}
	c.w.WriteHeader(http.StatusNoContent)
}

func (e *Emulator) newUpload(c *call) (*upload, error) {
	if c.r.Header.Get("Upload-Defer-Length") != "" {
		return nil, errBadRequest("BadRequest", "Upload-Defer-Length is not supported; send Upload-Length")
	}
	length, err := strconv.ParseInt(c.r.Header.Get("Upload-Length"), 10, 64)
	if err != nil || length < 0 {
		return nil, errBadRequest("BadRequest", "Upload-Length must be the file size in bytes")
	}
	if e.opts.TusMaxSize > 0 && length > e.opts.TusMaxSize {
		return nil, &apiError{http.StatusRequestEntityTooLarge, "BadRequest", "Upload-Length " + itoa(length) + " is over this service's Tus-Max-Size of " + itoa(e.opts.TusMaxSize)}
	}
	meta, err := parseTusMetadata(c.r.Header.Get("Upload-Metadata"))
	if err != nil {
		return nil, err
	}
	up := &upload{id: randomHex(16), acct: c.acct, length: length, overwrite: meta["overwrite"] == "true", noTorrent: meta["no-torrent"] == "true"}
	if up.name, err = cleanName(e.givenName(meta["name"])); err != nil {
		return nil, err
	}
	if up.parentID, err = intParam(urlValues(meta), "parent_id", 0); err != nil {
		return nil, err
	}
	if s, ok := meta["updated-at"]; ok {
		if up.updatedAt, err = parseClientTime(s); err != nil {
			return nil, err
		}
	}
	return up, e.registerUpload(up)
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

// tusVersionOK puts Tus-Resumable on the reply and answers 412 to a
// client that asks for a tus version other than 1.0.0, before anything
// else; the header itself is optional, as put.io clients differ.
func tusVersionOK(c *call) bool {
	c.w.Header().Set("Tus-Resumable", tusVersion)
	if v := c.r.Header.Get("Tus-Resumable"); v != "" && v != tusVersion {
		c.w.Header().Set("Tus-Version", tusVersion)
		c.fail(http.StatusPreconditionFailed, "BadRequest", "only tus "+tusVersion+" is supported, not "+strconv.Quote(v))
		return false
	}
	return true
}

// parseTusMetadata decodes "key base64,key base64".
func parseTusMetadata(header string) (map[string]string, error) {
	meta := map[string]string{}
	for _, pair := range strings.Split(header, ",") {
		pair = strings.TrimSpace(pair)
		if pair == "" {
			continue
		}
		key, encoded, _ := strings.Cut(pair, " ")
		if _, seen := meta[key]; seen {
			return nil, errBadRequest("BadRequest", "Upload-Metadata has the key "+strconv.Quote(key)+" twice; tus keys are unique")
		}
		value, err := base64.StdEncoding.DecodeString(strings.TrimSpace(encoded))
		if err != nil {
			return nil, errBadRequest("BadRequest", "Upload-Metadata value of "+strconv.Quote(key)+" is not standard base64 with padding")
		}
		meta[key] = string(value)
	}
	return meta, nil
}

func urlValues(m map[string]string) map[string][]string {
	v := make(map[string][]string, len(m))
	for k, s := range m {
		v[k] = []string{s}
	}
	return v
}

// findUpload returns the account's live upload named in the path.
func (e *Emulator) findUpload(c *call) *upload {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.expireUploads()
	up := e.uploads[c.r.PathValue("upload")]
	if up == nil || up.acct != c.acct {
		c.notFound("upload " + strconv.Quote(c.r.PathValue("upload")) + " (unknown, finished, expired or terminated; start a new upload)")
		return nil
	}
	return up
}

// tusHead serves HEAD /files/{upload}.
func (e *Emulator) tusHead(c *call) {
	up := e.findUpload(c)
	if up == nil {
		return
	}
	h := c.w.Header()
	h.Set("Upload-Offset", itoa(up.offset.Load()))
	h.Set("Upload-Length", itoa(up.length))
	h.Set("Cache-Control", "no-store")
	c.w.WriteHeader(http.StatusOK)
}

// tusDelete serves DELETE /files/{upload}.
func (e *Emulator) tusDelete(c *call) {
	up := e.findUpload(c)
	if up == nil {
		return
	}
	up.busy.Lock()
	defer up.busy.Unlock()
	e.mu.Lock()
	if e.uploads[up.id] == up {
		e.dropUpload(up.id, up)
	}
	e.mu.Unlock()
	c.w.WriteHeader(http.StatusNoContent)
}

// tusPatch serves PATCH /files/{upload}.
func (e *Emulator) tusPatch(c *call) {
	if ct := c.r.Header.Get("Content-Type"); ct != tusContentType {
		c.fail(http.StatusUnsupportedMediaType, "BadRequest", "Content-Type must be "+tusContentType+", got "+strconv.Quote(ct))
		return
	}
	up := e.findUpload(c)
	if up == nil {
		return
	}
	if !up.busy.TryLock() {
		c.fail(http.StatusConflict, "UPLOAD_BUSY", "another PATCH of this upload is running")
		return
	}
	defer up.busy.Unlock()
	offset, err := strconv.ParseInt(c.r.Header.Get("Upload-Offset"), 10, 64)
	if err != nil {
		c.failErr(errBadRequest("BadRequest", "Upload-Offset must be a byte offset"))
		return
	}
	if e.receiveAndFinish(c, up, offset) {
		c.w.WriteHeader(http.StatusNoContent)
	}
}

// receiveAndFinish stores the request body at offset and, when that
// completes the upload, makes the file and names it in the reply headers.
// It reports whether the caller should send its success status; on
// failure the error reply has been sent.
func (e *Emulator) receiveAndFinish(c *call, up *upload, offset int64) bool {
	if err := e.patch(c, up, offset); err != nil {
		c.w.Header().Set("Upload-Offset", itoa(up.offset.Load()))
		c.failErr(err)
		return false
	}
	c.w.Header().Set("Upload-Offset", itoa(up.offset.Load()))
	if up.offset.Load() == up.length {
		n, err := e.finishUpload(up)
		if err != nil {
			c.failErr(err)
			return false
		}
		if n != nil {
			c.w.Header().Set("Putio-File-Id", itoa(n.id))
			c.w.Header().Set("Putio-File-Crc32", crcHex(n.crc))
		}
	}
	return true
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
	case n == limit && bodyHasMore(c.r.Body):
		// A body without Content-Length ran past the limit: undo it all.
		return up.rollback(f, offset, crc, errTooLarge)
	}
	return nil
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
	if e.opts.MaxPatchSize > 0 {
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
