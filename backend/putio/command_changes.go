package putio

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/api"
	"github.com/rclone/rclone/fs"
)

// changesHelp describes the "changes" backend command.
var changesHelp = fs.CommandHelp{
	Name:  "changes",
	Short: "Stream changed paths from put.io's real-time feed as JSON lines.",
	Long: `Prints one JSON line per change under the remote, as put.io reports it,
until interrupted (Ctrl-C ends it with exit code 0):

    rclone backend changes putio:media
    {"time":"2026-12-06T19:30:01Z","kind":"file","change":"created","path":"tv/Show S01E01.mkv","id":42}
    {"time":"2026-12-06T19:31:12Z","kind":"folder","change":"moved","path":"tv/Show","old_path":"incoming/Show","id":41}

"kind" is "file", "folder" or "resync"; "change" is "created", "changed",
"moved" (with "old_path" when it was under the remote) or "deleted" (also
for an item that left the remote). A line of kind "resync" says changes
may have been missed under its path ("" is the whole remote), with the
"reason": after a reconnection, after falling behind the feed, when an
item the stream never saw was deleted for good (put.io's event may name
only its id; one in the trash is placed from there), and after a replay. Point a media server's partial scan at each path (see
the put.io docs page for a Plex and a Jellyfin recipe).

With -o since, the stream first replays what put.io's history holds since
then: the files uploaded and the transfers completed, where they are now,
marked "replayed". The history has no moves, renames or deletes, so a
resync line of the whole remote follows the replay.
`,
	Opts: map[string]string{
		"since": "Replay uploads and completed transfers since this time (RFC 3339, e.g. 2026-12-06T10:00:00Z) or this long ago (e.g. 2h) first.",
	},
}

// What happened to an item, in a Change.
const (
	ChangeCreated = "created"
	ChangeChanged = "changed"
	ChangeMoved   = "moved"
	ChangeDeleted = "deleted"
)

// The kinds of a Change.
const (
	KindFile   = "file"
	KindFolder = "folder"
	KindResync = "resync" // changes under Path may have been missed
)

// Change is one change under the Fs's root, as Changes reports it.
type Change struct {
	Time     time.Time `json:"time"`               // when the stream learnt of it; for a replayed one, put.io's time
	Kind     string    `json:"kind"`               // KindFile, KindFolder or KindResync
	Change   string    `json:"change,omitempty"`   // ChangeCreated, ...; empty for a resync
	Path     string    `json:"path"`               // relative to the root; "" is the root
	OldPath  string    `json:"old_path,omitempty"` // where a moved item was, if it was seen there
	Reason   string    `json:"reason,omitempty"`   // why a resync is needed
	ID       int64     `json:"id,omitempty"`       // put.io's id of the item
	Replayed bool      `json:"replayed,omitempty"` // from put.io's history rather than the feed
}

// of is the change at item.
func (c Change) of(item seenItem, what string) Change {
	c.Path, c.Kind, c.Change = item.remote, KindFile, what
	if item.dir {
		c.Kind = KindFolder
	}
	return c
}

func (c Change) entryType() fs.EntryType {
	if c.Kind == KindFile {
		return fs.EntryObject
	}
	return fs.EntryDirectory
}

// Changes calls fn for every change under the root that put.io's
// real-time feed reports, one call at a time, until ctx ends (then it
// returns nil, and fn is not called again) or put.io rejects the token
// (its error). It reconnects as ChangeNotify does, and reports a resync
// of the root after each reconnection. With since set, it first replays
// the uploads and completed transfers put.io's history holds since then,
// followed by a resync of the root, as the history has no moves, renames
// or deletes.
func (f *Fs) Changes(ctx context.Context, since time.Time, fn func(Change)) error {
	f.feed.indexing.Store(true)
	var mu sync.Mutex
	emit := func(c Change) {
		mu.Lock()
		defer mu.Unlock()
		fn(c)
	}
	run := f.startFeed(ctx, f.changesSink(emit))
	defer run.stop()
	run.awaitReady(ctx) // subscribed before the replay, so nothing falls between them
	if !since.IsZero() {
		if err := f.replayHistory(ctx, since, emit); err != nil && ctx.Err() == nil {
			return err
		}
	}
	select {
	case <-ctx.Done():
		return nil
	case <-run.done:
		return run.err
	}
}

