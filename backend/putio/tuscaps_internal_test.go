package putio

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/internal/tus"
	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const optionsRoute = "OPTIONS /files/"

// The upload service is asked once per remote, by the first upload, and
// every Fs of the remote shares the answer.
func TestTusOptionsOncePerRemote(t *testing.T) {
	ctx := context.Background()
	f, srv, _ := newTestFs(t, noSessions)
	assert.Zero(t, srv.Calls(optionsRoute), "not asked before an upload")
	put(ctx, t, f, "a.txt", []byte("a"))
	put(ctx, t, f, "b.txt", []byte("b"))
	other, err := newFsOn(srv, testRemote, "sub", noSessions)
	require.NoError(t, err)
	put(ctx, t, other.(*Fs), "c.txt", []byte("c"))
	assert.Equal(t, 1, srv.Calls(optionsRoute))
}

// putInBackground uploads data to remote, closing release once meanwhile
// happened: a request held until then shows that meanwhile does not wait
// for it (else the wait fails on the hang guard).
func putInBackground(t *testing.T, f *Fs, remote string, data []byte, meanwhile func() bool, release chan struct{}) {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		_, err := f.Put(context.Background(), bytesReader(data), srcInfo(remote, int64(len(data))))
		done <- err
	}()
	require.Eventually(t, meanwhile, hangGuard, time.Millisecond)
	close(release)
	require.NoError(t, <-done)
}

// The upload service is asked while Put still looks for the file, not
// after: the OPTIONS round trip overlaps the lookup.
func TestTusOptionsOverlapTheLookup(t *testing.T) {
	f, srv, _ := newTestFs(t, noSessions)
	lookup := make(chan struct{}) // the lookup waits until OPTIONS is asked
	require.NoError(t, srv.Inject(putiotest.Fault{Route: childRoute, Hold: lookup, Times: 1}))

	putInBackground(t, f, "a.txt", []byte("a"), func() bool { return srv.Calls(optionsRoute) > 0 }, lookup)

	var lookupEnd, asked time.Time
	for _, entry := range srv.Log() {
		switch entry.Route {
		case childRoute:
			lookupEnd = entry.Time.Add(entry.Duration)
		case optionsRoute:
			asked = entry.Time
		}
	}
	require.False(t, lookupEnd.IsZero() || asked.IsZero(), "a lookup and an OPTIONS request")
	assert.True(t, asked.Before(lookupEnd), "OPTIONS asked %v after the lookup ended", asked.Sub(lookupEnd))
}

// A file larger than the window never travels in the creation POST, so
// its creation doesn't wait for the answer to OPTIONS: the two overlap.
func TestTusCreationOverlapsOptions(t *testing.T) {
	f, srv, acct := newTestFs(t, withOptions("upload_window", "64Ki"))
	options := make(chan struct{}) // OPTIONS is answered once the creation is sent
	require.NoError(t, srv.Inject(putiotest.Fault{Route: optionsRoute, Hold: options, Times: 1}))
	data := pattern(100<<10, 47)

	putInBackground(t, f, "big.bin", data, func() bool { return srv.Calls("POST /files/") > 0 }, options)

	storedAs(t, acct, "big.bin", data)
	var optionsEnd, created time.Time
	for _, entry := range srv.Log() {
		switch entry.Route {
		case optionsRoute:
			optionsEnd = entry.Time.Add(entry.Duration)
		case "POST /files/":
			created = entry.Time
		}
	}
	require.False(t, optionsEnd.IsZero() || created.IsZero(), "an OPTIONS request and a creation")
	assert.True(t, created.Before(optionsEnd), "creation sent %v after OPTIONS was answered", created.Sub(optionsEnd))
}

