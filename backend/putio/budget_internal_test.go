package putio

import (
	"context"
	"fmt"
	"hash/crc32"
	"sync"
	"testing"

	"github.com/rclone/rclone/fs"
	"github.com/rclone/rclone/fs/hash"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The built-in backend's costs are in brackets in each test's comment.

// Upload of a new file into a folder that was there before: child lookup,
// tus POST, one PATCH [4]. (In a folder this Fs made, the lookup is
// skipped: TestPutIntoCreatedFolderSkipsLookup.)
func TestBudgetPutNewFile(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, nil)
	_, err := acct.Mkdir("dir")
	require.NoError(t, err)
	require.NoError(t, f.Mkdir(ctx, "dir"))
	f.uploadCaps(ctx) // tus OPTIONS: once per remote, see TestTusOptionsOncePerRemote
	srv.ResetCounters()

	data := pattern(1000, 1)
	o := put(ctx, t, f, "dir/new.bin", data)

	assert.Equal(t, 3, srv.TotalCalls(), "%v", srv.AllCalls())
	assert.Equal(t, 1, srv.Calls("PATCH /files/{upload}"))
	stored, err := acct.ReadFile("dir/new.bin")
	require.NoError(t, err)
	assert.Equal(t, data, stored)
	stat, err := acct.Stat("dir/new.bin")
	require.NoError(t, err)
	assert.Equal(t, testModTime, stat.UpdatedAt.UTC())
	assert.Equal(t, fmt.Sprint(stat.ID), o.(fs.IDer).ID(), "object built from putio-file-id")
	crc, err := o.Hash(ctx, hash.CRC32)
	require.NoError(t, err)
	assert.Equal(t, fmt.Sprintf("%08x", crc32.ChecksumIEEE(data)), crc)
	assert.Equal(t, stat.CRC32, crc)
}

// PutUnchecked skips the lookup: two calls.
func TestBudgetPutUnchecked(t *testing.T) {
	ctx := context.Background()
	f, srv, _ := newTestFs(t, nil)
	require.NoError(t, f.Mkdir(ctx, "dir"))
	f.uploadCaps(ctx) // tus OPTIONS: once per remote, see TestTusOptionsOncePerRemote
	srv.ResetCounters()
	_, err := f.PutUnchecked(ctx, bytesReader(pattern(10, 2)), srcInfo("dir/u.bin", 10))
	require.NoError(t, err)
	assert.Equal(t, 2, srv.TotalCalls(), "%v", srv.AllCalls())
}

// Update of an existing file: POST, PATCH, a lookup of the old id (still
// the file at that path?) and its delete [4].
func TestBudgetUpdate(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, nil)
	o := seedObject(t, f, acct, "dir/file.txt", []byte("old"))
	f.uploadCaps(ctx) // tus OPTIONS: once per remote, see TestTusOptionsOncePerRemote
	srv.ResetCounters()

	newData := pattern(2000, 3)
	require.NoError(t, o.Update(ctx, bytesReader(newData), srcInfo("dir/file.txt", int64(len(newData)))))

	assert.Equal(t, 4, srv.TotalCalls(), "%v", srv.AllCalls())
	stored, err := acct.ReadFile("dir/file.txt")
	require.NoError(t, err)
	assert.Equal(t, newData, stored)
	assert.Equal(t, []string{"file.txt"}, names(t, acct, "dir"), "no duplicate left")
	assert.Equal(t, newData, readAll(ctx, t, o))
}

// Server-side copy (copy to the final name and a touch) [4-5] and move
// (move with rename and a touch) [3]: two calls each, modtime kept.
func TestBudgetServerSide(t *testing.T) {
	for name, tc := range map[string]struct {
		operation  func(*Fs) func(context.Context, fs.Object, string) (fs.Object, error)
		sourceKept bool
	}{
		"copy": {operation: func(f *Fs) func(context.Context, fs.Object, string) (fs.Object, error) { return f.Copy }, sourceKept: true},
		"move": {operation: func(f *Fs) func(context.Context, fs.Object, string) (fs.Object, error) { return f.Move }},
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			f, srv, acct := newTestFs(t, nil)
			src := seedObject(t, f, acct, "src/a.txt", []byte("hello"))
			require.NoError(t, f.Mkdir(ctx, "dst"))
			srv.ResetCounters()

			dst, err := tc.operation(f)(ctx, src, "dst/b.txt")
			require.NoError(t, err)

			assert.Equal(t, 2, srv.TotalCalls(), "%v", srv.AllCalls())
			stat, err := acct.Stat("dst/b.txt")
			require.NoError(t, err)
			assert.Equal(t, testModTime, stat.UpdatedAt.UTC(), "modtime restored")
			assert.Equal(t, testModTime, dst.ModTime(ctx))
			assert.Equal(t, fmt.Sprint(stat.ID), dst.(fs.IDer).ID())
			data, err := acct.ReadFile("src/a.txt")
			if tc.sourceKept {
				require.NoError(t, err)
				assert.Equal(t, "hello", string(data))
			} else {
				assert.Error(t, err, "source gone")
			}
		})
	}
}

// Resolving a/b/c/d costs one child lookup per element, no listing of the
// parents [4 full listings].
func TestBudgetResolvePath(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, nil)
	_, err := acct.Put("a/b/c/d/file.txt", []byte("x"), testModTime)
	require.NoError(t, err)
	for i := range 50 {
		_, err := acct.Put(fmt.Sprintf("a/b/filler%d", i), []byte("x"), testModTime)
		require.NoError(t, err)
	}
	srv.ResetCounters()

	entries, err := f.List(ctx, "a/b/c/d")
	require.NoError(t, err)

	require.Len(t, entries, 1)
	assert.Equal(t, 4, srv.Calls("GET /v2/files/{id}/child"))
	assert.Equal(t, 1, srv.Calls("GET /v2/files/list"), "only d itself is listed")
	assert.Equal(t, 5, srv.TotalCalls(), "%v", srv.AllCalls())
}

// A multi-thread download opens one object many times with ranges: one
// url call in total [one per stream].
func TestBudgetMultiThreadDownload(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, nil)
	data := pattern(64*1024, 4)
	_, err := acct.Put("big.bin", data, testModTime)
	require.NoError(t, err)
	o, err := f.NewObject(ctx, "big.bin")
	require.NoError(t, err)
	srv.ResetCounters()

	const streams = 8
	part := len(data) / streams
	got := make([][]byte, streams)
	var wg sync.WaitGroup
	for i := range streams {
		wg.Go(func() {
			start := int64(i * part)
			got[i] = readAll(ctx, t, o, &fs.RangeOption{Start: start, End: start + int64(part) - 1})
		})
	}
	wg.Wait()

	for i := range streams {
		assert.Equal(t, data[i*part:(i+1)*part], got[i], "stream %d", i)
	}
	assert.Equal(t, 1, srv.Calls("GET /v2/files/{id}/url"))
	assert.Equal(t, streams, srv.Calls("GET /download/{id}"))
}
