package putio

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
	"github.com/rclone/rclone/fs/config/configmap"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	sessionFileSize = 6 << 20
	sessionCut      = 2<<20 + 12345 // where the first run's connection is cut
)

var sessionOptions = configmap.Simple{"upload_window": "1Mi"}

// interruptedRun uploads data as big.bin and is cut off after sessionCut
// bytes with no retries left, as a run killed mid-upload would be.
func interruptedRun(t *testing.T, f *Fs, srv *putiotest.Server, data []byte) {
	t.Helper()
	cutAt(t, srv, sessionCut)
	_, err := f.Put(fewRetries(f, 1), bytesReader(data), newReopenable("big.bin", data))
	require.Error(t, err)
}

// nextRun is a new Fs of the same remote sharing f's cache directory.
func nextRun(t *testing.T, f *Fs, srv *putiotest.Server, extra configmap.Simple) *Fs {
	t.Helper()
	next, err := newFsOn(srv, f.name, "", extra)
	require.NoError(t, err)
	next.(*Fs).sessions = f.sessions
	return next.(*Fs)
}

// resumesInNextRun uploads data as big.bin in the run after interruptedRun,
// which resumes the session and sends only the bytes the server lacked.
func resumesInNextRun(t *testing.T, f *Fs, srv *putiotest.Server, acct *putiotest.Account, data []byte) {
	t.Helper()
	srv.ResetCounters()
	_, err := nextRun(t, f, srv, sessionOptions).Put(context.Background(), bytesReader(data), newReopenable("big.bin", data))

	require.NoError(t, err)
	storedAs(t, acct, "big.bin", data)
	assert.Zero(t, srv.Calls("POST /files/"), "no new session")
	assert.Equal(t, int64(sessionFileSize-sessionCut), srv.UploadBytes(), "only the bytes the server lacked")
}

// sessionFiles is f's session store, which keeps files.
func sessionFiles(f *Fs) fileSessions { return f.sessions.(fileSessions) }

// sessionRecords lists the files in f's session store.
func sessionRecords(t *testing.T, f *Fs) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(sessionFiles(f).dir, "*"))
	require.NoError(t, err)
	return paths
}

// A run interrupted mid-upload leaves its session; the next run sends only
// the bytes the server does not hold and forgets the session.
func TestUploadResumesInNextRun(t *testing.T) {
	f, srv, acct := newTestFs(t, sessionOptions)
	data := pattern(sessionFileSize, 50)
	interruptedRun(t, f, srv, data)
	assert.Equal(t, 1, acct.Uploads(), "session kept for the next run")
	assert.Len(t, sessionRecords(t, f), 1)

	resumesInNextRun(t, f, srv, acct, data)
	assert.Empty(t, sessionRecords(t, f), "finished session forgotten")
	assert.Zero(t, acct.Uploads())
}

// Different content at the same path, size and time never resumes the old
// session: the fingerprint differs, so the old one is terminated.
func TestUploadChangedContentStartsAfresh(t *testing.T) {
	f, srv, acct := newTestFs(t, sessionOptions)
	interruptedRun(t, f, srv, pattern(sessionFileSize, 51))

	srv.ResetCounters()
	changed := pattern(sessionFileSize, 52)
	next := nextRun(t, f, srv, sessionOptions)
	_, err := next.Put(context.Background(), bytesReader(changed), newReopenable("big.bin", changed))

	require.NoError(t, err)
	storedAs(t, acct, "big.bin", changed)
	assert.Equal(t, 1, srv.Calls("POST /files/"))
	assert.Equal(t, 1, srv.Calls("DELETE /files/{upload}"), "old session terminated")
	assert.Equal(t, int64(sessionFileSize), srv.UploadBytes())
	assert.Zero(t, acct.Uploads())
	assert.Empty(t, sessionRecords(t, f))
}

