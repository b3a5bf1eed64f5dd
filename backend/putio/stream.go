package putio

import (
	"context"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"sync"
	"time"

	"github.com/rclone/rclone/fs"
	"github.com/rclone/rclone/fs/accounting"
	rhash "github.com/rclone/rclone/fs/hash"
	"github.com/rclone/rclone/lib/pool"
)

// An upload streams the file from its source into PATCH bodies. The last
// upload_window bytes read stay in memory (pages of rclone's buffer
// pool), so that after a cut connection the bytes the server did not get
// can be sent again without the source; further back, the source is opened again at the server's offset. A
// local file needs no window: opening it again costs no request, so it
// is read again from the server's offset after any cut, and rclone's
// read-ahead of it is dropped for our own reading (see takeOverSource).

// errCannotRewind is a resume point that neither the window nor the source
// can serve: the upload stops and can go on in a later attempt.
var errCannotRewind = errors.New("can't go back in the source")

// errBodyDetached is what a PATCH body answers once its request is over.
var errBodyDetached = errors.New("putio: upload body read after its request ended")

// sourceError is a failure to read the file being uploaded; it is the
// source's fault, so the upload is not retried.
type sourceError struct{ err error }

func (e *sourceError) Error() string { return "putio: reading the source: " + e.err.Error() }
func (e *sourceError) Unwrap() error { return e.err }

// source reads the file being uploaded from any offset. Each byte is
// counted once, the first time it is read: in rclone's accounting
// (progress, --bwlimit, --max-transfer) and in the CRC-32 of the whole
// file, however many times it is sent.
type source struct {
	ctx     context.Context
	obj     fs.Object       // nil: the source can't be opened again
	local   bool            // obj is a local file, cheap to open again
	hashes  []fs.OpenOption // Put's hash requests, passed on when obj is opened
	wrap    accounting.WrapFn
	plain   io.Reader     // the current reader, without accounting
	counted io.Reader     // the same reader, accounted
	opened  io.ReadCloser // a reader we opened ourselves
	pos     int64         // offset of the next byte of plain
	high    int64         // bytes [0, high) have been read at least once
	crc     hash.Hash32   // of bytes [0, high), unless fileCRC
	// fileCRC: the local file computes its CRC-32 as we read it, because
	// rclone asked for it, so computing it a second time is spared.
	fileCRC bool
	// size and modTime are the local file's when the upload began; see
	// unchanged.
	size    int64
	modTime time.Time
}

// newSource reads the file rclone hands Put as in, for src, or the same
// file opened again once takeOverSource has stopped rclone's read-ahead
// of in. Put's options carry the hashes rclone asks of the source, which
// a local file then computes and keeps while we read it, sparing rclone's
// check after the upload a second reading.
func newSource(ctx context.Context, in io.Reader, src fs.ObjectInfo, options []fs.OpenOption) (*source, error) {
	plain, wrap := accounting.UnWrap(in)
	obj := sourceObject(src)
	s := &source{ctx: ctx, obj: obj, local: isLocal(obj), wrap: wrap, plain: plain, counted: in, crc: crc32.NewIEEE()}
	if s.local {
		s.size, s.modTime = obj.Size(), obj.ModTime(ctx)
	}
	for _, option := range options {
		if hashes, ok := option.(*fs.HashesOption); ok {
			s.hashes = append(s.hashes, hashes)
		}
	}
	if takeOverSource(in, src) {
		if err := s.reopen(0); err != nil {
			return nil, err
		}
		s.fileCRC = asksCRC(s.hashes)
	}
	return s, nil
}

// sourceObject is the object rclone opened for the stream it hands Put,
// which the upload may open again: src itself, or the object behind the
// new name operations gives it (fs.OverrideRemote). Never what src wraps
// (fs.UnWrapObjectInfo): a wrapping backend's object (crypt, compress,
// chunker) streams other bytes than its base, and reading the base would
// upload the wrong file with a CRC-32 that matches what was sent.
func sourceObject(src fs.ObjectInfo) fs.Object {
	if renamed, ok := src.(*fs.OverrideRemote); ok {
		return renamed.UnWrap()
	}
	obj, _ := src.(fs.Object)
	return obj
}

// isLocal reports a local file, which opening again costs no request.
func isLocal(obj fs.Object) bool {
	return obj != nil && obj.Fs() != nil && obj.Fs().Features().IsLocal
}

// takeOverSource stops rclone's read-ahead of in when the upload can read
// the file itself, and reports whether it did. rclone buffers each
// transfer's stream (--buffer-size, 16 × 1 MiB by default, filled at once)
// and copies every byte once more; for a local file both buy nothing, so
// the upload opens the file itself and reads it through the same
// accounting (progress, --bwlimit, --max-transfer). Only local files: a
// remote source would be fetched twice, the read-ahead hides its latency.
// The bytes read ahead are dropped unused: the file is read from byte 0
// again. Abandon leaves in for rclone to close, and calling this again is
// harmless, so Put calls it first, before any lookup lets the read-ahead
// fill.
func takeOverSource(in io.Reader, src fs.ObjectInfo) bool {
	acc, ok := in.(*accounting.Account)
	if !ok || acc.GetAsyncReader() == nil || !isLocal(sourceObject(src)) {
		return false
	}
	acc.Abandon()
	return true
}

