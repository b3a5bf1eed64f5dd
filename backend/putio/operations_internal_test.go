package putio

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/api"
	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
	"github.com/rclone/rclone/fs"
	"github.com/rclone/rclone/fs/accounting"
	"github.com/rclone/rclone/fs/config/configmap"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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

// Rmdir refuses a non-empty folder after looking at one item only.
func TestRmdirRefusesNonEmpty(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, nil)
	for i := range 3 {
		_, err := acct.Put(fmt.Sprintf("dir/f%d", i), []byte("x"), testModTime)
		require.NoError(t, err)
	}
	srv.ResetCounters()
	err := f.Rmdir(ctx, "dir")
	assert.ErrorIs(t, err, fs.ErrorDirectoryNotEmpty)
	assert.Len(t, names(t, acct, "dir"), 3)
	var listed bool
	for _, entry := range srv.Log() {
		if entry.Route == "GET /v2/files/list" {
			listed = true
			assert.Contains(t, entry.Path, "per_page=1")
		}
	}
	assert.True(t, listed)
	assert.Zero(t, srv.Calls("POST /v2/files/delete"))

	_, err = acct.Mkdir("empty")
	require.NoError(t, err)
	require.NoError(t, f.Rmdir(ctx, "empty"))
	_, err = acct.Stat("empty")
	assert.Error(t, err)
}

// Purge removes a folder tree with one delete.
func TestPurge(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, nil)
	_, err := acct.Put("dir/a/b.txt", []byte("x"), testModTime)
	require.NoError(t, err)
	srv.ResetCounters()
	require.NoError(t, f.Purge(ctx, "dir"))
	assert.Equal(t, 1, srv.Calls("POST /v2/files/delete"))
	_, err = acct.Stat("dir")
	assert.Error(t, err)
}

// hard_delete skips the trash.
func TestHardDelete(t *testing.T) {
	ctx := context.Background()
	f, _, acct := newTestFs(t, configmap.Simple{"hard_delete": "true"})
	o := seedObject(t, f, acct, "a.txt", []byte("x"))
	require.NoError(t, o.Remove(ctx))
	_, err := acct.Stat("a.txt")
	assert.Error(t, err)
	assert.Empty(t, acct.Trash())
}

// put.io's spurious NAME_ALREADY_EXIST on copy is handled with a temporary
// name, leaving nothing behind.
func TestCopySpuriousConflict(t *testing.T) {
	ctx := context.Background()
	f, _, acct := newTestFs(t, nil, putiotest.Options{SpuriousCopyConflict: true})
	src := seedObject(t, f, acct, "a.txt", []byte("hello"))

	dst, err := f.Copy(ctx, src, "b.txt")

	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"a.txt", "b.txt"}, names(t, acct, ""))
	data, err := acct.ReadFile("b.txt")
	require.NoError(t, err)
	assert.Equal(t, "hello", string(data))
	stat, err := acct.Stat("b.txt")
	require.NoError(t, err)
	assert.Equal(t, testModTime, stat.UpdatedAt.UTC())
	assert.Equal(t, fmt.Sprint(stat.ID), dst.(fs.IDer).ID())
	assert.Equal(t, "hello", string(readAll(ctx, t, dst)))
}

// Copying over an existing file replaces it only once the copy exists.
func TestCopyOverExisting(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, nil)
	_, err := acct.Put("a.txt", []byte("new"), testModTime)
	require.NoError(t, err)
	_, err = acct.Put("b.txt", []byte("old"), testModTime)
	require.NoError(t, err)
	src, err := f.NewObject(ctx, "a.txt")
	require.NoError(t, err)
	srv.ResetCounters()

	_, err = f.Copy(ctx, src, "b.txt")

	require.NoError(t, err)
	data, err := acct.ReadFile("b.txt")
	require.NoError(t, err)
	assert.Equal(t, "new", string(data))
	assert.ElementsMatch(t, []string{"a.txt", "b.txt"}, names(t, acct, ""))
	// Order matters for safety: the temporary copy exists before the delete.
	var order []string
	for _, entry := range srv.Log() {
		order = append(order, entry.Route)
	}
	copyAt := strings.Index(strings.Join(order, "|"), "POST /v2/files/copy|POST /v2/files/copy")
	deleteAt := strings.Index(strings.Join(order, "|"), "POST /v2/files/delete")
	assert.True(t, copyAt >= 0 && deleteAt > copyAt, "delete after the second copy: %v", order)
}

