package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// chunkSize is small so that big files take several tus PATCHes;
// chunkSizeFlag says the same to rclone, whose bare numbers mean KiB.
const (
	chunkSize     = 1 << 20
	chunkSizeFlag = "1Mi"
)

// randomBytes returns n reproducible pseudo-random bytes.
func randomBytes(n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, seed))
	data := make([]byte, n)
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	return data
}

// sampleTree has nested folders, an empty file and folder, a file spanning
// several chunks and names that need care.
func sampleTree() map[string][]byte {
	return map[string][]byte{
		"top.txt":                      []byte("top level\n"),
		"empty.txt":                    {},
		"a/b/c/deep.txt":               []byte("three levels down\n"),
		"a/sibling.bin":                randomBytes(4096, 1),
		"big/multi-chunk.bin":          randomBytes(2*chunkSize+12345, 2),
		"odd/sp ace.txt":               []byte("space"),
		"odd/ünïcødé ☃.txt":            []byte("unicode"),
		"odd/percent%46%2F.txt":        []byte("percent"),
		"odd/back\\slash.txt":          []byte("backslash"),
		"odd/question?star*colon:.txt": []byte("punctuation"),
		"odd/ leading and trailing ":   []byte("spaces at the ends"),
		"odd/.hidden":                  []byte("dot file"),
		"emptydir/":                    nil,
	}
}

func crc32Hex(data []byte) string {
	return fmt.Sprintf("%08x", crc32.ChecksumIEEE(data))
}

// localTree writes files into a fresh temp dir and returns it.
func localTree(t *testing.T, files map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	writeTree(t, dir, files)
	return dir
}

// downloadTree copies p from the remote into a fresh temp dir and returns
// its files.
func downloadTree(t *testing.T, r *remote, p string) map[string][]byte {
	t.Helper()
	dir := t.TempDir()
	r.rclone(t, "copy", path(p), dir)
	return readTree(t, dir)
}

// uploadTree writes files to a local temp dir, copies it to p on the remote
// and returns the local dir.
func uploadTree(t *testing.T, r *remote, p string, files map[string][]byte) string {
	t.Helper()
	local := localTree(t, files)
	r.rclone(t, "copy", "--create-empty-src-dirs", "--putio-chunk-size", chunkSizeFlag, local, path(p))
	return local
}

func TestCopyTreeKeepsBytesHashesAndModTimes(t *testing.T) {
	t.Parallel()
	emu := startEmulator(t)
	r := newRemote(t, emu)
	files := sampleTree()
	local := localTree(t, files)
	modTime := time.Date(2024, 2, 29, 12, 34, 56, 789_000_000, time.UTC)
	for name := range files {
		if !strings.HasSuffix(name, "/") {
			if err := os.Chtimes(filepath.Join(local, filepath.FromSlash(name)), modTime, modTime); err != nil {
				t.Fatal(err)
			}
		}
	}
	copyArgs := []string{"copy", "--create-empty-src-dirs", "--putio-chunk-size", chunkSizeFlag, local, path("tree")}
	r.rclone(t, copyArgs...)

	// A second run finds everything in place: no upload starts.
	uploads := emu.calls(t, "POST /files/")
	r.rclone(t, copyArgs...)
	if got := emu.calls(t, "POST /files/") - uploads; got != 0 {
		t.Errorf("rerunning the copy started %d uploads, want none", got)
	}

	listed := r.lsjson(t, path("tree"))
	for name, data := range files {
		entry, ok := listed[strings.TrimSuffix(name, "/")]
		switch {
		case !ok:
			t.Errorf("%q missing from the listing", name)
		case strings.HasSuffix(name, "/"):
			if !entry.IsDir {
				t.Errorf("%q listed as a file", name)
			}
		case entry.Size != int64(len(data)):
			t.Errorf("%q: size %d, want %d", name, entry.Size, len(data))
		case entry.Hashes["crc32"] != crc32Hex(data):
			t.Errorf("%q: crc32 %q, want %q", name, entry.Hashes["crc32"], crc32Hex(data))
		case !entry.ModTime.Equal(modTime.Truncate(time.Second)):
			t.Errorf("%q: modtime %v, want %v", name, entry.ModTime, modTime.Truncate(time.Second))
		}
	}

	assertSameFiles(t, downloadTree(t, r, "tree"), readTree(t, local))
	r.rclone(t, "check", "--download", local, path("tree"))
}

