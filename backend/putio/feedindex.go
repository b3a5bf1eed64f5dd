package putio

import (
	"context"
	"errors"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/api"
	"github.com/rclone/rclone/fs"
)

// The feed names items by id. These map an id to the path the Fs knows
// it by: folders through the dir cache, anything else through where it
// was last seen in a listing, a lookup or our own change.

// seenItem is an item's path relative to the Fs root, and its type.
type seenItem struct {
	remote string
	dir    bool
}

// recordLocation records where an item is, while change notification is
// on. A folder seen at a new path takes what was seen inside it along.
func (f *Fs) recordLocation(id, remote string, dir bool) {
	if !f.feed.indexing.Load() {
		return
	}
	f.feed.mu.Lock()
	defer f.feed.mu.Unlock()
	if was, ok := f.feed.seen[id]; ok && was.dir && was.remote != remote {
		f.feed.moveSeenUnder(was.remote, remote, true)
	}
	f.feed.seen[id] = seenItem{remote: remote, dir: dir}
}

// recordDirLocation records where the folder leaf found or made in
// parentID is, so that a reconnect reports it too.
func (f *Fs) recordDirLocation(parentID, leaf, id string) {
	if !f.feed.indexing.Load() {
		return
	}
	if parent, ok := f.dirCache.GetInv(parentID); ok {
		f.recordLocation(id, path.Join(parent, leaf), true)
	}
}

// forget drops an item that is gone, and, if it is a folder, what was
// seen inside it.
func (f *Fs) forget(id string) {
	f.feed.mu.Lock()
	defer f.feed.mu.Unlock()
	if was, ok := f.feed.seen[id]; ok && was.dir {
		f.feed.moveSeenUnder(was.remote, "", false)
	}
	delete(f.feed.seen, id)
}

// moveSeenUnder re-prefixes the items seen inside the folder from, as it
// is now at to; with keep false they are dropped instead. Call it with mu
// held. Without it a moved folder's subfolders would be reported under
// its old path once the dir cache has let go of them.
func (s *feedState) moveSeenUnder(from, to string, keep bool) {
	if from == "" {
		return // the root does not move
	}
	prefix := from + "/"
	for id, item := range s.seen {
		rest, inside := strings.CutPrefix(item.remote, prefix)
		switch {
		case !inside:
		case keep:
			s.seen[id] = seenItem{remote: path.Join(to, rest), dir: item.dir}
		default:
			delete(s.seen, id)
		}
	}
}

// locate finds a known item: folders through the dir cache, which is
// authoritative for them, anything else through what was seen.
func (f *Fs) locate(id string) (seenItem, bool) {
	if remote, ok := f.dirCache.GetInv(id); ok {
		return seenItem{remote: remote, dir: true}, true
	}
	f.feed.mu.Lock()
	defer f.feed.mu.Unlock()
	item, ok := f.feed.seen[id]
	return item, ok
}

// knownDirs lists the folders seen; a reconnect reports them all changed.
func (f *Fs) knownDirs() []string {
	f.feed.mu.Lock()
	defer f.feed.mu.Unlock()
	var dirs []string
	for _, item := range f.feed.seen {
		if item.dir {
			dirs = append(dirs, item.remote)
		}
	}
	return dirs
}

// fileEvent reports a change of an item: where it is now, if that is
// inside the root in a folder the sink can place, and where it was, if it
// was seen. An item that left the root, or was deleted, is reported
// deleted where it was.
func (f *Fs) fileEvent(ctx context.Context, msg api.FeedMessage, sink *feedSink) {
	item, err := api.ParseFeedItem(msg.Value)
	if err != nil {
		fs.Debugf(f, "change notification: ignoring a %s event: %v", msg.Type, err)
		return
	}
	id := item.ID.String()
	was, seen := f.locate(id)
	if seen && was.dir && was.remote != "" && msg.Type != api.FeedFileCreate {
		f.dirCache.FlushDir(was.remote) // the folder's path, or its subfolders', may be stale
	}
	change := Change{Time: time.Now().UTC(), ID: int64(*item.ID)}
	if msg.Type == api.FeedFileDelete {
		f.forget(id)
		if !seen {
			was, seen = f.whereDeleted(ctx, id, item, sink.lookUp)
		}
		switch {
		case seen:
			sink.report(change.of(was, ChangeDeleted))
		case sink.lookUp:
			sink.resync(resyncUnseenDelete)
		}
		return
	}
	now, ok := f.whereNow(ctx, id, item, sink.lookUp)
	if !ok {
		f.forget(id)
		if seen {
			sink.report(change.of(was, ChangeDeleted)) // from the root's point of view
		}
		return
	}
	f.recordLocation(id, now.remote, now.dir)
	change = change.of(now, changeOf(msg.Type))
	if seen && was.remote != now.remote {
		change.Change, change.OldPath = ChangeMoved, was.remote
	}
	sink.report(change)
}

