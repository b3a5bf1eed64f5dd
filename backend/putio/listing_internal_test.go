package putio

import (
	"context"
	"fmt"
	"net/http"
	"path"
	"testing"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
	"github.com/rclone/rclone/fs"
	"github.com/rclone/rclone/fs/accounting"
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

// ListP hands each page to the callback as it arrives, one call per page.
func TestListPStreamsPages(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, nil)
	for i := range 5 {
		_, err := acct.Put(fmt.Sprintf("dir/f%d", i), []byte("x"), testModTime)
		require.NoError(t, err)
	}
	_, err := acct.Mkdir("dir/sub")
	require.NoError(t, err)
	f.pageSize = 2
	require.NoError(t, f.Mkdir(ctx, "dir"))
	srv.ResetCounters()

	var pages []int
	var total int
	err = f.ListP(ctx, "dir", func(entries fs.DirEntries) error {
		pages = append(pages, len(entries))
		total += len(entries)
		assert.Equal(t, len(pages)-1, srv.Calls("POST /v2/files/list/continue"), "callback runs before the next page is fetched")
		return nil
	})

	require.NoError(t, err)
	assert.Equal(t, []int{2, 2, 2}, pages)
	assert.Equal(t, 6, total)
	assert.Equal(t, 1, srv.Calls("GET /v2/files/list"))
	assert.Equal(t, 2, srv.Calls("POST /v2/files/list/continue"))
}

// A callback error stops the listing at once.
func TestListPStopsOnCallbackError(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, nil)
	for i := range 5 {
		_, err := acct.Put(fmt.Sprintf("f%d", i), []byte("x"), testModTime)
		require.NoError(t, err)
	}
	f.pageSize = 2
	stop := fmt.Errorf("stop")
	err := f.ListP(ctx, "", func(fs.DirEntries) error { return stop })
	assert.ErrorIs(t, err, stop)
	assert.Zero(t, srv.Calls("POST /v2/files/list/continue"))
}

func TestListMissingDir(t *testing.T) {
	f, _, _ := newTestFs(t, nil)
	_, err := f.List(context.Background(), "nope")
	assert.ErrorIs(t, err, fs.ErrorDirNotFound)
}

// A listing that fails after its first page is an incomplete listing,
// with none of its entries: a not-found or gone too, which is not a missing
// folder there, as the first page showed the folder.
func TestListFailingAfterFirstPageIsIncomplete(t *testing.T) {
	for _, status := range []int{http.StatusServiceUnavailable, http.StatusNotFound, http.StatusGone} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			f, srv, acct := newTestFs(t, nil)
			fewRetries(f, 2)
			for i := range 3 {
				_, err := acct.Put(fmt.Sprintf("dir/f%d", i), []byte("x"), testModTime)
				require.NoError(t, err)
			}
			f.pageSize = 2
			require.NoError(t, srv.Inject(putiotest.Fault{Route: continueRoute, Status: status}))

			entries, err := f.List(context.Background(), "dir")

			require.ErrorContains(t, err, "incomplete")
			assert.NotErrorIs(t, err, fs.ErrorDirNotFound)
			assert.True(t, hasStatus(err, status), "the cause stays visible: %v", err)
			assert.Empty(t, entries, "no part of the folder passes for all of it")
		})
	}
}

// A malformed item in a listing is skipped and counted as an error; the
// rest of the folder is still listed.
func TestListSkipsMalformedItems(t *testing.T) {
	ctx := accounting.WithStatsGroup(context.Background(), "malformed-listing")
	accounting.Start(ctx) // installs the error counter
	f, srv, _ := newTestFs(t, nil)
	require.NoError(t, srv.Inject(putiotest.Fault{Route: "GET /v2/files/list", Status: http.StatusOK,
		Body: `{"files":[{"id":5,"name":"ok.txt","size":2,"updated_at":"2020-01-01T00:00:00"},{"id":0,"name":"bad"}],"cursor":null,"status":"OK"}`}))

	entries, err := f.List(ctx, "")

	require.NoError(t, err)
	require.Len(t, entries, 1)
	assert.Equal(t, "ok.txt", entries[0].Remote())
	assert.Equal(t, int64(1), accounting.Stats(ctx).GetErrors())
}

