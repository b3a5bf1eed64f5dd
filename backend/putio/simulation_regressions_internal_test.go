package putio

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
	"github.com/rclone/rclone/fs"
	"github.com/rclone/rclone/fs/accounting"
	"github.com/rclone/rclone/fs/object"
	"github.com/rclone/rclone/fs/operations"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Regression tests for what TestSimulation found, each the shrunk
// sequence it reported, made deterministic.

// TestSimCutRefusalIsTriedAgain: put.io refuses a copy with its
// spurious NAME_ALREADY_EXIST, and the refusal's body is cut. A refusal
// that did not arrive whole says nothing of which refusal it was, so the
// copy is tried again, as after any lost reply, instead of failing as a
// final 400.
func TestSimCutRefusalIsTriedAgain(t *testing.T) {
	f, srv, acct := newTestFs(t, nil, putiotest.Options{SpuriousCopyConflict: true})
	ctx := context.Background()
	src := seedObject(t, f, acct, "dir/src.txt", []byte("hello, world"))
	require.NoError(t, srv.Inject(putiotest.Fault{Route: "POST /v2/files/copy", Cut: putiotest.CutResponse, CutAfter: 20, Times: 1}))

	dst, err := f.Copy(ctx, src, "dir/dst.txt")
	require.NoError(t, err)
	assert.Equal(t, 2, srv.Calls("POST /v2/files/copy"), "the cut refusal was tried again")
	assert.ElementsMatch(t, []string{"src.txt", "dst.txt"}, names(t, acct, "dir"))
	data, err := acct.ReadFile("dir/dst.txt")
	require.NoError(t, err)
	assert.Equal(t, "hello, world", string(data))
	assert.True(t, dst.ModTime(ctx).Equal(testModTime))
	assert.Empty(t, acct.Trash())
}

// TestSimMoveDoneAfterTriesRunOut: a move does the work and loses its
// reply, and the probe that would tell fails until the tries run out.
// Asked once more after the last try, the probe finds the file moved, so
// the move succeeds with its time restored instead of failing with the
// file moved and its time reset.
func TestSimMoveDoneAfterTriesRunOut(t *testing.T) {
	f, srv, acct := newTestFs(t, nil)
	ctx := fewRetries(f, 2)
	src := seedObject(t, f, acct, "dir/file.txt", []byte("moved once"))
	_, err := f.dirCache.FindDir(ctx, "other", true)
	require.NoError(t, err)
	require.NoError(t, srv.Inject(putiotest.Fault{Route: "POST /v2/files/move", AfterWork: true, Status: http.StatusBadGateway, Times: 1}))
	require.NoError(t, srv.Inject(putiotest.Fault{Route: "GET /v2/files/{id}/child", Status: http.StatusInternalServerError, Times: 1}))

	dst, err := f.Move(ctx, src, "other/file.txt")
	require.NoError(t, err)
	assert.Equal(t, 1, srv.Calls("POST /v2/files/move"), "never sent again")
	moved, err := acct.Stat("other/file.txt")
	require.NoError(t, err)
	assert.True(t, moved.UpdatedAt.Equal(testModTime), "modification time restored")
	assert.True(t, dst.ModTime(ctx).Equal(testModTime))
	_, err = acct.Stat("dir/file.txt")
	assert.ErrorIs(t, err, putiotest.ErrNotExist)
}

