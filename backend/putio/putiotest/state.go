package putiotest

import (
	"encoding/json"
	"sort"
	"time"

	"golang.org/x/text/unicode/norm"
)

// account is one user's world. Everything in it is guarded by Emulator.mu,
// except trashLock, which serialises trash operations as put.io does.
type account struct {
	userID    int64
	username  string
	root      *node
	used      int64   // bytes of all files, trashed ones included
	trash     []*node // top-level trashed items, oldest first
	trashLock chan struct{}
	settings  settings
	events    []event // history, oldest first

	extractions   []*extraction // oldest first
	extractionSeq int64

	config map[string]json.RawMessage // the config store
}

// node is a file or folder. Trashed items keep their parent pointer so a
// restore knows where they came from.
type node struct {
	id       int64
	acct     *account
	parent   *node
	name     string
	key      string // name after NFC, for lookups
	dir      bool
	children []*node // sorted by id
	size     int64
	crc      uint32
	blob     string // path of the body on disk; "" for folders and empty files
	created  time.Time
	updated  time.Time

	trashed   bool // top of a trashed subtree
	deletedAt time.Time
	copyTried bool    // for Options.SpuriousCopyConflict
	sortBy    string  // a folder's files/set-sort-by preference; "" for none
	hidden    bool    // is_hidden; see Account.SetHidden
	mp4       bool    // a converted MP4 is available (seeded; the emulator converts nothing)
	startFrom float64 // playback position in seconds (files/{id}/start-from)
	watched   bool    // files/watch-status

	sharedOut  bool   // shared with friends (is_shared)
	folderType string // "" for REGULAR; SHARED_ROOT, SHARED_FRIEND for the pseudo folders
}

// now is the emulator clock at put.io's one-second precision.
func (e *Emulator) now() time.Time { return e.opts.Now().UTC().Truncate(time.Second) }

// accountFor returns the account of a token, creating it on first use.
func (e *Emulator) accountFor(token string) *account {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.accountLocked(token)
}

func (e *Emulator) accountLocked(token string) *account {
	if g, ok := e.tokens[token]; ok {
		return g.acct
	}
	if a := e.retired[token]; a != nil {
		return a
	}
	return e.grantLocked(token, ScopeFull, nil, "").acct
}

// lookup finds a live (not trashed) item of the account; id 0 is the root.
func (e *Emulator) lookup(a *account, id int64) *node {
	if id == 0 {
		return a.root
	}
	n := e.nodes[id]
	if n == nil || n.acct != a || n.inTrash() {
		return nil
	}
	return n
}

// lookupFolder is lookup for a parent: the id must name a live folder.
func (e *Emulator) lookupFolder(a *account, id int64) (*node, error) {
	n := e.lookup(a, id)
	if n == nil {
		return nil, errNotFound("parent folder " + itoa(id))
	}
	if !n.dir {
		return nil, errBadRequest("NOT_A_FOLDER", "item "+itoa(id)+" is a file, not a folder")
	}
	return n, nil
}

func (n *node) inTrash() bool {
	for x := n; x != nil; x = x.parent {
		if x.trashed {
			return true
		}
	}
	return false
}

func (n *node) parentID() any {
	if n.parent == nil {
		return nil
	}
	return n.parent.id
}

// totalSize is a file's size or a folder's recursive total.
func (n *node) totalSize() int64 {
	if !n.dir {
		return n.size
	}
	var total int64
	for _, c := range n.children {
		total += c.totalSize()
	}
	return total
}

// newNode creates an item under parent and registers its id.
func (e *Emulator) newNode(parent *node, name string, dir bool) *node {
	now := e.now()
	n := &node{id: e.nextID, acct: parent.acct, dir: dir, created: now, updated: now}
	e.setName(n, name)
	e.nextID++
	e.nodes[n.id] = n
	e.attach(parent, n)
	e.changed(n, feedFileCreate)
	return n
}

// newFile creates a file under parent from a stored body (blob, with its
// size and CRC-32) and charges the size to the account; an empty file keeps
// no body on disk. Every way a file appears goes through here: Put, tus,
// the form upload, a transfer, an extraction and a copy.
func (e *Emulator) newFile(parent *node, name, blob string, size int64, crc uint32) *node {
	n := e.newNode(parent, name, false)
	n.blob, n.size, n.crc = blob, size, crc
	if size == 0 {
		e.blobs.remove(blob)
		n.blob = ""
	}
	n.acct.used += size
	return n
}

