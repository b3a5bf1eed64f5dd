package putiotest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// File is a snapshot of a put.io item, for tests that inspect state
// without HTTP.
type File struct {
	ID          int64
	ParentID    int64 // -1 for the root folder
	Name        string
	Size        int64 // recursive total for folders
	IsDir       bool
	CRC32       string // 8 lowercase hex digits; "" for folders
	ContentType string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	DeletedAt   time.Time // zero unless in the trash
	Hidden      bool      // is_hidden (Account.SetHidden)
}

func snapshot(n *node) File {
	f := File{ID: n.id, ParentID: -1, Name: n.name, Size: n.totalSize(), IsDir: n.dir, CreatedAt: n.created, UpdatedAt: n.updated, DeletedAt: n.deletedAt, Hidden: n.hidden}
	if n.parent != nil {
		f.ParentID = n.parent.id
	}
	if n.dir {
		f.ContentType = folderContentType
	} else {
		f.CRC32 = crcHex(n.crc)
		_, f.ContentType, _ = fileKind(n.name)
	}
	return f
}

// ErrNotExist is returned (wrapped) for a path that names nothing.
var ErrNotExist = errors.New("putiotest: no such file or folder")

// Account is the state of one token's account, read and seeded from Go.
// Its methods are safe to call while the emulator serves requests.
type Account struct {
	emu      *Emulator
	*account // guarded by emu.mu, which every method reading it takes (userID never changes)
}

// Account returns the account of a token, creating it if it is new (also
// in strict mode, so tests can register tokens this way). A revoked token
// still names its account here, and stays revoked.
func (e *Emulator) Account(token string) *Account {
	return &Account{emu: e, account: e.accountFor(token)}
}

// UserID is the account's user id.
func (acc *Account) UserID() int64 { return acc.userID }

func splitPath(p string) []string {
	var parts []string
	for _, s := range strings.Split(p, "/") {
		if s != "" {
			parts = append(parts, s)
		}
	}
	return parts
}

// resolve finds a live item by slash-separated path ("" is the root);
// with duplicate names the newest wins, as with child?name=.
func (acc *Account) resolve(p string) (*node, error) {
	n := acc.root
	for _, part := range splitPath(p) {
		if !n.dir {
			return nil, fmt.Errorf("%w: %q (%q is a file)", ErrNotExist, p, n.name)
		}
		if n = childNamed(n, part); n == nil {
			return nil, fmt.Errorf("%w: %q", ErrNotExist, p)
		}
	}
	return n, nil
}

// mkdirAll returns the folder at p, creating missing folders.
func (acc *Account) mkdirAll(p string) (*node, error) {
	n := acc.root
	for _, part := range splitPath(p) {
		c := childNamed(n, part)
		if c == nil {
			c = acc.emu.newNode(n, part, true)
		}
		if !c.dir {
			return nil, fmt.Errorf("putiotest: %q is a file, not a folder", part)
		}
		n = c
	}
	return n, nil
}

// Put stores a file at path, creating parent folders; like a tus upload it
// adds a new item even if the name is taken. Names are stored as given,
// so tests can seed names the API would refuse.
func (acc *Account) Put(path string, data []byte, modTime time.Time) (File, error) {
	return acc.PutReader(path, bytes.NewReader(data), modTime)
}

// PutReader is Put streaming the body from r.
func (acc *Account) PutReader(path string, r io.Reader, modTime time.Time) (File, error) {
	parts := splitPath(path)
	if len(parts) == 0 {
		return File{}, errors.New("putiotest: Put needs a file name")
	}
	blob, size, crc, err := acc.emu.blobs.write(r)
	if err != nil {
		return File{}, err
	}
	e := acc.emu
	e.mu.Lock()
	defer e.mu.Unlock()
	dir, err := acc.mkdirAll(strings.Join(parts[:len(parts)-1], "/"))
	if err != nil {
		e.blobs.remove(blob)
		return File{}, err
	}
	n := e.newFile(dir, parts[len(parts)-1], blob, size, crc)
	if !modTime.IsZero() {
		n.updated = modTime.UTC().Truncate(time.Second)
	}
	return snapshot(n), nil
}