// TestSimUncheckedUploadIsNotSentAgain: the final upload reply gives no
// CRC-32, and the lookup that would check the file fails until its
// tries run out. The file is in place, so the upload succeeds with the
// failure logged and counted, instead of failing and having rclone send
// the file again, which left two of it, or one in the trash.
func TestSimUncheckedUploadIsNotSentAgain(t *testing.T) {
	f, srv, acct := newTestFs(t, noSessions, putiotest.Options{OmitUploadCRC: true})
	ctx := fewRetries(f, 2)
	accounting.Start(ctx)
	errorsBefore := accounting.GlobalStats().GetErrors()
	data := pattern(3000, 11)
	require.NoError(t, srv.Inject(putiotest.Fault{Route: "GET /v2/files/{id}", Status: http.StatusBadGateway, Times: 2}))

	_, err := operations.Copy(ctx, f, nil, "unchecked.bin", object.NewMemoryObject("unchecked.bin", testModTime, data))
	require.NoError(t, err)
	assert.Equal(t, []string{"unchecked.bin"}, names(t, acct, ""))
	assert.Equal(t, 1, srv.Calls("POST /files/"), "sent once")
	storedAs(t, acct, "unchecked.bin", data)
	assert.Empty(t, acct.Trash())
	assert.Equal(t, int64(1), accounting.GlobalStats().GetErrors()-errorsBefore, "the unchecked upload is counted")
}

// TestSimUnidentifiedUploadIsNotSentAgain: the last PATCH makes the file
// and loses its reply, and the listing that would identify the file
// fails until its tries run out. The upload fails, saying the file may
// be in place, and rclone does not send it again in this run: a second
// try found the first file, replaced it and put it in the trash.
func TestSimUnidentifiedUploadIsNotSentAgain(t *testing.T) {
	f, srv, acct := newTestFs(t, noSessions)
	ctx := fewRetries(f, 2)
	data := pattern(3000, 12)
	require.NoError(t, srv.Inject(putiotest.Fault{Route: "PATCH /files/{upload}", AfterWork: true, Status: http.StatusBadGateway, Times: 1}))
	require.NoError(t, srv.Inject(putiotest.Fault{Route: listRoute, Status: http.StatusBadGateway, Times: 8}))

	_, err := operations.Copy(ctx, f, nil, "lost.bin", object.NewMemoryObject("lost.bin", testModTime, data))
	require.ErrorContains(t, err, "not tried again")
	assert.Equal(t, 1, srv.Calls("POST /files/"), "not sent again")
	assert.Equal(t, []string{"lost.bin"}, names(t, acct, ""))
	storedAs(t, acct, "lost.bin", data)
	assert.Empty(t, acct.Trash())
}

// TestSimUploadFoundAfterResyncFails: the PATCH with the last byte makes
// the file and loses its reply, and every HEAD that would say so fails
// until the tries run out. Every byte went, so the file is looked for
// before the failure stands, and found: the upload succeeds once, where
// rclone used to send it again, three times, leaving three files.
func TestSimUploadFoundAfterResyncFails(t *testing.T) {
	f, srv, acct := newTestFs(t, noSessions)
	ctx := fewRetries(f, 2)
	data := pattern(3000, 13)
	require.NoError(t, srv.Inject(putiotest.Fault{Route: "PATCH /files/{upload}", Cut: putiotest.CutResponse, AfterWork: true, Times: 1}))
	require.NoError(t, srv.Inject(putiotest.Fault{Route: "HEAD /files/{upload}", AfterWork: true, Status: http.StatusBadGateway}))

	_, err := operations.Copy(ctx, f, nil, "made.bin", object.NewMemoryObject("made.bin", testModTime, data))
	require.NoError(t, err)
	assert.Equal(t, 1, srv.Calls("POST /files/"), "sent once")
	assert.Equal(t, []string{"made.bin"}, names(t, acct, ""))
	storedAs(t, acct, "made.bin", data)
}