// A failed copy leaves the source as it was and adds nothing.
func TestCopyFailureLeavesSourceIntact(t *testing.T) {
	f, srv, acct := newTestFs(t, nil)
	src := seedObject(t, f, acct, "a.txt", []byte("hello"))
	require.NoError(t, srv.Inject(putiotest.Fault{Route: "POST /v2/files/copy", Status: http.StatusInsufficientStorage}))

	_, err := f.Copy(fewRetries(f, 2), src, "b.txt")

	require.Error(t, err)
	assert.Equal(t, []string{"a.txt"}, names(t, acct, ""))
	data, err := acct.ReadFile("a.txt")
	require.NoError(t, err)
	assert.Equal(t, "hello", string(data))
}

func TestMoveFailureLeavesSourceIntact(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, nil)
	src := seedObject(t, f, acct, "a.txt", []byte("hello"))
	require.NoError(t, srv.Inject(putiotest.Fault{Route: "POST /v2/files/move", Status: http.StatusBadRequest, ErrorType: "NAME_ALREADY_EXIST"}))

	_, err := f.Move(ctx, src, "b.txt")

	require.ErrorContains(t, err, "NAME_ALREADY_EXIST")
	assert.Equal(t, []string{"a.txt"}, names(t, acct, ""))
}

// A move refused inside a 200 reply's errors list is still an error.
func TestMoveErrorsInBody(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, nil)
	src := seedObject(t, f, acct, "a.txt", []byte("hello"))
	require.NoError(t, srv.Inject(putiotest.Fault{Route: "POST /v2/files/move", Status: http.StatusOK,
		Body: `{"status":"OK","errors":[{"id":1,"name":"a.txt","error_type":"NAME_ALREADY_EXIST","status_code":400}]}`}))
	_, err := f.Move(ctx, src, "b.txt")
	require.ErrorContains(t, err, "NAME_ALREADY_EXIST")
}

// DirMove moves a folder with one call.
func TestDirMove(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, nil)
	_, err := acct.Put("src/sub/a.txt", []byte("x"), testModTime)
	require.NoError(t, err)
	require.NoError(t, f.Mkdir(ctx, "dst"))
	require.NoError(t, f.Mkdir(ctx, "src/sub"))
	srv.ResetCounters()

	require.NoError(t, f.DirMove(ctx, f, "src/sub", "dst/moved"))

	assert.Equal(t, 1, srv.Calls("POST /v2/files/move"))
	data, err := acct.ReadFile("dst/moved/a.txt")
	require.NoError(t, err)
	assert.Equal(t, "x", string(data))
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

func TestAboutAndUserInfo(t *testing.T) {
	ctx := context.Background()
	f, _, acct := newTestFs(t, nil, putiotest.Options{Quota: 1 << 30})
	_, err := acct.Put("a.txt", make([]byte, 1000), testModTime)
	require.NoError(t, err)
	usage, err := f.About(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(1<<30), *usage.Total)
	assert.Equal(t, int64(1000), *usage.Used)
	assert.Equal(t, int64(1<<30-1000), *usage.Free)
	info, err := f.UserInfo(ctx)
	require.NoError(t, err)
	assert.Equal(t, fmt.Sprint(acct.UserID()), info["UserID"])
}

func TestCleanUpEmptiesTrash(t *testing.T) {
	ctx := context.Background()
	f, _, acct := newTestFs(t, nil)
	o := seedObject(t, f, acct, "a.txt", []byte("x"))
	require.NoError(t, o.Remove(ctx))
	require.Len(t, acct.Trash(), 1)
	require.NoError(t, f.CleanUp(ctx))
	assert.Empty(t, acct.Trash())
}

func TestTrashCommands(t *testing.T) {
	ctx := context.Background()
	f, _, acct := newTestFs(t, nil)
	o := seedObject(t, f, acct, "dir/a.txt", []byte("x"))
	require.NoError(t, o.Remove(ctx))
	other := seedObject(t, f, acct, "b.txt", []byte("y"))
	require.NoError(t, other.Remove(ctx))
	f.pageSize = 1 // one trashed item per page

	out, err := f.Command(ctx, "trash", nil, nil)
	require.NoError(t, err)
	items := out.([]TrashItem)
	require.Len(t, items, 2)
	slices.SortFunc(items, func(a, b TrashItem) int { return strings.Compare(a.Name, b.Name) })
	assert.Equal(t, "a.txt", items[0].Name)
	assert.False(t, items[0].DeletedAt.IsZero())

	_, err = f.Command(ctx, "restore", []string{"x1"}, nil)
	require.ErrorContains(t, err, `"x1" is not an item id`)
	_, err = f.Command(ctx, "restore", []string{fmt.Sprint(items[0].ID)}, nil)
	require.NoError(t, err)
	assert.Eventually(t, func() bool {
		data, err := acct.ReadFile("dir/a.txt")
		return err == nil && string(data) == "x"
	}, 5*time.Second, 50*time.Millisecond)

	_, err = f.Command(ctx, "bogus", nil, nil)
	assert.ErrorIs(t, err, fs.ErrorCommandNotFound)
}

