package putio

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/api"
	"github.com/rclone/rclone/fs"
	"golang.org/x/net/websocket"
)

// Timing of the feed. put.io sends a heartbeat about every 10 s; we ping
// as often, so a connection that stays silent for three of them is dead
// whichever side's heartbeat is missing.
const (
	feedHeartbeat  = 10 * time.Second
	feedSilence    = 3 // heartbeats without a byte before we reconnect
	feedRetryFirst = time.Second
	feedRetryMax   = 2 * time.Minute
	feedStable     = time.Minute // a connection this old resets the backoff
	feedReadyWait  = 5 * time.Second
	feedQueue      = 1024 // events waiting for their paths before a resync replaces them
)

// errFeedSilent ends a connection nothing arrives on.
var errFeedSilent = errors.New("no heartbeat from put.io")

// feedState is what ChangeNotify keeps: where each item was last seen, so
// that an event naming only an id can be mapped to a path.
type feedState struct {
	url       *url.URL    // feed_url
	indexing  atomic.Bool // on from the first ChangeNotify
	heartbeat time.Duration
	// now, if set, is the clock of the silence check instead of
	// time.Now; tests hold it still so that no connection is taken for
	// silent because the machine is slow.
	now      func() time.Time
	retry    time.Duration  // first reconnect delay
	queue    int            // feedQueue; at least 1
	watchers sync.WaitGroup // running watchFeed calls, each of which stops its feed before it ends

	mu   sync.Mutex
	seen map[string]seenItem // item id → where it was last seen
}

func newFeedState(feedURL *url.URL) *feedState {
	return &feedState{url: feedURL, heartbeat: feedHeartbeat, retry: feedRetryFirst, queue: feedQueue, seen: map[string]seenItem{}}
}

// clock is the time the silence check goes by.
func (s *feedState) clock() time.Time {
	if s.now != nil {
		return s.now()
	}
	return time.Now()
}

// ChangeNotify reports changes from put.io's real-time feed. The feed is
// opened at once, and ChangeNotify waits briefly (feedReadyWait) for put.io
// to take the token, so that changes made right after it returns are not
// missed. Then the first interval from the channel decides: 0 closes the
// feed, any other value keeps it (put.io pushes: the value itself does not
// matter); later values turn it off and on. Closing the channel or
// cancelling ctx stops it and releases the connection.
func (f *Fs) ChangeNotify(ctx context.Context, notify func(string, fs.EntryType), intervals <-chan time.Duration) {
	f.feed.indexing.Store(true)
	sink := f.notifySink(serialized(notify))
	run := f.startFeed(ctx, sink)
	run.awaitReady(ctx)
	f.feed.watchers.Go(func() { f.watchFeed(ctx, sink, intervals, run) })
}

// serialized makes notify safe to call from the worker and the keep-alive
// goroutines: callers need not expect concurrent calls.
func serialized(notify func(string, fs.EntryType)) func(string, fs.EntryType) {
	var mu sync.Mutex
	return func(remote string, entryType fs.EntryType) {
		mu.Lock()
		defer mu.Unlock()
		notify(remote, entryType)
	}
}

// feedSink is where the feed's news goes: ChangeNotify's callback, or the
// Changes stream. Both get the same events; they differ in how far they
// look for paths and in what a resync tells them.
type feedSink struct {
	report func(Change)
	// resync is told why events may have been missed (resyncConnected,
	// resyncReconnected, resyncFellBehind, resyncUnseenDelete).
	resync func(why string)
	// lookUp finds the paths of items in folders the Fs never listed
	// (Changes, which lists nothing); ChangeNotify cares only about
	// folders it has listed.
	lookUp bool
	// loud shows a lost connection at NOTICE level, where the feed is the
	// whole job (Changes); a mount goes on without it, so INFO will do.
	loud bool
}

// Why a resync is asked for.
const (
	resyncConnected    = "connected" // the first connection put.io has taken
	resyncReconnected  = "reconnected"
	resyncFellBehind   = "fell behind the feed"
	resyncUnseenDelete = "an item never seen was deleted"
)

// notifySink reports to ChangeNotify's callback: a change at the paths it
// left and reached, and on every connection and fall behind the root and
// every folder seen, as the VFS forgets only the folders it is told of.
func (f *Fs) notifySink(notify func(string, fs.EntryType)) *feedSink {
	return &feedSink{
		report: func(c Change) {
			if c.OldPath != "" {
				notify(c.OldPath, c.entryType())
			}
			notify(c.Path, c.entryType())
		},
		resync: func(why string) {
			if why != resyncUnseenDelete { // such an item was not in a listing the VFS holds
				f.resync(notify)
			}
		},
	}
}

