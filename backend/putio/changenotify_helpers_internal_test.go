package putio

import (
	"bytes"
	"context"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
	"github.com/rclone/rclone/fs"
	"github.com/rclone/rclone/vfs"
	"github.com/rclone/rclone/vfs/vfscommon"
	"github.com/stretchr/testify/require"
)

// testClock is a clock that moves only when a test moves it.
type testClock struct{ nanos atomic.Int64 }

func (c *testClock) now() time.Time           { return time.Unix(0, c.nanos.Load()) }
func (c *testClock) advance(by time.Duration) { c.nanos.Add(int64(by)) }

// calmFeed holds f's feed clock still, so that no connection is taken for
// silent because the machine is slow, and its first heartbeat (which
// resyncs) an hour away, unless the test set them itself.
func calmFeed(f *Fs) {
	if f.feed.now == nil {
		f.feed.now = (&testClock{}).now
	}
	if f.feed.heartbeat == feedHeartbeat {
		f.feed.heartbeat = time.Hour
	}
}

const feedRoute = "GET /socket/sockjs/websocket"

// feedModes are the two plausible shapes of a file event: the id alone,
// and the whole File object.
var feedModes = map[string]putiotest.Options{
	"IDOnly":      {},
	"FileObjects": {FeedFileObjects: true},
}

// notified collects what ChangeNotify reports.
type notified struct {
	mu   sync.Mutex
	seen []string // "path type"
}

func (n *notified) notify(remote string, entryType fs.EntryType) {
	n.mu.Lock()
	defer n.mu.Unlock()
	kind := "file"
	if entryType == fs.EntryDirectory {
		kind = "dir"
	}
	n.seen = append(n.seen, remote+" "+kind)
}

func (n *notified) has(want string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Contains(n.seen, want)
}

func (n *notified) count(want string) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	count := 0
	for _, s := range n.seen {
		if s == want {
			count++
		}
	}
	return count
}

func (n *notified) String() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return strings.Join(n.seen, ", ")
}

// feedGoroutines counts the goroutines running the backend's feed code.
func feedGoroutines() int {
	buf := make([]byte, 1<<20)
	stacks := string(buf[:runtime.Stack(buf, true)])
	count := 0
	for _, g := range strings.Split(stacks, "\n\n") {
		if strings.Contains(g, "putio.(*Fs).watchFeed") || strings.Contains(g, "putio.(*Fs).runFeed") ||
			strings.Contains(g, "putio.(*Fs).readFeed") || strings.Contains(g, "putio.(*Fs).resolveFeed") {
			count++
		}
	}
	return count
}

// startNotify runs ChangeNotify on f, calm (see calmFeed) and with a fast
// retry, and returns the interval channel; the test's end closes it and
// checks that the feed's goroutines and connections are gone (tests here
// do not run in parallel, so every feed goroutine is this test's).
func startNotify(t *testing.T, f *Fs, srv *putiotest.Server, n *notified) chan<- time.Duration {
	t.Helper()
	calmFeed(f)
	f.feed.retry = 10 * time.Millisecond
	intervals := make(chan time.Duration)
	ctx, cancel := context.WithCancel(context.Background())
	f.ChangeNotify(ctx, n.notify, intervals)
	t.Cleanup(func() {
		close(intervals)
		require.Eventually(t, func() bool { return feedGoroutines() == 0 }, hangGuard, 5*time.Millisecond, "feed goroutines left")
		f.feed.watchers.Wait() // done already; this orders their last log lines before the test's end
		require.Eventually(t, func() bool { return srv.FeedConnections() == 0 }, hangGuard, 5*time.Millisecond, "feed connections left")
		cancel()
	})
	intervals <- time.Minute
	return intervals
}

func waitConnected(t *testing.T, srv *putiotest.Server, n int) {
	t.Helper()
	require.Eventually(t, func() bool { return srv.FeedConnections() == n }, hangGuard, 5*time.Millisecond,
		"want %d feed connections, have %d", n, srv.FeedConnections())
}

// waitSubscribed waits until the feed's only connection has been taken
// by put.io and the root reported for it.
func waitSubscribed(t *testing.T, srv *putiotest.Server, n *notified) {
	t.Helper()
	waitConnected(t, srv, 1)
	waitNotified(t, n, " dir")
}

func waitNotified(t *testing.T, n *notified, want ...string) {
	t.Helper()
	for _, w := range want {
		require.Eventually(t, func() bool { return n.has(w) }, hangGuard, 5*time.Millisecond, "no %q in %s", w, n)
	}
}

// heartbeatLine is what the feed logs for each text heartbeat it reads.
const heartbeatLine = "change notification: ignoring a message that is not an event"

// waitHeartbeats waits until the log holds n text heartbeats read after
// its first from bytes.
func waitHeartbeats(t *testing.T, logs *syncBuffer, from, n int) {
	t.Helper()
	require.Eventually(t, func() bool { return strings.Count(logs.String()[from:], heartbeatLine) >= n }, hangGuard, 5*time.Millisecond,
		"want %d heartbeats read", n)
}

// otherClient is a second Fs on the same account, as another device.
func otherClient(t *testing.T, srv *putiotest.Server) *Fs {
	t.Helper()
	other, err := newFsOn(srv, "other", "", nil)
	require.NoError(t, err)
	return other.(*Fs)
}

// mount is a VFS on f with a 1 h dir cache, as a media server's mount;
// it returns a lister of the folder dir, in name order.
func mount(t *testing.T, f *Fs, srv *putiotest.Server, dir string) func() []string {
	t.Helper()
	v := newMount(t, f, srv)
	return func() []string {
		names, err := readDirNames(v, dir)
		require.NoError(t, err)
		return names
	}
}

// newMount is a VFS on f with a 1 h dir cache and change notifications,
// as a media server's mount, once its feed is connected.
func newMount(t *testing.T, f *Fs, srv *putiotest.Server) *vfs.VFS {
	t.Helper()
	vfsOpt := vfscommon.Opt
	vfsOpt.DirCacheTime = fs.Duration(time.Hour)
	vfsOpt.PollInterval = fs.Duration(time.Minute)
	calmFeed(f)
	v := vfs.New(context.Background(), f, &vfsOpt)
	t.Cleanup(func() {
		v.Shutdown()
		require.Eventually(t, func() bool { return feedGoroutines() == 0 && srv.FeedConnections() == 0 }, hangGuard, 5*time.Millisecond,
			"the VFS is shut down, but the feed is not")
	})
	waitConnected(t, srv, 1)
	return v
}

// readDirNames lists the folder dir through v, in name order.
func readDirNames(v *vfs.VFS, dir string) ([]string, error) {
	infos, err := v.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, info := range infos {
		names = append(names, info.Name())
	}
	slices.Sort(names)
	return names, nil
}

// syncBuffer is a log sink safe for the feed's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// take returns what was written since the last take.
func (b *syncBuffer) take() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.buf.String()
	b.buf.Reset()
	return s
}

// captureLog collects rclone's log, from level DEBUG, for the rest of
// the test.
func captureLog(t *testing.T) *syncBuffer {
	logs := &syncBuffer{}
	logTo(t, slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return logs
}

// logTo sends rclone's log, from level DEBUG, to handler for the rest of
// the test.
func logTo(t *testing.T, handler slog.Handler) {
	previous := slog.Default().Handler()
	fs.SetLogger(handler)
	ci := fs.GetConfig(context.Background())
	level := ci.LogLevel
	ci.LogLevel = fs.LogLevelDebug
	t.Cleanup(func() {
		ci.LogLevel = level
		fs.SetLogger(previous)
	})
}
