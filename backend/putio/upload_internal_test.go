package putio

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/internal/tus"
	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
	"github.com/rclone/rclone/fs"
	"github.com/rclone/rclone/fs/config/configmap"
	"github.com/rclone/rclone/fs/fserrors"
	"github.com/rclone/rclone/fs/hash"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const patchRoute = "PATCH /files/{upload}"

// seedOld puts "old bytes" at dir/file.txt and returns its Object.
func seedOld(t *testing.T, f *Fs, acct *putiotest.Account) fs.Object {
	t.Helper()
	o := seedObject(t, f, acct, "dir/file.txt", []byte("old bytes"))
	return o
}

// assertOldIntact checks the old version is the only item at its path and
// no upload session is left.
func assertOldIntact(t *testing.T, acct *putiotest.Account) {
	t.Helper()
	data, err := acct.ReadFile("dir/file.txt")
	require.NoError(t, err)
	assert.Equal(t, "old bytes", string(data))
	assert.Equal(t, []string{"file.txt"}, names(t, acct, "dir"), "no orphan or duplicate")
	assert.Empty(t, acct.Trash(), "old version not deleted")
	assert.Zero(t, acct.Uploads(), "tus upload terminated")
}

func TestUpdateSourceFailsMidway(t *testing.T) {
	f, srv, acct := newTestFs(t, nil)
	f.opt.ChunkSize = 1024
	o := seedOld(t, f, acct)
	srv.ResetCounters()

	source := &failingReader{data: pattern(2500, 5), err: errors.New("source died")}
	err := o.Update(context.Background(), source, srcInfo("dir/file.txt", 5000))

	require.ErrorContains(t, err, "source died")
	// The third PATCH may die in the client's write buffer, unseen, or
	// reach the server's count only after Update returned: the bytes the
	// server got say what was sent.
	assert.LessOrEqual(t, srv.Calls(patchRoute), 3, "two whole chunks, then one the source cut short, not retried")
	assert.GreaterOrEqual(t, srv.UploadBytes(), int64(2048), "two whole chunks")
	assert.LessOrEqual(t, srv.UploadBytes(), int64(2500), "nothing past what the source gave")
	assert.Zero(t, srv.Calls("HEAD /files/{upload}"), "not resumed")
	assert.Equal(t, 1, srv.Calls("DELETE /files/{upload}"))
	assertOldIntact(t, acct)
	assert.Equal(t, "old bytes", string(readAll(context.Background(), t, o)), "object still reads the old version")
}

func TestUpdateServerRefusesMidway(t *testing.T) {
	f, srv, acct := newTestFs(t, nil)
	f.opt.ChunkSize = 1024
	o := seedOld(t, f, acct)
	require.NoError(t, srv.Inject(putiotest.Fault{Route: patchRoute, Status: http.StatusInsufficientStorage}))

	data := pattern(3000, 6)
	err := o.Update(fewRetries(f, 2), bytesReader(data), srcInfo("dir/file.txt", int64(len(data))))

	require.Error(t, err)
	srv.ClearFaults()
	assertOldIntact(t, acct)
}

func TestUpdateShortSource(t *testing.T) {
	f, _, acct := newTestFs(t, nil)
	o := seedOld(t, f, acct)
	err := o.Update(context.Background(), bytesReader([]byte("short")), srcInfo("dir/file.txt", 100))
	require.Error(t, err)
	assertOldIntact(t, acct)
}

func TestFailedPutLeavesNothing(t *testing.T) {
	f, _, acct := newTestFs(t, nil)
	f.opt.ChunkSize = 1024
	require.NoError(t, f.Mkdir(context.Background(), "dir"))
	source := &failingReader{data: pattern(1500, 7), err: errors.New("source died")}

	_, err := f.Put(context.Background(), source, srcInfo("dir/new.bin", 4000))

	require.ErrorContains(t, err, "source died")
	assert.Empty(t, names(t, acct, "dir"))
	assert.Zero(t, acct.Uploads())
}

