package putio

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
	"github.com/rclone/rclone/fs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// seedMerge stores files (path -> mod time) and returns the root folders
// named in order, as MergeDirs gets them from a listing.
func seedMerge(t *testing.T, f *Fs, acct *putiotest.Account, files map[string]time.Time, order ...string) []fs.Directory {
	t.Helper()
	for p, mtime := range files {
		_, err := acct.Put(p, []byte(p), mtime)
		require.NoError(t, err)
	}
	entries, err := f.List(context.Background(), "")
	require.NoError(t, err)
	var dirs []fs.Directory
	for _, name := range order {
		for _, entry := range entries {
			if d, ok := entry.(fs.Directory); ok && d.Remote() == name {
				dirs = append(dirs, d)
			}
		}
	}
	require.Len(t, dirs, len(order))
	return dirs
}

// assertFile checks the bytes (its own path, as seedMerge stores) and mod
// time of a merged file.
func assertFile(t *testing.T, acct *putiotest.Account, p, origin string, mtime time.Time) {
	t.Helper()
	data, err := acct.ReadFile(p)
	require.NoError(t, err, p)
	assert.Equal(t, origin, string(data), p)
	stat, err := acct.Stat(p)
	require.NoError(t, err)
	assert.Equal(t, mtime, stat.UpdatedAt.UTC(), "mod time of %s", p)
}

// MergeDirs keeps mod times, merges same-named subfolders recursively and
// removes only folders it has emptied, also when replies are lost after
// put.io did the work.
func TestMergeDirsRecursiveKeepsModTimes(t *testing.T) {
	for _, lost := range []putiotest.Fault{{},
		{Route: moveRoute, AfterWork: true, Status: http.StatusBadGateway, Times: 2},
		{Route: touchRoute, AfterWork: true, Cut: putiotest.CutResponse, Times: 2},
		{Route: deleteRoute, AfterWork: true, Status: http.StatusBadGateway, Times: 2},
	} {
		t.Run(lost.Route+" "+faultName(lost), func(t *testing.T) { testMergeDirsRecursive(t, lost) })
	}
}

func testMergeDirsRecursive(t *testing.T, lost putiotest.Fault) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, nil)
	t1, t2, t3 := testModTime, testModTime.Add(time.Hour), testModTime.Add(2*time.Hour)
	dirs := seedMerge(t, f, acct, map[string]time.Time{
		"one/a": t1, "one/sub/b": t1,
		"two/c": t2, "two/sub/d": t2, "two/sub/deeper/e": t3,
		"three/f": t3, "three/sub/deeper/g": t1,
	}, "one", "two", "three")
	if lost.Route != "" {
		require.NoError(t, srv.Inject(lost))
	}

	require.NoError(t, f.MergeDirs(ctx, dirs))

	assert.Equal(t, []string{"one"}, names(t, acct, ""))
	assert.ElementsMatch(t, []string{"a", "c", "f", "sub"}, names(t, acct, "one"))
	assert.ElementsMatch(t, []string{"b", "d", "deeper"}, names(t, acct, "one/sub"))
	assert.ElementsMatch(t, []string{"e", "g"}, names(t, acct, "one/sub/deeper"))
	assertFile(t, acct, "one/a", "one/a", t1)
	assertFile(t, acct, "one/c", "two/c", t2)
	assertFile(t, acct, "one/f", "three/f", t3)
	assertFile(t, acct, "one/sub/d", "two/sub/d", t2)
	assertFile(t, acct, "one/sub/deeper/e", "two/sub/deeper/e", t3)
	assertFile(t, acct, "one/sub/deeper/g", "three/sub/deeper/g", t1)
	var trashed []string
	for _, item := range acct.Trash() {
		trashed = append(trashed, item.Name)
	}
	assert.ElementsMatch(t, []string{"two", "sub", "three", "sub", "deeper"}, trashed, "only emptied folders")
}

