package putio

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
	"github.com/rclone/rclone/fs/config/configmap"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The media-server case: a transfer started elsewhere finishes, and the
// mount lists its file at once.
func TestVFSSeesFinishedTransfer(t *testing.T) {
	f, srv, acct := newTestFs(t, nil)
	require.NoError(t, f.Mkdir(context.Background(), "tv"))
	listing := mount(t, f, srv, "tv")
	require.Empty(t, listing())
	other, err := newFsOn(srv, "other", "tv", nil)
	require.NoError(t, err)
	runCommand(t, other.(*Fs), "transfer", []string{testMagnet}, nil)
	_, err = acct.CompleteTransfer(waitForTransfers(t, acct, 1)[0], []byte("episode"))
	require.NoError(t, err)
	require.Eventually(t, func() bool { return slices.Equal(listing(), []string{"Show S01E01.mkv"}) }, hangGuard, 10*time.Millisecond,
		"the mount lists %v", listing())
}

// A mount with a 1 h dir cache sees another client's upload, delete and
// rename within the wait bound, with either event shape.
func TestVFSSeesOtherClientsChanges(t *testing.T) {
	for mode, opts := range feedModes {
		t.Run(mode, func(t *testing.T) {
			f, srv, acct := newTestFs(t, nil, opts)
			seedObject(t, f, acct, "media/old.mkv", []byte("old"))
			seedObject(t, f, acct, "media/gone.mkv", []byte("gone"))
			listing := mount(t, f, srv, "media")
			require.Equal(t, []string{"gone.mkv", "old.mkv"}, listing())

			ctx := context.Background()
			other := otherClient(t, srv)
			put(ctx, t, other, "media/new.mkv", []byte("new"))
			gone, err := other.NewObject(ctx, "media/gone.mkv")
			require.NoError(t, err)
			require.NoError(t, gone.Remove(ctx))
			old, err := other.NewObject(ctx, "media/old.mkv")
			require.NoError(t, err)
			_, err = other.Move(ctx, old, "media/renamed.mkv")
			require.NoError(t, err)

			want := []string{"new.mkv", "renamed.mkv"}
			require.Eventually(t, func() bool { return slices.Equal(listing(), want) }, hangGuard, 10*time.Millisecond,
				"the mount lists %v, not %v", listing(), want)
		})
	}
}

// Each event is reported at the paths the item left and reached, with
// its type; an item the Fs never saw is reported through its parent.
func TestChangeNotifyPathsAndTypes(t *testing.T) {
	for mode, opts := range feedModes {
		t.Run(mode, func(t *testing.T) {
			f, srv, acct := newTestFs(t, nil, opts)
			_, err := acct.Put("a/seen.txt", []byte("x"), testModTime)
			require.NoError(t, err)
			_, err = acct.Mkdir("a/sub")
			require.NoError(t, err)
			n := &notified{}
			startNotify(t, f, srv, n)
			waitConnected(t, srv, 1)
			ctx := context.Background()
			_, err = f.List(ctx, "")
			require.NoError(t, err)
			_, err = f.List(ctx, "a")
			require.NoError(t, err)

			other := otherClient(t, srv)
			put(ctx, t, other, "a/new.txt", []byte("new"))
			require.NoError(t, other.Mkdir(ctx, "a/newdir"))
			seen, err := other.NewObject(ctx, "a/seen.txt")
			require.NoError(t, err)
			_, err = other.Move(ctx, seen, "moved.txt")
			require.NoError(t, err)
			require.NoError(t, other.DirMove(ctx, other, "a/sub", "a/sub2"))
			waitNotified(t, n, "a/new.txt file", "a/newdir dir",
				"a/seen.txt file", "moved.txt file", "a/sub dir", "a/sub2 dir")

			require.NoError(t, other.Rmdir(ctx, "a/newdir"))
			require.Eventually(t, func() bool { return n.count("a/newdir dir") == 2 }, hangGuard, 5*time.Millisecond,
				"created, then removed: %s", n)
		})
	}
}

