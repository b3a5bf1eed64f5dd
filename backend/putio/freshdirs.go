package putio

import (
	"sync"

	"golang.org/x/text/unicode/norm"
)

// freshDirs remembers the folders this Fs created and the names it has
// since added to them. In such a folder a file can only exist under a
// name this Fs put there, so an upload of any other name needs no lookup
// first. Server-side moves and copies into a folder make it no longer
// fresh, as do merges.
type freshDirs struct {
	mu   sync.Mutex
	dirs map[string]map[string]bool // folder id → names added (NFC, as put.io compares)
}

// created records a folder this Fs has just made.
func (d *freshDirs) created(dirID string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.dirs == nil {
		d.dirs = map[string]map[string]bool{}
	}
	d.dirs[dirID] = map[string]bool{}
}

// added records a name this Fs put into dirID.
func (d *freshDirs) added(dirID, leaf string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if names, ok := d.dirs[dirID]; ok {
		names[norm.NFC.String(leaf)] = true
	}
}

// forget stops trusting dirID to hold only what this Fs put there.
func (d *freshDirs) forget(dirID string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.dirs, dirID)
}

// cannotHold reports whether dirID is fresh and leaf is not a name added.
func (d *freshDirs) cannotHold(dirID, leaf string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	names, ok := d.dirs[dirID]
	return ok && !names[norm.NFC.String(leaf)]
}

// reset forgets every folder, after anything that may have added names.
func (d *freshDirs) reset() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.dirs = nil
}