// A session the server has expired (404 on HEAD) is forgotten and the
// upload starts again.
func TestUploadExpiredSessionStartsAfresh(t *testing.T) {
	var shift atomic.Int64
	clock := func() time.Time { return time.Now().Add(time.Duration(shift.Load())) }
	f, srv, acct := newTestFs(t, sessionOptions, putiotest.Options{Now: clock, UploadExpiry: time.Hour})
	data := pattern(sessionFileSize, 53)
	interruptedRun(t, f, srv, data)

	shift.Store(int64(2 * time.Hour))
	srv.ResetCounters()
	next := nextRun(t, f, srv, sessionOptions)
	_, err := next.Put(context.Background(), bytesReader(data), newReopenable("big.bin", data))

	require.NoError(t, err)
	storedAs(t, acct, "big.bin", data)
	assert.Equal(t, 1, srv.Calls("POST /files/"))
	assert.Equal(t, int64(sessionFileSize), srv.UploadBytes())
	assert.Empty(t, sessionRecords(t, f))
}

// A session whose HEAD put.io refuses for good (403, which tus lists for
// a missing upload) is terminated and forgotten, and the upload starts
// afresh instead of failing on every run; a transient failure keeps it.
func TestUploadRefusedSessionStartsAfresh(t *testing.T) {
	f, srv, acct := newTestFs(t, sessionOptions)
	data := pattern(sessionFileSize, 57)
	interruptedRun(t, f, srv, data)
	next := nextRun(t, f, srv, sessionOptions)

	require.NoError(t, srv.Inject(putiotest.Fault{Route: "HEAD /files/{upload}", Status: http.StatusServiceUnavailable}))
	_, err := next.Put(fewRetries(next, 1), bytesReader(data), newReopenable("big.bin", data))
	require.Error(t, err, "a transient failure is reported")
	assert.Len(t, sessionRecords(t, f), 1, "and keeps the session")
	srv.ClearFaults()

	require.NoError(t, srv.Inject(putiotest.Fault{Route: "HEAD /files/{upload}", Status: http.StatusForbidden, Times: 1}))
	srv.ResetCounters()
	_, err = next.Put(context.Background(), bytesReader(data), newReopenable("big.bin", data))

	require.NoError(t, err)
	storedAs(t, acct, "big.bin", data)
	assert.Equal(t, []string{"big.bin"}, names(t, acct, ""))
	assert.Equal(t, 1, srv.Calls("POST /files/"), "a new session")
	assert.Equal(t, 1, srv.Calls("DELETE /files/{upload}"), "the refused one terminated")
	assert.Equal(t, int64(sessionFileSize), srv.UploadBytes())
	assert.Zero(t, acct.Uploads())
	assert.Empty(t, sessionRecords(t, f))
}

// A captcha or a revoked token mid-upload keeps the session: once the
// captcha is solved or the remote reconnected, the next run goes on from
// the server's offset instead of byte 0.
func TestUploadRefusedLoginKeepsSession(t *testing.T) {
	for name, fault := range map[string]putiotest.Fault{
		"captcha": {Route: patchRoute, Status: http.StatusTooManyRequests, Times: 1,
			Headers: map[string]string{"X-Ratelimit-Action": "captcha-needed", "X-Ratelimit-Id": "abc123"}},
		"revoked token": {Route: patchRoute, Status: http.StatusUnauthorized, ErrorType: "invalid_grant", Times: 1},
	} {
		t.Run(name, func(t *testing.T) {
			f, srv, acct := newTestFs(t, sessionOptions)
			data := pattern(sessionFileSize, 58)
			interruptedRun(t, f, srv, data)
			next := nextRun(t, f, srv, sessionOptions)
			require.NoError(t, srv.Inject(fault))
			_, err := next.Put(context.Background(), bytesReader(data), newReopenable("big.bin", data))
			require.Error(t, err)
			assert.Equal(t, 1, acct.Uploads(), "session kept on the server")
			assert.Len(t, sessionRecords(t, f), 1, "and on record")

			resumesInNextRun(t, f, srv, acct, data)
			assert.Empty(t, sessionRecords(t, f))
		})
	}
}

