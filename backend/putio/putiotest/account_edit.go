package putiotest

import (
	"errors"
	"fmt"
	"path"
	"strings"
)

// The methods below act on an account as another client would (the web
// app, another device): they change state without HTTP, between or
// during a test's requests, and the feed reports them like the API's own
// changes.

// Move renames the item at from to the path to, whose folder must exist.
// A taken name is refused, as files/move refuses it.
func (acc *Account) Move(from, to string) (File, error) {
	e := acc.emu
	e.mu.Lock()
	defer e.mu.Unlock()
	n, err := acc.resolve(from)
	if err != nil {
		return File{}, err
	}
	if n == acc.root {
		return File{}, errors.New("putiotest: can't move the root folder")
	}
	dir, name := path.Split(strings.Trim(to, "/"))
	parent, err := acc.resolve(dir)
	if err != nil {
		return File{}, err
	}
	if !parent.dir {
		return File{}, fmt.Errorf("putiotest: %q is a file, not a folder", dir)
	}
	if err := e.moveNode(n, parent, name); err != nil {
		return File{}, err
	}
	return snapshot(n), nil
}

// Delete moves the item at path, with its subtree, to the trash.
func (acc *Account) Delete(path string) error {
	acc.emu.mu.Lock()
	defer acc.emu.mu.Unlock()
	n, err := acc.resolve(path)
	if err != nil {
		return err
	}
	return acc.trashNode(n)
}

// DeleteID moves the live item with id, with its subtree, to the trash:
// one of several items of the same name, say.
func (acc *Account) DeleteID(id int64) error {
	acc.emu.mu.Lock()
	defer acc.emu.mu.Unlock()
	n := acc.emu.lookup(acc.account, id)
	if n == nil || n.inTrash() {
		return fmt.Errorf("%w: id %d", ErrNotExist, id)
	}
	return acc.trashNode(n)
}

func (acc *Account) trashNode(n *node) error {
	if n == acc.root {
		return errors.New("putiotest: can't delete the root folder")
	}
	acc.emu.detach(n)
	acc.emu.moveToTrash(n)
	return nil
}

// UploadSession describes an unfinished tus upload of the account.
type UploadSession struct {
	ID     string // the last segment of its URL, /files/{ID}
	Name   string
	Length int64
	Offset int64 // bytes held
}

// UploadSessions lists the account's unfinished tus uploads.
func (acc *Account) UploadSessions() []UploadSession {
	acc.emu.mu.Lock()
	defer acc.emu.mu.Unlock()
	var out []UploadSession
	for _, up := range acc.emu.uploads {
		if up.acct == acc.account {
			out = append(out, UploadSession{ID: up.id, Name: up.name, Length: up.length, Offset: up.offset.Load()})
		}
	}
	return out
}