// A connection cut in the middle of a PATCH is resumed from the server's
// offset (HEAD), inside the same Put.
func TestUploadResumesAfterCut(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, nil)
	f.opt.ChunkSize = 4096
	require.NoError(t, srv.Inject(putiotest.Fault{Route: patchRoute, Cut: putiotest.CutRequest, CutAfter: 1000, Times: 1}))
	data := pattern(10000, 8)

	o := put(ctx, t, f, "resumed.bin", data)

	storedAs(t, acct, "resumed.bin", data)
	assert.Equal(t, 1, srv.Calls("HEAD /files/{upload}"))
	want := fmt.Sprintf("%08x", crc32.ChecksumIEEE(data))
	got, err := o.Hash(ctx, hash.CRC32)
	require.NoError(t, err)
	assert.Equal(t, want, got)
	stat, err := acct.Stat("resumed.bin")
	require.NoError(t, err)
	assert.Equal(t, want, stat.CRC32)
}

// A 409 (offset mismatch) is resolved with HEAD and the PATCH resent.
func TestUploadResyncsAfterConflict(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, nil)
	require.NoError(t, srv.Inject(putiotest.Fault{Route: patchRoute, Status: http.StatusConflict, Times: 1}))
	data := pattern(3000, 9)

	put(ctx, t, f, "conflict.bin", data)

	storedAs(t, acct, "conflict.bin", data)
	assert.Equal(t, 1, srv.Calls("HEAD /files/{upload}"))
	assert.Equal(t, 2, srv.Calls(patchRoute))
}

// An empty file is a creation with length 0 and one empty PATCH.
func TestUploadZeroLength(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, nil)
	o := put(ctx, t, f, "empty.txt", nil)

	assert.Equal(t, 1, srv.Calls(patchRoute))
	stat, err := acct.Stat("empty.txt")
	require.NoError(t, err)
	assert.Zero(t, stat.Size)
	assert.Equal(t, "00000000", stat.CRC32)
	assert.Zero(t, o.Size())
	assert.Empty(t, readAll(ctx, t, o))
	assert.Zero(t, srv.Calls("GET /v2/files/{id}/url"), "an empty file is read without any call")
}

// Uploads name the file and parent in the tus metadata, keep torrents as
// files and carry the modification time.
func TestUploadMetadata(t *testing.T) {
	assert.Equal(t, "name YS50eHQ=,no-torrent dHJ1ZQ==", tus.Metadata([2]string{"name", "a.txt"}, [2]string{"no-torrent", "true"}))
	ctx := context.Background()
	f, _, acct := newTestFs(t, nil)
	put(ctx, t, f, "x.torrent", []byte("d8:announce"))
	stat, err := acct.Stat("x.torrent")
	require.NoError(t, err, "stored as a file, not turned into a transfer")
	assert.Equal(t, testModTime, stat.UpdatedAt.UTC())
}

// Unknown-size sources are refused cleanly.
func TestUploadUnknownSize(t *testing.T) {
	f, srv, _ := newTestFs(t, nil)
	_, err := f.Put(context.Background(), bytesReader([]byte("x")), srcInfo("u.txt", -1))
	require.ErrorContains(t, err, "unknown size")
	assert.Zero(t, srv.Calls("POST /files/"))
}

// A final reply whose CRC-32 differs from what was sent fails the upload
// and deletes the file the server made.
func TestUploadCRCMismatchDeletesFile(t *testing.T) {
	f, srv, acct := newTestFs(t, nil)
	marker, err := acct.Put("marker.txt", nil, testModTime)
	require.NoError(t, err)
	fault := corruptFinalReply(marker.ID + 1) // the emulator's next id: the upload's file
	fault.AfterWork = true
	require.NoError(t, srv.Inject(fault))

	_, err = f.Put(context.Background(), bytesReader([]byte("hello")), srcInfo("hello.txt", 5))

	require.ErrorContains(t, err, "upload corrupted")
	assert.Equal(t, []string{"marker.txt"}, names(t, acct, ""), "corrupt file deleted")
	require.Len(t, acct.Trash(), 1)
	assert.Equal(t, "hello.txt", acct.Trash()[0].Name)
	assert.Zero(t, acct.Uploads())
}