// After a dropped connection the feed reconnects, reports the root and
// every folder seen as changed (nothing is replayed), and goes on.
func TestChangeNotifySurvivesDroppedConnection(t *testing.T) {
	f, srv, acct := newTestFs(t, nil)
	_, err := acct.Mkdir("a")
	require.NoError(t, err)
	n := &notified{}
	startNotify(t, f, srv, n)
	waitSubscribed(t, srv, n)
	_, err = f.List(context.Background(), "")
	require.NoError(t, err)
	require.Equal(t, 1, n.count(" dir"), "the root, on connecting")

	srv.DropFeeds()
	require.Eventually(t, func() bool { return srv.Calls(feedRoute) == 2 && srv.FeedConnections() == 1 }, hangGuard, 5*time.Millisecond)
	require.Eventually(t, func() bool { return n.count(" dir") == 2 && n.has("a dir") }, hangGuard, 5*time.Millisecond, "resync: %s", n)
	_, err = acct.Put("after.txt", nil, time.Time{})
	require.NoError(t, err)
	waitNotified(t, n, "after.txt file")
}

// A revoked token stops the feed with one clear log line: one connection,
// one token check, no retry loop.
func TestChangeNotifyStopsOnRevokedToken(t *testing.T) {
	logs := captureLog(t)
	f, srv, _ := newTestFs(t, nil, putiotest.Options{Strict: true})
	n := &notified{}
	startNotify(t, f, srv, n)
	waitConnected(t, srv, 1)
	srv.RevokeToken(srv.Token)
	require.Eventually(t, func() bool { return feedGoroutines() == 1 }, hangGuard, 5*time.Millisecond,
		"only watchFeed waits, for a new interval")
	assert.Regexp(t, `change notification stopped: putio: .*: the login token was rejected`, logs.String())
	assert.Contains(t, logs.String(), `rclone config reconnect `+testRemote+`:`)
	assert.Equal(t, 1, srv.Calls(feedRoute))
	assert.Equal(t, 1, srv.Calls("GET /v2/account/info"), "the token is checked once")
}

// A token put.io refuses at connection time is caught the same way.
func TestChangeNotifyUnknownTokenStops(t *testing.T) {
	logs := captureLog(t)
	srv := putiotest.NewServer(t, putiotest.Options{Strict: true})
	f, err := newFsOn(srv, testRemote, "", configmap.Simple{"token": `{"access_token":"never-issued"}`})
	require.NoError(t, err) // the root needs no call
	startNotify(t, f.(*Fs), srv, &notified{})
	require.Eventually(t, func() bool { return strings.Contains(logs.String(), "change notification stopped") }, hangGuard, 5*time.Millisecond)
	assert.Equal(t, 1, srv.Calls(feedRoute))
}

// Interval 0 closes the connection; a new interval opens it again.
func TestChangeNotifyIntervalZeroCloses(t *testing.T) {
	f, srv, acct := newTestFs(t, nil)
	n := &notified{}
	intervals := startNotify(t, f, srv, n)
	waitConnected(t, srv, 1)
	intervals <- 0
	waitConnected(t, srv, 0)
	require.Eventually(t, func() bool { return feedGoroutines() == 1 }, hangGuard, 5*time.Millisecond, "only watchFeed is left")
	_, err := acct.Put("unseen.txt", nil, time.Time{})
	require.NoError(t, err)
	intervals <- time.Second
	waitConnected(t, srv, 1)
	_, err = acct.Put("seen.txt", nil, time.Time{})
	require.NoError(t, err)
	waitNotified(t, n, "seen.txt file")
	assert.False(t, n.has("unseen.txt file"), "no replay")
}

