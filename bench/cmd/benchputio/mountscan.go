package main

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
)

// What a scan reads of each file, as ffprobe does: the head for the
// container header, the tail for an index at the end.
const (
	scanHead = 1 << 20
	scanTail = 2 << 20
)

// playRead is the size of each read of the playback phase.
const playRead = 1 << 20

// scanLibrary lists the library through the mount at root, checks that
// every folder and file is there, reads each file's head and tail, and
// returns the bytes it read. Bytes other than the remote file's are a
// wrongData error.
func scanLibrary(root string, lib library) (int64, error) {
	if err := wantNames(filepath.Join(root, libraryDir), lib.folders); err != nil {
		return 0, err
	}
	var read int64
	for _, folder := range lib.folders {
		if err := wantNames(filepath.Join(root, libraryDir, folder), lib.files[folder]); err != nil {
			return read, err
		}
		for _, name := range lib.files[folder] {
			remotePath := path.Join(libraryDir, folder, name)
			n, err := readHeadAndTail(filepath.Join(root, filepath.FromSlash(remotePath)), remotePath, lib.content(remotePath))
			read += n
			if err != nil {
				return read, err
			}
		}
	}
	return read, nil
}

// wantNames lists dir and compares its names with want.
func wantNames(dir string, want []string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if !slices.Equal(got, slices.Sorted(slices.Values(want))) {
		return wrongData{fmt.Sprintf("%s lists %q, want %q", dir, got, want)}
	}
	return nil
}

func readHeadAndTail(local, remotePath string, content stamped) (read int64, err error) {
	f, err := os.Open(local)
	if err != nil {
		return 0, err
	}
	defer closeInto(&err, f)
	info, err := f.Stat()
	if err != nil {
		return 0, err
	}
	if info.Size() != content.size {
		return 0, wrongData{fmt.Sprintf("%s is %d bytes, want %d", remotePath, info.Size(), content.size)}
	}
	for _, at := range []struct{ off, n int64 }{{0, scanHead}, {content.size - scanTail, scanTail}} {
		n, err := readChecked(f, remotePath, content, at.off, at.n)
		read += n
		if err != nil {
			return read, err
		}
	}
	return read, nil
}

// readChecked reads n bytes at off and checks them.
func readChecked(f *os.File, remotePath string, content stamped, off, n int64) (int64, error) {
	buf := make([]byte, n)
	got, err := f.ReadAt(buf, off)
	if err != nil {
		return int64(got), fmt.Errorf("%s: reading %d bytes at %d: %w", remotePath, n, off, err)
	}
	return int64(got), content.check(remotePath, off, buf)
}

// playbackOffsets are where the playback phase reads playRead bytes: four
// reads from the start, then a seek to the middle for four more, then a
// seek to the last four.
func playbackOffsets(size int64) []int64 {
	var out []int64
	middle := size / 2 / playRead * playRead
	for _, start := range []int64{0, middle, size - 4*playRead} {
		for i := range int64(4) {
			out = append(out, start+i*playRead)
		}
	}
	return out
}

// play opens the playback file and makes the playback reads, calling
// first with the bytes read once the first read is in.
func play(root string, lib library, first func(read int64)) (read int64, err error) {
	remotePath := lib.playPath()
	f, err := os.Open(filepath.Join(root, filepath.FromSlash(remotePath)))
	if err != nil {
		return 0, err
	}
	defer closeInto(&err, f)
	content := lib.content(remotePath)
	for i, off := range playbackOffsets(content.size) {
		n, err := readChecked(f, remotePath, content, off, playRead)
		read += n
		if err != nil {
			return read, err
		}
		if i == 0 {
			first(read)
		}
	}
	return read, nil
}