func TestPublicLink(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, nil)
	_, err := acct.Put("a.txt", []byte("x"), testModTime)
	require.NoError(t, err)

	link, err := f.PublicLink(ctx, "a.txt", fs.DurationOff, false)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(link, publicShareBase), link)
	again, err := f.PublicLink(ctx, "a.txt", fs.DurationOff, false)
	require.NoError(t, err)
	assert.Equal(t, link, again, "existing share reused")
	assert.Equal(t, 1, srv.Calls("POST /v2/public_share/{id}"))

	_, err = f.PublicLink(ctx, "a.txt", fs.DurationOff, true)
	require.NoError(t, err)
	assert.Equal(t, 1, srv.Calls("DELETE /v2/public_share/{id}"))
	fresh, err := f.PublicLink(ctx, "a.txt", fs.DurationOff, false)
	require.NoError(t, err)
	assert.NotEqual(t, link, fresh)

	_, err = f.PublicLink(ctx, "missing.txt", fs.DurationOff, false)
	assert.ErrorIs(t, err, fs.ErrorObjectNotFound)
}

// rclone's OAuth app gets a third-party token, and put.io refuses those the
// share list: links are still made, and unlink says where it can be done
// instead of sending the user to log in again.
func TestPublicLinkWithAppToken(t *testing.T) {
	ctx := context.Background()
	f, srv := newAppTokenFs(t)

	link, err := f.Features().PublicLink(ctx, "a.txt", fs.DurationOff, false)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(link, publicShareBase), link)
	assert.Equal(t, 1, srv.Calls("POST /v2/public_share/{id}"))

	_, err = f.Features().PublicLink(ctx, "a.txt", fs.DurationOff, true)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "put.io web app")
	assert.NotContains(t, err.Error(), "reconnect")
	assert.Zero(t, srv.Calls("DELETE /v2/public_share/{id}"))
}

// --expire asks put.io for that expiry when the share is created.
func TestPublicLinkExpire(t *testing.T) {
	ctx := context.Background()
	f, _, acct := newTestFs(t, nil)
	item, err := acct.Put("a.txt", []byte("x"), testModTime)
	require.NoError(t, err)

	_, err = f.PublicLink(ctx, "a.txt", fs.Duration(48*time.Hour), false)
	require.NoError(t, err)
	shares, err := f.sharesOf(ctx, api.ID(item.ID))
	require.NoError(t, err)
	require.Len(t, shares, 1)
	assert.WithinDuration(t, time.Now().Add(48*time.Hour), shares[0].ExpirationDate.Time, time.Minute)
}

func TestMetadata(t *testing.T) {
	ctx := context.Background()
	f, _, acct := newTestFs(t, nil)
	stat, err := acct.Put("movie.mp4", []byte("not really"), testModTime)
	require.NoError(t, err)
	o, err := f.NewObject(ctx, "movie.mp4")
	require.NoError(t, err)
	meta, err := o.(fs.Metadataer).Metadata(ctx)
	require.NoError(t, err)
	assert.Equal(t, testModTime.Format(time.RFC3339), meta["mtime"])
	assert.Equal(t, stat.CRC32, meta["crc32"])
	assert.Equal(t, stat.ContentType, meta["content-type"])
	assert.Equal(t, stat.CreatedAt.UTC().Format(time.RFC3339), meta["btime"])
	assert.NotEmpty(t, meta["file-type"])
	for key := range meta {
		assert.Contains(t, metadataInfo.System, key, "documented in MetadataInfo")
	}
	assert.Equal(t, "0", o.(fs.ParentIDer).ParentID())

	uploaded := put(ctx, t, f, "new.bin", []byte("fresh"))
	meta, err = uploaded.(fs.Metadataer).Metadata(ctx)
	require.NoError(t, err)
	for key, value := range meta {
		assert.NotEmpty(t, value, "key %s of a just-uploaded object", key)
	}
	assert.Equal(t, testModTime.Format(time.RFC3339), meta["mtime"])
}

// An expired signed URL is refreshed once and the download succeeds.
func TestExpiredDownloadURLIsRefreshed(t *testing.T) {
	ctx := context.Background()
	var shift atomic.Int64
	clock := func() time.Time { return time.Now().Add(time.Duration(shift.Load())) }
	f, srv, acct := newTestFs(t, nil, putiotest.Options{Now: clock, URLExpiry: time.Hour})
	o := seedObject(t, f, acct, "a.txt", []byte("hello"))
	assert.Equal(t, "hello", string(readAll(ctx, t, o)))

	shift.Store(int64(2 * time.Hour))
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() { assert.Equal(t, "hello", string(readAll(ctx, t, o))) })
	}
	wg.Wait()
	assert.Equal(t, 2, srv.Calls("GET /v2/files/{id}/url"), "streams refused together refresh once")
}

