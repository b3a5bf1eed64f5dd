package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"path"
)

// stamped is the content of seeded files that have no local source: each
// 8-byte word holds the file's seed and the word's index, so a read from
// the wrong file or the wrong offset never passes for a right one.
type stamped struct {
	seed uint64
	size int64
}

// word is the value of the 8-byte word at index i.
func (s stamped) word(i int64) uint64 { return s.seed<<40 ^ uint64(i) }

// fill writes the bytes at off into dst, clipped to the file's size, and
// returns how many it wrote.
func (s stamped) fill(off int64, dst []byte) int {
	if off >= s.size {
		return 0
	}
	dst = dst[:min(int64(len(dst)), s.size-off)]
	var word [8]byte
	for n := 0; n < len(dst); {
		at := off + int64(n)
		binary.LittleEndian.PutUint64(word[:], s.word(at/8))
		n += copy(dst[n:], word[at%8:])
	}
	return len(dst)
}

// reader streams the whole file, for seeding.
func (s stamped) reader() io.Reader { return &stampedReader{s: s} }

type stampedReader struct {
	s   stamped
	off int64
}

func (r *stampedReader) Read(p []byte) (int, error) {
	n := r.s.fill(r.off, p)
	r.off += int64(n)
	if n == 0 && len(p) > 0 {
		return 0, io.EOF
	}
	return n, nil
}

// wrongData is a read through the mount that returned other bytes than the
// remote file holds: the run is WRONG, not failed.
type wrongData struct{ msg string }

func (e wrongData) Error() string { return e.msg }

// check compares got, read at off, with the file's bytes.
func (s stamped) check(name string, off int64, got []byte) error {
	want := make([]byte, len(got))
	if n := s.fill(off, want); n != len(got) {
		return wrongData{fmt.Sprintf("%s: read %d bytes at %d, past its %d bytes", name, len(got), off, s.size)}
	}
	if !bytes.Equal(got, want) {
		i := 0
		for got[i] == want[i] {
			i++
		}
		return wrongData{fmt.Sprintf("%s: byte %d differs from the remote file", name, off+int64(i))}
	}
	return nil
}

// library is the media library the mount scenarios scan: folders of
// equal-sized files under libraryDir, and one more file, never scanned,
// under playDir for playback.
type library struct {
	folders  []string
	files    map[string][]string // folder -> file names, in order
	fileSize int64
	seeds    map[string]uint64 // remote path -> content seed
}

const (
	libraryDir = "library"
	playDir    = "play"
	playName   = "feature.mkv"
)

// newLibrary spreads files over folders as evenly as the counts allow.
func newLibrary(folders, files int, fileMiB int64) library {
	lib := library{files: map[string][]string{}, fileSize: fileMiB << 20, seeds: map[string]uint64{}}
	for i := range folders {
		lib.folders = append(lib.folders, fmt.Sprintf("show-%02d", i+1))
	}
	for i := range files {
		folder := lib.folders[i%folders]
		name := fmt.Sprintf("episode-%03d.mkv", i+1)
		lib.files[folder] = append(lib.files[folder], name)
		lib.seeds[path.Join(libraryDir, folder, name)] = uint64(i + 1)
	}
	lib.seeds[lib.playPath()] = uint64(files + 1)
	return lib
}

func (lib library) playPath() string { return path.Join(playDir, playName) }

// content is the stamped body of the file at remote path p.
func (lib library) content(p string) stamped { return stamped{seed: lib.seeds[p], size: lib.fileSize} }

// seedFiles lists every file of the library for seedFiles.
func (lib library) seedFiles() []seedFile {
	var out []seedFile
	for _, folder := range lib.folders {
		for _, name := range lib.files[folder] {
			p := path.Join(libraryDir, folder, name)
			out = append(out, seedFile{remote: p, content: lib.content(p)})
		}
	}
	p := lib.playPath()
	return append(out, seedFile{remote: p, content: lib.content(p)})
}