// corruptFinalReply answers the final PATCH of a 5-byte upload with a
// CRC-32 that is not the one sent, naming the file id.
func corruptFinalReply(id int64) putiotest.Fault {
	return putiotest.Fault{Route: patchRoute, Status: http.StatusNoContent, Headers: map[string]string{
		"Upload-Offset": "5", "Putio-File-Id": fmt.Sprint(id), "Putio-File-Crc32": "deadbeef",
	}}
}

// A corrupt upload's reply naming anything but the uploaded file (the
// version being replaced, a folder, another file) deletes nothing.
func TestUploadCRCMismatchDeletesOnlyTheUpload(t *testing.T) {
	t.Run("the version replaced", func(t *testing.T) {
		f, srv, acct := newTestFs(t, noSessions)
		o := seedOld(t, f, acct)
		oldID, err := strconv.ParseInt(o.(fs.IDer).ID(), 10, 64)
		require.NoError(t, err)
		require.NoError(t, srv.Inject(corruptFinalReply(oldID)))

		err = o.Update(context.Background(), bytesReader([]byte("hello")), srcInfo("dir/file.txt", 5))

		require.ErrorContains(t, err, "upload corrupted")
		assertOldIntact(t, acct)
	})
	for name, other := range map[string]string{"a folder": "folder/", "another file": "other.txt"} {
		t.Run(name, func(t *testing.T) {
			f, srv, acct := newTestFs(t, noSessions)
			var id int64
			if dir, ok := strings.CutSuffix(other, "/"); ok {
				item, err := acct.Mkdir(dir)
				require.NoError(t, err)
				id = item.ID
			} else {
				item, err := acct.Put(other, []byte("keep"), testModTime)
				require.NoError(t, err)
				id = item.ID
			}
			require.NoError(t, srv.Inject(corruptFinalReply(id)))

			_, err := f.Put(context.Background(), bytesReader([]byte("hello")), srcInfo("hello.txt", 5))

			require.ErrorContains(t, err, "upload corrupted")
			assert.Equal(t, []string{strings.TrimSuffix(other, "/")}, names(t, acct, ""), "nothing deleted")
			assert.Empty(t, acct.Trash())
		})
	}
}

// A final reply without a usable file id is an error, not a bogus object.
func TestUploadWithoutFileID(t *testing.T) {
	f, srv, acct := newTestFs(t, nil)
	require.NoError(t, srv.Inject(putiotest.Fault{Route: patchRoute, Status: http.StatusNoContent, Headers: map[string]string{
		"Upload-Offset": "5", "Putio-File-Id": "abc",
	}}))

	_, err := f.Put(context.Background(), bytesReader([]byte("hello")), srcInfo("hello.txt", 5))

	require.ErrorContains(t, err, "putio-file-id")
	assert.Zero(t, acct.Uploads())
}

// When the final PATCH's reply is lost, the file the server made is found
// by name, size and CRC-32 instead of failing or uploading again.
func TestUploadFinalReplyLost(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, nil)
	data := pattern(3000, 10)
	require.NoError(t, srv.Inject(putiotest.Fault{Route: patchRoute, Cut: putiotest.CutRequest, CutAfter: int64(len(data)), Times: 1}))

	o := put(ctx, t, f, "lost.bin", data)

	stat, err := acct.Stat("lost.bin")
	require.NoError(t, err)
	assert.Equal(t, fmt.Sprint(stat.ID), o.(fs.IDer).ID())
	assert.Equal(t, []string{"lost.bin"}, names(t, acct, ""))
	assert.Equal(t, 1, srv.Calls(patchRoute), "not uploaded twice")
	assert.Equal(t, 1, srv.Calls("HEAD /files/{upload}"), "the lost reply was noticed")
	assert.Equal(t, data, readAll(ctx, t, o))
}