func TestCopySendsMultiChunkFileInSeveralPatches(t *testing.T) {
	t.Parallel()
	emu := startEmulator(t)
	r := newRemote(t, emu)
	data := randomBytes(3*chunkSize+1, 3)
	uploadTree(t, r, "", map[string][]byte{"f.bin": data})
	if got := emu.calls(t, "PATCH /files/{upload}"); got != 4 {
		t.Errorf("PATCH requests: %d, want 4 for %d bytes in %d-byte chunks", got, len(data), chunkSize)
	}
	if got := r.rclone(t, "cat", path("f.bin")); got != string(data) {
		t.Errorf("read back %d bytes that differ from the %d uploaded", len(got), len(data))
	}
	// Several Range requests at once put it back together.
	downloads := emu.calls(t, "GET /download/{id}")
	back := t.TempDir()
	r.rclone(t, "copy", "--multi-thread-cutoff", "1Mi", "--multi-thread-chunk-size", "1Mi", "--multi-thread-streams", "4", path("f.bin"), back)
	assertSameFiles(t, readTree(t, back), map[string][]byte{"f.bin": data})
	if got := emu.calls(t, "GET /download/{id}") - downloads; got < 2 {
		t.Errorf("multi-thread copy made %d download requests, want several", got)
	}
}

func TestHardDeleteSkipsTrash(t *testing.T) {
	t.Parallel()
	r := newRemote(t, startEmulator(t))
	uploadTree(t, r, "", map[string][]byte{"gone.txt": []byte("x"), "binned.txt": []byte("y")})
	r.rclone(t, "deletefile", "--putio-hard-delete", path("gone.txt"))
	r.rclone(t, "deletefile", path("binned.txt"))
	if got := r.trashNames(t); !slices.Equal(got, []string{"binned.txt"}) {
		t.Errorf("trash holds %q, want only the file deleted without --putio-hard-delete", got)
	}
	if got := r.rclone(t, "lsf", path("")); got != "" {
		t.Errorf("files left: %q", got)
	}
}

func assertSameFiles(t *testing.T, got, want map[string][]byte) {
	t.Helper()
	for name, data := range want {
		if g, ok := got[name]; !ok {
			t.Errorf("%q missing", name)
		} else if !bytes.Equal(g, data) {
			t.Errorf("%q: %d bytes that differ from the %d expected", name, len(g), len(data))
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("unexpected file %q", name)
		}
	}
}

func TestListingCommands(t *testing.T) {
	t.Parallel()
	r := newRemote(t, startEmulator(t))
	uploadTree(t, r, "", map[string][]byte{
		"docs/a.txt":     []byte("12345"),
		"docs/sub/b.txt": []byte("1234567"),
		"music/c.mp3":    []byte("123"),
		"root-file.txt":  []byte("1"),
		"empty-folder/":  nil,
	})

	lsd := r.rclone(t, "lsd", path(""))
	for _, dir := range []string{"docs", "music", "empty-folder"} {
		if !strings.Contains(lsd, " "+dir+"\n") {
			t.Errorf("lsd lacks %q:\n%s", dir, lsd)
		}
	}
	if strings.Contains(lsd, "root-file.txt") {
		t.Errorf("lsd lists a file:\n%s", lsd)
	}

	ls := r.rclone(t, "ls", path("docs"))
	wantLs := []string{"        5 a.txt", "        7 sub/b.txt"}
	if got := sortedLines(ls); !slices.Equal(got, wantLs) {
		t.Errorf("ls docs:\n%q\nwant\n%q", got, wantLs)
	}

	var size struct{ Count, Bytes int64 }
	if err := json.Unmarshal([]byte(r.rclone(t, "size", "--json", path(""))), &size); err != nil {
		t.Fatal(err)
	}
	if size.Count != 4 || size.Bytes != 16 {
		t.Errorf("size: %d files, %d bytes; want 4 files, 16 bytes", size.Count, size.Bytes)
	}

	entry := r.lsjson(t, path("docs"))["sub/b.txt"]
	if entry.Name != "b.txt" || entry.ID == "" || entry.IsDir {
		t.Errorf("lsjson entry for sub/b.txt: %+v", entry)
	}
}

func sortedLines(s string) []string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	slices.Sort(lines)
	return lines
}

