package putio

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/api"
	"github.com/rclone/rclone/fs"
	"github.com/rclone/rclone/fs/list"
	"github.com/rclone/rclone/lib/dircache"
)

// itemPath is the API path of one item.
func itemPath(id, suffix string) string {
	return "/v2/files/" + id + suffix
}

// showHidden is the value of the hidden flag that asks put.io for hidden
// items (is_hidden), which it may leave out otherwise. Every listing and
// lookup sends it: a view without them would let Rmdir delete a folder of
// hidden files as empty, and a sync upload a second copy of one.
const showHidden = "1"

// FindLeaf finds the folder leaf in the folder pathID. /child answers with
// one item, the newest of that name, so a file can hide a same-named
// folder: then a listing settles it.
func (f *Fs) FindLeaf(ctx context.Context, pathID, leaf string) (string, bool, error) {
	item, err := f.find(ctx, itemSpec{dirID: pathID, leaf: leaf, kind: folderKind})
	if err != nil || item == nil {
		return "", false, err
	}
	f.recordDirLocation(pathID, leaf, item.ID.String())
	return item.ID.String(), true, nil
}

// CreateDir makes the folder leaf in pathID. Once a try may have made the
// folder, or put.io refuses the name as taken (another writer got there
// first), the folder is looked up by name and, if found, used. Only a
// folder the call is seen to make counts as made by this Fs (see isNew);
// one found never does, as it may hold anything.
func (f *Fs) CreateDir(ctx context.Context, pathID, leaf string) (string, error) {
	name := f.serverName(leaf)
	start := time.Now()
	var folder newFolder
	err := f.mutate(ctx, mutation{
		what: "POST /v2/files/create-folder",
		attempt: func() error {
			var out api.FileReply
			err := f.attemptJSON(ctx, apiCall{
				method: http.MethodPost,
				path:   "/v2/files/create-folder",
				form:   url.Values{"name": {name}, "parent_id": {pathID}},
			}, &out)
			if err == nil {
				folder = newFolder{id: out.File.ID.String(), ours: isNew(out.File, f.gate, start)}
			}
			return err
		},
		done: func() (bool, error) {
			item, err := f.probe(ctx, itemSpec{dirID: pathID, leaf: leaf, kind: folderKind})
			if item == nil {
				return false, err
			}
			folder = newFolder{id: item.ID.String()}
			return true, nil
		},
		doneByOthers: func(err error) bool { return hasType(err, errTypeNameExists) },
		changes:      []folderChange{makesFolder(pathID, leaf, &folder)},
	})
	return folder.id, err
}

// isNew reports whether folder, the answer to a create-folder begun when
// our clock read start, is as far as the record can tell a folder that
// call made: created no earlier than the API's clock then (read off its
// Date headers, g.apiTimeAt), and holding no bytes. put.io may answer a name a folder already has with
// that folder (the record is silent): it must not be taken for one this Fs
// made. A folder with no created_at is not. One another client made within
// the second before the call can't be told from ours; that is the writer
// racing this Fs that trustMadeDirFor already bounds.
func isNew(folder *api.File, g *gate, start time.Time) bool {
	started, ok := g.apiTimeAt(start)
	return ok && !folder.CreatedAt.IsZero() && !folder.CreatedAt.Before(started.Truncate(time.Second)) && folder.Size == 0
}

// listPages calls page for each page of the folder dirID, one paced call
// per page, so callers can stream them. Only the first page's not-found
// means the folder is missing (see incompleteListingError).
func (f *Fs) listPages(ctx context.Context, dirID string, perPage int, page func(items []api.File, skipped int) error) error {
	return asDirNotFound(f.listFolder(ctx, dirID, perPage, nil, page))
}

// listFolder is listPages with put.io's errors as they came, so a caller
// can tell a plain 404 from an item lost for good. With want set, the
// listing is believed only if its first reply shows the folder listed is
// still at want (else a *notAtPathError, before any page is handed on).
func (f *Fs) listFolder(ctx context.Context, dirID string, perPage int, want *folderPlace, page func(items []api.File, skipped int) error) error {
	first := apiCall{
		method: http.MethodGet,
		path:   "/v2/files/list",
		query:  url.Values{"parent_id": {dirID}, "per_page": {strconv.Itoa(perPage)}, "hidden": {showHidden}},
	}
	confirm := func(reply *api.ListReply) error { return f.confirmPlace(dirID, want, reply.Parent) }
	return walkPages[api.File](ctx, f, first, "/v2/files/list/continue", perPage, confirm, page)
}