// A server with a PATCH size limit below chunk_size (413) gets smaller
// pieces, learnt once for the whole upload.
func TestUploadAdaptsToPatchLimit(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, nil, putiotest.Options{MaxPatchSize: 100 * 1024})
	f.opt.ChunkSize = 256 * 1024
	data := pattern(600*1024, 11)

	put(ctx, t, f, "big.bin", data)

	storedAs(t, acct, "big.bin", data)
	var refused int
	for _, entry := range srv.Log() {
		if entry.Status == http.StatusRequestEntityTooLarge {
			refused++
		}
	}
	assert.Equal(t, 2, refused, "256 KiB and 128 KiB refused, then 64 KiB pieces throughout")
}

// A server that answers a PATCH without moving its offset is not looped
// on forever.
func TestUploadNoProgressGivesUp(t *testing.T) {
	f, srv, acct := newTestFs(t, nil)
	require.NoError(t, srv.Inject(putiotest.Fault{Route: patchRoute, Status: http.StatusNoContent, Headers: map[string]string{"Upload-Offset": "0"}}))
	_, err := f.Put(fewRetries(f, 3), bytesReader([]byte("hello")), srcInfo("stuck.txt", 5))
	require.Error(t, err)
	assert.Equal(t, 3, srv.Calls(patchRoute))
	assert.Zero(t, acct.Uploads())
}

// cancellingReader cancels its context once the first n bytes are read.
type cancellingReader struct {
	data   []byte
	n      int
	cancel context.CancelFunc
}

func (r *cancellingReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	k := copy(p, r.data)
	r.data = r.data[k:]
	if r.n -= k; r.n <= 0 {
		r.cancel()
	}
	return k, nil
}

// A cancelled upload stops and still terminates its tus session.
func TestUploadCancelledCleansUp(t *testing.T) {
	f, _, acct := newTestFs(t, nil)
	f.opt.ChunkSize = 1024
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	source := &cancellingReader{data: pattern(5000, 12), n: 1024, cancel: cancel}

	_, err := f.Put(ctx, source, srcInfo("cancelled.bin", 5000))

	require.ErrorIs(t, err, context.Canceled)
	assert.Empty(t, names(t, acct, ""))
	assert.Zero(t, acct.Uploads())
}

// uploadAllocs is the bytes allocated (backend and in-process emulator)
// while uploading size bytes.
func uploadAllocs(t *testing.T, f *Fs, remote string, size int) uint64 {
	t.Helper()
	data := pattern(size, 13)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := f.Put(context.Background(), bytesReader(data), srcInfo(remote, int64(size)))
	runtime.ReadMemStats(&after)
	require.NoError(t, err)
	return after.TotalAlloc - before.TotalAlloc
}

// An upload's memory is the window: it grows neither with the file size
// nor with chunk_size.
func TestUploadMemoryIsTheWindow(t *testing.T) {
	f, _, acct := newTestFs(t, configmap.Simple{"upload_window": "1Mi", "chunk_size": "64Mi"})
	takesLargePatches(f) // one PATCH each, as chunk_size allows: no per-PATCH costs
	uploadAllocs(t, f, "warm-up.bin", 1<<20)
	small := uploadAllocs(t, f, "small.bin", 4<<20)
	big := uploadAllocs(t, f, "big.bin", 32<<20)
	assert.Less(t, big, small+2<<20, "allocations for 32 MiB (%d) vs 4 MiB (%d)", big, small)
	assert.Less(t, small, uint64(4<<20), "a 4 MiB upload allocates more than 4 MiB")
	storedAs(t, acct, "big.bin", pattern(32<<20, 13))
}

