package putio

import (
	"context"
	"testing"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
	"github.com/rclone/rclone/fs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Review finding: when the remembered folder id is gone and the fresh
// lookup of the path fails for a reason other than "not found" (a 5xx, a
// cut, a 429 past the retries), ListP reports fs.ErrorDirNotFound: a VFS
// then shows the folder, which another device made again, as empty.
func TestReviewListReResolutionKeepsLookupError(t *testing.T) {
	f, srv, acct := newTestFs(t, nil)
	_, err := acct.Put("dir/old.txt", []byte("old"), testModTime)
	require.NoError(t, err)
	ctx := fewRetries(f, 1)
	_, err = f.List(ctx, "dir")
	require.NoError(t, err)
	require.NoError(t, acct.Delete("dir"))
	_, err = acct.Put("dir/new.txt", []byte("new"), testModTime)
	require.NoError(t, err)
	require.NoError(t, srv.Inject(putiotest.Fault{Route: "GET /v2/files/{id}/child", Status: 503}))

	_, err = f.List(ctx, "dir")

	require.Error(t, err)
	assert.NotErrorIs(t, err, fs.ErrorDirNotFound, "the folder is there; only its lookup failed")
}

// Review finding: the re-resolution flushes only the listed folder, so
// when a parent was made again too (a show's folder deleted and fetched
// again, with its season folder), the fresh lookup walks from the
// parent's stale id and the season folder shows as not found.
func TestReviewListFolderRecreatedWithItsParent(t *testing.T) {
	f, _, acct := newTestFs(t, nil)
	_, err := acct.Put("show/season/old.mkv", []byte("old"), testModTime)
	require.NoError(t, err)
	ctx := context.Background()
	_, err = f.List(ctx, "show/season")
	require.NoError(t, err)
	require.NoError(t, acct.Delete("show"))
	_, err = acct.Put("show/season/new.mkv", []byte("new"), testModTime)
	require.NoError(t, err)

	entries, err := f.List(ctx, "show/season")

	require.NoError(t, err)
	require.Len(t, entries, 1)
	assert.Equal(t, "show/season/new.mkv", entries[0].Remote())
}

// Review finding: "a first page's not found is believed only after a
// second look", but when the second look finds the very folder at the
// path (same id), the "not found" is still believed: a one-off 404 on
// files/list for a folder that is there shows it empty in a mount. The
// second look proved the folder exists: re-list it, or fail with an error
// that is not fs.ErrorDirNotFound.
func TestReviewListNotFoundForAFolderThatIsThere(t *testing.T) {
	f, srv, acct := newTestFs(t, nil)
	_, err := acct.Put("dir/file.txt", []byte("x"), testModTime)
	require.NoError(t, err)
	ctx := context.Background()
	_, err = f.List(ctx, "dir")
	require.NoError(t, err)
	require.NoError(t, srv.Inject(putiotest.Fault{Route: "GET /v2/files/list", Status: 404, ErrorType: "NotFound", Times: 1}))

	entries, err := f.List(ctx, "dir")

	assert.NotErrorIs(t, err, fs.ErrorDirNotFound, "the fresh lookup found the folder at the same id")
	if err == nil {
		assert.Len(t, entries, 1)
	}
}

// Review finding (pre-existing, reached by the question "can the second
// look list a different folder than asked for"): the second look runs
// only on "not found". When another device renames the folder (a → b)
// and makes a new one at the path, the remembered id still lists, so
// "a" shows b's files; a Purge of "a" then deletes "b", a folder the
// user keeps. put.io's files/list reply carries the listed folder
// ("parent": its name and parent_id): a listing whose folder is no
// longer at the path should be treated like "not found" (look the path
// up afresh), and a delete by a remembered id should check the same.
func TestReviewListFolderRenamedAndReplacedByAnotherDevice(t *testing.T) {
	f, _, acct := newTestFs(t, nil)
	_, err := acct.Put("a/old.txt", []byte("old"), testModTime)
	require.NoError(t, err)
	ctx := context.Background()
	_, err = f.List(ctx, "a")
	require.NoError(t, err)
	_, err = acct.Move("a", "b")
	require.NoError(t, err)
	_, err = acct.Put("a/new.txt", []byte("new"), testModTime)
	require.NoError(t, err)

	entries, err := f.List(ctx, "a")
	require.NoError(t, err)
	var got []string
	for _, e := range entries {
		got = append(got, e.Remote())
	}
	assert.Equal(t, []string{"a/new.txt"}, got, "the folder now at a is listed")

	require.NoError(t, f.Purge(ctx, "a"))
	_, err = acct.Stat("b/old.txt")
	assert.NoError(t, err, "purging a must not delete b, the renamed folder")
}