// TestSimLeftoverTemporaryCopyIsCounted: a copy over a name put.io
// spuriously calls taken goes through a temporary copy; the rename into
// place fails until its tries run out, and so does the removal of the
// temporary copy. rclone's retry then copies straight to the name, but
// the temporary copy stays: that is counted as an error, so the run says
// so, not just logged.
func TestSimLeftoverTemporaryCopyIsCounted(t *testing.T) {
	f, srv, acct := newTestFs(t, nil, putiotest.Options{SpuriousCopyConflict: true})
	ctx := fewRetries(f, 2)
	accounting.Start(ctx)
	errorsBefore := accounting.GlobalStats().GetErrors()
	src := seedObject(t, f, acct, "dir/src.txt", []byte("copied"))
	require.NoError(t, srv.Inject(putiotest.Fault{Route: "POST /v2/files/rename", Status: http.StatusInternalServerError, Times: 2}))
	require.NoError(t, srv.Inject(putiotest.Fault{Route: "POST /v2/files/delete", Status: http.StatusBadRequest, ErrorType: "TRASH_LOCK_TIMEOUT", Times: 2}))

	_, err := f.Copy(ctx, src, "dir/dst.txt")
	require.Error(t, err)
	assert.Len(t, names(t, acct, "dir"), 2, "the source and the temporary copy")
	assert.Equal(t, int64(1), accounting.GlobalStats().GetErrors()-errorsBefore, "the temporary copy left behind is counted")
}

// TestSimUploadFoundAfterRateLimitedResync: the PATCH with the last byte
// is cut after the server took it, and the HEADs that would tell are
// rate limited until the tries run out. The failure that ends the upload
// is the 429, which did nothing, but the PATCH before it may have made
// the file: it is looked for, and found.
func TestSimUploadFoundAfterRateLimitedResync(t *testing.T) {
	f, srv, acct := newTestFs(t, noSessions)
	ctx := fewRetries(f, 2)
	f.gate.mu.Lock()
	f.gate.fallback = time.Millisecond
	f.gate.mu.Unlock()
	data := pattern(3000, 14)
	require.NoError(t, srv.Inject(putiotest.Fault{Route: "PATCH /files/{upload}", Cut: putiotest.CutResponse, AfterWork: true, Times: 1}))
	require.NoError(t, srv.Inject(putiotest.Fault{Route: "HEAD /files/{upload}", Status: http.StatusTooManyRequests, ErrorType: "TooManyRequests"}))

	_, err := operations.Copy(ctx, f, nil, "made.bin", object.NewMemoryObject("made.bin", testModTime, data))
	require.NoError(t, err)
	assert.Equal(t, 1, srv.Calls("POST /files/"), "sent once")
	assert.Equal(t, []string{"made.bin"}, names(t, acct, ""))
	storedAs(t, acct, "made.bin", data)
}

// TestSimKeptCopyIsNotTriedAgain: a copy over a file stops with both
// files kept, as what is at the name can't be checked. The error says
// where each file is; rclone does not copy again, which left one more
// temporary copy each try.
func TestSimKeptCopyIsNotTriedAgain(t *testing.T) {
	f, srv, acct := newTestFs(t, nil, putiotest.Options{SpuriousCopyConflict: true})
	ctx := fewRetries(f, 2)
	// At the root, so that no folder needs looking up afresh before the
	// copy over the file (see copyOver) and the fault hits the copy's own
	// lookup.
	src := seedObject(t, f, acct, "src.txt", []byte("new"))
	dst := seedObject(t, f, acct, "dst.txt", []byte("old"))
	require.NoError(t, srv.Inject(putiotest.Fault{Route: "POST /v2/files/rename", Status: http.StatusBadGateway}))
	require.NoError(t, srv.Inject(putiotest.Fault{Route: "GET /v2/files/{id}/child", Status: http.StatusBadGateway}))

	_, err := operations.Copy(ctx, f, dst, "dst.txt", src)
	require.ErrorContains(t, err, "not tried again")
	assert.Equal(t, 2, srv.Calls("POST /v2/files/copy"), "the refused copy and the temporary one, no more")
	assert.Len(t, names(t, acct, ""), 3, "source, old file and one temporary copy")
	assert.Empty(t, acct.Trash())
}

