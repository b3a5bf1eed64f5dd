package putio

import (
	"bytes"
	"context"
	"path"
	"strings"
	"testing"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
	"github.com/rclone/rclone/fs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// renameAndReplace is what another device does to a folder this Fs has
// listed: the top folder of dir is renamed to "moved" and dir is made
// again, empty or with new.txt. It returns the id of the new folder at
// dir.
func renameAndReplace(t *testing.T, acct *putiotest.Account, dir string, withFile bool) int64 {
	t.Helper()
	top, _, _ := strings.Cut(dir, "/")
	_, err := acct.Move(top, "moved")
	require.NoError(t, err)
	if withFile {
		_, err = acct.Put(path.Join(dir, "new.txt"), []byte("new"), testModTime)
	} else {
		_, err = acct.Mkdir(dir)
	}
	require.NoError(t, err)
	made, err := acct.Stat(dir)
	require.NoError(t, err)
	return made.ID
}

// movedPath is where dir is after renameAndReplace moved its top folder.
func movedPath(dir string) string {
	_, rest, _ := strings.Cut(dir, "/")
	return path.Join("moved", rest)
}

// A folder's id is remembered (listed) at dir, at the top or below a
// folder; then another device renames the top folder and makes dir
// again. Purge, Rmdir and DirMove act on the folder now at dir: the one
// moved away, and everything in it, stays where it is, out of the trash.
// Purge and Rmdir cost one /child lookup per level of dir for this.
func TestDeleteByRememberedIDAfterRenameAndReplace(t *testing.T) {
	for _, dir := range []string{"a", "x/a"} {
		t.Run("purge/"+dir, func(t *testing.T) {
			f, srv, acct := rememberedDir(t, dir, true)
			newID := renameAndReplace(t, acct, dir, true)
			lookups := srv.Calls(childRoute)

			require.NoError(t, f.Purge(context.Background(), dir))

			assert.Equal(t, strings.Count(dir, "/")+1, srv.Calls(childRoute)-lookups, "one lookup per level")
			assertMovedKept(t, acct, dir, "old.txt")
			require.Len(t, acct.Trash(), 1)
			assert.Equal(t, newID, acct.Trash()[0].ID, "the folder now at the path is purged")
		})
		t.Run("rmdir/"+dir, func(t *testing.T) {
			f, srv, acct := rememberedDir(t, dir, false)
			newID := renameAndReplace(t, acct, dir, false)
			lookups := srv.Calls(childRoute)

			require.NoError(t, f.Rmdir(context.Background(), dir))

			assert.Equal(t, strings.Count(dir, "/")+1, srv.Calls(childRoute)-lookups, "one lookup per level")
			moved, err := acct.Stat(movedPath(dir))
			require.NoError(t, err, "the empty folder moved away is kept")
			assert.True(t, moved.IsDir)
			require.Len(t, acct.Trash(), 1)
			assert.Equal(t, newID, acct.Trash()[0].ID, "the folder now at the path is removed")
		})
		t.Run("dirmove/"+dir, func(t *testing.T) {
			f, _, acct := rememberedDir(t, dir, true)
			newID := renameAndReplace(t, acct, dir, true)

			require.NoError(t, f.DirMove(context.Background(), f, dir, "dest"))

			assertMovedKept(t, acct, dir, "old.txt")
			dest, err := acct.Stat("dest")
			require.NoError(t, err)
			assert.Equal(t, newID, dest.ID, "the folder now at the path is moved")
			assert.Equal(t, []string{"new.txt"}, names(t, acct, "dest"))
			assert.Empty(t, acct.Trash())
		})
	}
}

// rememberedDir seeds dir, with old.txt in it if withFile, and has a new
// Fs list it, so that the ids of dir and its parents are remembered.
func rememberedDir(t *testing.T, dir string, withFile bool) (*Fs, *putiotest.Server, *putiotest.Account) {
	t.Helper()
	f, srv, acct := newTestFs(t, nil)
	var err error
	if withFile {
		_, err = acct.Put(path.Join(dir, "old.txt"), []byte("old"), testModTime)
	} else {
		_, err = acct.Mkdir(dir)
	}
	require.NoError(t, err)
	_, err = f.List(context.Background(), dir)
	require.NoError(t, err)
	return f, srv, acct
}

// assertMovedKept checks the folder moved away from dir still holds file.
func assertMovedKept(t *testing.T, acct *putiotest.Account, dir, file string) {
	t.Helper()
	got, err := acct.ReadFile(path.Join(movedPath(dir), file))
	require.NoError(t, err, "the folder moved away keeps its files")
	assert.Equal(t, "old", string(got))
}

// An Fs whose root folder another device renamed and made again lists,
// and purges, the folder now at its root, not the one moved away.
func TestFsRootRenamedAndReplacedByAnotherDevice(t *testing.T) {
	for _, op := range []string{"list", "purge"} {
		t.Run(op, func(t *testing.T) {
			srv := putiotest.NewServer(t)
			acct := srv.Account(srv.Token)
			_, err := acct.Put("top/a/old.txt", []byte("old"), testModTime)
			require.NoError(t, err)
			fsys, err := newFsOn(srv, testRemote, "top/a", nil)
			require.NoError(t, err)
			f := fsys.(*Fs)
			ctx := context.Background()
			_, err = f.List(ctx, "")
			require.NoError(t, err)
			_, err = acct.Move("top/a", "top/b")
			require.NoError(t, err)
			_, err = acct.Put("top/a/new.txt", []byte("new"), testModTime)
			require.NoError(t, err)

			if op == "list" {
				entries, err := f.List(ctx, "")
				require.NoError(t, err)
				require.Len(t, entries, 1)
				assert.Equal(t, "new.txt", entries[0].Remote())
			} else {
				require.NoError(t, f.Purge(ctx, ""))
				_, err = acct.Stat("top/a")
				assert.ErrorIs(t, err, putiotest.ErrNotExist)
			}
			got, err := acct.ReadFile("top/b/old.txt")
			require.NoError(t, err)
			assert.Equal(t, "old", string(got))
		})
	}
}

// A listing of a remembered folder that the reply confirms costs no more
// calls than the listing itself.
func TestListConfirmedCostsNoExtraCall(t *testing.T) {
	f, srv, _ := rememberedDir(t, "x/a", true)
	lookups, listings := srv.Calls(childRoute), srv.Calls(listRoute)

	entries, err := f.List(context.Background(), "x/a")

	require.NoError(t, err)
	assert.Len(t, entries, 1)
	assert.Equal(t, lookups, srv.Calls(childRoute))
	assert.Equal(t, listings+1, srv.Calls(listRoute))
}

// A folder moved away from a remembered path, with nothing made again
// there, is not found: neither listed nor deleted through its old id.
func TestRememberedFolderMovedAwayIsNotFound(t *testing.T) {
	f, _, acct := rememberedDir(t, "a", true)
	_, err := acct.Move("a", "b")
	require.NoError(t, err)
	ctx := context.Background()

	_, err = f.List(ctx, "a")
	assert.ErrorIs(t, err, fs.ErrorDirNotFound)
	assert.ErrorIs(t, f.Purge(ctx, "a"), fs.ErrorDirNotFound)
	assert.ErrorIs(t, f.Rmdir(ctx, "a"), fs.ErrorDirNotFound)
	got, err := acct.ReadFile("b/old.txt")
	require.NoError(t, err)
	assert.Equal(t, "old", string(got))
	assert.Empty(t, acct.Trash())
}

// A file looked up by path through a remembered folder id that another
// device has since moved away (a renamed to moved, a made again) is the
// file in the moved folder: it is neither deleted nor replaced, nor is a
// file copied over it. Once the path is looked up afresh, the file now at
// the path is written.
func TestFileFoundThroughAMovedFolderIsLeftAlone(t *testing.T) {
	ctx := context.Background()
	for _, op := range []string{"remove", "put", "copy"} {
		t.Run(op, func(t *testing.T) {
			f, _, acct := rememberedDir(t, "a", true)
			src := seedObject(t, f, acct, "src.txt", []byte("ours"))
			renameAndReplace(t, acct, "a", false)
			_, err := acct.Put("a/old.txt", []byte("theirs"), testModTime)
			require.NoError(t, err)

			switch op {
			case "remove":
				o, err := f.NewObject(ctx, "a/old.txt")
				require.NoError(t, err)
				assert.ErrorContains(t, o.Remove(ctx), "moved or replaced its folder")
			case "put":
				_, err := f.Put(ctx, bytes.NewReader([]byte("ours")), srcInfo("a/old.txt", 4))
				assert.ErrorContains(t, err, "moved or replaced its folder")
				put(ctx, t, f, "a/old.txt", []byte("ours")) // as rclone tries again
				got, err := acct.ReadFile("a/old.txt")
				require.NoError(t, err)
				assert.Equal(t, "ours", string(got), "the file now at the path is replaced")
			case "copy":
				_, err := f.Copy(ctx, src, "a/old.txt")
				assert.ErrorContains(t, err, "moved or replaced its folder")
			}

			assertMovedKept(t, acct, "a", "old.txt")
			assert.Equal(t, []string{"old.txt"}, names(t, acct, "moved"))
			if op != "put" {
				assert.Empty(t, acct.Trash())
			}
		})
	}
}

// A listing is confirmed one level up, at no cost: a folder whose parent
// another device renamed and made again with a folder of that name is
// listed right once its parent is, as a sync or a walk from the root
// lists it first; the parent's listing corrects the remembered ids below.
func TestListingFromTheTopCorrectsRememberedIDsBelow(t *testing.T) {
	f, _, acct := rememberedDir(t, "x/a", true)
	renameAndReplace(t, acct, "x/a", true)
	ctx := context.Background()

	_, err := f.List(ctx, "x")
	require.NoError(t, err)
	entries, err := f.List(ctx, "x/a")

	require.NoError(t, err)
	require.Len(t, entries, 1)
	assert.Equal(t, "x/a/new.txt", entries[0].Remote())
	assertMovedKept(t, acct, "x/a", "old.txt")
}

// A folder never listed, under a remembered parent that another device
// deleted and made again with it, is found: the walk from the parent's
// old id says "not found", which is not believed without a fresh look.
func TestListNeverListedFolderUnderARemadeParent(t *testing.T) {
	f, _, acct := rememberedDir(t, "show", true)
	require.NoError(t, acct.Delete("show"))
	_, err := acct.Put("show/season/new.mkv", []byte("new"), testModTime)
	require.NoError(t, err)

	entries, err := f.List(context.Background(), "show/season")

	require.NoError(t, err)
	require.Len(t, entries, 1)
	assert.Equal(t, "show/season/new.mkv", entries[0].Remote())
}