// resume_uploads = false: a failed upload is terminated and nothing is
// recorded.
func TestUploadSessionsOff(t *testing.T) {
	f, srv, acct := newTestFs(t, configmap.Simple{"upload_window": "1Mi", "resume_uploads": "false"})
	interruptedRun(t, f, srv, pattern(sessionFileSize, 54))
	assert.Zero(t, acct.Uploads())
	assert.Empty(t, sessionRecords(t, f))
}

// "rclone backend uploads" lists pending sessions with the server's
// offset, and -o abandon terminates them.
func TestBackendUploadsCommand(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, sessionOptions)
	interruptedRun(t, f, srv, pattern(sessionFileSize, 55))

	out, err := f.Command(ctx, "uploads", nil, nil)
	require.NoError(t, err)
	pending := out.([]PendingUpload)
	require.Len(t, pending, 1)
	assert.Equal(t, PendingUpload{Name: "big.bin", FolderID: "0", Size: sessionFileSize, ModTime: testModTime,
		Created: pending[0].Created, Offset: sessionCut, Status: "pending"}, pending[0])

	out, err = f.Command(ctx, "uploads", []string{"big.bin"}, map[string]string{"abandon": ""})
	require.NoError(t, err)
	assert.Equal(t, "abandoned", out.([]PendingUpload)[0].Status)
	assert.Zero(t, acct.Uploads(), "terminated on the server")
	assert.Empty(t, sessionRecords(t, f))
}

// ageRecord makes the one record of f look made and last used long ago.
func ageRecord(t *testing.T, f *Fs) string {
	t.Helper()
	paths := sessionRecords(t, f)
	require.Len(t, paths, 1)
	key := strings.TrimSuffix(filepath.Base(paths[0]), ".json")
	r, err := f.sessions.Get(key)
	require.NoError(t, err)
	r.Created = time.Now().Add(-sessionMaxAge - time.Hour)
	require.NoError(t, f.sessions.Put(key, r))
	require.NoError(t, os.Chtimes(paths[0], r.Created, r.Created))
	return paths[0]
}

// pruneAgain prunes f's records as the next process would.
func pruneAgain(f *Fs) {
	pruneOnce.Delete(f.sessions)
	f.pruneSessionsOnce()
}

// A resumed session's record counts as used again: the week before it is
// pruned starts anew.
func TestResumedSessionRecordRenewed(t *testing.T) {
	f, srv, _ := newTestFs(t, sessionOptions)
	data := pattern(sessionFileSize, 65)
	interruptedRun(t, f, srv, data)
	path := ageRecord(t, f)

	cutAt(t, srv, sessionCut+1<<20)
	next := nextRun(t, f, srv, sessionOptions)
	_, err := next.Put(fewRetries(next, 1), bytesReader(data), newReopenable("big.bin", data))
	require.Error(t, err, "interrupted again")
	pruneAgain(f)

	assert.Equal(t, []string{path}, sessionRecords(t, f), "kept")
}

// Stale and unreadable records are pruned; no session is ended, as the
// record may be another remote's or another process's.
func TestUploadSessionRecordsPruned(t *testing.T) {
	f, srv, acct := newTestFs(t, sessionOptions)
	interruptedRun(t, f, srv, pattern(sessionFileSize, 59))
	ageRecord(t, f)
	require.NoError(t, os.WriteFile(sessionFiles(f).path("broken"), []byte("{"), 0o600))
	require.NoError(t, f.sessions.Put("fresh", &sessionRecord{Created: time.Now()}))
	srv.ResetCounters()

	pruneAgain(f)

	assert.Equal(t, []string{sessionFiles(f).path("fresh")}, sessionRecords(t, f))
	assert.Zero(t, srv.Calls("DELETE /files/{upload}"))
	assert.Equal(t, 1, acct.Uploads(), "the stale record's session left to the server")
}

