package putio

import (
	"sync"
	"time"

	"golang.org/x/text/unicode/norm"
)

// trustAbsentFor is how long a lookup that found no file stands in for the
// lookup an upload would make. rclone looks a file up just before it
// uploads it (copyto, moveto, copy --no-traverse); asking again a round
// trip later learns nothing new, since any answer is as old as the upload
// by the time the file lands.
const trustAbsentFor = time.Second

// trustMadeDirFor is how long a folder this Fs created is taken to hold only
// what this Fs put there. Another client may add files to it at any time
// (the web app, a transfer, another rclone); the bound keeps the window in
// which such a file could get a same-named sibling to the minute in which
// a copy or sync fills the folder it has just made.
const trustMadeDirFor = time.Minute

// madeDirs remembers what an upload need not look up. In a folder this
// Fs created moments ago, a file can only exist under a name this Fs put
// there, so an upload of any other name needs no lookup first; nor does
// one of a name NewObject found absent moments ago (each such finding
// serves one upload). Server-side moves and copies into a folder make it
// no longer trusted and drop its names known absent, as do merges.
type madeDirs struct {
	mu          sync.Mutex
	dirs        map[string]*madeDir  // folder id → what this Fs knows of it
	knownAbsent map[nameIn]time.Time // names found absent → when
}

// madeDir is a folder this Fs created: when, and the names it added
// since (NFC, as put.io compares).
type madeDir struct {
	created time.Time
	names   map[string]bool
}

// nameIn is a name (NFC) in a folder.
type nameIn struct{ dirID, leaf string }

func newNameIn(dirID, leaf string) nameIn { return nameIn{dirID, norm.NFC.String(leaf)} }

// noteAbsent records that a lookup found no file leaf in dirID.
func (d *madeDirs) noteAbsent(dirID, leaf string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := time.Now()
	if d.knownAbsent == nil {
		d.knownAbsent = map[nameIn]time.Time{}
	}
	for name, at := range d.knownAbsent { // lookups no upload followed
		if now.Sub(at) > trustAbsentFor {
			delete(d.knownAbsent, name)
		}
	}
	d.knownAbsent[newNameIn(dirID, leaf)] = now
}

// created records a folder this Fs has just made.
func (d *madeDirs) created(dirID string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := time.Now()
	if d.dirs == nil {
		d.dirs = map[string]*madeDir{}
	}
	for id, dir := range d.dirs { // made too long ago to trust
		if now.Sub(dir.created) > trustMadeDirFor {
			delete(d.dirs, id)
		}
	}
	d.dirs[dirID] = &madeDir{created: now, names: map[string]bool{}}
}

// added records a name this Fs put into dirID.
func (d *madeDirs) added(dirID, leaf string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	name := newNameIn(dirID, leaf)
	if dir, ok := d.dirs[dirID]; ok {
		dir.names[name.leaf] = true
	}
	delete(d.knownAbsent, name)
}

// forget stops trusting dirID to hold only what this Fs put there.
func (d *madeDirs) forget(dirID string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.dirs, dirID)
	for name := range d.knownAbsent {
		if name.dirID == dirID {
			delete(d.knownAbsent, name)
		}
	}
}

// cannotHold reports whether dirID was created moments ago and leaf is
// not a name added, or leaf was found absent moments ago; that finding is
// then used up.
func (d *madeDirs) cannotHold(dirID, leaf string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	name := newNameIn(dirID, leaf)
	at, known := d.knownAbsent[name]
	delete(d.knownAbsent, name)
	if known && time.Since(at) <= trustAbsentFor {
		return true
	}
	dir, ok := d.dirs[dirID]
	return ok && time.Since(dir.created) <= trustMadeDirFor && !dir.names[name.leaf]
}

// reset forgets every folder, after anything that may have added names.
func (d *madeDirs) reset() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.dirs, d.knownAbsent = nil, nil
}