// Cancelling the context stops everything too.
func TestChangeNotifyContextCancel(t *testing.T) {
	f, srv, _ := newTestFs(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	intervals := make(chan time.Duration, 1)
	intervals <- time.Second
	f.ChangeNotify(ctx, (&notified{}).notify, intervals)
	waitConnected(t, srv, 1)
	cancel()
	waitConnected(t, srv, 0)
	require.Eventually(t, func() bool { return feedGoroutines() == 0 }, hangGuard, 5*time.Millisecond)
}

func TestFeedURLIsChecked(t *testing.T) {
	srv := putiotest.NewServer(t)
	for _, bad := range []string{"https://socket.put.io/socket/sockjs/websocket", "wss://", "::", "ws:///path"} {
		_, err := newFsOn(srv, testRemote, "", configmap.Simple{"feed_url": bad})
		assert.ErrorContains(t, err, "option feed_url", bad)
	}
}

// A connection that falls silent (no heartbeat, no pong) is replaced.
// The silence check's clock moves only while the first connection is
// stalled, so the second is never taken for silent however slow the
// machine.
func TestChangeNotifyReplacesSilentConnection(t *testing.T) {
	logs := captureLog(t)
	f, srv, acct := newTestFs(t, nil)
	f.feed.heartbeat = 50 * time.Millisecond
	clock := &testClock{}
	f.feed.now = clock.now
	n := &notified{}
	startNotify(t, f, srv, n)
	waitSubscribed(t, srv, n)
	srv.StallFeeds()
	// The root is reported at the first connection's ack and first
	// heartbeat, then at the second connection's ack, once subscribed.
	require.Eventually(t, func() bool {
		if srv.Calls(feedRoute) == 1 {
			clock.advance(time.Hour) // silent for an hour, whatever reached it before the stall
		}
		return srv.Calls(feedRoute) == 2 && n.count(" dir") >= 3
	}, hangGuard, 5*time.Millisecond)
	assert.Contains(t, logs.String(), "feed connection lost (no heartbeat from put.io)")
	_, err := acct.Put("after.txt", nil, time.Time{})
	require.NoError(t, err)
	waitNotified(t, n, "after.txt file")
	srv.DropFeeds() // the stalled one never notices the client left
}

// A refused websocket handshake (here 503) is retried with backoff.
func TestChangeNotifyRetriesRefusedHandshake(t *testing.T) {
	f, srv, _ := newTestFs(t, nil)
	require.NoError(t, srv.Inject(putiotest.Fault{Route: feedRoute, Status: 503, Times: 2}))
	startNotify(t, f, srv, &notified{})
	waitConnected(t, srv, 1)
	assert.Equal(t, 3, srv.Calls(feedRoute))
}

// Changes outside the Fs root are not reported; those inside are, relative
// to the root.
func TestChangeNotifyOutsideRoot(t *testing.T) {
	srv := putiotest.NewServer(t)
	acct := srv.Account(srv.Token)
	_, err := acct.Mkdir("inside")
	require.NoError(t, err)
	_, err = acct.Mkdir("outside")
	require.NoError(t, err)
	f, err := newFsOn(srv, testRemote, "inside", nil)
	require.NoError(t, err)
	n := &notified{}
	startNotify(t, f.(*Fs), srv, n)
	waitConnected(t, srv, 1)
	_, err = acct.Put("outside/x.txt", nil, time.Time{})
	require.NoError(t, err)
	_, err = acct.Put("inside/y.txt", nil, time.Time{})
	require.NoError(t, err)
	waitNotified(t, n, "y.txt file")
	assert.NotContains(t, n.String(), "x.txt", "events arrive in order, so x.txt's came first")
}

// A heartbeat sent as a text message (SockJS's "h") is not an event: it is
// read and ignored, and the connection goes on.
func TestChangeNotifyIgnoresTextHeartbeats(t *testing.T) {
	logs := captureLog(t)
	f, srv, acct := newTestFs(t, nil, putiotest.Options{FeedHeartbeat: 5 * time.Millisecond, FeedTextHeartbeat: true})
	n := &notified{}
	startNotify(t, f, srv, n)
	waitSubscribed(t, srv, n)
	waitHeartbeats(t, logs, 0, 3)
	_, err := acct.Put("a.txt", nil, time.Time{})
	require.NoError(t, err)
	waitNotified(t, n, "a.txt file")
	assert.Equal(t, " dir, a.txt file", n.String(), "the heartbeats reported nothing")
	assert.Equal(t, 1, srv.Calls(feedRoute), "no reconnect")
}

// A moved folder takes its subfolders along: a change inside one after
// the move is reported at the new path, whether this Fs or another
// client moved it.
func TestChangeNotifyAfterDirMove(t *testing.T) {
	for mode, opts := range feedModes {
		for _, mover := range []string{"self", "other"} {
			t.Run(mode+"/"+mover, func(t *testing.T) {
				f, srv, acct := newTestFs(t, nil, opts)
				_, err := acct.Mkdir("a/sub/deeper")
				require.NoError(t, err)
				n := &notified{}
				startNotify(t, f, srv, n)
				waitConnected(t, srv, 1)
				ctx := context.Background()
				for _, dir := range []string{"", "a", "a/sub"} {
					_, err = f.List(ctx, dir)
					require.NoError(t, err)
				}
				other := otherClient(t, srv)
				movingFs := map[string]*Fs{"self": f, "other": other}[mover]
				require.NoError(t, movingFs.DirMove(ctx, movingFs, "a", "b"))
				waitNotified(t, n, "a dir", "b dir")

				put(ctx, t, other, "b/sub/new.txt", []byte("new"))
				put(ctx, t, other, "b/sub/deeper/low.txt", []byte("low"))
				waitNotified(t, n, "b/sub/new.txt file", "b/sub/deeper/low.txt file")
				assert.NotContains(t, n.String(), "a/sub", "nothing under the old path")
			})
		}
	}
}

// A deleted folder's subfolders are forgotten: a reconnect does not
// report them.
func TestChangeNotifyForgetsDeletedFolder(t *testing.T) {
	f, srv, acct := newTestFs(t, nil)
	_, err := acct.Mkdir("a/sub")
	require.NoError(t, err)
	n := &notified{}
	startNotify(t, f, srv, n)
	waitConnected(t, srv, 1)
	ctx := context.Background()
	for _, dir := range []string{"", "a"} {
		_, err = f.List(ctx, dir)
		require.NoError(t, err)
	}
	require.ElementsMatch(t, []string{"a", "a/sub"}, f.knownDirs())
	require.NoError(t, otherClient(t, srv).Purge(ctx, "a"))
	waitNotified(t, n, "a dir")
	require.Eventually(t, func() bool { return len(f.knownDirs()) == 0 }, hangGuard, 5*time.Millisecond,
		"still known: %v", f.knownDirs())
}

// A lookup held up by a rate limit does not stop the socket being read:
// the connection stays, and the event is reported once the hold ends.
// The lookup is refused with 429 until the test clears the fault; the
// heartbeats read meanwhile (each logged as a message that is no event)
// show the reader going on while the lookup waits.
func TestChangeNotifyKeepsConnectionThroughRateLimitHold(t *testing.T) {
	logs := captureLog(t)
	f, srv, acct := newTestFs(t, nil, putiotest.Options{FeedHeartbeat: 5 * time.Millisecond, FeedTextHeartbeat: true})
	fewRetries(f, 1000) // the hold ends when the fault is cleared, not when tries run out
	n := &notified{}
	startNotify(t, f, srv, n)
	waitSubscribed(t, srv, n)
	require.NoError(t, srv.Inject(putiotest.Fault{Route: "GET /v2/files/{id}", Status: 429,
		Headers: map[string]string{"Retry-After": "1"}}))
	_, err := acct.Put("held.txt", nil, time.Time{})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return srv.Calls("GET /v2/files/{id}") > 0 }, hangGuard, 5*time.Millisecond, "the lookup was refused")
	waitHeartbeats(t, logs, len(logs.String()), 3)
	assert.False(t, n.has("held.txt file"), "still held")
	srv.ClearFaults()
	waitNotified(t, n, "held.txt file")
	_, err = acct.Put("after.txt", nil, time.Time{})
	require.NoError(t, err)
	waitNotified(t, n, "after.txt file")
	assert.NotContains(t, logs.String(), "feed connection lost")
	assert.Equal(t, 1, srv.Calls(feedRoute), "no reconnect")
}

