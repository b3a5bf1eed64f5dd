package putio

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
	"github.com/rclone/rclone/fs/config/configmap"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// changeLog collects what Changes reports.
type changeLog struct {
	mu      sync.Mutex
	changes []Change
}

func (l *changeLog) add(c Change) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.changes = append(l.changes, c)
}

// lines is the log as "kind change path [<- old] [reason]" lines.
func (l *changeLog) lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]string, len(l.changes))
	for i, c := range l.changes {
		out[i] = describeChange(c)
	}
	return out
}

func describeChange(c Change) string {
	s := strings.TrimSpace(fmt.Sprintf("%s %s %q", c.Kind, c.Change, c.Path))
	if c.OldPath != "" {
		s += fmt.Sprintf(" <- %q", c.OldPath)
	}
	if c.Reason != "" {
		s += " (" + c.Reason + ")"
	}
	return s
}

// waitLines waits until the log holds want, in that order (other lines
// may come between).
func (l *changeLog) waitLines(t *testing.T, want ...string) {
	t.Helper()
	if !assert.Eventually(t, func() bool { return inOrder(l.lines(), want) }, hangGuard, 5*time.Millisecond) {
		t.Fatalf("want %q in order, have %q", want, l.lines())
	}
}

func inOrder(have, want []string) bool {
	for _, w := range want {
		i := slices.Index(have, w)
		if i < 0 {
			return false
		}
		have = have[i+1:]
	}
	return true
}

// startChanges runs f.Changes, calm and with a fast retry, until the test
// ends; then it checks Changes returned nil and left no goroutine or
// connection behind.
func startChanges(t *testing.T, f *Fs, srv *putiotest.Server, since time.Time) *changeLog {
	t.Helper()
	calmFeed(f)
	f.feed.retry = 10 * time.Millisecond
	log := &changeLog{}
	ctx, cancel := context.WithCancel(context.Background())
	ended := make(chan error, 1)
	go func() { ended <- f.Changes(ctx, since, log.add) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-ended, "Changes ends without an error when its context ends")
		require.Eventually(t, func() bool { return feedGoroutines() == 0 && srv.FeedConnections() == 0 }, hangGuard, 5*time.Millisecond,
			"feed goroutines or connections left")
	})
	waitConnected(t, srv, 1)
	return log
}

// Every change under the root is reported with its path, decoded from
// put.io's names, in folders the Fs never listed, with either event shape.
func TestChangesReportsEveryChangeWithItsPath(t *testing.T) {
	for mode, opts := range feedModes {
		t.Run(mode, func(t *testing.T) {
			f, srv, acct := newTestFs(t, nil, opts)
			_, err := acct.Mkdir("tv/deep")
			require.NoError(t, err)
			log := startChanges(t, f, srv, time.Time{})

			// Each step waits for its line: an event names the item, whose
			// path is looked up when the event arrives, after any later step.
			_, err = acct.Put("tv/deep/a＼b.mkv", []byte("x"), testModTime) // put.io's name for rclone's a\b.mkv
			require.NoError(t, err)
			log.waitLines(t, `file created "tv/deep/a\\b.mkv"`)
			_, err = acct.Mkdir("tv/season")
			require.NoError(t, err)
			log.waitLines(t, `folder created "tv/season"`)
			_, err = acct.Move("tv/deep/a＼b.mkv", "tv/season/ep.mkv")
			require.NoError(t, err)
			log.waitLines(t, `file moved "tv/season/ep.mkv" <- "tv/deep/a\\b.mkv"`)
			require.NoError(t, acct.Delete("tv/season/ep.mkv"))
			log.waitLines(t, `file deleted "tv/season/ep.mkv"`)
			assert.Equal(t, 0, srv.Calls("GET /v2/files/list"), "paths come from lookups by id, not listings")
		})
	}
}

// A changed folder the stream has seen is reported changed in place.
func TestChangesReportsARenamedFolderAsMoved(t *testing.T) {
	f, srv, acct := newTestFs(t, nil)
	log := startChanges(t, f, srv, time.Time{})
	_, err := acct.Mkdir("films/new")
	require.NoError(t, err)
	log.waitLines(t, `folder created "films"`, `folder created "films/new"`)
	_, err = acct.Move("films/new", "films/Old Film (1950)")
	require.NoError(t, err)
	log.waitLines(t, `folder moved "films/Old Film (1950)" <- "films/new"`)
}