// asDirNotFound maps a listing's not-found to fs.ErrorDirNotFound, unless
// it came after the first page.
func asDirNotFound(err error) error {
	var incomplete *incompleteListingError
	if errors.As(err, &incomplete) {
		return err
	}
	return notFoundAs(err, fs.ErrorDirNotFound)
}

// folderPlace is where a remembered folder id is expected to be: its name
// in rclone and the id remembered for the folder holding it ("" if none
// is).
type folderPlace struct {
	leaf, parentID string
}

// placeOf is where the folder dir should be; nil for the account's root,
// which never moves.
func (f *Fs) placeOf(ctx context.Context, dir string) *folderPlace {
	if dir == "" {
		if f.root == "" {
			return nil
		}
		parentID, _ := f.dirCache.RootParentID(ctx, false) // known once the root is found
		return &folderPlace{leaf: path.Base(f.root), parentID: parentID}
	}
	parent, leaf := dircache.SplitPath(dir)
	parentID, _ := f.dirCache.Get(parent)
	return &folderPlace{leaf: leaf, parentID: parentID}
}

// notAtPathError is a listing by a remembered id whose reply shows that
// folder is no longer where it was remembered: another device moved,
// renamed or replaced it.
type notAtPathError struct {
	id, why string
}

func (e *notAtPathError) Error() string {
	return fmt.Sprintf("putio: folder %s is no longer at the path it was found at: %s", e.id, e.why)
}

// confirmPlace checks the folder a listing of id reports (listed) is at
// want: a folder called want.leaf, in want.parentID when that is known.
func (f *Fs) confirmPlace(id string, want *folderPlace, listed *api.File) error {
	switch {
	case want == nil:
		return nil
	case listed == nil:
		return &notAtPathError{id: id, why: "the listing does not say which folder it is"}
	case !listed.IsDir():
		return &notAtPathError{id: id, why: "it is not a folder"}
	case !f.isNamed(listed, want.leaf):
		return &notAtPathError{id: id, why: fmt.Sprintf("it is called %q now", f.standardName(listed.Name))}
	case want.parentID != "" && listed.ParentID.String() != want.parentID:
		return &notAtPathError{id: id, why: "it is in another folder now"}
	}
	return nil
}

// incompleteListingError is a listing that failed after its first page
// arrived. That page showed the folder was there, so no later reply, a
// not-found included, means it is missing: it is an error, and must never
// become fs.ErrorDirNotFound, which a VFS shows as an empty folder (and
// caches as one for its whole dir cache time).
type incompleteListingError struct {
	path string
	err  error
}

func (e *incompleteListingError) Error() string {
	return fmt.Sprintf("putio: listing %s failed part-way, so it is incomplete: %v", e.path, e.err)
}

func (e *incompleteListingError) Unwrap() error { return e.err }

// walkPages reads a paged listing: first opens it, continuePath takes the
// cursor of each next page. checkFirst, if set, may refuse the first reply
// before any of it is handed on. The usable items of each page go to each as
// the page arrives; malformed ones are reported, skipped and counted. put.io
// answers a bad or expired cursor with 400: the listing then starts over
// once, handing on only items not yet seen, and fails if it happens again,
// so that a listing never comes back silently incomplete. A server that
// goes round in circles (a cursor it gave before, or a page of nothing but
// items already listed) fails the listing rather than spin forever.
func walkPages[T any, P interface {
	*T
	Validate() error
	Key() int64
}](ctx context.Context, f *Fs, first apiCall, continuePath string, perPage int, checkFirst func(*api.Page[T, P]) error, each func(items []T, skipped int) error) error {
	call := first
	cursors := map[string]bool{} // given since the listing (re)started
	seen := map[int64]bool{}     // keys handed on
	restarted, opened := false, false
	for {
		var out api.Page[T, P]
		err := f.callJSON(ctx, call, &out)
		if call.path == continuePath && hasStatus(err, http.StatusBadRequest) {
			if restarted {
				return &incompleteListingError{path: first.path, err: fmt.Errorf("put.io refused the continuation cursor again after the listing was restarted; try again later: %w", err)}
			}
			fs.Logf(f, "listing %s: put.io refused the continuation cursor (%v); restarting the listing", first.path, err)
			restarted, call, cursors = true, first, map[string]bool{}
			continue
		}
		if err != nil && opened {
			return &incompleteListingError{path: first.path, err: err}
		}
		if err != nil {
			return err
		}
		if !opened && checkFirst != nil {
			if err := checkFirst(&out); err != nil {
				return err
			}
		}
		opened = true
		items, problems := out.Usable()
		reportSkipped(ctx, f, problems)
		items, repeated := unseen[T, P](items, seen)
		if repeated && len(items) == 0 && !restarted {
			return fmt.Errorf("putio: listing %s: the server sent a page of items it had already listed; try again later", first.path)
		}
		if err := each(items, len(problems)); err != nil {
			return err
		}
		cursor := out.NextCursor()
		switch {
		case cursor == "":
			return nil
		case cursors[cursor]:
			return fmt.Errorf("putio: listing %s: the server repeats a page it sent before (cursor %q), so the listing would never end; try again later", first.path, cursor)
		}
		cursors[cursor] = true
		call = apiCall{
			method: http.MethodPost,
			path:   continuePath,
			form:   url.Values{"cursor": {cursor}, "per_page": {strconv.Itoa(perPage)}},
		}
	}
}