// A change the fingerprint misses (in the middle, among the bytes the
// server holds) is caught by the whole-file CRC-32: the bad file is
// removed, the session forgotten, and the next attempt starts afresh.
func TestUploadWrongResumeCaughtByCRC(t *testing.T) {
	f, srv, acct := newTestFs(t, sessionOptions)
	data := pattern(sessionFileSize, 56)
	interruptedRun(t, f, srv, data)
	changed := append([]byte(nil), data...)
	changed[3<<19] ^= 0xff // 1.5 MiB in: past the fingerprinted first MiB, before the cut

	next := nextRun(t, f, srv, sessionOptions)
	_, err := next.Put(context.Background(), bytesReader(changed), newReopenable("big.bin", changed))
	require.ErrorContains(t, err, "corrupted")
	assert.Empty(t, names(t, acct, ""))
	assert.Empty(t, sessionRecords(t, f))

	_, err = next.Put(context.Background(), bytesReader(changed), newReopenable("big.bin", changed))
	require.NoError(t, err)
	storedAs(t, acct, "big.bin", changed)
}

// A final reply without putio-file-crc32 costs a lookup of the new file,
// whose CRC-32 is checked instead: a fresh upload and a resumed one are
// taken when it matches; a resumed one whose earlier bytes differ from
// the source (changed where the fingerprint does not look) is caught and
// deleted, as with the header. A reply with the header costs no lookup.
func TestUploadWithoutServerCRC(t *testing.T) {
	const fileRoute = "GET /v2/files/{id}"
	data := pattern(sessionFileSize, 58)
	changed := append([]byte(nil), data...)
	changed[3<<19] ^= 0xff // past the first MiB, before the cut
	for _, omit := range []bool{false, true} {
		lookups := map[bool]int{false: 0, true: 1}[omit]
		t.Run(fmt.Sprintf("crc omitted %v", omit), func(t *testing.T) {
			t.Run("fresh", func(t *testing.T) {
				f, srv, acct := newTestFs(t, noSessions, putiotest.Options{OmitUploadCRC: omit})
				_, err := f.Put(context.Background(), bytesReader(data), newReopenable("big.bin", data))
				require.NoError(t, err)
				storedAs(t, acct, "big.bin", data)
				assert.Equal(t, lookups, srv.Calls(fileRoute))
			})
			t.Run("resumed", func(t *testing.T) {
				f, srv, acct := newTestFs(t, sessionOptions, putiotest.Options{OmitUploadCRC: omit})
				interruptedRun(t, f, srv, data)
				srv.ResetCounters()
				_, err := nextRun(t, f, srv, sessionOptions).Put(context.Background(), bytesReader(data), newReopenable("big.bin", data))
				require.NoError(t, err)
				storedAs(t, acct, "big.bin", data)
				assert.Zero(t, srv.Calls("POST /files/"), "resumed")
				assert.Equal(t, lookups, srv.Calls(fileRoute))
			})
			t.Run("resumed over other bytes", func(t *testing.T) {
				f, srv, acct := newTestFs(t, sessionOptions, putiotest.Options{OmitUploadCRC: omit})
				interruptedRun(t, f, srv, data)
				srv.ResetCounters()
				_, err := nextRun(t, f, srv, sessionOptions).Put(context.Background(), bytesReader(changed), newReopenable("big.bin", changed))
				require.ErrorContains(t, err, "upload corrupted")
				assert.Zero(t, srv.Calls("POST /files/"), "resumed")
				assert.Empty(t, names(t, acct, ""), "the bad file deleted")
				assert.Empty(t, sessionRecords(t, f))
			})
		})
	}
}

// A final reply without a CRC-32 that names another file leaves the
// upload unchecked: an error, and nothing deleted.
func TestUploadWithoutServerCRCNamingAnotherFile(t *testing.T) {
	f, srv, acct := newTestFs(t, noSessions)
	keep, err := acct.Put("keep.txt", []byte("keep"), testModTime)
	require.NoError(t, err)
	require.NoError(t, srv.Inject(putiotest.Fault{Route: patchRoute, Status: http.StatusNoContent, Headers: map[string]string{
		"Upload-Offset": "5", "Putio-File-Id": fmt.Sprint(keep.ID),
	}}))

	_, err = f.Put(context.Background(), bytesReader([]byte("hello")), srcInfo("hello.txt", 5))

	require.ErrorContains(t, err, "could not be checked")
	assert.Equal(t, []string{"keep.txt"}, names(t, acct, ""))
	assert.Empty(t, acct.Trash())
}