// With creation-with-upload a file that fits the window travels in the
// creation POST alone; a bigger one still gets its PATCH.
func TestTusCreationWithUpload(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, withOptions("upload_window", "64Ki"), putiotest.Options{TusExtensions: []string{"creation", "creation-with-upload", "termination"}})
	small := pattern(60<<10, 40)
	o := put(ctx, t, f, "small.bin", small)
	storedAs(t, acct, "small.bin", small)
	assert.Equal(t, 1, srv.Calls("POST /files/"))
	assert.Zero(t, srv.Calls(patchRoute))
	stat, err := acct.Stat("small.bin")
	require.NoError(t, err)
	assert.Equal(t, stat.ID, int64(o.(*Object).info.ID), "object from the creation reply's putio-file-id")
	assert.Equal(t, testModTime, stat.UpdatedAt.UTC())

	big := pattern(100<<10, 41)
	_, err = f.Put(ctx, bytesReader(big), newReopenable("big.bin", big))
	require.NoError(t, err)
	storedAs(t, acct, "big.bin", big)
	assert.Equal(t, 1, srv.Calls(patchRoute))
}

// A lost reply to a creation POST that carried the whole file must not
// make a second copy: the file is looked for before the POST is resent.
func TestTusCreationWithUploadReplyLost(t *testing.T) {
	f, srv, acct := newTestFs(t, noSessions, putiotest.Options{TusExtensions: []string{"creation", "creation-with-upload"}})
	data := pattern(5000, 42)
	require.NoError(t, srv.Inject(putiotest.Fault{Route: "POST /files/", Cut: putiotest.CutRequest, CutAfter: int64(len(data)), Times: 1}))

	put(context.Background(), t, f, "once.bin", data)

	assert.Equal(t, []string{"once.bin"}, names(t, acct, ""), "no duplicate")
	assert.Equal(t, 1, srv.Calls("POST /files/"))
	storedAs(t, acct, "once.bin", data)
}

// Tus-Max-Size refuses a file that is too big before a byte is sent.
func TestTusMaxSizeRefusedUpFront(t *testing.T) {
	f, srv, acct := newTestFs(t, noSessions, putiotest.Options{TusMaxSize: 1000})
	_, err := f.Put(context.Background(), bytesReader(pattern(1001, 43)), srcInfo("big.bin", 1001))
	require.ErrorContains(t, err, "Tus-Max-Size")
	assert.Zero(t, srv.Calls("POST /files/"))
	assert.Zero(t, srv.UploadBytes())
	put(context.Background(), t, f, "ok.bin", pattern(1000, 43))
	assert.Equal(t, []string{"ok.bin"}, names(t, acct, ""))
}

// A file larger than the window is created without waiting for OPTIONS,
// but still refused for its size, with the reason, before a byte is sent
// and leaving no session behind.
func TestTusMaxSizeRefusesALargeFile(t *testing.T) {
	f, srv, acct := newTestFs(t, withOptions("upload_window", "64Ki"), putiotest.Options{TusMaxSize: 100 << 10})
	_, err := f.Put(context.Background(), bytesReader(pattern(200<<10, 48)), srcInfo("big.bin", 200<<10))
	require.ErrorContains(t, err, "Tus-Max-Size")
	assert.Zero(t, srv.UploadBytes())
	assert.Zero(t, srv.Calls(patchRoute))
	assert.Zero(t, acct.Uploads(), "no session left")
	assert.Empty(t, names(t, acct, ""))
}

// OPTIONS refused, unanswered or answered without tus headers: plain
// creation and PATCH, and the failure is not asked about again.
func TestTusOptionsFallback(t *testing.T) {
	for name, setup := range map[string]func(*putiotest.Server){
		"refused": func(*putiotest.Server) {},
		"no answer": func(s *putiotest.Server) {
			_ = s.Inject(putiotest.Fault{Route: optionsRoute, Cut: putiotest.CutRequest})
		},
		"no headers": func(s *putiotest.Server) {
			_ = s.Inject(putiotest.Fault{Route: optionsRoute, Status: http.StatusNoContent})
		},
	} {
		t.Run(name, func(t *testing.T) {
			f, srv, acct := newTestFs(t, noSessions, putiotest.Options{RefuseOptions: name == "refused",
				TusExtensions: []string{"creation", "creation-with-upload"}})
			setup(srv)
			ctx := context.Background()
			put(ctx, t, f, "a.txt", []byte("hello"))
			// Sent once, but Go's transport resends an unanswered OPTIONS
			// on each kept-alive connection it reuses, and the lookup the
			// OPTIONS overlaps may have one open beside the first.
			asked := srv.Calls(optionsRoute)
			put(ctx, t, f, "b.txt", []byte("world"))
			assert.Equal(t, []string{"a.txt", "b.txt"}, names(t, acct, ""))
			assert.Equal(t, 2, srv.Calls(patchRoute), "creation plus PATCH")
			assert.Equal(t, asked, srv.Calls(optionsRoute), "not asked again")
			assert.LessOrEqual(t, asked, 3)
		})
	}
}

