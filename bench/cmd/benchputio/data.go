package main

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// fileSum is what both sides must agree on for a file to count as right.
type fileSum struct {
	Size  int64
	CRC32 string // lowercase hex, as put.io reports it
}

// tree is a set of files by slash-separated relative path.
type tree map[string]fileSum

func (t tree) bytes() int64 {
	var n int64
	for _, f := range t {
		n += f.Size
	}
	return n
}

// diff describes the first few differences between want and got.
func (t tree) diff(got tree) error {
	var problems []string
	for name, w := range t {
		g, ok := got[name]
		switch {
		case !ok:
			problems = append(problems, name+" missing")
		case g != w:
			problems = append(problems, fmt.Sprintf("%s is %d bytes crc %s, want %d bytes crc %s", name, g.Size, g.CRC32, w.Size, w.CRC32))
		}
	}
	for name := range got {
		if _, ok := t[name]; !ok {
			problems = append(problems, name+" unexpected")
		}
	}
	if len(problems) == 0 {
		return nil
	}
	sort.Strings(problems)
	if len(problems) > 3 {
		problems = append(problems[:3], fmt.Sprintf("and %d more", len(problems)-3))
	}
	return fmt.Errorf("remote differs: %s", strings.Join(problems, "; "))
}

// writeRandomFile fills path with size pseudo-random bytes from seed and
// returns their sum. Random bytes keep any layer from shortcutting zeros.
func writeRandomFile(path string, size int64, seed uint64, modTime time.Time) (fileSum, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fileSum{}, err
	}
	f, err := os.Create(path)
	if err != nil {
		return fileSum{}, err
	}
	var seedBytes [32]byte
	binary.LittleEndian.PutUint64(seedBytes[:], seed)
	src := io.LimitReader(rand.NewChaCha8(seedBytes), size)
	sum := crc32.NewIEEE()
	_, err = io.Copy(io.MultiWriter(f, sum), src)
	if closeErr := f.Close(); err == nil {
		err = closeErr
	}
	if err == nil {
		err = os.Chtimes(path, modTime, modTime)
	}
	return fileSum{Size: size, CRC32: fmt.Sprintf("%08x", sum.Sum32())}, err
}

// sumFile reads path back, for checking a download.
func sumFile(path string) (_ fileSum, err error) {
	f, err := os.Open(path)
	if err != nil {
		return fileSum{}, err
	}
	defer closeInto(&err, f)
	sum := crc32.NewIEEE()
	n, err := io.Copy(sum, f)
	return fileSum{Size: n, CRC32: fmt.Sprintf("%08x", sum.Sum32())}, err
}

// dataset is the local source data, made once per benchmark run.
type dataset struct {
	dir      string
	large    tree // one file, large.bin
	small    tree // the nested small-file tree, current contents
	smallOld tree // same names and sizes, older bytes and times
	mem      tree // the --transfers memory set
	resume   tree // one file, resume.bin, for the kill-and-rerun
}

func (d *dataset) path(parts ...string) string {
	return filepath.Join(append([]string{d.dir}, parts...)...)
}

// makeDataset writes every source file under dir.
func makeDataset(dir string, sz sizes) (*dataset, error) {
	d := &dataset{dir: dir}
	now := time.Now().Truncate(time.Second)
	old := now.Add(-365 * 24 * time.Hour)
	var err error
	if d.large, err = writeTree(d.path("large"), []string{"large.bin"}, sz.LargeMiB<<20, 1, now); err != nil {
		return nil, err
	}
	smallNames := nestedNames(sz.SmallFiles)
	if d.small, err = writeTree(d.path("small"), smallNames, sz.SmallKiB<<10, 1000, now); err != nil {
		return nil, err
	}
	if d.smallOld, err = writeTree(d.path("small-old"), smallNames, sz.SmallKiB<<10, 5000, old); err != nil {
		return nil, err
	}
	memNames := make([]string, sz.MemFiles)
	for i := range memNames {
		memNames[i] = fmt.Sprintf("mem-%02d.bin", i)
	}
	if d.mem, err = writeTree(d.path("mem"), memNames, sz.MemMiB<<20, 9000, now); err != nil {
		return nil, err
	}
	if d.resume, err = writeTree(d.path("resume"), []string{"resume.bin"}, sz.ResumeMiB<<20, 2, now); err != nil {
		return nil, err
	}
	return d, nil
}

func writeTree(root string, names []string, size int64, seed uint64, modTime time.Time) (tree, error) {
	t := tree{}
	for i, name := range names {
		sum, err := writeRandomFile(filepath.Join(root, filepath.FromSlash(name)), size, seed+uint64(i), modTime)
		if err != nil {
			return nil, err
		}
		t[name] = sum
	}
	return t, nil
}

// nestedNames spreads n files over a two-level tree of folders, ten files
// to a leaf folder, so uploads also create folders.
func nestedNames(n int) []string {
	names := make([]string, n)
	for i := range names {
		leaf := i / 10
		names[i] = fmt.Sprintf("dir-%02d/sub-%02d/file-%04d.dat", leaf/5, leaf%5, i)
	}
	return names
}
