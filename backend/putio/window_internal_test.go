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

	"github.com/rclone-putio/rclone-putio/backend/putio/internal/tus"
	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
	"github.com/rclone/rclone/fs"
	"github.com/rclone/rclone/lib/pool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// privatePages is a pool of its own, so that a test counts the pages only
// its uploads hold.
func privatePages(page int) tus.Pages {
	return tus.Pages{Pool: pool.New(time.Minute, page, 4, false), Page: int64(page)}
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
				during.Store(int64(f.pages.Pool.InUse()))
				if tc.cancels {
					cancel()
				}
			}}
			if tc.source != nil {
				in = tc.source(in)
			}
			_, err := f.Put(ctx, in, srcInfo("pooled.bin", size))
			assert.Equal(t, int64(4), during.Load(), "pages held while sending: the 4 MiB window")
			assert.Zero(t, f.pages.Pool.InUse(), "pages held after the upload")
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
	assert.Same(t, pool.Global(), f.pages.Pool)
	assert.Equal(t, int64(pool.BufferSize), f.pages.Page)
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
