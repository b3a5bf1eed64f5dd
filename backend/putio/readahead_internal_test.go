package putio

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
	"github.com/rclone/rclone/fs"
	"github.com/rclone/rclone/fs/config/configmap"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readAheadFs is newTestFs with url_read_ahead set to count and a folder
// "show0" of files files of 100 bytes, listed; it returns the folder's
// Objects in name order and their contents by remote.
func readAheadFs(t *testing.T, count, files int) (*Fs, *putiotest.Server, []fs.Object, map[string][]byte) {
	t.Helper()
	f, srv, acct := newTestFs(t, configmap.Simple{"url_read_ahead": fmt.Sprint(count)})
	library := seedLibrary(t, acct, 1, files, 100)
	objects := listObjects(context.Background(), t, f, "show0")
	require.Len(t, objects, files)
	return f, srv, objects, library
}

// urlsOf is the file ids whose URL the emulator was asked for, in order.
func urlsOf(srv *putiotest.Server) []string {
	var ids []string
	for _, entry := range srv.Log() {
		if entry.Route == urlRoute {
			ids = append(ids, strings.TrimSuffix(strings.TrimPrefix(entry.Path, "/v2/files/"), "/url"))
		}
	}
	return ids
}

func idsOf(objects []fs.Object) []string {
	ids := make([]string, len(objects))
	for i, o := range objects {
		ids[i] = o.(*Object).id()
	}
	return ids
}

// Opening one file of a folder of 50 resolves the URLs of the next
// url_read_ahead files and no others; opening it again, or the files
// whose URLs are kept, asks for none.
func TestReadAheadIsBounded(t *testing.T) {
	ctx := context.Background()
	f, srv, objects, library := readAheadFs(t, 4, 50)
	sameBytes(t, library[objects[0].Remote()], readAll(ctx, t, objects[0]), "first file")
	f.readAhead.idle()
	assert.ElementsMatch(t, idsOf(objects[:5]), urlsOf(srv), "the opened file and the 4 after it")
	assert.Equal(t, 1, srv.Calls(downloadRoute))

	readAll(ctx, t, objects[0])
	f.readAhead.idle()
	assert.Equal(t, 5, srv.Calls(urlRoute), "no more for the same file")

	sameBytes(t, library[objects[2].Remote()], readAll(ctx, t, objects[2]), "third file")
	f.readAhead.idle()
	assert.ElementsMatch(t, idsOf(objects[:7]), urlsOf(srv), "only the window's new files: 6 and 7")
}

// With url_read_ahead 0 an open asks for its own URL only.
func TestReadAheadOff(t *testing.T) {
	ctx := context.Background()
	f, srv, objects, _ := readAheadFs(t, 0, 10)
	require.Nil(t, f.readAhead)
	readAll(ctx, t, objects[0])
	readAll(ctx, t, objects[1])
	assert.Equal(t, idsOf(objects[:2]), urlsOf(srv))
}

// A file found without a listing of its folder has no files after it:
// its open asks for its own URL only.
func TestReadAheadNeedsAListing(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, nil)
	seedLibrary(t, acct, 1, 10, 100)
	o, err := f.NewObject(ctx, "show0/episode00.mkv")
	require.NoError(t, err)
	readAll(ctx, t, o)
	f.readAhead.idle()
	assert.Equal(t, []string{o.(*Object).id()}, urlsOf(srv))
}

