package putio

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
	"github.com/rclone/rclone/fs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lostAfterWork is a fault that serves route in full once, then loses
// its reply.
func lostAfterWork(route string) putiotest.Fault {
	return putiotest.Fault{Route: route, AfterWork: true, Status: http.StatusBadGateway, Times: 1}
}

// A purge whose reply is lost still forgets the folder's id: a Mkdir of
// the same path then makes a folder, and a file put into it lands there,
// not in the trashed folder.
func TestPurgeReplyLostForgetsFolder(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, noSessions)
	_, err := acct.Put("dir/a.txt", []byte("a"), testModTime)
	require.NoError(t, err)
	require.NoError(t, srv.Inject(lostAfterWork(deleteRoute)))

	require.NoError(t, f.Purge(ctx, "dir"))
	require.NoError(t, f.Mkdir(ctx, "dir"))
	put(ctx, t, f, "dir/b.txt", []byte("b"))

	assert.Equal(t, []string{"b.txt"}, names(t, acct, "dir"))
	require.Len(t, acct.Trash(), 1)
	assert.Equal(t, "dir", acct.Trash()[0].Name)
}

// A DirMove whose reply is lost still forgets the source's id: a Mkdir of
// the old path then makes a folder there, and a file put into it lands
// there, not in the moved folder.
func TestDirMoveReplyLostForgetsSource(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, noSessions)
	_, err := acct.Put("src/sub/a.txt", []byte("a"), testModTime)
	require.NoError(t, err)
	require.NoError(t, f.Mkdir(ctx, "src/sub"))
	require.NoError(t, srv.Inject(lostAfterWork(moveRoute)))

	require.NoError(t, f.DirMove(ctx, f, "src/sub", "dst/sub"))
	require.NoError(t, f.Mkdir(ctx, "src/sub"))
	put(ctx, t, f, "src/sub/b.txt", []byte("b"))

	assert.Equal(t, []string{"a.txt"}, names(t, acct, "dst/sub"), "the moved folder holds what it held")
	assert.Equal(t, []string{"b.txt"}, names(t, acct, "src/sub"))
	assert.Equal(t, 1, srv.Calls(moveRoute), "found moved, not sent again")
}

// A server-side move or copy whose reply is lost still adds a name to a
// folder this Fs made: a Put of that name then looks it up and updates
// the file, rather than putting a second beside it.
func TestServerSideReplyLostIntoMadeFolder(t *testing.T) {
	for route, call := range map[string]func(*Fs, context.Context, fs.Object, string) (fs.Object, error){
		moveRoute: (*Fs).Move,
		copyRoute: (*Fs).Copy,
	} {
		t.Run(route, func(t *testing.T) {
			ctx := context.Background()
			f, srv, acct := newTestFs(t, noSessions)
			src := put(ctx, t, f, "src.txt", []byte("s"))
			require.NoError(t, f.Mkdir(ctx, "new"))
			require.NoError(t, srv.Inject(lostAfterWork(route)))

			_, err := call(f, ctx, src, "new/n.txt")
			require.NoError(t, err)
			put(ctx, t, f, "new/n.txt", []byte("p"))

			assertHoldsOnly(t, acct, "new/n.txt", "p", "updated, not put beside")
		})
	}
}

// A Mkdir that put.io refuses because another client has just made the
// folder uses that folder, and it is then a name in its parent like any
// other: a file of the same name is looked up (and refused) rather than
// put beside it, and a file put into the folder lands in the other
// client's folder, which is not taken for one this Fs made.
func TestMkdirClashUsesTheFolderFound(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, noSessions)
	require.NoError(t, f.Mkdir(ctx, "new"))
	theirs, err := acct.Mkdir("new/d")
	require.NoError(t, err)
	require.NoError(t, srv.Inject(putiotest.Fault{Route: childRoute, Status: http.StatusNotFound, Times: 1})) // Mkdir's lookup misses it
	srv.ResetCounters()

	require.NoError(t, f.Mkdir(ctx, "new/d"))
	assert.Equal(t, 1, srv.Calls(createFolderRoute), "refused, not sent again")
	_, err = f.Put(ctx, bytesReader([]byte("f")), srcInfo("new/d", 1))
	assert.ErrorIs(t, err, fs.ErrorIsDir)
	_, err = acct.Put("new/d/x", []byte("theirs"), testModTime)
	require.NoError(t, err)
	put(ctx, t, f, "new/d/x", []byte("ours"))

	assert.Equal(t, []string{"d"}, names(t, acct, "new"), "no file beside the folder")
	assert.Equal(t, []string{"x"}, names(t, acct, "new/d"), "replaced, not put beside")
	found, err := acct.Stat("new/d")
	require.NoError(t, err)
	assert.Equal(t, theirs.ID, found.ID)
}