// changesSink reports to Changes: every path, looked up if need be, and a
// resync line whenever events may have been missed after the stream began.
func (f *Fs) changesSink(emit func(Change)) *feedSink {
	return &feedSink{
		report: emit,
		resync: func(why string) {
			if why != resyncConnected { // nothing was missed before the stream began
				emit(Change{Time: time.Now().UTC(), Kind: KindResync, Reason: why})
			}
		},
		lookUp: true,
		loud:   true,
	}
}

// historyPage is how many events one history call asks for.
const historyPage = 100

// resyncHistory is the reason of the resync after a replay.
const resyncHistory = "put.io's history has no moves, renames or deletes"

// replayHistory reports, oldest first, where the items put.io's history
// says were uploaded or transferred since then are now, and then a resync
// of the root. Items gone since or outside the root are left out.
func (f *Fs) replayHistory(ctx context.Context, since time.Time, emit func(Change)) error {
	events, err := f.historySince(ctx, since)
	if err != nil {
		return fmt.Errorf("putio: changes: reading put.io's history: %w", err)
	}
	replayed := map[api.ID]bool{}
	for _, ev := range slices.Backward(events) {
		if replayed[ev.FileID] {
			continue
		}
		replayed[ev.FileID] = true
		where, ok, err := f.whereItem(ctx, ev.FileID)
		if err != nil {
			return err
		}
		if ok {
			change := Change{Time: ev.CreatedAt.Time, ID: int64(ev.FileID), Replayed: true}
			emit(change.of(where, ChangeCreated))
		}
	}
	emit(Change{Time: time.Now().UTC(), Kind: KindResync, Reason: resyncHistory})
	return nil
}

// historySince reads the history back to since, newest first, keeping
// the events that name an item they made.
func (f *Fs) historySince(ctx context.Context, since time.Time) ([]api.Event, error) {
	var kept []api.Event
	query := url.Values{"per_page": {strconv.Itoa(historyPage)}}
	for {
		var page api.EventsReply
		if err := f.callJSON(ctx, apiCall{method: http.MethodGet, path: "/v2/events/list", query: query}, &page); err != nil {
			return nil, err
		}
		for _, ev := range page.Events {
			if ev.CreatedAt.Before(since) {
				return kept, nil
			}
			if ev.MadeItem() {
				kept = append(kept, ev)
			}
		}
		if !page.HasMore || len(page.Events) == 0 {
			return kept, nil
		}
		query.Set("before", strconv.FormatInt(page.Events[len(page.Events)-1].ID, 10))
	}
}

// whereItem finds where the item id is now under the root, and records
// it; not found (false) if it is gone or elsewhere.
func (f *Fs) whereItem(ctx context.Context, id api.ID) (seenItem, bool, error) {
	item, err := f.getItem(ctx, id.String())
	if hasStatus(err, http.StatusNotFound) {
		return seenItem{}, false, nil
	}
	if err != nil {
		return seenItem{}, false, err
	}
	remote, ok := f.pathIn(ctx, item.ParentID.String(), item.Name, true)
	if !ok {
		return seenItem{}, false, nil
	}
	f.recordLocation(id.String(), remote, item.IsDir())
	return seenItem{remote: remote, dir: item.IsDir()}, true, nil
}

// changesCommand runs "changes", writing each change to out as one JSON
// line the moment it arrives. rclone's backend command prints a command's
// result only once it returns, and this one returns only when
// interrupted, so it writes the lines itself. Each line goes out in one
// Write, so lines are never interleaved or held back (os.Stdout is not
// buffered). It ends on SIGINT or SIGTERM with no error: rclone passes
// the command a context nothing cancels.
func (f *Fs) changesCommand(ctx context.Context, opt map[string]string, out io.Writer) error {
	if err := checkCommandOptions("changes", opt); err != nil {
		return err
	}
	var since time.Time
	if value, ok := opt["since"]; ok {
		var err error
		if since, err = fs.ParseTime(value); err != nil || since.IsZero() {
			return fmt.Errorf("putio: changes: -o since=%q is neither a time such as 2026-12-06T10:00:00Z nor a duration such as 2h", value)
		}
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	err := f.Changes(ctx, since, func(c Change) {
		line, _ := json.Marshal(c) // a Change always marshals
		if _, err := out.Write(append(line, '\n')); err != nil {
			cancel(fmt.Errorf("putio: changes: writing the output: %w", err)) // a closed pipe ends the stream
		}
	})
	if cause := context.Cause(ctx); err == nil && !errors.Is(cause, context.Canceled) {
		err = cause
	}
	return err
}
