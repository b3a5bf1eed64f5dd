package putio

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
	"github.com/rclone/rclone/fs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	urlRoute      = "GET /v2/files/{id}/url"
	downloadRoute = "GET /download/{id}"
)

// newURLClock is a test clock at a fixed date, for the emulator and the
// backend's URL cache alike.
func newURLClock() *testClock {
	clock := &testClock{}
	clock.advance(time.Duration(time.Date(2027, 1, 2, 3, 4, 5, 0, time.UTC).UnixNano()))
	return clock
}

// newClockedFs is newTestFs with clock as the emulator's clock and a URL
// cache of its own, of capacity, on the same clock.
func newClockedFs(t *testing.T, clock *testClock, capacity int, opts putiotest.Options) (*Fs, *putiotest.Server, *putiotest.Account) {
	t.Helper()
	opts.Now = clock.now
	f, srv, acct := newTestFs(t, nil, opts)
	f.urls = newSignedURLs(capacity, signedURLTTL)
	f.urls.now = clock.now
	f.readAhead.stop() // it fetched into the login's cache: now into this one
	f.readAhead = newURLReadAhead(context.Background(), defaultURLReadAhead, f.urls, f.fetchDownloadURL)
	t.Cleanup(f.readAhead.stop)
	return f, srv, acct
}

// seedLibrary stores files files of size bytes in folders folders and
// returns their contents by remote.
func seedLibrary(t *testing.T, acct *putiotest.Account, folders, files, size int) map[string][]byte {
	t.Helper()
	library := map[string][]byte{}
	for i := range files {
		remote := fmt.Sprintf("show%d/episode%02d.mkv", i%folders, i)
		data := pattern(size, byte(i))
		_, err := acct.Put(remote, data, testModTime)
		require.NoError(t, err)
		library[remote] = data
	}
	return library
}

// listObjects lists dir afresh: every Object is new.
func listObjects(ctx context.Context, t *testing.T, f *Fs, dir string) []fs.Object {
	t.Helper()
	entries, err := f.List(ctx, dir)
	require.NoError(t, err)
	var objects []fs.Object
	for _, entry := range entries {
		if o, ok := entry.(fs.Object); ok {
			objects = append(objects, o)
		}
	}
	return objects
}

// scan lists every folder of the library afresh and reads the head of
// each file, as a media server's scan does, checking the bytes.
func scan(ctx context.Context, t *testing.T, f *Fs, library map[string][]byte, folders int) {
	t.Helper()
	read := 0
	for i := range folders {
		for _, o := range listObjects(ctx, t, f, fmt.Sprintf("show%d", i)) {
			want := library[o.Remote()]
			sameBytes(t, want[:100], readAll(ctx, t, o, &fs.RangeOption{Start: 0, End: 99}), o.Remote())
			read++
		}
	}
	require.Equal(t, len(library), read)
}

// A signed URL outlives the Object it was fetched for: a scan after the
// folders are listed again, with new Objects, or through another Fs of
// the same login, opens every file without a /url call.
func TestReListedFilesOpenWithoutURLCalls(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, nil)
	library := seedLibrary(t, acct, 4, 40, 1000)

	scan(ctx, t, f, library, 4)
	assert.Equal(t, 40, srv.Calls(urlRoute), "a cold scan asks once per file")

	scan(ctx, t, f, library, 4)
	assert.Equal(t, 40, srv.Calls(urlRoute), "the scan after a re-list asks for none")

	other, err := newFsOn(srv, testRemote+"Other", "", nil)
	require.NoError(t, err)
	scan(ctx, t, other.(*Fs), library, 4)
	assert.Equal(t, 40, srv.Calls(urlRoute), "another Fs of the login shares the URLs")
	assert.Equal(t, 120, srv.Calls(downloadRoute))
}

