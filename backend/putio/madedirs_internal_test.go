package putio

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
	"github.com/rclone/rclone/fs"
	"github.com/rclone/rclone/fs/object"
	"github.com/rclone/rclone/fs/operations"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const createFolderRoute = "POST /v2/files/create-folder"

// In a folder this Fs created, a new name needs no lookup before its
// upload; a name it put there, or one a server-side move brought, does.
func TestPutIntoCreatedFolderSkipsLookup(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, noSessions)
	f.uploadCaps(ctx)
	srv.ResetCounters()
	put(ctx, t, f, "new/a.txt", []byte("a"))
	assert.Equal(t, map[string]int{childRoute: 1, "POST /v2/files/create-folder": 1, "POST /files/": 1, patchRoute: 1}, srv.AllCalls(),
		"the first file of a new folder: one lookup of the folder, no lookup of the file")
	srv.ResetCounters()

	put(ctx, t, f, "new/b.txt", []byte("b"))
	put(ctx, t, f, "new/c.txt", []byte("c"))
	assert.Zero(t, srv.Calls(childRoute), "no lookups in a folder we made")

	put(ctx, t, f, "new/a.txt", []byte("a2"))
	assert.Equal(t, 2, srv.Calls(childRoute), "a name we put is looked up") // and its folder afresh (confirmFolder)
	assert.ElementsMatch(t, []string{"a.txt", "b.txt", "c.txt"}, names(t, acct, "new"), "updated, not duplicated")

	elsewhere := put(ctx, t, f, "old.txt", []byte("o"))
	_, err := f.Move(ctx, elsewhere, "new/moved.txt")
	require.NoError(t, err)
	srv.ResetCounters()
	put(ctx, t, f, "new/moved.txt", []byte("m2"))
	assert.Equal(t, 2, srv.Calls(childRoute), "after a move in, names are looked up again") // and its folder afresh (confirmFolder)
	assert.ElementsMatch(t, []string{"a.txt", "b.txt", "c.txt", "moved.txt"}, names(t, acct, "new"))
}

// A folder made more than a minute ago may have files another client put
// there meanwhile: a new name in it is looked up again.
func TestPutIntoFolderMadeLongAgoLooksUp(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, noSessions)
	put(ctx, t, f, "new/a.txt", []byte("a"))
	_, err := acct.Put("new/web.txt", []byte("from the web app"), testModTime)
	require.NoError(t, err)
	f.madeDirs.mu.Lock()
	for _, dir := range f.madeDirs.dirs {
		dir.created = time.Now().Add(-2 * trustMadeDirFor)
	}
	f.madeDirs.mu.Unlock()
	srv.ResetCounters()

	put(ctx, t, f, "new/web.txt", []byte("replaced"))

	assert.Equal(t, 2, srv.Calls(childRoute), "looked up") // and its folder afresh (confirmFolder)
	assert.ElementsMatch(t, []string{"a.txt", "web.txt"}, names(t, acct, "new"), "replaced, not duplicated")
	data, err := acct.ReadFile("new/web.txt")
	require.NoError(t, err)
	assert.Equal(t, "replaced", string(data))
}

// A folder that was there before this Fs is never taken for one it made.
func TestPutIntoExistingFolderLooksUp(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, noSessions)
	_, err := acct.Put("old/x.txt", []byte("x"), testModTime)
	require.NoError(t, err)
	require.NoError(t, f.Mkdir(ctx, "old"))
	srv.ResetCounters()
	put(ctx, t, f, "old/x.txt", []byte("y"))
	assert.Equal(t, 2, srv.Calls(childRoute)) // and its folder afresh (confirmFolder)
	assert.Equal(t, []string{"x.txt"}, names(t, acct, "old"))
}

// rclone looks a file up just before it uploads it (copyto): Put takes
// that miss for its own lookup, once, while it is recent.
func TestPutAfterMissSkipsLookup(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, noSessions)
	_, err := acct.Put("old/x.txt", []byte("x"), testModTime)
	require.NoError(t, err)
	f.uploadCaps(ctx)
	_, err = f.NewObject(ctx, "old/a.txt")
	require.ErrorIs(t, err, fs.ErrorObjectNotFound)
	srv.ResetCounters()

	put(ctx, t, f, "old/a.txt", []byte("a"))
	assert.Equal(t, map[string]int{"POST /files/": 1, patchRoute: 1}, srv.AllCalls(), "no second lookup")

	put(ctx, t, f, "old/a.txt", []byte("a2"))
	assert.Equal(t, 2, srv.Calls(childRoute), "a miss serves one upload") // and its folder afresh (confirmFolder)
	assert.ElementsMatch(t, []string{"a.txt", "x.txt"}, names(t, acct, "old"), "updated, not duplicated")
	data, err := acct.ReadFile("old/a.txt")
	require.NoError(t, err)
	assert.Equal(t, "a2", string(data))
}

