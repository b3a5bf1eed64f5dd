package putiotest

import (
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// blobStore keeps file bodies on disk so that a multi-GB upload never lives
// in memory. Copies are hard links where the file system allows. The
// bodies go in a directory of their own, removed on close: metadata lives
// in memory, so bodies are worthless once the emulator stops. The
// directory holds a lock for its whole life, so a later emulator can tell
// and sweep up the directory of one that was killed.
type blobStore struct {
	dir  string
	lock io.Closer
}

// Body directories are created as newDirPrefix* and renamed to
// runDirPrefix* once locked, so a sweep never sees an unlocked live one.
const (
	newDirPrefix = "putio-emulator-new-"
	runDirPrefix = "putio-emulator-run-"
	lockName     = ".in-use"
)

func newBlobStore(parent string) (*blobStore, error) {
	if parent == "" {
		parent = os.TempDir()
	}
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return nil, fmt.Errorf("putiotest: cannot use data directory %q: %w", parent, err)
	}
	sweepStale(parent)
	tempDir, err := os.MkdirTemp(parent, newDirPrefix)
	if err != nil {
		return nil, fmt.Errorf("putiotest: cannot create a directory for file bodies in %q (set Options.DataDir to a writable place): %w", parent, err)
	}
	lock, err := lockNewDir(tempDir)
	if err != nil {
		// No locks on this file system: the directory stays unswept.
		return &blobStore{dir: tempDir, lock: io.NopCloser(nil)}, nil
	}
	dir := filepath.Join(parent, runDirPrefix+strings.TrimPrefix(filepath.Base(tempDir), newDirPrefix))
	if err := os.Rename(tempDir, dir); err != nil {
		return &blobStore{dir: tempDir, lock: lock}, nil
	}
	return &blobStore{dir: dir, lock: lock}, nil
}

// sweepStale removes body directories whose emulator died without
// cleaning up: nobody holds their lock any more. One without a lock file
// is being removed by its owner (or, rarely, was cut short by a kill
// mid-removal) and is left alone.
func sweepStale(parent string) {
	dirs, _ := filepath.Glob(filepath.Join(parent, runDirPrefix+"*"))
	for _, dir := range dirs {
		if lock, err := lockStaleDir(dir); err == nil {
			_ = os.RemoveAll(dir)
			_ = lock.Close()
		}
	}
}

// create opens a new, empty body file.
func (b *blobStore) create() (*os.File, error) {
	return os.CreateTemp(b.dir, "blob-*")
}

// createEmpty makes a new, empty body file and returns its path.
func (b *blobStore) createEmpty() (string, error) {
	f, err := b.create()
	if err != nil {
		return "", err
	}
	if err := f.Close(); err != nil {
		_ = os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// write stores r as a new body and returns its path, size and CRC-32.
func (b *blobStore) write(r io.Reader) (path string, size int64, crc uint32, err error) {
	f, err := b.create()
	if err != nil {
		return "", 0, 0, err
	}
	h := crc32.NewIEEE()
	size, err = io.Copy(io.MultiWriter(f, h), r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(f.Name())
		return "", 0, 0, err
	}
	return f.Name(), size, h.Sum32(), nil
}

// link gives a copy of a body its own path.
func (b *blobStore) link(src string) (string, error) {
	if src == "" {
		return "", nil
	}
	dst := filepath.Join(b.dir, "blob-"+randomHex(12))
	if err := os.Link(src, dst); err == nil {
		return dst, nil
	}
	in, err := os.Open(src)
	if err != nil {
		return "", err
	}
	defer closeRead(in, "the body a copy is made from")
	path, _, _, err := b.write(in)
	return path, err
}

// closeRead closes what the emulator only read from, a body on disk or a
// fetched URL. Nothing can be lost then, so no request fails of it; a
// failure is reported on stderr, as the test's output or the server's log.
func closeRead(c io.Closer, what string) {
	if err := c.Close(); err != nil {
		fmt.Fprintf(os.Stderr, "putiotest: closing %s: %v\n", what, err)
	}
}

// open returns a reader of a body; an empty path is an empty body.
func (b *blobStore) open(path string) (io.ReadSeekCloser, error) {
	if path == "" {
		return emptyBody{}, nil
	}
	return os.Open(path)
}

func (b *blobStore) remove(path string) {
	if path != "" {
		_ = os.Remove(path)
	}
}

func (b *blobStore) close() error {
	err := os.RemoveAll(b.dir)
	_ = b.lock.Close()
	return err
}

type emptyBody struct{}

func (emptyBody) Read([]byte) (int, error)       { return 0, io.EOF }
func (emptyBody) Seek(int64, int) (int64, error) { return 0, nil }
func (emptyBody) Close() error                   { return nil }