// A URL older than the cache's time to live is replaced before it is
// used, without a refused download.
func TestOldSignedURLIsReplaced(t *testing.T) {
	ctx := context.Background()
	clock := newURLClock()
	f, srv, acct := newClockedFs(t, clock, signedURLCapacity, putiotest.Options{})
	o := seedObject(t, f, acct, "a.bin", []byte("first"))
	assert.Equal(t, "first", string(readAll(ctx, t, o)))

	clock.advance(signedURLTTL - time.Second)
	assert.Equal(t, "first", string(readAll(ctx, t, o)))
	assert.Equal(t, 1, srv.Calls(urlRoute), "still young")

	clock.advance(time.Second)
	assert.Equal(t, "first", string(readAll(ctx, t, o)))
	assert.Equal(t, 2, srv.Calls(urlRoute), "replaced at its time to live")
	assert.Equal(t, 3, srv.Calls(downloadRoute), "no download was refused")
}

// A URL that expires before the cache expects, which the download host
// refuses, is replaced and the read returns the file.
func TestExpiredSignedURLIsRenewed(t *testing.T) {
	ctx := context.Background()
	clock := newURLClock()
	f, srv, acct := newClockedFs(t, clock, signedURLCapacity, putiotest.Options{URLExpiry: 10 * time.Minute})
	library := seedLibrary(t, acct, 1, 3, 1000)
	scan(ctx, t, f, library, 1)

	clock.advance(11 * time.Minute)
	scan(ctx, t, f, library, 1)
	assert.Equal(t, 6, srv.Calls(urlRoute), "each expired URL renewed once")
	assert.Equal(t, 9, srv.Calls(downloadRoute), "3 reads, 3 refused, 3 reads")
}

// A URL the download host refuses, with any of the statuses that mean
// so, is renewed once and the read returns the right bytes; refused
// again, the open fails without asking a third time.
func TestRefusedSignedURLIsRenewedOnce(t *testing.T) {
	for _, status := range []int{http.StatusForbidden, http.StatusGone, http.StatusUnauthorized, http.StatusNotFound} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			ctx := context.Background()
			f, srv, acct := newTestFs(t, nil)
			data := pattern(5000, 7)
			o := seedObject(t, f, acct, "dir/a.bin", data)
			sameBytes(t, data, readAll(ctx, t, o), "first read")

			require.NoError(t, srv.Inject(putiotest.Fault{Route: downloadRoute, Status: status, Times: 1}))
			relisted := listObjects(ctx, t, f, "dir")
			require.Len(t, relisted, 1)
			sameBytes(t, data[1000:], readAll(ctx, t, relisted[0], &fs.SeekOption{Offset: 1000}), "read after the refusal")
			assert.Equal(t, 2, srv.Calls(urlRoute), "renewed once")
			assert.Equal(t, 3, srv.Calls(downloadRoute))

			require.NoError(t, srv.Inject(putiotest.Fault{Route: downloadRoute, Status: status}))
			_, err := relisted[0].Open(ctx)
			require.Error(t, err)
			assert.Equal(t, 3, srv.Calls(urlRoute), "refused twice: one new URL, no more")
			assert.Equal(t, 0, f.urls.len(), "a URL refused twice is not kept")
		})
	}
}

// The cache never holds more URLs than its capacity, however many files
// are opened at once, and keeps the most recently opened.
func TestSignedURLCacheIsBounded(t *testing.T) {
	ctx := context.Background()
	const capacity = 3
	f, srv, acct := newClockedFs(t, newURLClock(), capacity, putiotest.Options{})
	f.readAhead.stop()
	f.readAhead = nil // what is kept here is what was opened
	library := seedLibrary(t, acct, 1, 12, 100)
	objects := listObjects(ctx, t, f, "show0")
	require.Len(t, objects, 12)

	var wg sync.WaitGroup
	for round := range 3 {
		for _, o := range objects {
			wg.Go(func() {
				sameBytes(t, library[o.Remote()], readAll(ctx, t, o), fmt.Sprintf("round %d %s", round, o.Remote()))
				assert.LessOrEqual(t, f.urls.len(), capacity)
			})
		}
	}
	wg.Wait()
	assert.Equal(t, capacity, f.urls.len())

	for _, o := range objects[:capacity+1] {
		readAll(ctx, t, o)
	}
	calls := srv.Calls(urlRoute)
	for _, o := range objects[1 : capacity+1] {
		readAll(ctx, t, o)
	}
	assert.Equal(t, calls, srv.Calls(urlRoute), "the most recently opened are kept")
	readAll(ctx, t, objects[0])
	assert.Equal(t, calls+1, srv.Calls(urlRoute), "the least recently opened went")
}