func TestBadOptions(t *testing.T) {
	for option, value := range map[string]string{
		"chunk_size": "-1",
		"api_url":    "::not a url",
		"upload_url": "ftp://upload.example/files/",
	} {
		t.Run(option, func(t *testing.T) {
			m := configmap.Simple{"token": `{"access_token":"x"}`, option: value}
			_, err := NewFs(context.Background(), "bad", "", fs.ConfigMap(regInfo.Prefix, regInfo.Options, "", m))
			require.Error(t, err)
			assert.Contains(t, err.Error(), option)
		})
	}
}

func TestMissingTokenSaysReconnect(t *testing.T) {
	m := configmap.Simple{"api_url": "http://127.0.0.1:1"}
	_, err := NewFs(context.Background(), "notoken", "", fs.ConfigMap(regInfo.Prefix, regInfo.Options, "", m))
	require.ErrorContains(t, err, `rclone config reconnect notoken:`)
}

// A root naming a file gives ErrorIsFile with the parent as root.
func TestRootIsFile(t *testing.T) {
	_, srv, acct := newTestFs(t, nil)
	_, err := acct.Put("dir/a.txt", []byte("x"), testModTime)
	require.NoError(t, err)
	sub, err := newFsOn(srv, "sub", "dir/a.txt", nil)
	assert.ErrorIs(t, err, fs.ErrorIsFile)
	assert.Equal(t, "dir", sub.Root())
}

// A copy reply without the new item still yields the right object.
func TestCopyReplyWithoutFile(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, nil)
	src := seedObject(t, f, acct, "a.txt", []byte("hello"))
	// The fault answers without copying, so the copy is seeded beforehand.
	_, err := acct.Put("c.txt", []byte("hello"), testModTime)
	require.NoError(t, err)
	require.NoError(t, srv.Inject(putiotest.Fault{Route: "POST /v2/files/copy", Status: http.StatusOK, Body: `{"status":"OK"}`, Times: 1}))

	dst, err := f.Copy(ctx, src, "c.txt")

	require.NoError(t, err)
	stat, err := acct.Stat("c.txt")
	require.NoError(t, err)
	assert.Equal(t, fmt.Sprint(stat.ID), dst.(fs.IDer).ID())
}

// Every Fs on the same account shares one gate.
func TestGateSharedPerRemote(t *testing.T) {
	f, srv, _ := newTestFs(t, nil)
	sub, err := newFsOn(srv, testRemote, "sub", nil)
	require.NoError(t, err)
	assert.Same(t, f.gate, sub.(*Fs).gate)
}

// The overview rclone shows lists exactly the features the Fs enables.
func TestOverviewMatchesFeatures(t *testing.T) {
	f, _, _ := newTestFs(t, nil)
	var enabled []string
	for name, on := range f.Features().Enabled() {
		if on {
			enabled = append(enabled, name)
		}
	}
	assert.ElementsMatch(t, enabled, regInfo.Overview.Features)
	assert.Equal(t, []string{f.Hashes().GetOne().String()}, regInfo.Overview.Hashes)
	assert.Equal(t, int64(f.Precision()), regInfo.Overview.Precision)
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

// The options are the OAuth ones users know plus ours, by these names.
func TestOptionNames(t *testing.T) {
	var got []string
	for _, o := range regInfo.Options {
		got = append(got, o.Name)
	}
	assert.ElementsMatch(t, []string{"client_id", "client_secret", "token", "auth_url", "token_url",
		"chunk_size", "upload_window", "resume_uploads", "hard_delete", "api_url", "upload_url", "feed_url", "encoding", "description"}, got)
	assert.Equal(t, "0", regInfo.Options.Get("chunk_size").Default.(fs.SizeSuffix).String(), "no PATCH size limit")
	assert.Equal(t, "4Mi", regInfo.Options.Get("upload_window").Default.(fs.SizeSuffix).String())
}

// Copying a file onto itself never deletes it.
func TestCopyOntoItself(t *testing.T) {
	ctx := context.Background()
	f, _, acct := newTestFs(t, nil)
	src := seedObject(t, f, acct, "a.txt", []byte("hello"))
	_, err := f.Copy(ctx, src, "a.txt")
	require.ErrorContains(t, err, "onto itself")
	assert.Equal(t, []string{"a.txt"}, names(t, acct, ""))
	assert.Empty(t, acct.Trash(), "the temporary copy is gone for good")
	assert.Equal(t, "hello", string(readAll(ctx, t, src)))
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
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
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
			assert.NoError(t, ctx.Err(), "failed at once, not by timing out")
		})
	}
}
