package putio

import (
	"container/list"
	"context"
	"slices"
	"strings"
	"sync"

	"github.com/rclone/rclone/fs"
)

// readAheadFilesKept bounds the file ids the read-ahead keeps from
// listings, over all folders: a few MiB, enough for a media server that
// lists a whole library before it probes the files. Past it the folders
// least recently listed or opened in are forgotten first.
const readAheadFilesKept = 50_000

// maxReadAheadConcurrency bounds the URL resolutions the read-ahead has in
// flight at once, whatever url_read_ahead is.
const maxReadAheadConcurrency = 4

// urlReadAhead resolves in the background the signed URLs of the files
// that follow an opened file in its folder, so that a scan, which opens
// the files of a folder one after the other, pays the /url round trip
// only for the first: each open finds its URL fetched while the file
// before it was read. The order is the listing's as rclone hands it on,
// sorted by name, which is the order a media server walks a folder in.
//
// It costs /url calls for files that may never be opened: at most count
// per open, only in folders files are opened in, and none for a file
// whose URL is kept (signedURLs) or already being fetched, whose fetch
// the open then waits for. Resolutions go through the pacer and the
// rate-limit gate like every call, at most maxReadAheadConcurrency at a
// time, and end when the Fs shuts down.
type urlReadAhead struct {
	count int // files after an opened one whose URLs are resolved
	urls  *signedURLs
	fetch func(ctx context.Context, id string) (string, error)

	ctx    context.Context // the Fs's life
	cancel context.CancelFunc
	slots  chan struct{} // one per resolution in flight
	active sync.WaitGroup

	mu      sync.Mutex
	folders map[string]*listedFolder // folder id → its files
	recent  *list.List               // *listedFolder, most recently listed or opened in first
	byFile  map[string]filePlace     // file id → where it is listed
	held    int                      // file ids in folders
	started map[string]bool          // file ids being resolved by the read-ahead
}

// listedFolder is a folder's files, as last listed, in the order rclone
// hands them on; files with no bytes are left out, as they need no URL.
type listedFolder struct {
	id    string
	files []string
	elem  *list.Element
}

// filePlace is the folder a file was listed in and its index there.
type filePlace struct {
	folder *listedFolder
	index  int
}

// newURLReadAhead returns a read-ahead of count files, fetching through
// fetch into urls, or nil (no read-ahead) for a count of 0. Its work ends
// with stop; ctx gives it its values, not its end.
func newURLReadAhead(ctx context.Context, count int, urls *signedURLs, fetch func(context.Context, string) (string, error)) *urlReadAhead {
	if count <= 0 {
		return nil
	}
	life, cancel := context.WithCancel(context.WithoutCancel(ctx))
	return &urlReadAhead{
		count:   count,
		urls:    urls,
		fetch:   fetch,
		ctx:     life,
		cancel:  cancel,
		slots:   make(chan struct{}, min(count, maxReadAheadConcurrency)),
		folders: map[string]*listedFolder{},
		recent:  list.New(),
		byFile:  map[string]filePlace{},
		started: map[string]bool{},
	}
}

// folderListing gathers the files of one listing of a folder as its
// pages arrive; nil (no read-ahead) gathers nothing.
type folderListing struct {
	readAhead *urlReadAhead
	folderID  string
	files     []*Object
}

// listing starts gathering a listing of the folder folderID.
func (r *urlReadAhead) listing(folderID string) *folderListing {
	if r == nil {
		return nil
	}
	return &folderListing{readAhead: r, folderID: folderID}
}

// add notes a listed entry.
func (l *folderListing) add(entry fs.DirEntry) {
	if o, ok := entry.(*Object); ok && l != nil && o.Size() > 0 {
		l.files = append(l.files, o)
	}
}

// done keeps the files of a complete listing as the folder's, in place
// of those of its last listing; a failed listing changes nothing.
func (l *folderListing) done(err error) {
	if l == nil || err != nil {
		return
	}
	slices.SortStableFunc(l.files, func(a, b *Object) int { return strings.Compare(a.remote, b.remote) })
	ids := make([]string, len(l.files))
	for i, o := range l.files {
		ids[i] = o.id()
	}
	l.readAhead.keep(l.folderID, ids)
}

// keep records ids as the files of the folder folderID, forgetting the
// folders least recently used past readAheadFilesKept.
func (r *urlReadAhead) keep(folderID string, ids []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if old := r.folders[folderID]; old != nil {
		r.forget(old)
	}
	folder := &listedFolder{id: folderID, files: ids}
	folder.elem = r.recent.PushFront(folder)
	r.folders[folderID] = folder
	for i, id := range ids {
		r.byFile[id] = filePlace{folder: folder, index: i}
	}
	r.held += len(ids)
	for r.held > readAheadFilesKept && r.recent.Back() != folder.elem {
		r.forget(r.recent.Back().Value.(*listedFolder))
	}
}

// forget drops a folder's files. Call it with mu held.
func (r *urlReadAhead) forget(folder *listedFolder) {
	for _, id := range folder.files {
		if r.byFile[id].folder == folder { // not listed in another folder since
			delete(r.byFile, id)
		}
	}
	r.held -= len(folder.files)
	r.recent.Remove(folder.elem)
	delete(r.folders, folder.id)
}

// opened starts resolving the URLs of the count files after the file id
// in its folder that have none kept and none being fetched. It does
// nothing for a file not listed, or once the read-ahead has stopped.
func (r *urlReadAhead) opened(id string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	place, listed := r.byFile[id]
	if !listed || r.ctx.Err() != nil {
		return
	}
	r.recent.MoveToFront(place.folder.elem)
	files := place.folder.files
	for _, next := range files[place.index+1 : min(place.index+1+r.count, len(files))] {
		if r.started[next] || r.urls.holds(next) {
			continue
		}
		r.started[next] = true
		r.active.Add(1)
		go r.resolve(next)
	}
}

// resolve fetches the URL of the file id into the cache, unless another
// open fetched it meanwhile, when a slot is free.
func (r *urlReadAhead) resolve(id string) {
	defer r.active.Done()
	defer func() {
		r.mu.Lock()
		delete(r.started, id)
		r.mu.Unlock()
	}()
	select {
	case r.slots <- struct{}{}:
		defer func() { <-r.slots }()
	case <-r.ctx.Done():
		return
	}
	_, err := r.urls.get(r.ctx, id, "", func(ctx context.Context) (string, error) { return r.fetch(ctx, id) })
	if err != nil && r.ctx.Err() == nil {
		fs.Debugf(nil, "putio: URL read-ahead of file id %s: %v", id, err)
	}
}

// stop cancels the resolutions in flight and waits for them to end; no
// new ones start.
func (r *urlReadAhead) stop() {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.cancel()
	r.mu.Unlock()
	r.active.Wait()
}

// Shutdown stops the Fs's background work: the URL read-ahead.
func (f *Fs) Shutdown(ctx context.Context) error {
	f.readAhead.stop()
	return nil
}