// A burst the lookups cannot keep up with is dropped for one resync
// rather than queued without bound or blocking the reader; the feed then
// goes on over the same connection.
func TestChangeNotifyFallingBehindResyncs(t *testing.T) {
	logs := captureLog(t)
	f, srv, acct := newTestFs(t, nil)
	f.feed.queue = 2
	fewRetries(f, 1000) // the lookups wait until the fault is cleared
	_, err := acct.Mkdir("a")
	require.NoError(t, err)
	n := &notified{}
	startNotify(t, f, srv, n)
	waitSubscribed(t, srv, n)
	_, err = f.List(context.Background(), "")
	require.NoError(t, err)
	require.Equal(t, 1, n.count(" dir"), "the root, on connecting")
	require.NoError(t, srv.Inject(putiotest.Fault{Route: "GET /v2/files/{id}", Status: 503}))
	for i := range 8 {
		_, err = acct.Put(fmt.Sprintf("burst%d.txt", i), nil, time.Time{})
		require.NoError(t, err)
	}
	require.Eventually(t, func() bool { return strings.Contains(logs.String(), "path lookups are behind; dropping") },
		hangGuard, 5*time.Millisecond, "the reader dropped the backlog while the lookups were held")
	srv.ClearFaults()
	waitNotified(t, n, "a dir")
	require.GreaterOrEqual(t, n.count(" dir"), 2, "a resync: %s", n)
	assert.Contains(t, logs.String(), "change notification: fell behind put.io's feed")
	assert.Less(t, strings.Count(n.String(), "burst"), 8, "the backlog was dropped: %s", n)
	_, err = acct.Put("after.txt", nil, time.Time{})
	require.NoError(t, err)
	waitNotified(t, n, "after.txt file")
	assert.Equal(t, 1, srv.Calls(feedRoute), "no reconnect")
}