// A file replaced, by this backend or by another client, never serves
// the old bytes: new content is a new id, whose URL is fetched afresh,
// and an Object of the old version finds it gone.
func TestReplacedFileNeverServesStaleBytes(t *testing.T) {
	ctx := context.Background()
	f, _, acct := newTestFs(t, nil)
	old, updated, theirs := pattern(3000, 1), pattern(3000, 2), pattern(3000, 3)

	o := seedObject(t, f, acct, "dir/a.bin", old)
	oldID := o.(*Object).id()
	sameBytes(t, old, readAll(ctx, t, o), "before the update")
	require.NoError(t, o.Update(ctx, bytesReader(updated), srcInfo("dir/a.bin", int64(len(updated)))))
	require.NotEqual(t, oldID, o.(*Object).id(), "put.io has no in-place write: new bytes, new id")
	sameBytes(t, updated, readAll(ctx, t, o), "the updated Object")
	sameBytes(t, updated, readAll(ctx, t, listObjects(ctx, t, f, "dir")[0]), "after a re-list")

	// Another client deletes the file and uploads new bytes under its name.
	seen := listObjects(ctx, t, f, "dir")[0]
	sameBytes(t, updated, readAll(ctx, t, seen), "before the other client")
	require.NoError(t, acct.Delete("dir/a.bin"))
	_, err := acct.Put("dir/a.bin", theirs, testModTime)
	require.NoError(t, err)
	_, err = seen.Open(ctx)
	assert.True(t, errors.Is(err, fs.ErrorObjectNotFound), "the old version is gone, got %v", err)
	sameBytes(t, theirs, readAll(ctx, t, listObjects(ctx, t, f, "dir")[0]), "after a re-list")
	stored, err := acct.ReadFile("dir/a.bin")
	require.NoError(t, err)
	sameBytes(t, theirs, stored, "the emulator holds the other client's bytes")
}

// Opens that find a fetch running wait for its URL; if the open that
// fetched gave up, a waiting one fetches, and any other failure is
// theirs too.
func TestSignedURLFetchIsShared(t *testing.T) {
	cache := newSignedURLs(10, time.Hour)
	var fetches atomic.Int32
	release := make(chan struct{})
	slow := func(ctx context.Context) (string, error) {
		fetches.Add(1)
		select {
		case <-release:
			return "https://host/download/1?u=sig", nil
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}

	leaderCtx, cancelLeader := context.WithCancel(context.Background())
	leaderDone := make(chan error)
	go func() {
		_, err := cache.get(leaderCtx, "1", "", slow)
		leaderDone <- err
	}()
	require.Eventually(t, func() bool { return fetches.Load() == 1 }, hangGuard, time.Millisecond)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			url, err := cache.get(context.Background(), "1", "", slow)
			assert.NoError(t, err)
			assert.Equal(t, "https://host/download/1?u=sig", url)
		})
	}
	cancelLeader()
	assert.ErrorIs(t, <-leaderDone, context.Canceled)
	require.Eventually(t, func() bool { return fetches.Load() == 2 }, hangGuard, time.Millisecond)
	close(release)
	wg.Wait()
	assert.Equal(t, int32(2), fetches.Load(), "one waiter fetched for all after the first gave up")

	lost := errors.New("file lost")
	_, err := cache.get(context.Background(), "2", "", func(context.Context) (string, error) { return "", lost })
	assert.ErrorIs(t, err, lost)
	assert.Equal(t, 1, cache.len(), "a failed fetch keeps nothing")
}

// len is the number of URLs kept.
func (c *signedURLs) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