// unseen drops the items whose keys are in seen, adds the others to it,
// and reports whether it dropped any.
func unseen[T any, P interface {
	*T
	Key() int64
}](items []T, seen map[int64]bool) (kept []T, dropped bool) {
	kept = items[:0]
	for i := range items {
		key := P(&items[i]).Key()
		if seen[key] {
			dropped = true
			continue
		}
		seen[key] = true
		kept = append(kept, items[i])
	}
	return kept, dropped
}

// reportSkipped logs malformed items left out of a listing and counts
// them as errors, so that a sync does not delete on an incomplete view.
func reportSkipped(ctx context.Context, f *Fs, problems []error) {
	for _, err := range problems {
		fs.Errorf(f, "skipping a malformed item put.io listed: %v", err)
		_ = fs.CountError(ctx, err)
	}
}

// List the objects and directories in dir into entries: all of them, or
// none and an error, so that no caller can take part of a folder for all
// of it.
func (f *Fs) List(ctx context.Context, dir string) (fs.DirEntries, error) {
	entries, err := list.WithListP(ctx, dir, f)
	if err != nil {
		return nil, err
	}
	return entries, nil
}

// ListP lists dir, handing each page of entries to callback as it arrives.
// A listing by a remembered id is believed only if its reply confirms the
// folder is still at dir (see confirmPlace), which costs no extra call.
// Otherwise, on a plain 404, and when a walk from a remembered parent id
// does not find dir, another device may have moved, renamed, deleted or
// re-made folders on the way: dir is looked up afresh from the root and
// whatever is there now is listed, once. A folder lost for good
// (410, FILE_LOST) that the fresh look finds under the same id is not
// listed again.
func (f *Fs) ListP(ctx context.Context, dir string, callback fs.ListRCallback) error {
	remembered := f.remembersPathTo(dir)
	dirID, err := f.dirCache.FindDir(ctx, dir, false)
	switch {
	case err == nil:
		err = f.listDir(ctx, dir, dirID, f.placeOf(ctx, dir), callback)
		if !worthAFreshLook(err) {
			return asDirNotFound(err)
		}
	case !remembered || !errors.Is(err, fs.ErrorDirNotFound):
		return err
	}
	// Not found by a walk from a remembered id, or not confirmed at dir.
	freshID, freshErr := f.resolveAfresh(ctx, dir)
	switch {
	case freshErr != nil:
		return freshErr // "not found" only if the lookup says so, never for a failed one
	case freshID == dirID && isGone(err):
		return fs.ErrorDirNotFound
	}
	return asDirNotFound(f.listDir(ctx, dir, freshID, nil, callback))
}

// worthAFreshLook reports a listing error that may come from a remembered
// id no longer at its path: the listing showed it elsewhere, or its first
// page was not found.
func worthAFreshLook(err error) bool {
	var moved *notAtPathError
	var incomplete *incompleteListingError
	switch {
	case errors.As(err, &moved):
		return true
	case errors.As(err, &incomplete):
		return false
	}
	return isNotFound(err)
}

