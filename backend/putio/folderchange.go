package putio

// folderChange is what a mutation does to the tree, as the caches of the
// tree (the dir cache, madeDirs, the feed index) see it.
type folderChange struct {
	kind  changeKind
	dirID string // the folder whose names change
	leaf  string // the name added to dirID
	owner *Fs    // whose dir cache holds path
	path  string // a folder moved or gone, relative to owner's root
	gone  string // the id of a folder moved or gone, when its path is not given
	made  *newFolder
}

// newFolder is the folder leaf a create-folder made or found in dirID,
// once the call knows it: its id, and whether this Fs made it (isNew).
type newFolder struct {
	id   string
	ours bool
}

// changeKind says which of the things a mutation can do to a folder a
// folderChange is.
type changeKind int

const (
	// nameAdded: dirID holds leaf now.
	nameAdded changeKind = iota
	// contentsUnknown: dirID gained names this Fs does not track.
	contentsUnknown
	// folderMade: dirID holds the folder leaf, made.id once known.
	folderMade
	// folderGone: the folder at path, or of id gone, is moved or gone,
	// and so is everything below it.
	folderGone
)

// addsName is the change of a call that puts leaf into dirID.
func addsName(dirID, leaf string) folderChange {
	return folderChange{kind: nameAdded, dirID: dirID, leaf: leaf}
}

// addsUntracked is the change of a call that puts names this Fs does not
// track into dirID: server-side copies and moves, transfers, extractions.
func addsUntracked(dirID string) folderChange {
	return folderChange{kind: contentsUnknown, dirID: dirID}
}

// makesFolder is the change of a create-folder of leaf in dirID; made is
// filled in by the call.
func makesFolder(dirID, leaf string, made *newFolder) folderChange {
	return folderChange{kind: folderMade, dirID: dirID, leaf: leaf, made: made}
}

// movesAway is the change of a call that moves or removes the folder at
// path of owner, an Fs of the same account (a DirMove's source may be
// another Fs than the one that moves it).
func movesAway(owner *Fs, path string) folderChange {
	return folderChange{kind: folderGone, owner: owner, path: path}
}

// movesAwayID is movesAway for a folder known by its id, of this Fs.
func movesAwayID(dirID string) folderChange {
	return folderChange{kind: folderGone, gone: dirID}
}

// follow has f's caches follow the change.
func (c folderChange) follow(f *Fs) {
	switch c.kind {
	case nameAdded:
		f.madeDirs.added(c.dirID, c.leaf)
	case contentsUnknown:
		f.madeDirs.forget(c.dirID)
	case folderMade:
		f.madeDirs.added(c.dirID, c.leaf)
		if c.made.id == "" {
			return
		}
		if c.made.ours {
			f.madeDirs.created(c.made.id)
		}
		f.recordDirLocation(c.dirID, c.leaf, c.made.id)
	case folderGone:
		c.forgetPaths(f)
	}
}

// forgetPaths forgets the cached ids at and below the folder gone: one
// of a folder moved or deleted would have a later Mkdir report success
// with no folder there. A folder given by id whose path the dir cache
// does not hold has nothing cached below it either: the cache learns a
// path only through its parent's.
func (c folderChange) forgetPaths(f *Fs) {
	if c.gone == "" {
		c.owner.dirCache.FlushDir(c.path)
	} else if dir, ok := f.dirCache.GetInv(c.gone); ok {
		f.dirCache.FlushDir(dir)
	}
}