// feedRun is the feed running in the background.
type feedRun struct {
	cancel    context.CancelFunc
	done      chan struct{} // closed when it has stopped
	ready     chan struct{} // closed once subscribed, or once a try failed
	readyOnce sync.Once
	err       error // why it stopped for good, once done is closed; nil when ctx ended
}

func (f *Fs) startFeed(ctx context.Context, sink *feedSink) *feedRun {
	ctx, cancel := context.WithCancel(ctx)
	run := &feedRun{cancel: cancel, done: make(chan struct{}), ready: make(chan struct{})}
	go func() {
		defer close(run.done)
		run.err = f.runFeed(ctx, sink, run.markReady)
	}()
	return run
}

func (r *feedRun) markReady() { r.readyOnce.Do(func() { close(r.ready) }) }

// stop ends the feed and waits until its goroutines are gone.
func (r *feedRun) stop() {
	r.cancel()
	<-r.done
}

func (r *feedRun) awaitReady(ctx context.Context) {
	timer := time.NewTimer(feedReadyWait)
	defer timer.Stop()
	select {
	case <-r.ready:
	case <-r.done:
	case <-ctx.Done():
	case <-timer.C:
	}
}

// watchFeed turns the feed off and on as the intervals say.
func (f *Fs) watchFeed(ctx context.Context, sink *feedSink, intervals <-chan time.Duration, run *feedRun) {
	ended := run.done
	halt := func() {
		if run != nil {
			run.stop()
			run, ended = nil, nil
		}
	}
	defer halt()
	for {
		select {
		case interval, ok := <-intervals:
			switch {
			case !ok:
				return
			case interval <= 0:
				halt()
			case run == nil:
				run = f.startFeed(ctx, sink)
				ended = run.done
			}
		case <-ended: // gave up for good; a new interval tries again
			halt()
		case <-ctx.Done():
			return
		}
	}
}

// runFeed keeps a connection open, reconnecting with backoff, until ctx
// ends (nil) or put.io rejects the token (its error).
func (f *Fs) runFeed(ctx context.Context, sink *feedSink, ready func()) error {
	why := resyncConnected
	for failures := 0; ; failures++ {
		started := time.Now()
		err := f.feedSession(ctx, sink, why, ready)
		ready() // a failed try need not be waited for
		why = resyncReconnected
		if ctx.Err() != nil {
			return nil
		}
		var auth *authError
		if errors.As(err, &auth) {
			fs.Errorf(f, "change notification stopped: %v", err)
			return err
		}
		if time.Since(started) > feedStable {
			failures = 0
		}
		delay := f.feedBackoff(failures)
		logLost := fs.Infof
		if sink.loud {
			logLost = fs.Logf
		}
		logLost(f, "change notification: feed connection lost (%v); reconnecting in %v", err, delay.Round(time.Millisecond))
		if sleepCtx(ctx, delay) != nil {
			return nil
		}
	}
}

// feedBackoff doubles from the first delay up to feedRetryMax, with
// jitter so that many clients do not reconnect in step.
func (f *Fs) feedBackoff(failures int) time.Duration {
	delay := min(f.feed.retry<<min(failures, 16), feedRetryMax)
	return delay/2 + rand.N(delay/2+1)
}

// feedSession runs one connection: the token, then a ping whose answer
// (or any byte) shows put.io has read the token, then events until the
// connection ends. Once put.io has the token, the tree is resynced, as
// nothing is replayed. A connection put.io closes is followed by a token
// check against the API, since x/net/websocket hides the close code (4001
// means unauthorized): a rejected token returns its authError. A reader
// decodes and queues events; a worker looks up their paths. why says
// whether this is the first connection or a reconnection.
func (f *Fs) feedSession(ctx context.Context, sink *feedSink, why string, ready func()) error {
	token, err := f.tokens.Token()
	if err != nil {
		return fmt.Errorf("putio: no login token: %w", err)
	}
	ws, live, err := f.dialFeed(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = ws.Close() }()
	_ = ws.SetWriteDeadline(time.Now().Add(f.feed.heartbeat))
	if err := websocket.Message.Send(ws, token.AccessToken); err != nil {
		return err
	}
	ack := live.nextRead()
	if err := sendPing(ws, f.feed.heartbeat); err != nil {
		return err
	}
	fs.Debugf(f, "change notification: connected to %s", f.feed.url.Redacted())
	jobs, stopWork := f.startResolver(ctx, sink)
	defer stopWork() // the reconnect resyncs what it had left
	read := make(chan error, 1)
	go func() { read <- f.readFeed(ws, jobs) }()
	resync := func() { sink.resync(why) }
	err = f.keepAlive(ctx, ws, live, read, ack, func() { resync(); ready() }, resync)
	return f.feedClosed(ctx, err)
}

