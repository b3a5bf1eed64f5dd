package putio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/rclone/rclone/fs"
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
	f.pages = globalPages()
	limit := fs.GetConfig(context.Background()).MaxBufferMemory // what the pool's limit was made of
	f.window = f.pages.within(int64(f.opt.UploadWindow), int64(limit))
	if f.window < int64(f.opt.UploadWindow) {
		fs.Logf(f, "upload_window %v is more than --max-buffer-memory %v allows: uploads keep %v for resending", f.opt.UploadWindow, limit, fs.SizeSuffix(f.window))
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

// tusSource is the file being uploaded, read on from its position.
type tusSource interface {
	io.Reader
	// canReopen reports whether reopen can go back before the window.
	canReopen() bool
	// reopen has the source read on from off, which was read before.
	reopen(off int64) error
	// skip reads on to off, past what was read before, without counting
	// the bytes as sent.
	skip(off int64) error
}

// payload is the bytes of one upload: its source and window. The window
// always holds the bytes just before the source's position.
type payload struct {
	src tusSource
	win *window
}

// seek makes off the next byte a body will read: from the window if it
// still holds it, else by opening the source again.
func (pl *payload) seek(off int64) error {
	switch {
	case off > pl.win.end:
		return fmt.Errorf("putio: the upload server holds %d bytes, more than the %d sent", off, pl.win.end)
	case off >= pl.win.start():
		return nil
	}
	if err := pl.src.reopen(off); errors.Is(err, errCannotRewind) {
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