// A miss that is no longer recent, or that a server-side copy into its
// folder overtook, is looked up again.
func TestPutAfterStaleMissLooksUp(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, noSessions)
	other := put(ctx, t, f, "other.txt", []byte("o"))
	require.NoError(t, f.Mkdir(ctx, "old"))
	f.madeDirs.reset() // as if made by another client

	_, err := f.NewObject(ctx, "old/late.txt")
	require.ErrorIs(t, err, fs.ErrorObjectNotFound)
	f.madeDirs.mu.Lock()
	for name := range f.madeDirs.knownAbsent {
		f.madeDirs.knownAbsent[name] = time.Now().Add(-2 * trustAbsentFor)
	}
	f.madeDirs.mu.Unlock()
	srv.ResetCounters()
	put(ctx, t, f, "old/late.txt", []byte("l"))
	assert.Equal(t, 1, srv.Calls(childRoute), "an old miss is asked again")

	_, err = f.NewObject(ctx, "old/copied.txt")
	require.ErrorIs(t, err, fs.ErrorObjectNotFound)
	_, err = f.Copy(ctx, other, "old/copied.txt")
	require.NoError(t, err)
	srv.ResetCounters()
	put(ctx, t, f, "old/copied.txt", []byte("c2"))
	assert.Equal(t, 2, srv.Calls(childRoute), "a copy into the folder drops its names known absent") // and its folder afresh (confirmFolder)
	assert.ElementsMatch(t, []string{"copied.txt", "late.txt"}, names(t, acct, "old"), "updated, not duplicated")
}

// A Put that failed may still have made the file: here its final reply
// is lost and the listing that would identify the file fails until the
// low-level retries run out, well within a second. operations tries the
// Put again at once, and that try must look the name up, in a folder made
// before (where the failed try's own lookup found the name absent) as in
// one this Fs made, or put.io keeps two files of the name.
func TestPutRetriedAfterFailureLooksUp(t *testing.T) {
	for _, dir := range []string{"old", "new"} {
		t.Run(dir, func(t *testing.T) {
			ctx, ci := fs.AddConfig(context.Background())
			ci.LowLevelRetries = 2
			f, srv, acct := newTestFs(t, noSessions)
			fewRetries(f, ci.LowLevelRetries)
			_, err := acct.Put("old/x.txt", []byte("x"), testModTime)
			require.NoError(t, err)
			require.NoError(t, f.Mkdir(ctx, dir))
			require.NoError(t, srv.Inject(putiotest.Fault{Route: patchRoute, AfterWork: true, Status: http.StatusBadGateway, Times: 1}))
			require.NoError(t, srv.Inject(putiotest.Fault{Route: listRoute, Status: http.StatusServiceUnavailable, Times: ci.LowLevelRetries}))

			_, err = operations.Copy(ctx, f, nil, dir+"/a.txt", object.NewMemoryObject(dir+"/a.txt", testModTime, []byte("a")))
			require.NoError(t, err)

			assert.Equal(t, 1, count(names(t, acct, dir), "a.txt"), "one file, not two")
			data, err := acct.ReadFile(dir + "/a.txt")
			require.NoError(t, err)
			assert.Equal(t, "a", string(data))
		})
	}
}

// count is how many of names are name.
func count(names []string, name string) (n int) {
	for _, each := range names {
		if each == name {
			n++
		}
	}
	return n
}

// A folder whose creation reply was lost is found by its name on the
// retry; it is then a name in its parent like any other, so a file of the
// same name is looked up (and refused) rather than put beside it.
func TestFolderFoundAfterLostReplyIsAName(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, noSessions)
	require.NoError(t, f.Mkdir(ctx, "new"))
	require.NoError(t, srv.Inject(putiotest.Fault{Route: "POST /v2/files/create-folder", AfterWork: true, Status: http.StatusBadGateway, Times: 1}))
	require.NoError(t, f.Mkdir(ctx, "new/sub"))

	_, err := f.Put(ctx, bytesReader([]byte("f")), srcInfo("new/sub", 1))
	assert.ErrorIs(t, err, fs.ErrorIsDir)
	assert.Equal(t, []string{"sub"}, names(t, acct, "new"), "no file beside the folder")
}

// Whatever this Fs does that adds the name a lookup found absent drops the
// miss: the Put after it looks the name up, so it updates the file (or
// refuses the folder) there instead of putting a second item beside it.
func TestMissDroppedByWhatAddsTheName(t *testing.T) {
	for name, addIt := range map[string]func(ctx context.Context, t *testing.T, f *Fs){
		"put unchecked": func(ctx context.Context, t *testing.T, f *Fs) {
			_, err := f.PutUnchecked(ctx, bytesReader([]byte("u")), srcInfo("old/n", 1))
			require.NoError(t, err)
		},
		"move": func(ctx context.Context, t *testing.T, f *Fs) {
			_, err := f.Move(ctx, put(ctx, t, f, "elsewhere.txt", []byte("m")), "old/n")
			require.NoError(t, err)
		},
		"dir move": func(ctx context.Context, t *testing.T, f *Fs) {
			require.NoError(t, f.Mkdir(ctx, "dir"))
			require.NoError(t, f.DirMove(ctx, f, "dir", "old/n"))
		},
		"mkdir": func(ctx context.Context, t *testing.T, f *Fs) {
			require.NoError(t, f.Mkdir(ctx, "old/n"))
		},
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			f, _, acct := newTestFs(t, noSessions)
			_, err := acct.Put("old/x.txt", []byte("x"), testModTime)
			require.NoError(t, err)
			_, err = f.NewObject(ctx, "old/n")
			require.ErrorIs(t, err, fs.ErrorObjectNotFound)
			addIt(ctx, t, f)

			_, err = f.Put(ctx, bytesReader([]byte("p")), srcInfo("old/n", 1))
			if err != nil {
				require.ErrorIs(t, err, fs.ErrorIsDir)
			}
			assert.Equal(t, 1, count(names(t, acct, "old"), "n"), "one item of the name")
		})
	}
}