// startResolver starts the worker that looks up the paths of queued
// events; stop ends it and waits for it.
func (f *Fs) startResolver(ctx context.Context, sink *feedSink) (jobs chan feedJob, stop func()) {
	jobs = make(chan feedJob, f.feed.queue)
	workCtx, stopWork := context.WithCancel(ctx)
	worked := make(chan struct{})
	go func() {
		defer close(worked)
		f.resolveFeed(workCtx, jobs, sink)
	}()
	return jobs, func() { stopWork(); <-worked }
}

// feedClosed checks the token when put.io closed the connection (io.EOF)
// and returns its authError if the API rejects it too; otherwise err.
func (f *Fs) feedClosed(ctx context.Context, err error) error {
	if !errors.Is(err, io.EOF) {
		return err
	}
	if _, infoErr := f.accountInfo(ctx); infoErr != nil {
		var auth *authError
		if errors.As(infoErr, &auth) {
			return infoErr
		}
	}
	return err
}

// keepAlive pings and watches for silence until the reader ends; it
// always leaves the reader finished. It calls acked when ack closes, and
// firstBeat at the first heartbeat: put.io does not say when the token
// has taken effect, so the tree is resynced once more then.
func (f *Fs) keepAlive(ctx context.Context, ws *websocket.Conn, live *liveConn, read <-chan error, ack <-chan struct{}, acked, firstBeat func()) error {
	ticker := time.NewTicker(f.feed.heartbeat)
	defer ticker.Stop()
	for {
		var err error
		select {
		case err := <-read:
			return err
		case <-ack:
			ack = nil
			acked()
		case <-ctx.Done():
			err = ctx.Err()
		case <-ticker.C:
			if firstBeat != nil {
				firstBeat()
				firstBeat = nil
			}
			if live.silentFor() > feedSilence*f.feed.heartbeat {
				err = errFeedSilent
			} else {
				err = sendPing(ws, f.feed.heartbeat)
			}
		}
		if err != nil {
			_ = ws.Close()
			<-read //nolint:errcheck // its read of the closed socket fails; err says why
			return err
		}
	}
}

// resync reports the root and every folder seen as changed: the feed does
// not replay what happened while it was not connected.
func (f *Fs) resync(notify func(string, fs.EntryType)) {
	notify("", fs.EntryDirectory)
	for _, dir := range f.knownDirs() {
		notify(dir, fs.EntryDirectory)
	}
}

// feedJob is an event waiting for its path or, with lost set, word that
// events were dropped.
type feedJob struct {
	msg  api.FeedMessage
	lost bool
}

// readFeed decodes messages and queues the file events until the
// connection fails; then it closes jobs. It never waits on the worker, so
// heartbeats and pongs are read however slow the lookups are: a reader
// held up would make a healthy connection look dead.
func (f *Fs) readFeed(ws *websocket.Conn, jobs chan feedJob) error {
	defer close(jobs)
	for {
		var data []byte
		if err := websocket.Message.Receive(ws, &data); err != nil {
			return err
		}
		var msg api.FeedMessage
		if err := json.Unmarshal(data, &msg); err != nil {
			fs.Debugf(f, "change notification: ignoring a message that is not an event (%v): %q", err, api.Excerpt(data))
			continue
		}
		if msg.IsFileEvent() {
			if dropped := queueJob(jobs, feedJob{msg: msg}); dropped > 0 {
				fs.Debugf(f, "change notification: path lookups are behind; dropping %d queued events for a resync", dropped)
			}
		}
	}
}

// queueJob hands job to the worker without waiting. When the queue is
// full the backlog is dropped for one resync, which reports the root and
// every folder seen, so nothing in it goes unreported. Only the reader
// sends, so once drained the queue has room. It returns how many jobs,
// job included, it dropped.
func queueJob(jobs chan feedJob, job feedJob) (dropped int) {
	select {
	case jobs <- job:
		return 0
	default:
	}
	for dropped = 1; ; dropped++ {
		select {
		case <-jobs:
		default:
			jobs <- feedJob{lost: true}
			return dropped
		}
	}
}

// resolveFeed reports the queued events, looking up paths as needed,
// until jobs is closed or ctx ends.
func (f *Fs) resolveFeed(ctx context.Context, jobs <-chan feedJob, sink *feedSink) {
	for job := range jobs {
		if ctx.Err() != nil {
			return
		}
		if job.lost {
			fs.Infof(f, "change notification: fell behind put.io's feed; reporting every folder as changed")
			sink.resync(resyncFellBehind)
			continue
		}
		f.fileEvent(ctx, job.msg, sink)
	}
}