// A creation reply lost after put.io acted on it: the upload is created
// again and completes once. The first session's address never reached
// us, so it can't be ended; it holds no byte and expires on the server
// (tus offers no way to find it). This test pins that down.
func TestLostCreationReplyLeavesOnlyAnEmptySession(t *testing.T) {
	f, srv, acct := newTestFs(t, noSessions)
	require.NoError(t, srv.Inject(putiotest.Fault{Route: "POST /files/", Cut: putiotest.CutRequest, Times: 1}))
	data := pattern(3000, 44)

	put(context.Background(), t, f, "f.bin", data)

	storedAs(t, acct, "f.bin", data)
	assert.Equal(t, []string{"f.bin"}, names(t, acct, ""))
	assert.Equal(t, 2, srv.Calls("POST /files/"))
	assert.Equal(t, 1, acct.Uploads(), "the unreachable first session")
	assert.Equal(t, int64(len(data)), srv.UploadBytes(), "no byte went to it")
}

// A 5xx to a creation POST that carried the whole file may come after
// put.io made the file: it is looked for before the POST is resent, so
// neither Put nor Update leaves a duplicate.
func TestTusCreationWithUpload5xxAfterWork(t *testing.T) {
	fault := putiotest.Fault{Route: "POST /files/", AfterWork: true, Status: http.StatusBadGateway, Times: 1}
	t.Run("put", func(t *testing.T) {
		f, srv, acct := newTestFs(t, noSessions, putiotest.Options{TusExtensions: []string{"creation", "creation-with-upload"}})
		data := pattern(5000, 45)
		require.NoError(t, srv.Inject(fault))

		put(context.Background(), t, f, "once.bin", data)

		assert.Equal(t, []string{"once.bin"}, names(t, acct, ""), "no duplicate")
		assert.Equal(t, 1, srv.Calls("POST /files/"))
		storedAs(t, acct, "once.bin", data)
	})
	t.Run("update", func(t *testing.T) {
		f, srv, acct := newTestFs(t, noSessions, putiotest.Options{TusExtensions: []string{"creation", "creation-with-upload"}})
		o := seedOld(t, f, acct)
		data := pattern(5000, 46)
		require.NoError(t, srv.Inject(fault))

		require.NoError(t, o.Update(context.Background(), bytesReader(data), srcInfo("dir/file.txt", int64(len(data)))))

		assert.Equal(t, []string{"file.txt"}, names(t, acct, "dir"), "no extra version")
		assert.Equal(t, 1, srv.Calls("POST /files/"))
		storedAs(t, acct, "dir/file.txt", data)
	})
}

// A 5xx to a creation POST that carried the whole file, followed by a
// folder listing that keeps failing: not knowing whether the file is
// there is never taken for its absence, so the POST is not sent again.
// The upload fails while the listing fails, and succeeds once it answers,
// and the folder never holds two copies.
func TestTusCreationWithUploadUnsureLookup(t *testing.T) {
	for _, tc := range []struct {
		name                string
		tries, listFailures int
	}{
		{"listing never answers", 2, 0},
		{"listing answers after a failed lookup", 3, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, srv, acct := newTestFs(t, noSessions, putiotest.Options{TusExtensions: []string{"creation", "creation-with-upload"}})
			data := pattern(5000, 49)
			require.NoError(t, srv.Inject(putiotest.Fault{Route: "POST /files/", AfterWork: true, Status: http.StatusBadGateway, Times: 1}))
			require.NoError(t, srv.Inject(putiotest.Fault{Route: listRoute, Status: http.StatusServiceUnavailable, Times: tc.listFailures}))

			_, err := f.Put(fewRetries(f, tc.tries), bytesReader(data), srcInfo("once.bin", int64(len(data))))

			assert.Equal(t, []string{"once.bin"}, names(t, acct, ""), "exactly one copy")
			assert.Equal(t, 1, srv.Calls("POST /files/"), "never sent again")
			storedAs(t, acct, "once.bin", data)
			if tc.listFailures == 0 {
				require.ErrorContains(t, err, "may have made the file, and looking for it failed")
				assert.Equal(t, 6, srv.Calls(listRoute), "one lookup of two tries in the second try, then the last look: two tries of such a lookup")
			} else {
				require.NoError(t, err)
				assert.Equal(t, 4, srv.Calls(listRoute), "a lookup whose three tries failed, then one that answered")
			}
		})
	}
}