// attach puts n under parent in id order; the parent's updated_at moves.
func (e *Emulator) attach(parent, n *node) {
	i := sort.Search(len(parent.children), func(i int) bool { return parent.children[i].id >= n.id })
	parent.children = append(parent.children, nil)
	copy(parent.children[i+1:], parent.children[i:])
	parent.children[i] = n
	n.parent = parent
	parent.updated = e.now()
}

// detach takes n out of its parent's children; n.parent is kept.
func (e *Emulator) detach(n *node) {
	p := n.parent
	for i, c := range p.children {
		if c == n {
			p.children = append(p.children[:i], p.children[i+1:]...)
			break
		}
	}
	p.updated = e.now()
}

// setName names n, in NFC when Options.NormalizeNamesNFC says put.io
// stores names so.
func (e *Emulator) setName(n *node, name string) {
	if e.opts.NormalizeNamesNFC {
		name = norm.NFC.String(name)
	}
	n.name, n.key = name, nameKey(name)
}

// nameKey is how put.io compares names: after NFC.
func nameKey(name string) string { return norm.NFC.String(name) }

// childNamed returns the newest child called name, or nil.
func childNamed(parent *node, name string) *node {
	return newestChild(parent, name, func(*node) bool { return true })
}

// newestChild returns the newest child called name that ok accepts, or nil.
func newestChild(parent *node, name string, ok func(*node) bool) *node {
	key := nameKey(name)
	for i := len(parent.children) - 1; i >= 0; i-- {
		if c := parent.children[i]; c.key == key && ok(c) {
			return c
		}
	}
	return nil
}

// folderNamed returns the newest folder child with the name, if any.
func folderNamed(parent *node, name string) *node {
	key := nameKey(name)
	for i := len(parent.children) - 1; i >= 0; i-- {
		if c := parent.children[i]; c.dir && c.key == key {
			return c
		}
	}
	return nil
}

// checkFree fails with NAME_ALREADY_EXIST if a sibling other than except
// has the name.
func checkFree(parent *node, name string, except *node) error {
	key := nameKey(name)
	for _, c := range parent.children {
		if c != except && c.key == key {
			return errBadRequest("NAME_ALREADY_EXIST", "Name already exist: "+name)
		}
	}
	return nil
}

// isAncestor reports whether a is n or one of n's ancestors.
func isAncestor(a, n *node) bool {
	for x := n; x != nil; x = x.parent {
		if x == a {
			return true
		}
	}
	return false
}

// walk calls fn on n and everything under it.
func walk(n *node, fn func(*node)) {
	fn(n)
	for _, c := range n.children {
		walk(c, fn)
	}
}

// purge deletes n and its subtree for good, freeing ids and disk.
func (e *Emulator) purge(n *node) {
	walk(n, func(x *node) {
		delete(e.nodes, x.id)
		if !x.dir {
			x.acct.used -= x.size
			e.blobs.remove(x.blob)
		}
		e.forgetShares(x.id)
		e.forgetFriendShares(x.id)
	})
}

// avail is the free space of an account.
func (a *account) avail(quota int64) int64 { return max(quota-a.used, 0) }

func errQuota(need, avail int64) error {
	return &apiError{413, "QUOTA_EXCEEDED", "not enough disk space: need " + itoa(need) + " bytes, " + itoa(avail) + " available; delete files or empty the trash"}
}

// copyTree duplicates src (with its subtree) under parent as name.
func (e *Emulator) copyTree(src, parent *node, name string) (*node, error) {
	need := src.totalSize()
	if avail := src.acct.avail(e.opts.Quota); need > avail {
		return nil, errQuota(need, avail)
	}
	return e.copyNode(src, parent, name)
}

func (e *Emulator) copyNode(src, parent *node, name string) (*node, error) {
	if !src.dir {
		blob, err := e.blobs.link(src.blob)
		if err != nil {
			return nil, err
		}
		return e.newFile(parent, name, blob, src.size, src.crc), nil
	}
	n := e.newNode(parent, name, true)
	for _, c := range append([]*node(nil), src.children...) {
		cc, err := e.copyNode(c, n, c.name)
		if err != nil {
			return nil, err
		}
		cc.updated = c.updated
	}
	return n, nil
}