// resolveAfresh looks dir up from the account's root, one lookup per
// level of the Fs root and of dir, trusting no remembered id, and
// remembers what it finds in place of what was remembered: ids remembered
// under a folder now found under another id were found through the old
// one, so they are forgotten. A failed lookup is that error;
// fs.ErrorDirNotFound means a level is not there.
func (f *Fs) resolveAfresh(ctx context.Context, dir string) (string, error) {
	id, err := f.rootAfresh(ctx)
	if err != nil || dir == "" {
		return id, err
	}
	return f.walkAfresh(ctx, id, dir, func(walked, found string) {
		if known, _ := f.dirCache.Get(walked); known != found {
			f.dirCache.FlushDir(walked)
			f.dirCache.Put(walked, found)
		}
	})
}

// rootAfresh looks the Fs root up from the account's root. If it is now
// another folder than the one remembered, everything remembered was found
// through the old one: the dir cache starts again from the new root.
func (f *Fs) rootAfresh(ctx context.Context) (string, error) {
	known, err := f.dirCache.RootID(ctx, false)
	if err != nil || f.root == "" {
		return known, err
	}
	id, err := f.walkAfresh(ctx, rootID, f.root, func(string, string) {})
	if err != nil || id == known {
		return id, err
	}
	f.dirCache.ResetRoot()
	return f.dirCache.RootID(ctx, false)
}

// walkAfresh looks the folder rel up below the folder id, one lookup per
// level, telling found each level's path within rel and id.
func (f *Fs) walkAfresh(ctx context.Context, id, rel string, found func(walked, id string)) (string, error) {
	walked := ""
	for _, leaf := range strings.Split(rel, "/") {
		walked = path.Join(walked, leaf)
		next, ok, err := f.FindLeaf(ctx, id, leaf)
		switch {
		case err != nil:
			return "", err
		case !ok:
			return "", fs.ErrorDirNotFound
		}
		found(walked, next)
		id = next
	}
	return id, nil
}

// listDir hands the entries of the folder dirID, at dir, to callback page
// by page; with want set, only if the folder is confirmed at want.
func (f *Fs) listDir(ctx context.Context, dir, dirID string, want *folderPlace, callback fs.ListRCallback) error {
	listed := f.readAhead.listing(dirID)
	err := f.listFolder(ctx, dirID, f.pageSize, want, func(items []api.File, _ int) error {
		entries := make(fs.DirEntries, 0, len(items))
		for i := range items {
			entry := f.entryFor(dir, &items[i])
			listed.add(entry)
			entries = append(entries, entry)
		}
		return callback(entries)
	})
	listed.done(err)
	return err
}

// parentOf is the folder remote is in; "" is the root.
func parentOf(remote string) string {
	dir, _ := dircache.SplitPath(remote)
	return dir
}

// entryFor turns a listed item into a directory or an object.
func (f *Fs) entryFor(dir string, item *api.File) fs.DirEntry {
	remote := path.Join(dir, f.standardName(item.Name))
	if item.IsDir() {
		id := item.ID.String()
		f.dirCache.Put(remote, id)
		f.recordLocation(id, remote, true)
		return fs.NewDir(remote, item.ModTime()).SetID(id).SetParentID(item.ParentID.String()).SetSize(item.Size)
	}
	return f.newObject(remote, item)
}

// findItem looks up a file or folder by path without creating anything,
// and returns the id of the folder it was found in.
func (f *Fs) findItem(ctx context.Context, remote string) (*api.File, string, error) {
	leaf, dirID, err := f.dirCache.FindPath(ctx, remote, false)
	if errors.Is(err, fs.ErrorDirNotFound) {
		return nil, "", fs.ErrorObjectNotFound
	}
	if err != nil {
		return nil, "", err
	}
	item, err := f.find(ctx, itemSpec{dirID: dirID, leaf: leaf})
	if err == nil && item == nil {
		f.madeDirs.noteAbsent(dirID, leaf)
		err = fs.ErrorObjectNotFound
	}
	return item, dirID, err
}

// remembersPathTo reports whether the dir cache holds an id for a folder
// on the path to remote, below the root: a lookup of remote then starts
// from a remembered id, which another device may have moved since.
func (f *Fs) remembersPathTo(remote string) bool {
	for dir := parentOf(remote); dir != ""; dir = parentOf(dir) {
		if _, ok := f.dirCache.Get(dir); ok {
			return true
		}
	}
	return false
}

// stillAt reports whether dirID, an id remembered for dir, is the folder
// at dir now, looking dir up afresh (see resolveAfresh).
func (f *Fs) stillAt(ctx context.Context, dir, dirID string) (bool, error) {
	freshID, err := f.resolveAfresh(ctx, dir)
	if errors.Is(err, fs.ErrorDirNotFound) {
		return false, nil
	}
	return freshID == dirID, err
}