// When the final reply of an Update is lost, the new version is found by
// id, newer than the old one, even when the old one has the same name,
// size, CRC-32 and time; /child's single answer is never relied on.
func TestUpdateFinalReplyLostFindsNewVersion(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, noSessions)
	data := pattern(3000, 14)
	o := seedObject(t, f, acct, "dir/file.txt", data)
	oldID := o.(fs.IDer).ID()
	require.NoError(t, srv.Inject(putiotest.Fault{Route: patchRoute, Cut: putiotest.CutRequest, CutAfter: int64(len(data)), Times: 1}))
	srv.ResetCounters()

	require.NoError(t, o.Update(ctx, bytesReader(data), srcInfo("dir/file.txt", int64(len(data)))))

	stat, err := acct.Stat("dir/file.txt")
	require.NoError(t, err)
	assert.Equal(t, fmt.Sprint(stat.ID), o.(fs.IDer).ID(), "the object is the new version")
	assert.NotEqual(t, oldID, o.(fs.IDer).ID())
	assert.Equal(t, []string{"file.txt"}, names(t, acct, "dir"), "old version deleted, no duplicate")
	assert.Zero(t, srv.Calls(childRoute))
	assert.Equal(t, 1, srv.Calls(patchRoute), "not uploaded twice")
}

// An upload and download host whose clock runs ahead of or behind the
// API's does not change which file is the upload's after a lost reply.
// An older twin (same name, bytes and time, made ten minutes earlier) is
// there, and the last reply before the upload came from the skewed host.
// Reply lost after the file was made: that file, not the twin, and no
// second copy (a clock ahead took it for older than the upload). Reply
// lost before: sent again, never the twin (a clock behind took the twin
// for the upload's).
func TestUploadIdentifiedDespiteHostClockSkew(t *testing.T) {
	for _, host := range []string{"upload", "download"} {
		for _, skew := range []time.Duration{time.Hour, -time.Hour} {
			for _, made := range []bool{true, false} {
				t.Run(fmt.Sprintf("%s host %v, file made %v", host, skew, made), func(t *testing.T) {
					testUploadWithHostClockSkew(t, host, skew, made)
				})
			}
		}
	}
}

func testUploadWithHostClockSkew(t *testing.T, host string, skew time.Duration, made bool) {
	ctx := context.Background()
	var shift atomic.Int64
	opts := putiotest.Options{Now: func() time.Time { return time.Now().Add(time.Duration(shift.Load())) }}
	if host == "upload" {
		opts.UploadClockSkew = skew
	} else {
		opts.DownloadClockSkew = skew
	}
	if !made {
		opts.TusExtensions = []string{"creation", "creation-with-upload"}
	}
	f, srv, acct := newTestFs(t, noSessions, opts)
	data := pattern(5000, 15)
	shift.Store(int64(-10 * time.Minute))
	twin, err := f.PutUnchecked(ctx, bytesReader(data), srcInfo("twin.bin", int64(len(data))))
	require.NoError(t, err)
	shift.Store(0)
	if host == "download" {
		assert.Equal(t, data, readAll(ctx, t, twin))
	}
	fault := putiotest.Fault{Route: "POST /files/", Status: http.StatusBadGateway, Times: 1}
	if made {
		fault = putiotest.Fault{Route: patchRoute, Cut: putiotest.CutRequest, CutAfter: int64(len(data)), Times: 1}
	}
	require.NoError(t, srv.Inject(fault))
	srv.ResetCounters()

	o, err := f.PutUnchecked(ctx, bytesReader(data), srcInfo("twin.bin", int64(len(data))))

	require.NoError(t, err)
	items, err := acct.List("")
	require.NoError(t, err)
	require.Len(t, items, 2, "the twin and the upload's file, no second copy")
	assert.Equal(t, twin.(fs.IDer).ID(), fmt.Sprint(items[0].ID))
	assert.Equal(t, fmt.Sprint(items[1].ID), o.(fs.IDer).ID(), "the upload's own file, not the twin")
	assert.Equal(t, map[bool]int{true: 1, false: 2}[made], srv.Calls("POST /files/"), "sent again only if not made")
	storedAs(t, acct, "twin.bin", data)
}

// quotaFull is put.io's answer when the account has no room left.
var quotaFull = putiotest.Fault{Route: patchRoute, Status: http.StatusRequestEntityTooLarge, ErrorType: "QUOTA_EXCEEDED",
	Message: "not enough disk space", Times: 1}

