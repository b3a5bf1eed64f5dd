package putio

import (
	"bytes"
	"fmt"
	"hash/crc32"
	"maps"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
)

// simFile is a file as the user was told it is: its bytes and
// modification time, and the put.io id it had when last seen.
type simFile struct {
	data    []byte
	modTime time.Time
	id      int64
}

func (f simFile) crc() string { return fmt.Sprintf("%08x", crc32.ChecksumIEEE(f.data)) }

// contentKey names a file's content in the trash: put.io keeps a trashed
// file's CRC-32 and size, not its path.
func contentKey(crc string, size int64) string { return crc + ":" + fmt.Sprint(size) }

// simModel is what the user and the other client were told the account
// holds. Paths are slash-separated, without the root.
type simModel struct {
	files map[string]simFile
	dirs  map[string]bool
	// deleted holds the content keys of files someone deleted or
	// replaced, and deletedDirs the names of folders someone deleted:
	// only these may be in the trash.
	deleted     map[string]bool
	deletedDirs map[string]bool
}

func newSimModel() *simModel {
	return &simModel{files: map[string]simFile{}, dirs: map[string]bool{}, deleted: map[string]bool{}, deletedDirs: map[string]bool{}}
}

func (m *simModel) clone() *simModel {
	return &simModel{files: maps.Clone(m.files), dirs: maps.Clone(m.dirs), deleted: maps.Clone(m.deleted), deletedDirs: maps.Clone(m.deletedDirs)}
}

// parentDir is the folder of p, "" for the root.
func parentDir(p string) string {
	if dir := path.Dir(p); dir != "." {
		return dir
	}
	return ""
}

// mkdirAll adds dir and its parents.
func (m *simModel) mkdirAll(dir string) {
	for dir != "" {
		m.dirs[dir] = true
		dir = parentDir(dir)
	}
}

// write puts a file at p, its folders made as needed; the version it
// replaces goes to the trash unless hardDelete.
func (m *simModel) write(p string, file simFile, hardDelete bool) {
	if old, ok := m.files[p]; ok {
		m.trashFile(old, hardDelete)
	}
	m.mkdirAll(parentDir(p))
	m.files[p] = file
}

func (m *simModel) trashFile(f simFile, hardDelete bool) {
	if !hardDelete {
		m.deleted[contentKey(f.crc(), int64(len(f.data)))] = true
	}
}

// remove deletes the file or folder at p with everything below it.
func (m *simModel) remove(p string, hardDelete bool) {
	if f, ok := m.files[p]; ok {
		delete(m.files, p)
		m.trashFile(f, hardDelete)
		return
	}
	if !hardDelete {
		m.deletedDirs[path.Base(p)] = true
	}
	for _, q := range m.below(p) {
		delete(m.files, q)
		delete(m.dirs, q)
	}
	delete(m.dirs, p)
}

// withFoldersFrom is m with those folders of after that the state has.
func (m *simModel) withFoldersFrom(after *simModel, s *simState) *simModel {
	out := m.clone()
	for dir := range after.dirs {
		if s.dirs[dir] {
			out.dirs[dir] = true
		}
	}
	return out
}

// below lists the files and folders under dir.
func (m *simModel) below(dir string) []string {
	var out []string
	for p := range m.files {
		if strings.HasPrefix(p, dir+"/") {
			out = append(out, p)
		}
	}
	for p := range m.dirs {
		if strings.HasPrefix(p, dir+"/") {
			out = append(out, p)
		}
	}
	return out
}

// rename moves the item at from, with everything below it, to to.
func (m *simModel) rename(from, to string) {
	if f, ok := m.files[from]; ok {
		delete(m.files, from)
		m.mkdirAll(parentDir(to))
		m.files[to] = f
		return
	}
	for _, p := range m.below(from) {
		q := to + strings.TrimPrefix(p, from)
		if f, ok := m.files[p]; ok {
			delete(m.files, p)
			m.files[q] = f
		} else {
			delete(m.dirs, p)
			m.dirs[q] = true
		}
	}
	delete(m.dirs, from)
	m.mkdirAll(to)
}

