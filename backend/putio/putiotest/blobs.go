package putiotest

import (
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
)

// blobStore keeps file bodies on disk so that a multi-GB upload never lives
// in memory. Copies are hard links where the file system allows. The
// bodies go in a directory of their own, removed on close: metadata lives
// in memory, so bodies are worthless once the emulator stops.
type blobStore struct {
	dir string
}

func newBlobStore(parent string) (*blobStore, error) {
	if parent != "" {
		if err := os.MkdirAll(parent, 0o700); err != nil {
			return nil, fmt.Errorf("putiotest: cannot use data directory %q: %w", parent, err)
		}
	}
	sweepStale(parent)
	dir, err := os.MkdirTemp(parent, blobDirPrefix+strconv.Itoa(os.Getpid())+"-")
	if err != nil {
		return nil, fmt.Errorf("putiotest: cannot create a directory for file bodies in %q (set Options.DataDir to a writable place): %w", parent, err)
	}
	return &blobStore{dir: dir}, nil
}

// blobDirPrefix starts the name of each run's body directory, which goes
// on with the owner's process id so later runs can sweep it up.
const blobDirPrefix = "putio-emulator-"

// sweepStale removes body directories left by emulators that were killed
// before they could clean up.
func sweepStale(parent string) {
	if parent == "" {
		parent = os.TempDir()
	}
	dirs, _ := filepath.Glob(filepath.Join(parent, blobDirPrefix+"*-*"))
	for _, dir := range dirs {
		pidText, _, _ := strings.Cut(strings.TrimPrefix(filepath.Base(dir), blobDirPrefix), "-")
		if pid, err := strconv.Atoi(pidText); err == nil && !processAlive(pid) {
			_ = os.RemoveAll(dir)
		}
	}
}

// processAlive reports whether a process exists; where that cannot be
// told, it says yes, so nothing in use is ever removed.
func processAlive(pid int) bool {
	if runtime.GOOS == "windows" {
		return true
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	err = p.Signal(syscall.Signal(0))
	return err == nil || errors.Is(err, syscall.EPERM)
}

// create opens a new, empty body file.
func (b *blobStore) create() (*os.File, error) {
	return os.CreateTemp(b.dir, "blob-*")
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
	defer in.Close()
	path, _, _, err := b.write(in)
	return path, err
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
	return os.RemoveAll(b.dir)
}

type emptyBody struct{}

func (emptyBody) Read([]byte) (int, error)       { return 0, io.EOF }
func (emptyBody) Seek(int64, int) (int64, error) { return 0, nil }
func (emptyBody) Close() error                   { return nil }
