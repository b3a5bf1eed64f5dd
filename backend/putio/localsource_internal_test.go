package putio

import (
	"context"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
	"github.com/rclone/rclone/backend/local"
	"github.com/rclone/rclone/fs"
	"github.com/rclone/rclone/fs/accounting"
	"github.com/rclone/rclone/fs/config/configmap"
	"github.com/rclone/rclone/fs/hash"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// localFile is a file of rclone's local backend, counting how often it is
// opened and asked for its CRC-32, and keeping the options of its first
// opening.
type localFile struct {
	fs.Object
	opens    atomic.Int32
	crcAsked atomic.Int32
	mu       sync.Mutex
	firstOpt []fs.OpenOption
	// beforeCRC, if set, runs when the CRC-32 is asked for.
	beforeCRC func()
	// beforeOpen, if set, runs before the n-th opening (from 1).
	beforeOpen func(n int32)
}

func (o *localFile) Hash(ctx context.Context, ty hash.Type) (string, error) {
	if ty == hash.CRC32 {
		o.crcAsked.Add(1)
		if o.beforeCRC != nil {
			o.beforeCRC()
		}
	}
	return o.Object.Hash(ctx, ty)
}

func (o *localFile) Open(ctx context.Context, options ...fs.OpenOption) (io.ReadCloser, error) {
	n := o.opens.Add(1)
	if n == 1 {
		o.mu.Lock()
		o.firstOpt = options
		o.mu.Unlock()
	}
	if o.beforeOpen != nil {
		o.beforeOpen(n)
	}
	return o.Object.Open(ctx, options...)
}

// newLocalFile writes data to name in a fresh local folder and returns it
// as rclone's local backend sees it.
func newLocalFile(t *testing.T, name string, data []byte) *localFile {
	t.Helper()
	return newLocalFileIn(t, t.TempDir(), name, data)
}

func newLocalFileIn(t *testing.T, dir, name string, data []byte) *localFile {
	t.Helper()
	require.NoError(t, os.WriteFile(filepath.Join(dir, name), data, 0o600))
	lfs, err := local.NewFs(context.Background(), "local", dir, configmap.Simple{})
	require.NoError(t, err)
	require.True(t, lfs.Features().IsLocal)
	obj, err := lfs.NewObject(context.Background(), name)
	require.NoError(t, err)
	return &localFile{Object: obj}
}

// wrapping is a wrapping backend's object (as crypt's or compress's):
// it streams other bytes than the object it wraps.
type wrapping struct {
	fs.Object // the wrapped object, whose bytes are not these
	data      []byte
}

func (w *wrapping) Size() int64       { return int64(len(w.data)) }
func (w *wrapping) UnWrap() fs.Object { return w.Object }

func (w *wrapping) Hash(_ context.Context, ty hash.Type) (string, error) {
	if ty != hash.CRC32 {
		return "", hash.ErrUnsupported
	}
	return fmt.Sprintf("%08x", crc32.ChecksumIEEE(w.data)), nil
}

func (w *wrapping) Open(ctx context.Context, options ...fs.OpenOption) (io.ReadCloser, error) {
	var offset int64
	for _, option := range options {
		if seek, ok := option.(*fs.SeekOption); ok {
			offset = seek.Offset
		}
	}
	return io.NopCloser(bytesReader(w.data[offset:])), nil
}

// countingReader counts the bytes read from it, from any goroutine.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// rcloneCopy puts raw as rclone's copy does: accounted and read ahead
// (--buffer-size), closed after Put. It returns the bytes accounted and
// how many of raw's bytes were read.
func rcloneCopy(t *testing.T, f *Fs, raw []byte, src fs.ObjectInfo) (accounted, readOfRaw int64, err error) {
	t.Helper()
	ctx := freshStatsGroup(t)
	stats := accounting.Stats(ctx)
	tr := stats.NewTransfer(src, nil)
	counted := &countingReader{r: bytesReader(raw)}
	in := tr.Account(ctx, io.NopCloser(counted)).WithBuffer()
	require.True(t, in.HasBuffer(), "rclone reads ahead")
	_, err = f.Put(ctx, in, src, &fs.HashesOption{Hashes: hash.NewHashSet(hash.CRC32)})
	require.NoError(t, in.Close())
	tr.Done(ctx, err)
	return stats.GetBytes(), counted.n.Load(), err
}

// A local file is read by the upload itself: rclone's read-ahead stops
// before it has read much, each byte is accounted once, and the hash
// rclone asks of the source goes to the local file, which keeps it for
// rclone's check after the upload; the upload checks the server's CRC-32
// against that one instead of computing its own.
func TestUploadReadsLocalFileItself(t *testing.T) {
	f, srv, acct := newTestFs(t, noSessions)
	data := pattern(6<<20, 61)
	src := newLocalFile(t, "local.bin", data)

	accounted, readAhead, err := rcloneCopy(t, f, data, src)

	require.NoError(t, err)
	storedAs(t, acct, "local.bin", data)
	assert.Equal(t, int64(len(data)), accounted, "each byte accounted once")
	assert.Less(t, readAhead, int64(1<<20), "rclone's read-ahead went on")
	assert.Equal(t, int32(1), src.opens.Load(), "the file is opened once")
	assert.Contains(t, src.firstOpt, fs.OpenOption(&fs.HashesOption{Hashes: hash.NewHashSet(hash.CRC32)}))
	assert.Equal(t, int32(1), src.crcAsked.Load(), "the file's CRC-32 checks the upload")
	assert.Equal(t, int64(len(data)), srv.UploadBytes())
}

// The upload opens the object rclone streams, never the one it wraps: a
// wrapping backend's base holds other bytes. Here the wrapper says it is
// local, so the upload reads it itself and reopens it after a cut.
func TestUploadNeverOpensWhatTheSourceWraps(t *testing.T) {
	data := pattern(3<<20, 62)
	base := newLocalFile(t, "other.bin", pattern(len(data), 63))
	src := &wrapping{Object: base, data: data}
	t.Run("uploads the wrapper's bytes", func(t *testing.T) {
		f, _, acct := newTestFs(t, noSessions)
		accounted, readAhead, err := rcloneCopy(t, f, data, src)
		require.NoError(t, err)
		storedAs(t, acct, "other.bin", data)
		assert.Equal(t, int64(len(data)), accounted)
		assert.Less(t, readAhead, int64(1<<20), "read from the wrapper, not rclone's stream")
	})
	t.Run("resends from the wrapper", func(t *testing.T) {
		f, srv, acct := newTestFs(t, noSessions, putiotest.Options{DropPartialPatch: true})
		cutAt(t, srv, 2<<20)
		_, _, err := rcloneCopy(t, f, data, src)
		require.NoError(t, err)
		storedAs(t, acct, "other.bin", data)
	})
	t.Run("renamed by operations", func(t *testing.T) {
		f, _, acct := newTestFs(t, noSessions)
		_, _, err := rcloneCopy(t, f, data, fs.NewOverrideRemote(src, "renamed.bin"))
		require.NoError(t, err)
		storedAs(t, acct, "renamed.bin", data)
	})
	assert.Zero(t, base.opens.Load(), "the wrapped object is never opened")
}

// A local file has no resend window: it is read again from the server's
// offset after a cut, whether or not the server kept the bytes it got.
func TestUploadLocalFileResendsByReopening(t *testing.T) {
	for _, drop := range []bool{false, true} {
		t.Run(map[bool]string{false: "server keeps", true: "server drops"}[drop], func(t *testing.T) {
			f, srv, acct := newTestFs(t, noSessions, putiotest.Options{DropPartialPatch: drop})
			data := pattern(3<<20, 64)
			src := newLocalFile(t, "again.bin", data)
			cutAt(t, srv, 2<<20)

			accounted, _, err := rcloneCopy(t, f, data, src)

			require.NoError(t, err)
			storedAs(t, acct, "again.bin", data)
			if drop {
				// The server holds nothing of the cut PATCH, and the upload had
				// read past its start, so it must open the file again. A server
				// that keeps what arrived may hold every byte read so far (the
				// cut can land just as the reader pauses), and then the upload
				// reads on with no second opening: either is right there.
				assert.Equal(t, int32(2), src.opens.Load(), "opened to upload, then again at the server's offset")
			}
			assert.Equal(t, int32(1), src.crcAsked.Load(), "the file's CRC-32 checks the upload")
			assert.Equal(t, int64(len(data)), accounted, "resent bytes are not accounted again")
			resent := int64(0)
			if drop {
				resent = 2 << 20
			}
			assert.Equal(t, int64(len(data))+resent, srv.UploadBytes())
		})
	}
}

// A local file's upload holds no window: it allocates far less than
// upload_window.
func TestUploadLocalFileNeedsNoWindow(t *testing.T) {
	f, _, acct := newTestFs(t, withOptions("upload_window", "16Mi"))
	data := pattern(24<<20, 65)
	src := newLocalFile(t, "nowindow.bin", data)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := f.Put(context.Background(), bytesReader(data), src)
	runtime.ReadMemStats(&after)
	require.NoError(t, err)
	storedAs(t, acct, "nowindow.bin", data)
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(8<<20), "allocated for a 24 MiB upload with a 16 MiB window")
}