// A folder create-folder answers with counts as made by this Fs only if that call made it.
// Where put.io answers a name a folder has with that folder
// (CreateFolderReturnsExisting), another client's folder is not: an
// upload into it looks its name up and replaces the file there instead
// of adding a second. Mkdir asks create-folder when its lookup missed the
// folder (here a 404); the folder is told apart by holding bytes, or by
// having been made before the call.
func TestMkdirOfAnotherClientsFolderIsNotTakenForOurs(t *testing.T) {
	for name, test := range map[string]struct {
		returnsExisting bool
		x               string
		madeBefore      time.Duration
	}{
		"refused":                 {x: "theirs"},
		"answered, holding bytes": {returnsExisting: true, x: "theirs"},
		"answered, made an hour before, no bytes": {returnsExisting: true, madeBefore: time.Hour},
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			var shift atomic.Int64
			clock := func() time.Time { return time.Now().Add(time.Duration(shift.Load())) }
			f, srv, acct := newTestFs(t, noSessions, putiotest.Options{Now: clock, CreateFolderReturnsExisting: test.returnsExisting})
			_, err := acct.Put("d/x", []byte(test.x), testModTime)
			require.NoError(t, err)
			shift.Store(int64(test.madeBefore))
			require.NoError(t, srv.Inject(putiotest.Fault{Route: childRoute, Status: http.StatusNotFound, Times: 1}))

			require.NoError(t, f.Mkdir(ctx, "d"))
			srv.ResetCounters()
			put(ctx, t, f, "d/x", []byte("ours"))

			assert.Equal(t, 2, srv.Calls(childRoute), "looked up, and its folder afresh before the old file is replaced")
			assertHoldsOnly(t, acct, "d/x", "ours", "replaced, not added beside")
		})
	}
}

// A folder found after create-folder's reply was lost never counts as made by this Fs,
// though this Fs may well have made it: nothing says so. The lookup finds
// it, and create-folder is not sent again.
func TestMkdirReplyLostIsNotTakenForOurs(t *testing.T) {
	for _, returnsExisting := range []bool{false, true} {
		t.Run(fmt.Sprintf("CreateFolderReturnsExisting=%v", returnsExisting), func(t *testing.T) {
			ctx := context.Background()
			f, srv, acct := newTestFs(t, noSessions, putiotest.Options{CreateFolderReturnsExisting: returnsExisting})
			require.NoError(t, srv.Inject(putiotest.Fault{Route: createFolderRoute, AfterWork: true, Status: http.StatusBadGateway, Times: 1}))

			require.NoError(t, f.Mkdir(ctx, "d"))
			assert.Equal(t, 1, srv.Calls(createFolderRoute), "not sent again")
			srv.ResetCounters()
			put(ctx, t, f, "d/a", []byte("a"))

			assert.Equal(t, 1, srv.Calls(childRoute), "looked up")
			assert.Equal(t, []string{"a"}, names(t, acct, "d"))
		})
	}
}

// A Put that fails after it may have made the file (its final reply lost,
// and no look able to tell) leaves the name known in a folder this Fs
// made: the next Put of that name, as a mount's retried write, looks it
// up and replaces the file rather than putting a second one beside it.
func TestPutAfterUnsettledUploadLooksUp(t *testing.T) {
	f, srv, acct := newTestFs(t, noSessions)
	ctx := fewRetries(f, 2)
	require.NoError(t, f.Mkdir(ctx, "new"))
	require.NoError(t, srv.Inject(putiotest.Fault{Route: patchRoute, AfterWork: true, Status: http.StatusBadGateway, Times: 1}))
	require.NoError(t, srv.Inject(putiotest.Fault{Route: listRoute, Status: http.StatusServiceUnavailable, Times: 1000}))

	_, err := f.Put(ctx, strings.NewReader("first"), srcInfo("new/a.txt", 5))
	var unsettled *unsettledError
	require.ErrorAs(t, err, &unsettled, "the file may be there, and no look could tell")
	srv.ClearFaults()

	_, err = f.Put(ctx, strings.NewReader("second"), srcInfo("new/a.txt", 6))
	require.NoError(t, err)
	assertHoldsOnly(t, acct, "new/a.txt", "second", "replaced, not put beside")
}