// A folder Mkdir makes, or finds after create-folder's reply was lost, is
// in the feed's index while change notification is on, so a reconnect
// reports it too.
func TestMkdirRecordsFolderForTheFeed(t *testing.T) {
	ctx := context.Background()
	f, srv, _ := newTestFs(t, noSessions)
	f.feed.indexing.Store(true) // as from the first ChangeNotify
	require.NoError(t, f.Mkdir(ctx, "made"))
	require.NoError(t, srv.Inject(lostAfterWork(createFolderRoute)))
	require.NoError(t, f.Mkdir(ctx, "found"))

	assert.ElementsMatch(t, []string{"made", "found"}, f.knownDirs())
}

// An extraction started with a lost reply into a folder this Fs made
// still adds names to it: a Put of a name the archive held then looks it
// up and updates the file, rather than putting a second beside it.
func TestExtractReplyLostIntoMadeFolder(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, noSessions)
	put(ctx, t, f, "dl/Show.rar", []byte("Rar!"))
	require.NoError(t, srv.Inject(putiotest.Fault{Route: extractRoute, AfterWork: true, Cut: putiotest.CutResponse, Times: 1}))
	_, err := runExtract(f, []string{"dl/Show.rar"}, nil)
	require.NoError(t, err)
	_, err = acct.CompleteExtraction(waitExtraction(t, acct).ID, map[string][]byte{"ep.mkv": []byte("episode")})
	require.NoError(t, err)

	put(ctx, t, f, "dl/ep.mkv", []byte("ours"))

	assert.ElementsMatch(t, []string{"Show.rar", "ep.mkv"}, names(t, acct, "dl"), "updated, not put beside")
	data, err := acct.ReadFile("dl/ep.mkv")
	require.NoError(t, err)
	assert.Equal(t, "ours", string(data))
}

// A merge whose move reply is lost still adds names to a folder this Fs
// made: a Put of a merged name then looks it up and updates the file,
// rather than putting a second beside it.
func TestMergeReplyLostIntoMadeFolder(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, noSessions)
	require.NoError(t, f.Mkdir(ctx, "a"))
	dirs := seedMerge(t, f, acct, map[string]time.Time{"b/n.txt": testModTime}, "a", "b")
	require.NoError(t, srv.Inject(lostAfterWork(moveRoute)))

	require.NoError(t, f.MergeDirs(ctx, dirs))
	put(ctx, t, f, "a/n.txt", []byte("ours"))

	assertHoldsOnly(t, acct, "a/n.txt", "ours", "updated, not put beside")
}

// A merge forgets the ids of the folders it moves and removes: a Mkdir
// of a merged subfolder's old path then makes a folder there, and a file
// put into it lands there, not in the folder it was merged into. So too
// when the merged folder stays, as a file in it has a name taken.
func TestMergeForgetsMovedFolders(t *testing.T) {
	for name, clash := range map[string]bool{"merged away": false, "kept": true} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			f, _, acct := newTestFs(t, noSessions)
			files := map[string]time.Time{"a/x.txt": testModTime, "b/s/y.txt": testModTime}
			if clash {
				files["a/k.txt"], files["b/k.txt"] = testModTime, testModTime
			}
			dirs := seedMerge(t, f, acct, files, "a", "b")
			require.NoError(t, f.Mkdir(ctx, "b/s")) // its id remembered

			err := f.MergeDirs(ctx, dirs)
			if clash {
				require.ErrorContains(t, err, "k.txt")
			} else {
				require.NoError(t, err)
			}
			require.NoError(t, f.Mkdir(ctx, "b/s"))
			put(ctx, t, f, "b/s/z.txt", []byte("z"))

			assert.Equal(t, []string{"y.txt"}, names(t, acct, "a/s"))
			assert.Equal(t, []string{"z.txt"}, names(t, acct, "b/s"))
		})
	}
}

// A transfer added with a lost reply into a folder this Fs made adds a
// name to it once it completes: a Put of that name then looks it up and
// updates the file, rather than putting a second beside it.
func TestTransferReplyLostIntoMadeFolder(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := transferFs(t, "in")
	require.NoError(t, srv.Inject(putiotest.Fault{Route: "POST /v2/transfers/add", AfterWork: true, Status: http.StatusServiceUnavailable, Times: 1}))
	infos := runCommand(t, f, "transfer", []string{testMagnet}, nil)
	require.Len(t, infos, 1)
	_, err := acct.CompleteTransfer(infos[0].ID, []byte("episode"))
	require.NoError(t, err)

	put(ctx, t, f, infos[0].Name, []byte("ours"))

	assert.Equal(t, []string{infos[0].Name}, names(t, acct, "in"), "updated, not put beside")
	data, err := acct.ReadFile("in/" + infos[0].Name)
	require.NoError(t, err)
	assert.Equal(t, "ours", string(data))
}