// A local file rclone asked no CRC-32 of is checked with the CRC-32 of
// the bytes sent, so it is not read a second time for it.
func TestUploadLocalFileWithoutHashRequest(t *testing.T) {
	f, _, acct := newTestFs(t, noSessions)
	data := pattern(3<<20, 66)
	src := newLocalFile(t, "nohash.bin", data)
	ctx := freshStatsGroup(t)
	tr := accounting.Stats(ctx).NewTransfer(src, nil)
	in := tr.Account(ctx, io.NopCloser(bytesReader(data))).WithBuffer()

	_, err := f.Put(ctx, in, src)
	require.NoError(t, in.Close())
	tr.Done(ctx, err)

	require.NoError(t, err)
	storedAs(t, acct, "nohash.bin", data)
	assert.Equal(t, int32(1), src.opens.Load())
	assert.Zero(t, src.crcAsked.Load())
}

// A local file that changed while it was uploaded is caught by the
// check, which uses the file's CRC-32: the server's copy is deleted.
func TestUploadLocalFileChangedDuringUpload(t *testing.T) {
	f, _, acct := newTestFs(t, noSessions)
	dir := t.TempDir()
	data := pattern(3<<20, 67)
	src := newLocalFileIn(t, dir, "changing.bin", data)
	src.beforeCRC = func() {
		changed := pattern(len(data), 68)
		require.NoError(t, os.WriteFile(filepath.Join(dir, "changing.bin"), changed, 0o600))
		later := testModTime.Add(time.Hour)
		require.NoError(t, os.Chtimes(filepath.Join(dir, "changing.bin"), later, later))
	}

	_, _, err := rcloneCopy(t, f, data, src)

	require.ErrorContains(t, err, "upload corrupted")
	assert.Empty(t, names(t, acct, ""), "the copy of the old content deleted")
}