func TestSyncDeletesExtraFilesToTrash(t *testing.T) {
	t.Parallel()
	r := newRemote(t, startEmulator(t))
	local := uploadTree(t, r, "s", map[string][]byte{
		"keep.txt":      []byte("keep"),
		"gone.txt":      []byte("remove me"),
		"dir/gone2.txt": []byte("remove me too"),
		"dir/keep2.txt": []byte("keep too"),
	})
	mustRemove(t, filepath.Join(local, "gone.txt"))
	mustRemove(t, filepath.Join(local, "dir", "gone2.txt"))
	writeTree(t, local, map[string][]byte{"new.txt": []byte("new")})

	r.rclone(t, "sync", local, path("s"))

	assertSameFiles(t, downloadTree(t, r, "s"), readTree(t, local))
	if got, want := r.trashNames(t), []string{"gone.txt", "gone2.txt"}; !slices.Equal(got, want) {
		t.Errorf("trash holds %q, want %q", got, want)
	}
}

func mustRemove(t *testing.T, name string) {
	t.Helper()
	if err := os.Remove(name); err != nil {
		t.Fatal(err)
	}
}

func TestCheckDownloadSpotsDifferentContent(t *testing.T) {
	t.Parallel()
	r := newRemote(t, startEmulator(t))
	local := uploadTree(t, r, "c", map[string][]byte{"f.txt": []byte("original")})
	r.rclone(t, "check", "--download", local, path("c"))

	// Same size and, deliberately, the same mod time: only the bytes differ.
	name := filepath.Join(local, "f.txt")
	info, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	writeTree(t, local, map[string][]byte{"f.txt": []byte("ORIGINAL")})
	if err := os.Chtimes(name, info.ModTime(), info.ModTime()); err != nil {
		t.Fatal(err)
	}
	res := r.run(t, "check", "--download", local, path("c"))
	if res.code == 0 || !strings.Contains(res.stderr, "1 differences found") {
		t.Errorf("check --download did not report the difference:\n%s", res)
	}
}

func TestCopytoReplacesExistingFile(t *testing.T) {
	t.Parallel()
	r := newRemote(t, startEmulator(t))
	local := localTree(t, map[string][]byte{"v1.txt": []byte("version one"), "v2.txt": []byte("version two, longer")})
	r.rclone(t, "copyto", filepath.Join(local, "v1.txt"), path("dir/f.txt"))
	r.rclone(t, "copyto", filepath.Join(local, "v2.txt"), path("dir/f.txt"))

	if got := r.rclone(t, "cat", path("dir/f.txt")); got != "version two, longer" {
		t.Errorf("cat after copyto over existing file: %q", got)
	}
	if got := sortedLines(r.rclone(t, "lsf", path("dir"))); !slices.Equal(got, []string{"f.txt"}) {
		t.Errorf("folder holds %q, want exactly one f.txt", got)
	}
	if got := r.trashNames(t); !slices.Equal(got, []string{"f.txt"}) {
		t.Errorf("trash holds %q, want the replaced version of f.txt", got)
	}
}

func TestMovetoAndMoveBetweenFolders(t *testing.T) {
	t.Parallel()
	r := newRemote(t, startEmulator(t))
	uploadTree(t, r, "", map[string][]byte{
		"from/one.txt":     []byte("one"),
		"from/two.txt":     []byte("two"),
		"from/sub/три.txt": []byte("three"),
		"solo.txt":         []byte("solo"),
	})

	r.rclone(t, "moveto", path("solo.txt"), path("elsewhere/renamed.txt"))
	r.rclone(t, "move", path("from"), path("to"))

	got := r.lsjson(t, path(""))
	want := map[string]int64{"elsewhere/renamed.txt": 4, "to/one.txt": 3, "to/two.txt": 3, "to/sub/три.txt": 5}
	for name, size := range want {
		if got[name].Size != size || got[name].IsDir {
			t.Errorf("%q: got %+v, want a %d-byte file", name, got[name], size)
		}
	}
	for name, entry := range got {
		if _, ok := want[name]; !ok && !entry.IsDir {
			t.Errorf("file %q left behind", name)
		}
	}
	if got := r.rclone(t, "cat", path("to/sub/три.txt")); got != "three" {
		t.Errorf("moved file reads %q", got)
	}
}

func TestCatOffsetCount(t *testing.T) {
	t.Parallel()
	r := newRemote(t, startEmulator(t))
	data := randomBytes(10000, 4)
	uploadTree(t, r, "", map[string][]byte{"f.bin": data})
	got := r.rclone(t, "cat", "--offset", "1234", "--count", "567", path("f.bin"))
	if got != string(data[1234:1234+567]) {
		t.Errorf("cat --offset 1234 --count 567 gave %d bytes that differ from the source range", len(got))
	}
}