// Only changes under the root are reported, relative to it; an item that
// leaves the root is reported deleted, one that enters it created.
func TestChangesUnderTheRootOnly(t *testing.T) {
	_, srv, acct := newTestFs(t, nil)
	_, err := acct.Mkdir("media/tv")
	require.NoError(t, err)
	_, err = acct.Mkdir("elsewhere")
	require.NoError(t, err)
	f, err := newFsOn(srv, "media", "media", nil)
	require.NoError(t, err)
	log := startChanges(t, f.(*Fs), srv, time.Time{})

	_, err = acct.Put("elsewhere/skip.mkv", []byte("x"), testModTime)
	require.NoError(t, err)
	_, err = acct.Put("media/tv/in.mkv", []byte("x"), testModTime)
	require.NoError(t, err)
	log.waitLines(t, `file created "tv/in.mkv"`)
	_, err = acct.Move("media/tv/in.mkv", "elsewhere/out.mkv")
	require.NoError(t, err)
	log.waitLines(t, `file deleted "tv/in.mkv"`)
	_, err = acct.Move("elsewhere/skip.mkv", "media/tv/came.mkv")
	require.NoError(t, err)
	log.waitLines(t, `file moved "tv/came.mkv"`)
	for _, line := range log.lines() {
		assert.NotContains(t, line, "skip", "an item outside the root was reported")
	}
}

// A deleted item the stream never saw is placed from the event when it
// says where the item was, else from the trash; deleted for good and
// named by id alone, a resync of the root says a deletion went unplaced.
func TestChangesDeleteOfAnItemNeverSeen(t *testing.T) {
	for mode, opts := range feedModes {
		t.Run(mode, func(t *testing.T) {
			f, srv, acct := newTestFs(t, nil, opts)
			_, err := acct.Put("tv/old.mkv", []byte("x"), testModTime)
			require.NoError(t, err)
			_, err = acct.Put("tv/purged.mkv", []byte("x"), testModTime)
			require.NoError(t, err)
			log := startChanges(t, f, srv, time.Time{})
			require.NoError(t, acct.Delete("tv/old.mkv"))
			log.waitLines(t, `file deleted "tv/old.mkv"`)

			ctx := context.Background()
			hard, err := newFsOn(srv, "hard", "", configmap.Simple{"hard_delete": "true"})
			require.NoError(t, err)
			purged, err := hard.NewObject(ctx, "tv/purged.mkv")
			require.NoError(t, err)
			require.NoError(t, purged.Remove(ctx))
			if opts.FeedFileObjects {
				log.waitLines(t, `file deleted "tv/old.mkv"`, `file deleted "tv/purged.mkv"`)
			} else {
				log.waitLines(t, `file deleted "tv/old.mkv"`, `resync  "" (`+resyncUnseenDelete+`)`)
			}
		})
	}
}

// After the connection drops, the stream reconnects, says changes under
// the root may have been missed, and goes on.
func TestChangesResyncsAfterReconnecting(t *testing.T) {
	f, srv, acct := newTestFs(t, nil)
	log := startChanges(t, f, srv, time.Time{})
	_, err := acct.Put("before.txt", nil, testModTime)
	require.NoError(t, err)
	log.waitLines(t, `file created "before.txt"`)
	assert.NotContains(t, strings.Join(log.lines(), "\n"), "resync", "no resync on the first connection")

	srv.DropFeeds()
	require.Eventually(t, func() bool { return srv.Calls(feedRoute) == 2 && srv.FeedConnections() == 1 }, hangGuard, 5*time.Millisecond)
	log.waitLines(t, `resync  "" (`+resyncReconnected+`)`)
	_, err = acct.Put("after.txt", nil, testModTime)
	require.NoError(t, err)
	log.waitLines(t, `file created "before.txt"`, `resync  "" (`+resyncReconnected+`)`, `file created "after.txt"`)
}

// A connection that can't be made is shown at NOTICE level, as the
// stream is the command's whole job, and the stream goes on once it can.
func TestChangesShowsALostConnection(t *testing.T) {
	logs := captureLog(t)
	f, srv, acct := newTestFs(t, nil)
	require.NoError(t, srv.Inject(putiotest.Fault{Route: feedRoute, Status: 503, Times: 1}))
	log := startChanges(t, f, srv, time.Time{})
	assert.Regexp(t, `level=INFO\+2 msg="change notification: feed connection lost`, logs.String())
	_, err := acct.Put("after.txt", nil, testModTime)
	require.NoError(t, err)
	log.waitLines(t, `file created "after.txt"`)
}