// Mkdir creates the folder at path and its parents; existing folders are
// kept.
func (acc *Account) Mkdir(path string) (File, error) {
	acc.emu.mu.Lock()
	defer acc.emu.mu.Unlock()
	n, err := acc.mkdirAll(path)
	if err != nil {
		return File{}, err
	}
	return snapshot(n), nil
}

// Stat describes the item at path.
func (acc *Account) Stat(path string) (File, error) {
	acc.emu.mu.Lock()
	defer acc.emu.mu.Unlock()
	n, err := acc.resolve(path)
	if err != nil {
		return File{}, err
	}
	return snapshot(n), nil
}

// Get describes the item with an id, in the trash or not.
func (acc *Account) Get(id int64) (File, error) {
	acc.emu.mu.Lock()
	defer acc.emu.mu.Unlock()
	if id == 0 {
		return snapshot(acc.root), nil
	}
	n := acc.emu.nodes[id]
	if n == nil || n.acct != acc.account {
		return File{}, fmt.Errorf("%w: id %d", ErrNotExist, id)
	}
	return snapshot(n), nil
}

// ReadFile returns the body of the file at path.
func (acc *Account) ReadFile(path string) ([]byte, error) {
	acc.emu.mu.Lock()
	n, err := acc.resolve(path)
	if err == nil && n.dir {
		err = fmt.Errorf("putiotest: %q is a folder", path)
	}
	var body io.ReadSeekCloser
	if err == nil {
		body, err = acc.emu.blobs.open(n.blob)
	}
	acc.emu.mu.Unlock()
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(body)
	return data, errors.Join(err, body.Close())
}

// List returns the children of the folder at path, in id order.
func (acc *Account) List(path string) ([]File, error) {
	acc.emu.mu.Lock()
	defer acc.emu.mu.Unlock()
	n, err := acc.resolve(path)
	if err != nil {
		return nil, err
	}
	if !n.dir {
		return nil, fmt.Errorf("putiotest: %q is a file, not a folder", path)
	}
	return snapshots(n.children), nil
}

func snapshots(nodes []*node) []File {
	out := make([]File, len(nodes))
	for i, n := range nodes {
		out[i] = snapshot(n)
	}
	return out
}

// Trash returns the top-level items in the trash, oldest deletion first.
func (acc *Account) Trash() []File {
	acc.emu.mu.Lock()
	defer acc.emu.mu.Unlock()
	return snapshots(acc.trash)
}

// Walk returns every live item under path (itself excluded) as
// slash-separated paths relative to it, in depth-first id order.
func (acc *Account) Walk(path string) ([]string, error) {
	acc.emu.mu.Lock()
	defer acc.emu.mu.Unlock()
	top, err := acc.resolve(path)
	if err != nil {
		return nil, err
	}
	var out []string
	walk(top, func(n *node) {
		if n != top {
			out = append(out, relativePath(top, n))
		}
	})
	return out, nil
}

// relativePath is the slash-separated path of n under its ancestor top.
func relativePath(top, n *node) string {
	var names []string
	for x := n; x != top; x = x.parent {
		names = append(names, x.name)
	}
	slices.Reverse(names)
	return strings.Join(names, "/")
}

// Usage is the bytes the account holds (trash included) and its quota.
func (acc *Account) Usage() (used, quota int64) {
	acc.emu.mu.Lock()
	defer acc.emu.mu.Unlock()
	return acc.used, acc.emu.opts.Quota
}

// Uploads is the number of unfinished tus uploads of the account.
func (acc *Account) Uploads() int {
	acc.emu.mu.Lock()
	defer acc.emu.mu.Unlock()
	count := 0
	for _, up := range acc.emu.uploads {
		if up.acct == acc.account {
			count++
		}
	}
	return count
}
