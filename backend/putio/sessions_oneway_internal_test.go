package putio

import (
	"context"
	"testing"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/internal/tus"
	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
	"github.com/rclone/rclone/fs/config/configmap"
	"github.com/rclone/rclone/fs/object"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A source that can't be opened again (copyurl, or a wrapping remote that
// writes the same bytes each time) keeps its session too: its first MiB,
// read into the window before the session is made, is its fingerprint, and
// the next attempt reads through the bytes the server holds instead of
// sending them.

// oneWayPut uploads data as big.bin from a plain reader: no object to open.
func oneWayPut(ctx context.Context, f *Fs, data []byte) error {
	_, err := f.Put(ctx, bytesReader(data), srcInfo("big.bin", int64(len(data))))
	return err
}

// interruptedOneWay uploads data from a plain reader and is cut off after
// sessionCut bytes with no retries left.
func interruptedOneWay(t *testing.T, f *Fs, srv *putiotest.Server, data []byte) {
	t.Helper()
	cutAt(t, srv, sessionCut)
	require.Error(t, oneWayPut(fewRetries(f, 1), f, data))
}

// An attempt that ran out of tries keeps its session; the next attempt with
// the same bytes resumes it, whether the server kept the cut request's bytes
// or dropped them.
func TestOneWayUploadResumesNextAttempt(t *testing.T) {
	for _, drop := range []bool{false, true} {
		t.Run(map[bool]string{false: "server keeps", true: "server drops"}[drop], func(t *testing.T) {
			f, srv, acct := newTestFs(t, sessionOptions, putiotest.Options{DropPartialPatch: drop})
			takesLargePatches(f)
			data := pattern(sessionFileSize, 60)
			interruptedOneWay(t, f, srv, data)
			assert.Equal(t, 1, acct.Uploads(), "session kept for the next attempt")
			assert.Len(t, sessionRecords(t, f), 1)
			held := int64(sessionCut)
			if drop {
				held = 0
			}

			srv.ResetCounters()
			next := nextRun(t, f, srv, sessionOptions)
			require.NoError(t, oneWayPut(context.Background(), next, data))

			storedAs(t, acct, "big.bin", data)
			assert.Zero(t, srv.Calls("POST /files/"), "no new session")
			assert.Equal(t, sessionFileSize-held, srv.UploadBytes(), "only the bytes the server lacked")
			assert.Empty(t, sessionRecords(t, f), "finished session forgotten")
			assert.Zero(t, acct.Uploads())
		})
	}
}

// A cut further back than the window holds ends the attempt with the
// error saying what to do, and leaves the session, which the next attempt
// resumes (here from byte 0, as the server dropped the cut request).
func TestOneWayCutBeforeWindowKeepsSession(t *testing.T) {
	window := configmap.Simple{"upload_window": "1Mi"}
	f, srv, acct := newTestFs(t, window, putiotest.Options{DropPartialPatch: true})
	takesLargePatches(f)
	data := pattern(4<<20, 61)
	cutAt(t, srv, 3<<20)

	err := oneWayPut(context.Background(), f, data)

	require.ErrorIs(t, err, tus.ErrCannotRewind)
	assert.ErrorContains(t, err, "run again")
	assert.Equal(t, 1, acct.Uploads(), "session kept")
	srv.ResetCounters()
	require.NoError(t, oneWayPut(context.Background(), nextRun(t, f, srv, window), data))
	storedAs(t, acct, "big.bin", data)
	assert.Zero(t, srv.Calls("POST /files/"), "resumed, not created again")
	assert.Zero(t, acct.Uploads())
}

// Other bytes at the same path, size and time don't resume: the first
// bytes differ, so the old session is terminated before any byte is sent.
func TestOneWayChangedContentStartsAfresh(t *testing.T) {
	f, srv, acct := newTestFs(t, sessionOptions)
	interruptedOneWay(t, f, srv, pattern(sessionFileSize, 62))

	srv.ResetCounters()
	changed := pattern(sessionFileSize, 63)
	require.NoError(t, oneWayPut(context.Background(), nextRun(t, f, srv, sessionOptions), changed))

	storedAs(t, acct, "big.bin", changed)
	assert.Equal(t, 1, srv.Calls("DELETE /files/{upload}"), "old session terminated")
	assert.Equal(t, 1, srv.Calls("POST /files/"))
	assert.Equal(t, int64(sessionFileSize), srv.UploadBytes())
	assert.Zero(t, acct.Uploads())
	assert.Empty(t, sessionRecords(t, f))
}

// A change past the first bytes, among those the server holds, is caught by
// the whole-file CRC-32: the bad file is removed and the session forgotten.
func TestOneWayWrongResumeCaughtByCRC(t *testing.T) {
	f, srv, acct := newTestFs(t, sessionOptions)
	takesLargePatches(f)
	data := pattern(sessionFileSize, 64)
	interruptedOneWay(t, f, srv, data)
	changed := append([]byte(nil), data...)
	changed[3<<19] ^= 0xff // past the first MiB, before the cut

	err := oneWayPut(context.Background(), nextRun(t, f, srv, sessionOptions), changed)

	require.ErrorContains(t, err, "corrupted")
	assert.Empty(t, names(t, acct, ""))
	assert.Empty(t, sessionRecords(t, f))
}

// A window too small to hold the first MiB can't tell one content from
// another: no session is kept, and the next attempt starts afresh.
func TestOneWaySmallWindowKeepsNoSession(t *testing.T) {
	small := configmap.Simple{"upload_window": "64Ki"}
	f, srv, acct := newTestFs(t, small)
	interruptedOneWay(t, f, srv, pattern(sessionFileSize, 70))
	assert.Zero(t, acct.Uploads(), "terminated")
	assert.Empty(t, sessionRecords(t, f))

	srv.ResetCounters()
	changed := pattern(sessionFileSize, 71)
	require.NoError(t, oneWayPut(context.Background(), nextRun(t, f, srv, small), changed))
	storedAs(t, acct, "big.bin", changed)
	assert.Equal(t, 1, srv.Calls("POST /files/"), "a fresh session")
}

// A source stamped with the time of the upload itself (rcat, serve) gets a
// new record name on every run, so its session is never kept for one.
func TestOneWayStampedNowKeepsNoSession(t *testing.T) {
	f, srv, acct := newTestFs(t, sessionOptions)
	data := pattern(sessionFileSize, 72)
	cutAt(t, srv, sessionCut)

	_, err := f.Put(fewRetries(f, 1), bytesReader(data), object.NewStaticObjectInfo("big.bin", time.Now(), int64(len(data)), true, nil, nil))

	require.Error(t, err)
	assert.Zero(t, acct.Uploads(), "terminated")
	assert.Empty(t, sessionRecords(t, f))
}