// A server that keeps answering an empty page with the same cursor does
// not make a listing spin forever.
func TestListStopsOnRepeatedCursor(t *testing.T) {
	f, srv, _ := newTestFs(t, nil)
	stuck := `{"files":[],"cursor":"same","status":"OK"}`
	require.NoError(t, srv.Inject(putiotest.Fault{Route: "GET /v2/files/list", Status: http.StatusOK, Body: stuck}))
	require.NoError(t, srv.Inject(putiotest.Fault{Route: "POST /v2/files/list/continue", Status: http.StatusOK, Body: stuck}))
	_, err := f.List(context.Background(), "")
	require.ErrorContains(t, err, "repeats a page")
	assert.Equal(t, 1, srv.Calls("POST /v2/files/list/continue"))
}

// Nor does one whose cursors go round in circles over pages with items,
// or one that hands out new cursors for pages of items already listed.
func TestListStopsOnCycle(t *testing.T) {
	item := func(id int) string {
		return fmt.Sprintf(`{"id":%d,"name":"f%d","size":1,"updated_at":"2020-01-01T00:00:00"}`, id, id)
	}
	for name, test := range map[string]struct {
		pages []putiotest.Fault // after the first, on the continue route
		want  string
	}{
		"cursor cycle":            {[]putiotest.Fault{page(item(2), `"B"`), page(item(3), `"A"`), page(item(2), `"B"`)}, "repeats a page"},
		"same items, new cursors": {[]putiotest.Fault{page(item(2), `"B"`), page(item(1)+","+item(2), `"C"`)}, "already listed"},
	} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
			defer cancel()
			f, srv, _ := newTestFs(t, nil)
			require.NoError(t, srv.Inject(onRoute(listRoute, page(item(1), `"A"`))))
			for _, p := range test.pages {
				require.NoError(t, srv.Inject(onRoute(continueRoute, p)))
			}
			// Then the cycle goes on for as long as anyone asks.
			last := test.pages[len(test.pages)-1]
			last.Times = 0
			require.NoError(t, srv.Inject(onRoute(continueRoute, last)))

			_, err := f.List(ctx, "")

			require.ErrorContains(t, err, test.want)
			assert.LessOrEqual(t, srv.Calls(continueRoute), len(test.pages), "failed at the first repeat")
		})
	}
}

// A folder another device deleted and made again at the same path is
// listed under its new id, not shown empty through the id remembered for
// the old one: with the Fs's root there, and with a folder below it.
func TestListFolderRecreatedByAnotherDevice(t *testing.T) {
	for _, tc := range []struct{ root, dir string }{{"", "dir"}, {"dir", ""}} {
		t.Run("root="+tc.root, func(t *testing.T) {
			srv := putiotest.NewServer(t)
			acct := srv.Account(srv.Token)
			_, err := acct.Put("dir/old.txt", []byte("old"), testModTime)
			require.NoError(t, err)
			fsys, err := newFsOn(srv, testRemote, tc.root, nil)
			require.NoError(t, err)
			f := fsys.(*Fs)
			ctx := context.Background()
			entries, err := f.List(ctx, tc.dir)
			require.NoError(t, err)
			require.Len(t, entries, 1) // the folder's id is now remembered

			require.NoError(t, acct.Delete("dir"))
			_, err = acct.Put("dir/new.txt", []byte("new"), testModTime)
			require.NoError(t, err)

			entries, err = f.List(ctx, tc.dir)
			require.NoError(t, err)
			require.Len(t, entries, 1)
			assert.Equal(t, path.Join(tc.dir, "new.txt"), entries[0].Remote())
		})
	}
}

// A folder that is gone, and not made again, is still "directory not
// found" after the second look.
func TestListFolderDeletedByAnotherDevice(t *testing.T) {
	f, srv, acct := newTestFs(t, nil)
	_, err := acct.Put("dir/old.txt", []byte("old"), testModTime)
	require.NoError(t, err)
	_, err = f.List(context.Background(), "dir")
	require.NoError(t, err)
	require.NoError(t, acct.Delete("dir"))
	lists := srv.Calls("GET /v2/files/list")

	_, err = f.List(context.Background(), "dir")

	assert.ErrorIs(t, err, fs.ErrorDirNotFound)
	assert.Equal(t, lists+1, srv.Calls("GET /v2/files/list"), "the old id is listed once, the path looked up afresh by name")
}