// An account that fills up while an upload is under way (another upload
// took the space between its first PATCH and its last) fails the upload
// saying so: not retried, PATCHes not made smaller for later uploads,
// not taken for a lost reply.
func TestUploadQuotaRunsOutMidUpload(t *testing.T) {
	var fill sync.Once
	var acct *putiotest.Account
	f, srv, acct := newTestFs(t, withOptions("chunk_size", "256Ki", "upload_window", "64Ki"), putiotest.Options{Quota: 1 << 20,
		OnRequest: func(entry putiotest.LogEntry) {
			if entry.Route == patchRoute && entry.Status == http.StatusNoContent {
				fill.Do(func() { _, _ = acct.Put("filler.bin", make([]byte, 500<<10), testModTime) })
			}
		}})
	data := pattern(600<<10, 16)

	_, err := f.Put(context.Background(), bytesReader(data), newReopenable("late.bin", data))

	require.ErrorContains(t, err, "the put.io account is full")
	assert.Zero(t, f.uploads.MaxPatch(), "PATCH size not cut")
	assert.Equal(t, 3, srv.Calls(patchRoute), "256 KiB twice, then the rest once")
	assert.Zero(t, srv.Calls("HEAD /files/{upload}"), "not taken for a lost reply")
	assert.Equal(t, []string{"filler.bin"}, names(t, acct, ""))
	assert.Zero(t, acct.Uploads())
}

// A 413 QUOTA_EXCEEDED to a PATCH fails the upload at once and keeps its
// session for a later run, which resumes it once there is room; without
// a session on record the upload is ended.
func TestUploadQuotaRefusalKeepsTheSession(t *testing.T) {
	data := pattern(600<<10, 17)
	t.Run("with a session", func(t *testing.T) {
		f, srv, acct := newTestFs(t, configmap.Simple{"upload_window": "64Ki"})
		cutAt(t, srv, 200<<10) // the bytes before the refusal stay on the server
		require.NoError(t, srv.Inject(quotaFull))

		_, err := f.Put(context.Background(), bytesReader(data), newReopenable("big.bin", data))

		require.ErrorContains(t, err, "the put.io account is full")
		assert.Zero(t, f.uploads.MaxPatch(), "PATCH size not cut")
		assert.Equal(t, 2, srv.Calls(patchRoute), "the refused PATCH was not retried")
		assert.Equal(t, 1, acct.Uploads(), "session kept")
		assert.Len(t, sessionRecords(t, f), 1)

		srv.ResetCounters()
		_, err = f.Put(context.Background(), bytesReader(data), newReopenable("big.bin", data))
		require.NoError(t, err)
		storedAs(t, acct, "big.bin", data)
		assert.Zero(t, srv.Calls("POST /files/"), "resumed")
		assert.Equal(t, int64(len(data)-200<<10), srv.UploadBytes(), "only the bytes the server lacked")
	})
	t.Run("without", func(t *testing.T) {
		f, srv, acct := newTestFs(t, noSessions)
		require.NoError(t, srv.Inject(quotaFull))

		_, err := f.Put(context.Background(), bytesReader(data), newReopenable("big.bin", data))

		require.ErrorContains(t, err, "the put.io account is full")
		assert.Zero(t, f.uploads.MaxPatch())
		assert.Equal(t, 1, srv.Calls(patchRoute))
		assert.Zero(t, acct.Uploads(), "session ended")
		assert.Empty(t, names(t, acct, ""))
	})
}

// An upload larger than the free space is refused at creation, saying
// the account is full.
func TestUploadQuotaRefusedAtCreation(t *testing.T) {
	f, srv, acct := newTestFs(t, noSessions, putiotest.Options{Quota: 1000})
	_, err := f.Put(context.Background(), bytesReader(pattern(1001, 18)), srcInfo("big.bin", 1001))
	require.ErrorContains(t, err, "the put.io account is full")
	assert.True(t, fserrors.IsNoRetryError(err), "not retried by --retries either")
	assert.Equal(t, 1, srv.Calls("POST /files/"), "not retried")
	assert.Empty(t, names(t, acct, ""))
}

