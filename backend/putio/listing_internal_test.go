package putio

import (
	"context"
	"net/http"
	"testing"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
	"github.com/rclone/rclone/fs"
	"github.com/rclone/rclone/fs/hash"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A file uploaded after a same-named folder is what /child answers with;
// the folder and everything in it stay reachable, and Mkdir below works.
func TestFileDoesNotHideFolder(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, nil)
	_, err := acct.Put("dir/inner.txt", []byte("inner"), testModTime)
	require.NoError(t, err)
	_, err = acct.Put("dir", []byte("a file named like the folder"), testModTime)
	require.NoError(t, err)
	stat, err := acct.Stat("dir")
	require.NoError(t, err)
	require.False(t, stat.IsDir, "the emulator's /child answers with the newer file")

	o, err := f.NewObject(ctx, "dir/inner.txt")
	require.NoError(t, err)
	assert.Equal(t, "inner", string(readAll(ctx, t, o)))
	require.NoError(t, f.Mkdir(ctx, "dir/sub"))
	f.DirCacheFlush()
	entries, err := f.List(ctx, "dir")
	require.NoError(t, err)
	var listed []string
	for _, entry := range entries {
		listed = append(listed, entry.Remote())
	}
	assert.ElementsMatch(t, []string{"dir/inner.txt", "dir/sub"}, listed)

	rooted, err := newFsOn(srv, testRemote, "dir", nil)
	require.NoError(t, err, "a root naming the folder is the folder, not the file")
	entries, err = rooted.List(ctx, "")
	require.NoError(t, err)
	assert.Len(t, entries, 2)

	// The file is still the object at that path.
	file, err := f.NewObject(ctx, "dir")
	require.NoError(t, err)
	assert.Equal(t, "a file named like the folder", string(readAll(ctx, t, file)))
	_, isDir := fs.DirEntry(file).(fs.Directory)
	assert.False(t, isDir)
}

// A CRC-32 put.io sends without leading zeros or in upper case is the
// hash rclone computes, not a mismatch.
func TestCRC32IsNormalised(t *testing.T) {
	ctx := context.Background()
	f, srv, _ := newTestFs(t, nil)
	require.NoError(t, srv.Inject(putiotest.Fault{Route: "GET /v2/files/list", Status: http.StatusOK,
		Body: `{"files":[{"id":5,"name":"a","size":1,"crc32":"6A1512F","updated_at":"2020-01-01T00:00:00"}],"cursor":null,"status":"OK"}`}))

	entries, err := f.List(ctx, "")

	require.NoError(t, err)
	require.Len(t, entries, 1)
	sum, err := entries[0].(fs.Object).Hash(ctx, hash.CRC32)
	require.NoError(t, err)
	assert.Equal(t, "06a1512f", sum)
}

// Calls that are safe to repeat on put.io are simply retried when their
// reply is lost after the work: one folder made, one item moved.
func TestRepeatableCallsSurviveLostReplies(t *testing.T) {
	for name, tc := range map[string]struct {
		route string
		do    func(t *testing.T, ctx context.Context, f *Fs, src fs.Object) error
		want  []string
	}{
		"mkdir": {"POST /v2/files/create-folder", func(t *testing.T, ctx context.Context, f *Fs, _ fs.Object) error {
			return f.Mkdir(ctx, "made")
		}, []string{"a.txt", "made"}},
		"move": {"POST /v2/files/move", func(t *testing.T, ctx context.Context, f *Fs, src fs.Object) error {
			_, err := f.Move(ctx, src, "b.txt")
			return err
		}, []string{"b.txt"}},
		"dirmove": {"POST /v2/files/move", func(t *testing.T, ctx context.Context, f *Fs, _ fs.Object) error {
			require.NoError(t, f.Mkdir(ctx, "d"))
			return f.DirMove(ctx, f, "d", "e")
		}, []string{"a.txt", "e"}},
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			f, srv, acct := newTestFs(t, nil)
			src := seedObject(t, f, acct, "a.txt", []byte("x"))
			require.NoError(t, srv.Inject(putiotest.Fault{Route: tc.route, AfterWork: true, Status: http.StatusBadGateway, Times: 1}))

			require.NoError(t, tc.do(t, ctx, f, src))

			assert.ElementsMatch(t, tc.want, names(t, acct, ""))
			assert.Empty(t, acct.Trash())
		})
	}
}
