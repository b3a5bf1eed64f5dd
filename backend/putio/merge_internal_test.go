package putio

import (
	"context"
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
// removes only folders it has emptied.
func TestMergeDirsRecursiveKeepsModTimes(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, nil)
	t1, t2, t3 := testModTime, testModTime.Add(time.Hour), testModTime.Add(2*time.Hour)
	dirs := seedMerge(t, f, acct, map[string]time.Time{
		"one/a": t1, "one/sub/b": t1,
		"two/c": t2, "two/sub/d": t2, "two/sub/deeper/e": t3,
		"three/f": t3, "three/sub/deeper/g": t1,
	}, "one", "two", "three")
	srv.ResetCounters()

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

// A file whose name is taken in the destination stays, and so does its
// folder: nothing is deleted with it.
func TestMergeDirsKeepsClashingFile(t *testing.T) {
	ctx := context.Background()
	f, _, acct := newTestFs(t, nil)
	dirs := seedMerge(t, f, acct, map[string]time.Time{"one/x": testModTime, "two/x": testModTime, "two/y": testModTime}, "one", "two")

	err := f.MergeDirs(ctx, dirs)

	require.ErrorContains(t, err, `"x"`)
	assert.ElementsMatch(t, []string{"one", "two"}, names(t, acct, ""))
	assertFile(t, acct, "two/x", "two/x", testModTime)
	assertFile(t, acct, "one/y", "two/y", testModTime)
	assert.Empty(t, acct.Trash())
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