// A creation POST that failed before put.io made the file is not taken
// for done because an older identical file sits at the same name (a Put
// that found nothing there, say in a folder thought just made): files created
// before the upload began are never its file.
func TestTusCreationRetryIgnoresOlderDuplicate(t *testing.T) {
	var shift atomic.Int64
	clock := func() time.Time { return time.Now().Add(time.Duration(shift.Load())) }
	f, srv, acct := newTestFs(t, noSessions, putiotest.Options{Now: clock, TusExtensions: []string{"creation", "creation-with-upload"}})
	data := pattern(5000, 47)
	shift.Store(int64(-time.Hour))
	older, err := acct.Put("twin.bin", data, testModTime)
	require.NoError(t, err)
	shift.Store(0)
	require.NoError(t, srv.Inject(putiotest.Fault{Route: "POST /files/", Status: http.StatusBadGateway, Times: 1}))

	item, err := f.upload(context.Background(), bytesReader(data), srcInfo("twin.bin", int64(len(data))), "twin.bin", rootID, 0, nil)

	require.NoError(t, err)
	assert.NotEqual(t, older.ID, int64(item.ID), "the older file is not the upload's")
	assert.Equal(t, 2, srv.Calls("POST /files/"), "sent again")
	assert.Equal(t, []string{"twin.bin", "twin.bin"}, names(t, acct, ""))
}

// An upload that arrives while the OPTIONS request is in flight waits for its answer only as long as
// its own context allows; all share the one request.
func TestTusOptionsGatedAndShared(t *testing.T) {
	f, srv, acct := newTestFs(t, noSessions)
	inFlight := make(chan struct{}) // the OPTIONS request waits until it is closed
	require.NoError(t, srv.Inject(putiotest.Fault{Route: optionsRoute, Hold: inFlight, Times: 1}))

	first := make(chan error, 1)
	go func() {
		_, err := f.Put(context.Background(), bytesReader([]byte("a")), srcInfo("a.txt", 1))
		first <- err
	}()
	require.Eventually(t, func() bool { return srv.Calls(optionsRoute) > 0 }, hangGuard, 5*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := f.Put(ctx, bytesReader([]byte("b")), srcInfo("b.txt", 1))
	require.ErrorIs(t, err, context.DeadlineExceeded)
	close(inFlight)
	put(context.Background(), t, f, "c.txt", []byte("c"))
	require.NoError(t, <-first)

	assert.ElementsMatch(t, []string{"a.txt", "c.txt"}, names(t, acct, ""))
	assert.Equal(t, 1, srv.Calls(optionsRoute), "one OPTIONS for all")
}

// An OPTIONS request never goes out while the gate is shut: a context
// that ends first gets no request, and the next upload asks.
func TestTusOptionsWaitsForTheGate(t *testing.T) {
	f, srv, _ := newTestFs(t, noSessions, putiotest.Options{TusExtensions: []string{"creation", "creation-with-upload"}})
	f.gate.blockUntil(time.Now().Add(time.Hour))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()

	assert.Equal(t, tus.Caps{}, f.uploadCaps(ctx))
	assert.Zero(t, srv.Calls(optionsRoute), "sent through a shut gate")

	f.gate.mu.Lock()
	f.gate.blockedUntil = time.Time{}
	f.gate.mu.Unlock()
	assert.True(t, f.uploadCaps(context.Background()).CreationWithUpload, "asked again once the gate opened")
	assert.Equal(t, 1, srv.Calls(optionsRoute))
}