// asksCRC reports whether the hash options ask for CRC-32.
func asksCRC(options []fs.OpenOption) bool {
	for _, option := range options {
		if hashes, ok := option.(*fs.HashesOption); ok && hashes.Hashes.Contains(rhash.CRC32) {
			return true
		}
	}
	return false
}

// canReopen reports whether the source can be read again from any offset.
func (s *source) canReopen() bool { return s.obj != nil }

// sum is the CRC-32 of the file, as put.io writes it: of bytes [0, high),
// or the local file's own. The local backend keeps the CRC-32 it computed
// when a reader that read the whole file is closed, so sum closes ours
// (reading on opens the file again); else, or if the file changed since,
// the local backend reads the file again.
func (s *source) sum() (string, error) {
	if !s.fileCRC {
		return fmt.Sprintf("%08x", s.crc.Sum32()), nil
	}
	s.close()
	s.plain, s.counted = nil, nil
	sum, err := s.obj.Hash(s.ctx, rhash.CRC32)
	if err == nil && len(sum) != 8 {
		err = fmt.Errorf("the local backend gave %q", sum)
	}
	if err != nil {
		return "", &sourceError{fmt.Errorf("getting the CRC-32 of the file: %w", err)}
	}
	return sum, nil
}

// ready opens the source again at pos when sum closed it.
func (s *source) ready() error {
	if s.plain != nil {
		return nil
	}
	return s.reopen(s.pos)
}

// fresh adds bytes read for the first time to the CRC-32.
func (s *source) fresh(p []byte) {
	if !s.fileCRC {
		s.crc.Write(p)
	}
	s.high += int64(len(p))
}

// Read reads on from pos, accounting only bytes never read before.
func (s *source) Read(p []byte) (n int, err error) {
	if err := s.ready(); err != nil {
		return 0, err
	}
	if s.pos < s.high {
		n, err = s.plain.Read(p[:min(int64(len(p)), s.high-s.pos)])
	} else {
		n, err = s.counted.Read(p)
		s.fresh(p[:n])
	}
	s.pos += int64(n)
	return n, err
}

// skip reads through the source up to off without accounting the bytes,
// which the server already holds, keeping them in the CRC-32.
func (s *source) skip(off int64) error {
	if err := s.ready(); err != nil {
		return err
	}
	buf := make([]byte, 64*1024)
	for s.pos < off {
		n, err := s.plain.Read(buf[:min(int64(len(buf)), off-s.pos)])
		if s.pos+int64(n) > s.high {
			s.fresh(buf[max(s.high-s.pos, 0):n])
		}
		s.pos += int64(n)
		if err == io.EOF && s.pos < off {
			err = io.ErrUnexpectedEOF
		}
		if err != nil && err != io.EOF {
			return &sourceError{fmt.Errorf("skipping to byte %d: %w", off, err)}
		}
	}
	return nil
}

// reopen opens the source again at off, which must not be past high.
func (s *source) reopen(off int64) error {
	if s.obj == nil {
		return errCannotRewind
	}
	rc, err := s.obj.Open(s.ctx, append([]fs.OpenOption{&fs.SeekOption{Offset: off}}, s.hashes...)...)
	if err != nil {
		return &sourceError{fmt.Errorf("opening again at byte %d: %w", off, err)}
	}
	if err := s.unchanged(); err != nil {
		logIgnored(nil, "closing the changed source", rc.Close())
		return err
	}
	s.close()
	s.plain, s.counted, s.opened, s.pos = rc, s.wrap(rc), rc, off
	return nil
}

// unchanged refuses a local file that changed since the upload began.
// The local backend refuses a file that changes while one reader reads
// it, but each opening takes the file as it is then, so a change between
// rclone's opening and ours, or between two of ours, would go through:
// the new content sent under the old size and time, or a file made of
// both versions.
func (s *source) unchanged() error {
	if !s.local {
		return nil
	}
	size, modTime := s.obj.Size(), s.obj.ModTime(s.ctx)
	if size == s.size && modTime.Equal(s.modTime) {
		return nil
	}
	return &sourceError{fmt.Errorf("the file changed since its upload began (size %d, modified %v; now %d, %v): copy it again once it is no longer being written",
		s.size, s.modTime, size, modTime)}
}

// close closes the reader we opened, if any; rclone closes its own.
func (s *source) close() {
	if s.opened != nil {
		logIgnored(nil, "closing the reopened source", s.opened.Close())
		s.opened = nil
	}
}

// pagePool is where resend windows get their memory: pages of one size
// from rclone's shared buffer pool, so that --max-buffer-memory counts
// them and --use-mmap maps them, as rclone's chunked uploads do.
type pagePool struct {
	pool *pool.Pool
	page int64 // bytes per page
}

// globalPages is rclone's buffer pool, made on first use: after the
// command line set --use-mmap and --max-buffer-memory.
func globalPages() pagePool { return pagePool{pool: pool.Global(), page: pool.BufferSize} }

