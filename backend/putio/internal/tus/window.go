package tus

import (
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/rclone/rclone/lib/pool"
)

// An upload streams the file from its source into PATCH bodies. The last
// upload_window bytes read stay in memory (pages of rclone's buffer
// pool), so that after a cut connection the bytes the server did not get
// can be sent again without the source; further back, the source is
// opened again at the server's offset. Each body is fenced off
// (patchBody.detach) once its request is over, so no transport reads a
// page that is used again.

// errBodyDetached is what a PATCH body answers once its request is over.
var errBodyDetached = errors.New("putio: upload body read after its request ended")

// ErrCannotRewind is a resume point that neither the window nor the
// source can serve: the upload stops and can go on in a later attempt.
// It is the source's limit, so it is a SourceError.
var ErrCannotRewind error = &SourceError{Err: errors.New("can't go back in the source")}

// SourceError is a failure to read the file being uploaded; it is the
// source's fault, so the upload is not retried.
type SourceError struct{ Err error }

func (e *SourceError) Error() string { return "putio: reading the source: " + e.Err.Error() }

func (e *SourceError) Unwrap() error { return e.Err }

// Pages is where resend windows get their memory: pages of one size
// from a buffer pool, rclone's shared one (GlobalPages) so that
// --max-buffer-memory counts them and --use-mmap maps them, as rclone's
// chunked uploads do.
type Pages struct {
	Pool *pool.Pool
	Page int64 // bytes per page
}

// GlobalPages is rclone's buffer pool, made on first use: after the
// command line set --use-mmap and --max-buffer-memory.
func GlobalPages() Pages { return Pages{Pool: pool.Global(), Page: pool.BufferSize} }

// Within is the largest window of at most size bytes that the memory
// limit (--max-buffer-memory; 0 or less for none) can ever grant:
// rclone's pool waits for ever for more than the limit.
func (pp Pages) Within(size, limit int64) int64 {
	if limit <= 0 {
		return size
	}
	return min(size, limit/pp.Page*pp.Page)
}

// window keeps the last bytes read from the source, for resending: a ring
// of size bytes over pooled pages, the last one used only in part.
type window struct {
	pages Pages
	mem   [][]byte
	size  int64
	end   int64 // upload offset just past the newest byte held
	n     int64 // bytes held: [end-n, end)
}

// newWindow takes a window of size bytes from pages, waiting as rclone
// does for the memory --max-buffer-memory leaves. free gives it back.
func newWindow(pages Pages, size int64) *window {
	w := &window{pages: pages, size: size}
	if size > 0 {
		w.mem = pages.Pool.GetN(int((size + pages.Page - 1) / pages.Page))
	}
	return w
}

// free gives the pages back to the pool. Only once no body can read
// them: every body of the upload is detached.
func (w *window) free() {
	if w.mem != nil {
		w.pages.Pool.PutN(w.mem)
	}
	w.mem, w.size, w.n = nil, 0, 0
}

func (w *window) start() int64 { return w.end - w.n }

// at is the window's memory for the upload offset off, at most n bytes:
// up to the end of its page or of the ring, whichever comes first.
func (w *window) at(off int64, n int) []byte {
	i := off % w.size
	inPage := i % w.pages.Page
	span := min(w.pages.Page-inPage, w.size-i, int64(n))
	return w.mem[i/w.pages.Page][inPage : inPage+span]
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

// Source is the file being uploaded, read on from its position.
type Source interface {
	io.Reader
	// CanReopen reports whether Reopen can go back before the window.
	CanReopen() bool
	// Reopen has the source read on from off, which was read before;
	// ErrCannotRewind if it can't.
	Reopen(off int64) error
	// Skip reads on to off, past what was read before, without counting
	// the bytes as sent.
	Skip(off int64) error
}

// payload is the bytes of one upload: its source and window. The window
// always holds the bytes just before the source's position.
type payload struct {
	src Source
	win *window
}

// seek makes off the next byte a body will read: from the window if it
// still holds it, else by opening the source again. An off past every
// byte read is the server holding bytes of the upload that this run did
// not send: an earlier run's, before a resume or landing late after it
// (a cancelled run's PATCH still on its way when this one asked for the
// offset). The source is read forward to off without sending those bytes;
// the CRC-32 check of the finished file covers them as it covers the rest.
func (pl *payload) seek(off int64) error {
	switch {
	case off > pl.win.end:
		if err := pl.src.Skip(off); err != nil {
			return err
		}
		pl.win.reset(off)
		return nil
	case off >= pl.win.start():
		return nil
	}
	if err := pl.src.Reopen(off); errors.Is(err, ErrCannotRewind) {
		return fmt.Errorf("putio: the upload must go on from byte %d, before the last %d bytes sent that the upload window keeps, and this source can't be read again; run again or raise --putio-upload-window: %w",
			off, pl.win.size, err)
	} else if err != nil {
		return err
	}
	pl.win.reset(off)
	return nil
}

// body returns a PATCH body of the bytes [off, end).
func (pl *payload) body(off, end int64) *patchBody {
	return &patchBody{payload: pl, pos: off, end: end}
}

// patchBody is one request's body. Go's transport may go on reading a
// body after the reply arrived (a server that answers early), so detach
// fences the body off before the window or source are used again: the
// transport never reads a buffer that we reuse.
type patchBody struct {
	mu       sync.Mutex
	payload  *payload
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
	win := b.payload.win
	if b.pos < win.end {
		n := win.readAt(p, b.pos)
		b.pos += int64(n)
		return n, nil
	}
	n, err := b.payload.src.Read(p)
	win.add(p[:n])
	b.pos += int64(n)
	if err == io.EOF && b.pos < b.end {
		err = fmt.Errorf("the source ended at byte %d, before its size", b.pos)
	}
	if err != nil && err != io.EOF {
		b.err = &SourceError{Err: err}
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