// children are the names directly in dir ("" is the root).
func (m *simModel) children(dir string) []string {
	var out []string
	for _, set := range []map[string]bool{m.dirs, keysOf(m.files)} {
		for p := range set {
			if parentDir(p) == dir {
				out = append(out, path.Base(p))
			}
		}
	}
	slices.Sort(out)
	return out
}

func keysOf[V any](m map[string]V) map[string]bool {
	out := make(map[string]bool, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}

// simState is the account as the emulator holds it.
type simState struct {
	files      map[string]putiotest.File
	dirs       map[string]bool
	duplicates map[string][]putiotest.File // the items beside the first of a name
	trash      []putiotest.File
}

// readState walks the account from the root.
func readState(acct *putiotest.Account) (*simState, error) {
	s, err := walkState(acct.List)
	if s != nil {
		s.trash = acct.Trash()
	}
	return s, err
}

// walkState walks a tree from its top ("") through list, which gives the
// items of a folder; the trash is left empty.
func walkState(list func(dir string) ([]putiotest.File, error)) (*simState, error) {
	s := &simState{files: map[string]putiotest.File{}, dirs: map[string]bool{}, duplicates: map[string][]putiotest.File{}}
	var walk func(dir string) error
	walk = func(dir string) error {
		items, err := list(dir)
		if err != nil {
			return err
		}
		for _, item := range items {
			p := path.Join(dir, item.Name)
			if _, seen := s.files[p]; seen || s.dirs[p] {
				s.duplicates[p] = append(s.duplicates[p], item)
				continue
			}
			if item.IsDir {
				s.dirs[p] = true
				if err := walk(p); err != nil {
					return err
				}
				continue
			}
			s.files[p] = item
		}
		return nil
	}
	return s, walk("")
}

// differences lists how the state departs from the model; none means
// they agree. Bytes are compared through the CRC-32 and size put.io
// computed over what it stored.
func (m *simModel) differences(s *simState) []string {
	var out []string
	for p := range s.duplicates {
		out = append(out, "two items named "+p)
	}
	for p := range m.dirs {
		if !s.dirs[p] {
			out = append(out, "folder missing: "+p)
		}
	}
	for p := range s.dirs {
		if !m.dirs[p] {
			out = append(out, "unexpected folder: "+p)
		}
	}
	for p, want := range m.files {
		got, ok := s.files[p]
		switch {
		case !ok:
			out = append(out, "file missing: "+p)
		case got.CRC32 != want.crc() || got.Size != int64(len(want.data)):
			out = append(out, fmt.Sprintf("wrong bytes at %s: crc %s size %d, want crc %s size %d", p, got.CRC32, got.Size, want.crc(), len(want.data)))
		case !got.UpdatedAt.Equal(want.modTime):
			out = append(out, fmt.Sprintf("wrong modification time at %s: %v, want %v", p, got.UpdatedAt, want.modTime))
		}
	}
	for p := range s.files {
		if _, ok := m.files[p]; !ok {
			out = append(out, "unexpected file: "+p)
		}
	}
	for _, item := range s.trash {
		switch {
		case item.IsDir && !m.deletedDirs[item.Name]:
			out = append(out, "folder in the trash that no one deleted: "+item.Name)
		case !item.IsDir && !m.deleted[contentKey(item.CRC32, item.Size)]:
			out = append(out, fmt.Sprintf("file in the trash that no one deleted: %s (crc %s)", item.Name, item.CRC32))
		}
	}
	return out
}

// adopt takes the ids the account gave the model's files.
func (m *simModel) adopt(s *simState) {
	for p, f := range m.files {
		if got, ok := s.files[p]; ok {
			f.id = got.ID
			m.files[p] = f
		}
	}
}

// written lists the files whose bytes or time after sets anew.
func (m *simModel) written(after *simModel) []string {
	var out []string
	for p, f := range after.files {
		if old, ok := m.files[p]; !ok || !bytes.Equal(old.data, f.data) || !old.modTime.Equal(f.modTime) || old.id != f.id {
			out = append(out, p)
		}
	}
	return out
}

// pathOfID is where the file with id is in the model, if anywhere.
func (m *simModel) pathOfID(id int64) (string, bool) {
	for p, f := range m.files {
		if f.id == id {
			return p, true
		}
	}
	return "", false
}