// changeOf is what a feed event type says happened.
func changeOf(eventType string) string {
	switch eventType {
	case api.FeedFileCreate:
		return ChangeCreated
	case api.FeedFileMove:
		return ChangeMoved
	}
	return ChangeChanged
}

// whereNow finds where the item is: from the event when it says, else
// from the API. It is not found outside the root, nor, unless lookUp, in
// a folder never looked at, which nothing caches.
func (f *Fs) whereNow(ctx context.Context, id string, item *api.FeedItem, lookUp bool) (seenItem, bool) {
	parentID, name, dir := "", "", false
	if item.Placed() {
		parentID, name, dir = item.ParentID.String(), *item.Name, item.IsDir()
	} else {
		file, err := f.getItem(ctx, id)
		if err != nil {
			if !hasStatus(err, http.StatusNotFound) && ctx.Err() == nil {
				fs.Errorf(f, "change notification: can't tell where item %s is: %v", id, err)
			}
			return seenItem{}, false
		}
		parentID, name, dir = file.ParentID.String(), file.Name, file.IsDir()
	}
	remote, ok := f.pathIn(ctx, parentID, name, lookUp)
	return seenItem{remote: remote, dir: dir}, ok
}

// pathIn is the path under the root of the item put.io calls name in the
// folder parentID. It is not found outside the root, nor, unless lookUp,
// in a folder never looked at.
func (f *Fs) pathIn(ctx context.Context, parentID, name string, lookUp bool) (string, bool) {
	parent, ok := f.locate(parentID)
	if !ok && lookUp {
		parent, ok = f.findFolder(ctx, parentID)
	}
	if !ok || !parent.dir {
		return "", false
	}
	return path.Join(parent.remote, f.standardName(name)), true
}

// whereDeleted finds where a deleted item the Fs never saw was: from the
// event when it says, else, if lookUp, from the trash.
func (f *Fs) whereDeleted(ctx context.Context, id string, item *api.FeedItem, lookUp bool) (seenItem, bool) {
	switch {
	case item.Placed():
		return f.whereNow(ctx, id, item, lookUp)
	case lookUp:
		return f.whereTrashed(ctx, id)
	}
	return seenItem{}, false
}

// errFoundInTrash ends a walk of the trash early.
var errFoundInTrash = errors.New("found in the trash")

// whereTrashed finds where a deleted item was from the trash, which keeps
// its parent: put.io's delete events may name only the id. It is not
// found if it was deleted for good, was inside a deleted folder (only the
// folder is listed), or the trash can't be read.
func (f *Fs) whereTrashed(ctx context.Context, id string) (seenItem, bool) {
	var trashed *api.TrashFile
	err := f.walkTrash(ctx, func(files []api.TrashFile) error {
		for i := range files {
			if files[i].ID.String() == id {
				trashed = &files[i]
				return errFoundInTrash
			}
		}
		return nil
	})
	if trashed == nil {
		if err != nil && ctx.Err() == nil {
			fs.Errorf(f, "change notification: can't read the trash to tell where deleted item %s was: %v", id, err)
		}
		return seenItem{}, false
	}
	parent, ok := f.findFolder(ctx, trashed.ParentID.String())
	if !ok {
		return seenItem{}, false
	}
	return seenItem{remote: path.Join(parent.remote, f.standardName(trashed.Name)), dir: trashed.IsDir()}, true
}

// maxFolderDepth bounds the walk up from a folder, against a parent
// chain that loops.
const maxFolderDepth = 256

// findFolder finds the path of a folder the Fs never listed, walking up
// its parents until one it knows, and records the folders it passes so
// that each is looked up once. It is not found outside the root.
func (f *Fs) findFolder(ctx context.Context, id string) (seenItem, bool) {
	var chain []*api.File // from id upwards
	for len(chain) < maxFolderDepth {
		if known, ok := f.locate(id); ok {
			if !known.dir {
				return seenItem{}, false
			}
			remote := known.remote
			for i := len(chain) - 1; i >= 0; i-- {
				remote = path.Join(remote, f.standardName(chain[i].Name))
				f.recordLocation(chain[i].ID.String(), remote, true)
			}
			return seenItem{remote: remote, dir: true}, true
		}
		if id == rootID {
			return seenItem{}, false // the top of the account, above the root
		}
		folder, err := f.getItem(ctx, id)
		if err != nil || folder == nil || !folder.IsDir() {
			if err != nil && !hasStatus(err, http.StatusNotFound) && ctx.Err() == nil {
				fs.Errorf(f, "change notification: can't tell where folder %s is: %v", id, err)
			}
			return seenItem{}, false
		}
		chain = append(chain, folder)
		id = folder.ParentID.String()
	}
	return seenItem{}, false
}

// getItem fetches one item by id.
func (f *Fs) getItem(ctx context.Context, id string) (*api.File, error) {
	var out api.FileReply
	err := f.callJSON(ctx, itemCall(id), &out)
	return out.File, err
}