// A sequential scan of a folder asks for each URL once, and every file
// after the first has its URL before its open starts: the scan waits for
// /url at the first file only. idle stands for the time a media server
// spends reading a file, longer than a /url round trip.
func TestReadAheadScanAsksEachURLBeforeItsOpen(t *testing.T) {
	ctx := context.Background()
	f, srv, objects, library := readAheadFs(t, 4, 12)
	for i, o := range objects {
		assert.Equal(t, i > 0, f.urls.holds(o.(*Object).id()), "URL of file %d kept before its open", i)
		sameBytes(t, library[o.Remote()], readAll(ctx, t, o), o.Remote())
		f.readAhead.idle()
	}
	assert.ElementsMatch(t, idsOf(objects), urlsOf(srv), "one /url per file")

	answered := map[string]time.Time{}   // file id → when its /url was answered
	downloaded := map[string]time.Time{} // file id → when its download was asked
	for _, entry := range srv.Log() {
		switch entry.Route {
		case urlRoute:
			answered[strings.TrimSuffix(strings.TrimPrefix(entry.Path, "/v2/files/"), "/url")] = entry.Time.Add(entry.Duration)
		case downloadRoute:
			id, _, _ := strings.Cut(strings.TrimPrefix(entry.Path, "/download/"), "?")
			downloaded[id] = entry.Time
		}
	}
	for i, id := range idsOf(objects) {
		assert.False(t, downloaded[id].Before(answered[id]), "file %d downloaded before its URL came", i)
	}
}

// Opens of files whose URLs the read-ahead is fetching wait for those
// fetches: with every /url request held until all are in, opening the
// first five files at once asks for each URL once.
func TestReadAheadIsSingleFlight(t *testing.T) {
	ctx := context.Background()
	f, srv, objects, library := readAheadFs(t, 4, 20)
	release := make(chan struct{})
	require.NoError(t, srv.Inject(putiotest.Fault{Route: urlRoute, Hold: release}))

	var wg sync.WaitGroup
	for _, o := range objects[:5] {
		wg.Go(func() { sameBytes(t, library[o.Remote()], readAll(ctx, t, o), o.Remote()) })
	}
	require.Eventually(t, func() bool { return srv.Calls(urlRoute) >= 5 }, hangGuard, 5*time.Millisecond)
	close(release)
	wg.Wait()
	f.readAhead.idle()
	// The opens of files 1 to 4 may add the read-ahead of files 5 to 8.
	asked := urlsOf(srv)
	assert.Subset(t, idsOf(objects[:9]), asked)
	assert.Subset(t, asked, idsOf(objects[:5]))
	assert.Len(t, asked, len(uniq(asked)), "no URL asked twice: %v", asked)
}

func uniq(ids []string) map[string]bool {
	set := map[string]bool{}
	for _, id := range ids {
		set[id] = true
	}
	return set
}

// Shutting the Fs down ends the resolutions in flight, the open whose
// URL was among them fetches its own, and no open starts new ones.
func TestReadAheadStopsOnShutdown(t *testing.T) {
	ctx := context.Background()
	f, srv, objects, library := readAheadFs(t, 4, 20)
	readAll(ctx, t, objects[0])
	f.readAhead.idle()
	require.Equal(t, 5, srv.Calls(urlRoute))

	release := make(chan struct{})
	require.NoError(t, srv.Inject(putiotest.Fault{Route: urlRoute, Hold: release, Times: 1}))
	readAll(ctx, t, objects[1]) // its URL is kept: file 5's is fetched ahead, and held
	require.Eventually(t, func() bool { return srv.Calls(urlRoute) == 6 }, hangGuard, 5*time.Millisecond)
	stopped := make(chan error, 1)
	go func() { stopped <- f.Shutdown(ctx) }()
	require.Eventually(t, func() bool { return len(stopped) == 1 }, hangGuard, 5*time.Millisecond, "Shutdown ends the held fetch")
	close(release)
	require.NoError(t, <-stopped)

	sameBytes(t, library[objects[5].Remote()], readAll(ctx, t, objects[5]), "file whose read-ahead was cancelled")
	f.readAhead.idle()
	assert.Equal(t, 7, srv.Calls(urlRoute), "file 5 fetched once more by its open, and nothing ahead")
	assert.Equal(t, 3, srv.Calls(downloadRoute))
}

// idle waits for the read-ahead's resolutions in flight to end, so a
// test asserts on the calls they made.
func (r *urlReadAhead) idle() {
	r.active.Wait()
}