// rewrite gives the file at path new content and a later modification
// time, as another program writing it would.
func rewrite(t *testing.T, path string, data []byte) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, data, 0o600))
	later := time.Now().Add(time.Hour)
	require.NoError(t, os.Chtimes(path, later, later))
}

// tailChanged is data with its last n bytes changed.
func tailChanged(data []byte, n int) []byte {
	changed := append([]byte(nil), data...)
	copy(changed[len(changed)-n:], pattern(n, 73))
	return changed
}

// A local file that changes after rclone opened it, before the upload
// opens it itself, is refused, as the local backend refuses a file that
// changes while it is read: the upload would otherwise send the new
// content under the old size and time (a prefix of it when it grew), or
// after a cut a file made of both versions.
func TestUploadLocalFileChangedBeforeItIsRead(t *testing.T) {
	data := pattern(16<<20, 69)
	for _, tc := range []struct {
		name    string
		open    int32 // the opening before which the file changes
		changed []byte
		cut     bool
	}{
		{"rewritten", 2, pattern(len(data), 70), false},
		{"grown", 2, pattern(len(data)+1000, 71), false},
		{"its end rewritten before a reopening after a cut", 3, tailChanged(data, 1<<20), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A server that drops a cut PATCH makes the upload go back, so
			// the cut case always opens the file again.
			f, srv, acct := newTestFs(t, noSessions, putiotest.Options{DropPartialPatch: tc.cut})
			dir := t.TempDir()
			src := newLocalFileIn(t, dir, "late.bin", data)
			src.beforeOpen = func(n int32) {
				if n == tc.open {
					rewrite(t, filepath.Join(dir, "late.bin"), tc.changed)
				}
			}
			if tc.cut {
				cutAt(t, srv, 1<<20)
			}
			ctx := freshStatsGroup(t)
			tr := accounting.Stats(ctx).NewTransfer(src, nil)
			opened, err := src.Open(ctx) // as rclone opens it, asking no hash (--ignore-checksum)
			require.NoError(t, err)
			in := tr.Account(ctx, opened).WithBuffer()

			_, err = f.Put(ctx, in, src)
			require.NoError(t, in.Close())
			tr.Done(ctx, err)

			require.ErrorContains(t, err, "changed since")
			assert.Empty(t, names(t, acct, ""), "nothing made of the changed file")
		})
	}
}