// An upload of an NFD name is identified after a lost reply whether put.io
// stores the name as sent or in NFC: after the final PATCH (no failure,
// no second upload) and after the creation POST that carried the file (no
// second copy).
func TestUploadLostReplyNFDName(t *testing.T) {
	const nfd = "cafe\u0301.bin"
	for _, normalize := range []bool{false, true} {
		for _, creationWithUpload := range []bool{false, true} {
			t.Run(fmt.Sprintf("stored in NFC %v, in the creation %v", normalize, creationWithUpload), func(t *testing.T) {
				opts := putiotest.Options{NormalizeNamesNFC: normalize}
				route := patchRoute
				if creationWithUpload {
					opts.TusExtensions, route = []string{"creation", "creation-with-upload"}, "POST /files/"
				}
				f, srv, acct := newTestFs(t, noSessions, opts)
				data := pattern(3000, 19)
				require.NoError(t, srv.Inject(putiotest.Fault{Route: route, Cut: putiotest.CutRequest, CutAfter: int64(len(data)), Times: 1}))

				o := put(context.Background(), t, f, nfd, data)

				items, err := acct.List("")
				require.NoError(t, err)
				require.Len(t, items, 1, "no second copy")
				assert.Equal(t, map[bool]string{false: nfd, true: "caf\u00e9.bin"}[normalize], items[0].Name)
				assert.Equal(t, fmt.Sprint(items[0].ID), o.(fs.IDer).ID())
				assert.Equal(t, 1, srv.Calls(route), "sent once")
			})
		}
	}
}

// A corrupt upload of an NFD name is deleted when put.io stores the name
// in NFC: the item the reply names is still recognised as the upload's.
func TestUploadCRCMismatchDeletesNFCStoredFile(t *testing.T) {
	f, srv, acct := newTestFs(t, noSessions, putiotest.Options{NormalizeNamesNFC: true})
	marker, err := acct.Put("marker.txt", nil, testModTime)
	require.NoError(t, err)
	fault := corruptFinalReply(marker.ID + 1)
	fault.AfterWork = true
	require.NoError(t, srv.Inject(fault))

	_, err = f.Put(context.Background(), bytesReader([]byte("hello")), srcInfo("he\u0301llo.txt", 5))

	require.ErrorContains(t, err, "upload corrupted")
	assert.Equal(t, []string{"marker.txt"}, names(t, acct, ""), "corrupt file deleted")
	require.Len(t, acct.Trash(), 1)
	assert.Equal(t, "h\u00e9llo.txt", acct.Trash()[0].Name)
}

// When the server holds every byte but the reply that completes the
// upload was lost, and no look finds the file (another device removed
// it at once), the upload may still have made it: it ends unsettled,
// not as a plain failure rclone would send again. A failure whose look
// found nothing after a request that only may have taken the last byte
// ends plainly (see TestSimUploadFoundAfterResyncFails for one found).
func TestUploadHeldWholeButNotFoundIsUnsettled(t *testing.T) {
	var acct atomic.Pointer[putiotest.Account]
	removed := atomic.Bool{}
	f, srv, account := newTestFs(t, noSessions, putiotest.Options{OnRequest: func(entry putiotest.LogEntry) {
		if entry.Route == "HEAD /files/{upload}" && !removed.Swap(true) {
			assert.NoError(t, acct.Load().Delete("held.bin"))
		}
	}})
	acct.Store(account)
	ctx := fewRetries(f, 2)
	require.NoError(t, srv.Inject(putiotest.Fault{Route: patchRoute, AfterWork: true, Status: http.StatusBadGateway, Times: 1}))

	_, err := f.Put(ctx, strings.NewReader("held whole"), srcInfo("held.bin", 10))

	require.ErrorContains(t, err, "could not be identified")
	assert.False(t, fserrors.IsRetryError(err), "rclone must not send it again in this run")
	assert.True(t, fserrors.IsNoLowLevelRetryError(err))
	assert.Equal(t, 1, srv.Calls("POST /files/"), "sent once")
	assert.True(t, removed.Load(), "the server was asked for its offset")
}
