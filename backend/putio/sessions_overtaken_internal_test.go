package putio

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
	"github.com/rclone/rclone/fs/accounting"
	"github.com/rclone/rclone/fs/config/configmap"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A cancelled run's last PATCH can land on the upload server after the
// next run asked for the offset: the next run then meets, at its next
// resync, an offset past every byte it sent. These tests play that race
// in order: the next run's first PATCH is held, the earlier run's bytes
// land, and the held PATCH then meets them.

const (
	overtakenChunk = 256 << 10          // the next run's PATCH size
	overtakenLate  = sessionCut + 1<<20 // the server's offset once the earlier run's bytes land
)

// overtakenRun is the run after interruptedRun, sending PATCHes smaller
// than the bytes of the earlier run that land late.
func overtakenRun(t *testing.T, f *Fs, srv *putiotest.Server) *Fs {
	t.Helper()
	return nextRun(t, f, srv, configmap.Simple{"upload_window": "1Mi", "chunk_size": strconv.Itoa(overtakenChunk) + "B"})
}

// sessionLocation is the upload URL of f's only session on record.
func sessionLocation(t *testing.T, f *Fs) string {
	t.Helper()
	keys, err := sessionFiles(f).List()
	require.NoError(t, err)
	require.Len(t, keys, 1)
	record, err := sessionFiles(f).Get(keys[0])
	require.NoError(t, err)
	return record.Location
}

// landLate PATCHes bytes [from, to) of data to the upload at location, as
// the earlier run's request still on its way would.
func landLate(t *testing.T, f *Fs, location string, data []byte, from, to int64) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPatch, location, bytes.NewReader(data[from:to]))
	require.NoError(t, err)
	req.Header.Set("Tus-Resumable", "1.0.0")
	req.Header.Set("Upload-Offset", strconv.FormatInt(from, 10))
	req.Header.Set("Content-Type", "application/offset+octet-stream")
	resp, err := tusBackendOf{f}.Do(req)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, strconv.FormatInt(to, 10), resp.Header.Get("Upload-Offset"))
}

// overtake runs put in the background with the next run's first PATCH
// held until the earlier run's bytes [sessionCut, overtakenLate) have
// landed, and returns put's error. The server's counters start afresh.
func overtake(t *testing.T, f *Fs, srv *putiotest.Server, data []byte, put func() error) error {
	t.Helper()
	location := sessionLocation(t, f)
	srv.ResetCounters()
	held := make(chan struct{})
	release := sync.OnceFunc(func() { close(held) })
	t.Cleanup(release) // a failed test does not leave the server waiting
	require.NoError(t, srv.Inject(putiotest.Fault{Route: patchRoute, Hold: held, Times: 1}))
	done := make(chan error, 1)
	go func() { done <- put() }()
	require.Eventually(t, func() bool { return srv.Calls(patchRoute) > 0 }, hangGuard, time.Millisecond, "the next run's PATCH arrives")
	landLate(t, f, location, data, sessionCut, overtakenLate)
	release()
	return <-done
}

// The next run reads its source forward to the server's offset and sends
// only the rest; the bytes it skips are not accounted as sent, and the
// file is whole.
func TestResumedUploadOvertakenByEarlierRun(t *testing.T) {
	f, srv, acct := newTestFs(t, sessionOptions)
	data := pattern(sessionFileSize, 58)
	interruptedRun(t, f, srv, data)
	next := overtakenRun(t, f, srv)
	ctx := freshStatsGroup(t)
	src := newReopenable("big.bin", data)

	err := overtake(t, f, srv, data, func() error {
		tr := accounting.Stats(ctx).NewTransfer(src, nil)
		_, err := next.Put(ctx, tr.Account(ctx, io.NopCloser(bytesReader(data))), src)
		tr.Done(ctx, err)
		return err
	})

	require.NoError(t, err)
	storedAs(t, acct, "big.bin", data)
	assert.Equal(t, int64(sessionFileSize-sessionCut), srv.UploadBytes(), "the late bytes and the rest, nothing twice")
	// What the held PATCH read before the server refused it is counted;
	// the bytes skipped to the server's offset are not.
	accounted := accounting.Stats(ctx).GetBytes()
	assert.GreaterOrEqual(t, accounted, int64(sessionFileSize-overtakenLate))
	assert.LessOrEqual(t, accounted, int64(sessionFileSize-overtakenLate+overtakenChunk))
	assert.Zero(t, acct.Uploads())
	assert.Empty(t, sessionRecords(t, f))
}

// A source that fails as it is read forward to the server's offset fails
// the upload with its error and keeps the session for a later run.
func TestResumedUploadOvertakenSourceFails(t *testing.T) {
	f, srv, acct := newTestFs(t, sessionOptions)
	data := pattern(sessionFileSize, 59)
	interruptedRun(t, f, srv, data)
	next := overtakenRun(t, f, srv)
	dying := io.MultiReader(bytesReader(data[:sessionCut+2*overtakenChunk]), &failingReader{err: errors.New("disk gone")})

	err := overtake(t, f, srv, data, func() error {
		_, err := next.Put(context.Background(), dying, newReopenable("big.bin", data))
		return err
	})

	var srcErr *sourceError
	require.ErrorAs(t, err, &srcErr)
	assert.ErrorContains(t, err, "disk gone")
	assert.ErrorContains(t, err, "skipping to byte "+strconv.Itoa(overtakenLate))
	assert.Len(t, sessionRecords(t, f), 1, "the session is kept")
	assert.Equal(t, 1, acct.Uploads())
	assert.Empty(t, names(t, acct, ""))
}