// A file whose name is taken in the destination stays, and so do its
// folders: nothing is deleted with it. Everything else is merged, times
// and all, the other folders included; also when a move's reply is lost,
// as the items it did not move are sent again and refused again.
func TestMergeDirsKeepsClashingFile(t *testing.T) {
	for _, lost := range []putiotest.Fault{{}, {Route: moveRoute, AfterWork: true, Status: http.StatusBadGateway, Times: 1}} {
		t.Run(faultName(lost), func(t *testing.T) { testMergeDirsKeepsClashingFile(t, lost) })
	}
}

func testMergeDirsKeepsClashingFile(t *testing.T, lost putiotest.Fault) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, nil)
	later := testModTime.Add(time.Hour)
	dirs := seedMerge(t, f, acct, map[string]time.Time{
		"one/x": testModTime, "one/sub/z": testModTime,
		"two/x": later, "two/y": later, "two/sub/z": later, "two/sub/v": later,
		"three/w": later,
	}, "one", "two", "three")
	if lost.Route != "" {
		require.NoError(t, srv.Inject(lost))
	}

	err := f.MergeDirs(ctx, dirs)

	require.ErrorContains(t, err, `"x"`)
	require.ErrorContains(t, err, `"z"`)
	assert.ElementsMatch(t, []string{"one", "two"}, names(t, acct, ""))
	assert.ElementsMatch(t, []string{"x", "sub"}, names(t, acct, "two"))
	assert.ElementsMatch(t, []string{"z"}, names(t, acct, "two/sub"))
	assertFile(t, acct, "two/x", "two/x", later)
	assertFile(t, acct, "two/sub/z", "two/sub/z", later)
	assertFile(t, acct, "one/x", "one/x", testModTime)
	assertFile(t, acct, "one/y", "two/y", later)
	assertFile(t, acct, "one/sub/v", "two/sub/v", later)
	assertFile(t, acct, "one/w", "three/w", later)
	require.Len(t, acct.Trash(), 1)
	assert.Equal(t, "three", acct.Trash()[0].Name)
}

// A merged folder that is not empty after the move (a file arrived
// meanwhile) is kept, with the file.
func TestMergeDirsNeedsProofOfEmptiness(t *testing.T) {
	ctx := context.Background()
	var acct *putiotest.Account
	var once sync.Once
	f, _, acct := newTestFs(t, nil, putiotest.Options{OnRequest: func(entry putiotest.LogEntry) {
		if entry.Route == moveRoute {
			once.Do(func() {
				_, err := acct.Put("two/late.txt", []byte("late"), testModTime)
				assert.NoError(t, err)
			})
		}
	}})
	dirs := seedMerge(t, f, acct, map[string]time.Time{"one/a": testModTime, "two/b": testModTime}, "one", "two")

	err := f.MergeDirs(ctx, dirs)

	require.ErrorIs(t, err, fs.ErrorDirectoryNotEmpty)
	assert.ElementsMatch(t, []string{"one", "two"}, names(t, acct, ""))
	assertFile(t, acct, "two/late.txt", "late", testModTime)
	assertFile(t, acct, "one/b", "two/b", testModTime)
	assert.Empty(t, acct.Trash())
}

// MergeDirs moves children in bulk and removes the emptied folders.
func TestMergeDirs(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, nil)
	for _, p := range []string{"one/a", "one/b", "two/c", "two/d", "two/e"} {
		_, err := acct.Put(p, []byte(p), testModTime)
		require.NoError(t, err)
	}
	entries, err := f.List(ctx, "")
	require.NoError(t, err)
	var dirs []fs.Directory
	for _, name := range []string{"one", "two"} {
		for _, entry := range entries {
			if d, ok := entry.(fs.Directory); ok && d.Remote() == name {
				dirs = append(dirs, d)
			}
		}
	}
	require.Len(t, dirs, 2)
	srv.ResetCounters()

	require.NoError(t, f.MergeDirs(ctx, dirs))

	assert.ElementsMatch(t, []string{"a", "b", "c", "d", "e"}, names(t, acct, "one"))
	assert.Equal(t, []string{"one"}, names(t, acct, ""))
	assert.Equal(t, 1, srv.Calls("POST /v2/files/move"), "one bulk move")
}
