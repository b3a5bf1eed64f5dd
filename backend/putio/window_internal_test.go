package putio

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
	"github.com/rclone/rclone/fs"
	"github.com/rclone/rclone/lib/pool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// privatePages is a pool of its own, so that a test counts the pages only
// its uploads hold.
func privatePages(page int) pagePool {
	return pagePool{pool: pool.New(time.Minute, page, 4, false), page: int64(page)}
}

// The window holds exactly the last bytes added, as a plain slice of
// everything added would, over pages of any size whether or not the
// window is a multiple of them, and it holds whole pages until freed.
func TestWindowMatchesAPlainSlice(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		page := rapid.IntRange(1, 64).Draw(t, "page")
		size := rapid.IntRange(0, 300).Draw(t, "size")
		if rapid.Bool().Draw(t, "whole pages") {
			size = size % 6 * page
		}
		pages := privatePages(page)
		w := newWindow(pages, int64(size))
		require.Equal(t, (size+page-1)/page, pages.pool.InUse(), "pages held")
		var held []byte // the model: the bytes the window should hold
		var end int64
		var next byte
		for range rapid.IntRange(1, 40).Draw(t, "steps") {
			switch rapid.IntRange(0, 9).Draw(t, "action") {
			case 0:
				end += rapid.Int64Range(-int64(len(held)), 2*int64(size)+1).Draw(t, "reset to")
				w.reset(end)
				held = nil
			default:
				p := make([]byte, rapid.IntRange(0, 2*size+3).Draw(t, "add"))
				for i := range p {
					p[i], next = next, next+1
				}
				w.add(p)
				end += int64(len(p))
				held = append(held, p...)
				held = held[len(held)-min(len(held), size):]
			}
			require.Equal(t, end, w.end, "end")
			require.Equal(t, end-int64(len(held)), w.start(), "start")
			if len(held) == 0 {
				continue
			}
			from := rapid.IntRange(0, len(held)-1).Draw(t, "read from")
			got := make([]byte, rapid.IntRange(0, size+5).Draw(t, "read"))
			n := w.readAt(got, w.start()+int64(from))
			want := held[from:min(len(held), from+len(got))]
			require.Equal(t, want, got[:n], "bytes at %d", w.start()+int64(from))
		}
		w.free()
		require.Zero(t, pages.pool.InUse(), "pages held after free")
	})
}

// A source that can't be read again keeps its window in pooled pages
// while the upload runs, and every way the upload ends gives them back.
func TestUploadWindowIsPooled(t *testing.T) {
	const size = 6 << 20
	data := pattern(size, 61)
	for name, tc := range map[string]struct {
		source  func(io.Reader) io.Reader
		server  putiotest.Options
		fault   *putiotest.Fault
		cancels bool
		stored  bool
		wantErr string
	}{
		"success": {stored: true},
		"source fails": {source: func(r io.Reader) io.Reader {
			return io.MultiReader(io.LimitReader(r, 5<<20), &failingReader{err: errors.New("disk gone")})
		}},
		"every PATCH cut": {server: putiotest.Options{DropPartialPatch: true},
			fault: &putiotest.Fault{Route: patchRoute, Cut: putiotest.CutRequest, CutAfter: 3<<20 + 1}},
		"cancelled": {cancels: true},
	} {
		t.Run(name, func(t *testing.T) {
			f, srv, acct := newTestFs(t, noSessions, tc.server)
			f.pages = privatePages(pool.BufferSize)
			if tc.fault != nil {
				require.NoError(t, srv.Inject(*tc.fault))
			}
			ctx, cancel := context.WithCancel(fewRetries(f, 1))
			defer cancel()
			var during atomic.Int64
			var in io.Reader = &probeReader{r: bytesReader(data), at: 3 << 20, probe: func() {
				during.Store(int64(f.pages.pool.InUse()))
				if tc.cancels {
					cancel()
				}
			}}
			if tc.source != nil {
				in = tc.source(in)
			}
			_, err := f.Put(ctx, in, srcInfo("pooled.bin", size))
			assert.Equal(t, int64(4), during.Load(), "pages held while sending: the 4 MiB window")
			assert.Zero(t, f.pages.pool.InUse(), "pages held after the upload")
			if !tc.stored {
				require.Error(t, err)
				assert.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			storedAs(t, acct, "pooled.bin", data)
		})
	}
}

// Uploads take their windows from rclone's shared pool.
func TestUploadWindowsComeFromRclonesPool(t *testing.T) {
	f, _, _ := newTestFs(t, noSessions)
	assert.Same(t, pool.Global(), f.pages.pool)
	assert.Equal(t, int64(pool.BufferSize), f.pages.page)
}

// maxBufferMemoryChild marks the process a test runs itself in, with a
// --max-buffer-memory of its own: rclone's pool reads it once per process.
const maxBufferMemoryChild = "PUTIO_TEST_MAX_BUFFER_MEMORY"

// An upload_window larger than --max-buffer-memory shrinks to the whole
// pages the limit allows, so that the upload gets its window instead of
// waiting for ever, and the upload holds no more than the limit.
func TestUploadWindowWithinMaxBufferMemory(t *testing.T) {
	if os.Getenv(maxBufferMemoryChild) == "" {
		// The timeout only ends a child that hangs for want of memory.
		child := exec.Command(os.Args[0], "-test.run=^TestUploadWindowWithinMaxBufferMemory$", "-test.count=1", "-test.timeout=5m")
		child.Env = append(os.Environ(), maxBufferMemoryChild+"=1")
		out, err := child.CombinedOutput()
		require.NoError(t, err, "the test in its own process:\n%s", out)
		return
	}
	fs.GetConfig(context.Background()).MaxBufferMemory = 2 * fs.Mebi // before anything makes rclone's pool
	f, _, acct := newTestFs(t, withOptions("upload_window", "4Mi"))
	require.Equal(t, int64(2<<20), f.window, "the window within the limit")

	const size = 6 << 20
	data := pattern(size, 62)
	held := -1
	in := &probeReader{r: bytesReader(data), at: 5 << 20, probe: func() { held = pool.Global().InUse() }}
	_, err := f.Put(context.Background(), in, srcInfo("limited.bin", size))
	require.NoError(t, err)
	storedAs(t, acct, "limited.bin", data)
	assert.Equal(t, 2, held, "pages held while sending")
	assert.Zero(t, pool.Global().InUse(), "pages held after the upload")
}

// A body the transport still reads after its request ended never reads
// the window's pages once they are back in the pool, where another upload
// may write them: detach fences it off first (run with -race).
func TestDetachedBodyNeverReadsFreedPages(t *testing.T) {
	pages := privatePages(64)
	data := pattern(1000, 63)
	src, err := newSource(context.Background(), bytesReader(data), srcInfo("fence.bin", int64(len(data))), nil)
	require.NoError(t, err)
	s := &payload{src: src, win: newWindow(pages, 256)}
	sent := s.body(0, 512)
	_, err = io.Copy(io.Discard, sent)
	require.NoError(t, err)
	require.NoError(t, sent.detach())

	resent := s.body(300, 512) // from the window, which holds [256, 512)
	late := make([]byte, 1)
	n, err := resent.Read(late)
	require.NoError(t, err)
	require.Equal(t, []byte{data[300]}, late[:n])
	require.NoError(t, resent.detach())
	s.win.free()
	for _, page := range pages.pool.GetN(4) { // another upload's window
		for i := range page {
			page[i] = 0xff
		}
	}
	n, err = resent.Read(late) // the transport, reading on after the reply
	assert.Zero(t, n, "bytes read after detach")
	assert.ErrorIs(t, err, errBodyDetached)
}