// A revoked token ends the stream with the error that says to reconnect.
func TestChangesEndsOnRevokedToken(t *testing.T) {
	f, srv, _ := newTestFs(t, nil, putiotest.Options{Strict: true})
	calmFeed(f)
	ended := make(chan error, 1)
	go func() { ended <- f.Changes(context.Background(), time.Time{}, func(Change) {}) }()
	waitConnected(t, srv, 1)
	srv.RevokeToken(srv.Token)
	err := <-ended
	var auth *authError
	require.ErrorAs(t, err, &auth)
	assert.Contains(t, err.Error(), "rclone config reconnect")
	require.Eventually(t, func() bool { return feedGoroutines() == 0 }, hangGuard, 5*time.Millisecond)
}

// since replays the uploads and transfers put.io's history holds from
// then, where they are now, oldest first, then asks for a resync: the
// history has no moves, renames or deletes.
func TestChangesSinceReplaysTheHistory(t *testing.T) {
	clock := &testClock{}
	start := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	clock.advance(time.Duration(start.UnixNano()))
	f, srv, acct := newTestFs(t, nil, putiotest.Options{Now: clock.now})
	ctx := context.Background()
	other := otherClient(t, srv)
	put(ctx, t, other, "tv/too-old.mkv", []byte("old"))
	clock.advance(time.Hour)
	put(ctx, t, other, "tv/first.mkv", []byte("1"))
	put(ctx, t, other, "tv/gone.mkv", []byte("g"))
	put(ctx, t, other, "tv/moved.mkv", []byte("m"))
	require.NoError(t, acct.Delete("tv/gone.mkv"))
	_, err := acct.Mkdir("films")
	require.NoError(t, err)
	_, err = acct.Move("tv/moved.mkv", "films/moved.mkv")
	require.NoError(t, err)

	log := startChanges(t, f, srv, start.Add(30*time.Minute))
	log.waitLines(t, `file created "tv/first.mkv"`, `file created "films/moved.mkv"`, `resync  "" (`+resyncHistory+`)`)
	lines := strings.Join(log.lines(), "\n")
	assert.NotContains(t, lines, "too-old", "an upload before since was replayed")
	assert.NotContains(t, lines, "gone", "a deleted item was replayed")
	log.mu.Lock()
	first := log.changes[0]
	log.mu.Unlock()
	assert.True(t, first.Replayed)
	assert.Equal(t, start.Add(time.Hour), first.Time, "put.io's time of the upload")
}

// The command writes one JSON line per change as it comes, and ends
// without an error when interrupted.
func TestChangesCommandWritesJSONLines(t *testing.T) {
	f, srv, acct := newTestFs(t, nil)
	calmFeed(f)
	out := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	ended := make(chan error, 1)
	go func() { ended <- f.changesCommand(ctx, nil, out) }()
	waitConnected(t, srv, 1)
	_, err := acct.Put("tv/new.mkv", []byte("x"), testModTime)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return strings.Contains(out.String(), "new.mkv") }, hangGuard, 5*time.Millisecond)
	cancel()
	require.NoError(t, <-ended)

	var kinds []string
	for _, line := range bytes.Split(bytes.TrimSpace([]byte(out.String())), []byte("\n")) {
		var c Change
		require.NoError(t, json.Unmarshal(line, &c), "line %q", line)
		kinds = append(kinds, describeChange(c))
	}
	assert.Equal(t, []string{`folder created "tv"`, `file created "tv/new.mkv"`}, kinds)
}

func TestChangesCommandRefusesBadOptions(t *testing.T) {
	f, _, _ := newTestFs(t, nil)
	err := f.changesCommand(context.Background(), map[string]string{"from": "1h"}, &bytes.Buffer{})
	assert.ErrorContains(t, err, `unknown option "from"; it takes -o since`)
	err = f.changesCommand(context.Background(), map[string]string{"since": "yesterday-ish"}, &bytes.Buffer{})
	assert.ErrorContains(t, err, `-o since="yesterday-ish" is neither a time`)
}