func TestMkdirRmdirPurge(t *testing.T) {
	t.Parallel()
	r := newRemote(t, startEmulator(t))
	r.rclone(t, "mkdir", path("made/inner"))
	if got := r.rclone(t, "lsf", "-R", path("")); got != "made/\nmade/inner/\n" {
		t.Errorf("after mkdir: %q", got)
	}
	r.rclone(t, "rmdir", path("made/inner"))
	if got := r.rclone(t, "lsf", "-R", path("")); got != "made/\n" {
		t.Errorf("after rmdir: %q", got)
	}

	uploadTree(t, r, "p", map[string][]byte{"x.txt": []byte("x"), "y/z.txt": []byte("z")})
	if res := r.run(t, "rmdir", path("p")); res.code == 0 {
		t.Errorf("rmdir of a non-empty folder succeeded:\n%s", res)
	}
	r.rclone(t, "purge", path("p"))
	if got := r.rclone(t, "lsf", path("")); got != "made/\n" {
		t.Errorf("after purge: %q", got)
	}
}

func TestLinkAndUnlink(t *testing.T) {
	t.Parallel()
	r := newRemote(t, startEmulator(t))
	uploadTree(t, r, "", map[string][]byte{"shared.txt": []byte("for everyone")})

	link := strings.TrimSpace(r.rclone(t, "link", path("shared.txt")))
	shares := r.publicShares(t)
	if len(shares) != 1 {
		t.Fatalf("public shares after link: %v, want one", shares)
	}
	share := shares[0]
	if !strings.HasPrefix(link, "http") || !strings.HasSuffix(link, "/"+share.Token) {
		t.Errorf("link printed %q, want a URL ending in the share token %q", link, share.Token)
	}
	if share.UserFile.Name != "shared.txt" {
		t.Errorf("the share is of %q, want shared.txt", share.UserFile.Name)
	}
	if again := strings.TrimSpace(r.rclone(t, "link", path("shared.txt"))); again != link || len(r.publicShares(t)) != 1 {
		t.Errorf("second link gave %q and %d shares, want the same link and share", again, len(r.publicShares(t)))
	}

	r.rclone(t, "link", "--unlink", path("shared.txt"))
	if got := r.publicShares(t); len(got) != 0 {
		t.Errorf("public shares after link --unlink: %v", got)
	}
}

// publicShare is the part of put.io's share JSON the tests look at.
type publicShare struct {
	Token    string
	UserFile struct{ Name string } `json:"user_file"`
}

// publicShares lists the account's public shares through the API.
func (r *remote) publicShares(t *testing.T) []publicShare {
	t.Helper()
	var reply struct {
		Shares []publicShare `json:"public_shares"`
	}
	r.apiDecode(t, http.MethodGet, "/v2/public_share/list", nil, &reply)
	return reply.Shares
}

func TestDedupeKeepsNewest(t *testing.T) {
	t.Parallel()
	r := newRemote(t, startEmulator(t))
	r.tusUpload(t, "dup.txt", []byte("old"), time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC))
	r.tusUpload(t, "dup.txt", []byte("newest"), time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC))
	r.tusUpload(t, "dup.txt", []byte("middle"), time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC))
	if got := r.rclone(t, "lsf", path("")); got != "dup.txt\ndup.txt\ndup.txt\n" {
		t.Fatalf("before dedupe: %q", got)
	}
	r.rclone(t, "dedupe", "--dedupe-mode", "newest", path(""))
	if got := r.rclone(t, "lsf", path("")); got != "dup.txt\n" {
		t.Errorf("after dedupe: %q", got)
	}
	if got := r.rclone(t, "cat", path("dup.txt")); got != "newest" {
		t.Errorf("dedupe kept %q, want the newest", got)
	}
}

func TestRcatSpoolsInputOfUnknownSize(t *testing.T) {
	t.Parallel()
	r := newRemote(t, startEmulator(t))
	data := randomBytes(300_000, 8)
	// Above the cutoff, rclone spools to disk since put.io needs the size.
	res := r.runWithInput(t, bytes.NewReader(data), "rcat", "--streaming-upload-cutoff", "100Ki", path("piped.bin"))
	if res.code != 0 {
		t.Fatalf("%s", res)
	}
	if got := r.lsjson(t, path(""))["piped.bin"]; got.Size != int64(len(data)) || got.Hashes["crc32"] != crc32Hex(data) {
		t.Errorf("piped.bin: size %d crc32 %q, want %d and %q", got.Size, got.Hashes["crc32"], len(data), crc32Hex(data))
	}
}