// TestSimCreationBodyTooLargeFallsBackToPatches: the upload service
// offers creation-with-upload but refuses, with 413, a creation body
// larger than its PATCH limit. A size refusal must never cost an upload:
// the file goes in PATCHes the service takes, to the upload the refused
// creation made and named in its Location, so none is left behind.
func TestSimCreationBodyTooLargeFallsBackToPatches(t *testing.T) {
	f, srv, acct := newTestFs(t, noSessions, putiotest.Options{MaxPatchSize: 96 << 10, TusExtensions: []string{"creation", "creation-with-upload"}})
	data := pattern(150<<10, 3)

	_, err := f.Put(context.Background(), bytesReader(data), srcInfo("big.bin", int64(len(data))))
	require.NoError(t, err)
	assert.Equal(t, 1, srv.Calls("POST /files/"), "refused with the file in it; the upload it made goes on")
	assert.Zero(t, acct.Uploads(), "no session left behind")
	assert.GreaterOrEqual(t, srv.Calls("PATCH /files/{upload}"), 2, "in PATCHes under the limit")
	assert.Equal(t, []string{"big.bin"}, names(t, acct, ""))
	storedAs(t, acct, "big.bin", data)
}

// TestSimReadAtTheEndIsEmpty: a read from the end of a file, or past it,
// asks for no bytes: it gives none, without a request the download host
// would refuse with 416.
func TestSimReadAtTheEndIsEmpty(t *testing.T) {
	f, srv, acct := newTestFs(t, nil)
	ctx := context.Background()
	o := seedObject(t, f, acct, "one.txt", []byte("1"))
	for _, option := range []fs.OpenOption{&fs.SeekOption{Offset: 1}, &fs.RangeOption{Start: 1, End: 1}, &fs.RangeOption{Start: 5, End: -1}} {
		assert.Empty(t, readAll(ctx, t, o, option), "%v", option)
	}
	assert.Equal(t, 0, srv.Calls("GET /download/{id}"))
	assert.Equal(t, "1", string(readAll(ctx, t, o, &fs.SeekOption{Offset: 0})))
}

// TestSimShortPartialReplyIsAnError: the download host answers a range
// with 206 and a body, whole as far as HTTP can tell, shorter than the
// range. The read fails as cut short, so rclone opens the file again at
// the offset reached, instead of taking fewer bytes for the range.
func TestSimShortPartialReplyIsAnError(t *testing.T) {
	f, srv, acct := newTestFs(t, nil)
	ctx := context.Background()
	o := seedObject(t, f, acct, "file.bin", pattern(1000, 5))
	require.NoError(t, srv.Inject(putiotest.Fault{Route: "GET /download/{id}", Truncate: true, Times: 1}))

	rc, err := o.Open(ctx, &fs.RangeOption{Start: 100, End: 199})
	require.NoError(t, err)
	got, err := io.ReadAll(rc)
	require.NoError(t, rc.Close())
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
	assert.Equal(t, pattern(1000, 5)[100:100+len(got)], got, "what came is the start of the range")
	assert.Less(t, len(got), 100)
}

// TestSimMkdirAfterUnsureRmdirMakesTheFolder: an rmdir deletes the folder
// but loses its reply, and the look that would tell fails, so rmdir
// reports an error. The folder's id must not stay cached: a Mkdir after
// it reported success without making the folder.
func TestSimMkdirAfterUnsureRmdirMakesTheFolder(t *testing.T) {
	f, srv, acct := newTestFs(t, nil)
	ctx := fewRetries(f, 2)
	require.NoError(t, f.Mkdir(ctx, "dir"))
	require.NoError(t, srv.Inject(putiotest.Fault{Route: "POST /v2/files/delete", AfterWork: true, Status: http.StatusBadGateway, Times: 1}))
	require.NoError(t, srv.Inject(putiotest.Fault{Route: "GET /v2/files/{id}", Status: http.StatusInternalServerError, Times: 4}))

	require.Error(t, f.Rmdir(ctx, "dir"), "the delete's outcome could not be told")
	require.NoError(t, f.Mkdir(ctx, "dir"))
	folder, err := acct.Stat("dir")
	require.NoError(t, err, "the folder is there again")
	assert.True(t, folder.IsDir)
}