// within is the largest window of at most size bytes that the memory
// limit (--max-buffer-memory; 0 or less for none) can ever grant:
// rclone's pool waits for ever for more than the limit.
func (pp pagePool) within(size, limit int64) int64 {
	if limit <= 0 {
		return size
	}
	return min(size, limit/pp.page*pp.page)
}

// window keeps the last bytes read from the source, for resending: a ring
// of size bytes over pooled pages, the last one used only in part.
type window struct {
	pages pagePool
	mem   [][]byte
	size  int64
	end   int64 // upload offset just past the newest byte held
	n     int64 // bytes held: [end-n, end)
}

// newWindow takes a window of size bytes from pages, waiting as rclone
// does for the memory --max-buffer-memory leaves. free gives it back.
func newWindow(pages pagePool, size int64) *window {
	w := &window{pages: pages, size: size}
	if size > 0 {
		w.mem = pages.pool.GetN(int((size + pages.page - 1) / pages.page))
	}
	return w
}

// free gives the pages back to the pool. Only once no body can read
// them: every body of the upload is detached.
func (w *window) free() {
	if w.mem != nil {
		w.pages.pool.PutN(w.mem)
	}
	w.mem, w.size, w.n = nil, 0, 0
}

func (w *window) start() int64 { return w.end - w.n }

// at is the window's memory for the upload offset off, at most n bytes:
// up to the end of its page or of the ring, whichever comes first.
func (w *window) at(off int64, n int) []byte {
	i := off % w.size
	inPage := i % w.pages.page
	span := min(w.pages.page-inPage, w.size-i, int64(n))
	return w.mem[i/w.pages.page][inPage : inPage+span]
}

// add appends p, dropping the oldest bytes beyond the window's size.
func (w *window) add(p []byte) {
	if w.size == 0 {
		w.end += int64(len(p))
		return
	}
	if int64(len(p)) > w.size {
		w.end += int64(len(p)) - w.size
		p = p[int64(len(p))-w.size:]
	}
	for len(p) > 0 {
		k := copy(w.at(w.end, len(p)), p)
		p = p[k:]
		w.end += int64(k)
		w.n = min(w.n+int64(k), w.size)
	}
}

// Write is add, for io.Copy.
func (w *window) Write(p []byte) (int, error) {
	w.add(p)
	return len(p), nil
}

// readAt copies held bytes from off, which must be in [start, end).
func (w *window) readAt(p []byte, off int64) int {
	p = p[:min(int64(len(p)), w.end-off)]
	n := 0
	for n < len(p) {
		n += copy(p[n:], w.at(off+int64(n), len(p)-n))
	}
	return n
}

// reset empties the window, with the source now at off.
func (w *window) reset(off int64) { w.end, w.n = off, 0 }

// stream is the source and window of one upload. The window always holds
// the bytes just before the source's position.
type stream struct {
	src *source
	win *window
}

// seek makes off the next byte a body will read: from the window if it
// still holds it, else by opening the source again.
func (s *stream) seek(off int64) error {
	switch {
	case off > s.win.end:
		return fmt.Errorf("putio: the upload server holds %d bytes, more than the %d sent", off, s.win.end)
	case off >= s.win.start():
		return nil
	}
	if err := s.src.reopen(off); errors.Is(err, errCannotRewind) {
		return fmt.Errorf("putio: the upload must go on from byte %d, before the last %d bytes sent that the upload window keeps, and this source can't be read again; run again or raise --putio-upload-window: %w",
			off, s.win.size, err)
	} else if err != nil {
		return err
	}
	s.win.reset(off)
	return nil
}

// body returns a PATCH body of the bytes [off, end).
func (s *stream) body(off, end int64) *patchBody {
	return &patchBody{s: s, pos: off, end: end}
}

// patchBody is one request's body. Go's transport may go on reading a
// body after the reply arrived (a server that answers early), so detach
// fences the body off before the window or source are used again: the
// transport never reads a buffer that we reuse.
type patchBody struct {
	mu       sync.Mutex
	s        *stream
	pos, end int64
	detached bool
	err      error // the source's failure, if any
}

func (b *patchBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.detached:
		return 0, errBodyDetached
	case b.err != nil:
		return 0, b.err
	case b.pos >= b.end:
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), b.end-b.pos)]
	win := b.s.win
	if b.pos < win.end {
		n := win.readAt(p, b.pos)
		b.pos += int64(n)
		return n, nil
	}
	n, err := b.s.src.Read(p)
	win.add(p[:n])
	b.pos += int64(n)
	if err == io.EOF && b.pos < b.end {
		err = fmt.Errorf("the source ended at byte %d, before its size", b.pos)
	}
	if err != nil && err != io.EOF {
		b.err = &sourceError{err}
		return n, b.err
	}
	return n, nil
}

// Close is a no-op: the transport closes bodies, detach ends them.
func (b *patchBody) Close() error { return nil }

// detach ends the body for good and reports the source's failure.
func (b *patchBody) detach() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.detached = true
	return b.err
}
