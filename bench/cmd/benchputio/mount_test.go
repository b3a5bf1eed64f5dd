package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rclone-putio/rclone-putio/internal/emuproc"
)

func TestStampedContentTellsFilesAndOffsetsApart(t *testing.T) {
	s := stamped{seed: 3, size: 100}
	whole, err := io.ReadAll(s.reader())
	if err != nil || len(whole) != 100 {
		t.Fatalf("reader gave %d bytes (%v), want 100", len(whole), err)
	}
	part := make([]byte, 20)
	if n := s.fill(13, part); n != 20 || string(part) != string(whole[13:33]) {
		t.Fatalf("fill at an unaligned offset = %x, want %x", part[:n], whole[13:33])
	}
	if err := s.check("f", 13, whole[13:33]); err != nil {
		t.Fatalf("check of the right bytes: %v", err)
	}
	var wrong wrongData
	if err := s.check("f", 21, whole[13:33]); !errors.As(err, &wrong) || !strings.Contains(err.Error(), "f: byte ") {
		t.Errorf("check at the wrong offset = %v, want wrongData naming the first wrong byte", err)
	}
	if err := (stamped{seed: 4, size: 100}).check("g", 0, whole[:16]); !errors.As(err, &wrong) {
		t.Errorf("another file's bytes passed: %v", err)
	}
	if err := s.check("f", 90, make([]byte, 20)); !errors.As(err, &wrong) || !strings.Contains(err.Error(), "past its 100 bytes") {
		t.Errorf("a read past the end = %v, want wrongData", err)
	}
}

func TestNewLibrarySpreadsFilesOverFolders(t *testing.T) {
	lib := newLibrary(4, 40, 24)
	if len(lib.folders) != 4 {
		t.Fatalf("%d folders, want 4", len(lib.folders))
	}
	for _, folder := range lib.folders {
		if n := len(lib.files[folder]); n != 10 {
			t.Errorf("%s holds %d files, want 10", folder, n)
		}
	}
	files := lib.seedFiles()
	seeds := map[uint64]bool{}
	for _, f := range files {
		if f.content.size != 24<<20 || f.local != "" {
			t.Errorf("%s: size %d, local %q; want 24 MiB of stamped content", f.remote, f.content.size, f.local)
		}
		seeds[f.content.seed] = true
	}
	if len(files) != 41 || len(seeds) != 41 || files[40].remote != "play/feature.mkv" {
		t.Fatalf("%d files with %d seeds, last %s; want the 40 library files and the playback file, each its own content", len(files), len(seeds), files[len(files)-1].remote)
	}
}

// writeLibrary lays the library out locally, as the mount shows it.
func writeLibrary(t *testing.T, lib library) string {
	t.Helper()
	root := t.TempDir()
	for _, f := range lib.seedFiles() {
		local := filepath.Join(root, filepath.FromSlash(f.remote))
		if err := os.MkdirAll(filepath.Dir(local), 0o755); err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(f.content.reader())
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(local, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestScanLibraryReadsHeadAndTailAndChecksThem(t *testing.T) {
	lib := newLibrary(2, 3, 4)
	root := writeLibrary(t, lib)
	read, err := scanLibrary(root, lib)
	if err != nil || read != 3*(scanHead+scanTail) {
		t.Fatalf("scan read %d bytes (%v), want 3 files × 3 MiB", read, err)
	}
	// A byte changed in the last file's tail: the scan says the data is
	// wrong rather than failing or passing.
	last := path.Join(libraryDir, lib.folders[1], lib.files[lib.folders[1]][0])
	f, err := os.OpenFile(filepath.Join(root, filepath.FromSlash(last)), os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte{0xff}, lib.fileSize-1); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	var wrong wrongData
	if _, err := scanLibrary(root, lib); !errors.As(err, &wrong) || !strings.Contains(err.Error(), last) {
		t.Fatalf("scan of a changed file = %v, want wrongData naming %s", err, last)
	}
	if err := os.Remove(filepath.Join(root, filepath.FromSlash(last))); err != nil {
		t.Fatal(err)
	}
	if _, err := scanLibrary(root, lib); !errors.As(err, &wrong) || !strings.Contains(err.Error(), "lists") {
		t.Fatalf("scan of a folder missing a file = %v, want wrongData on the listing", err)
	}
}

func TestPlaybackOffsetsSeekTwice(t *testing.T) {
	const mib = 1 << 20
	got := playbackOffsets(24 * mib)
	want := []int64{0, 1, 2, 3, 12, 13, 14, 15, 20, 21, 22, 23}
	for i := range want {
		want[i] *= mib
	}
	if !slices.Equal(got, want) {
		t.Fatalf("offsets = %v, want %v", got, want)
	}
	lib := newLibrary(1, 1, minMountMiB)
	root := writeLibrary(t, lib)
	firsts := 0
	read, err := play(root, lib, func(n int64) {
		if n == playRead {
			firsts++
		}
	})
	if err != nil || read != 12*playRead || firsts != 1 {
		t.Fatalf("play read %d bytes (%v), marked the first 1 MiB read %d times; want 12 MiB, once", read, err, firsts)
	}
}

func TestRefreshOK(t *testing.T) {
	if err := refreshOK(http.StatusOK, []byte(`{"result":{"":"OK"}}`)); err != nil {
		t.Errorf("an OK refresh: %v", err)
	}
	for _, bad := range []struct {
		status int
		body   string
	}{
		{http.StatusOK, `{"result":{"library":"file does not exist"}}`},
		{http.StatusOK, `{"result":{}}`},
		{http.StatusInternalServerError, `{"error":"boom"}`},
		{http.StatusOK, `not json`},
	} {
		if err := refreshOK(bad.status, []byte(bad.body)); err == nil {
			t.Errorf("refreshOK(%d, %s) = nil, want an error", bad.status, bad.body)
		}
	}
}

func TestOnlySelectsMountModes(t *testing.T) {
	for _, c := range []struct {
		only     string
		modes    []string
		standard bool
	}{
		{"", []string{"off", "full"}, true},
		{"mount", []string{"off", "full"}, false},
		{"mount-full", []string{"full"}, false},
		{"upload-large", nil, true},
		{"mount-off,deep-path", []string{"off"}, true},
	} {
		var cfg config
		if c.only != "" {
			cfg.only = map[string]bool{}
			for _, name := range strings.Split(c.only, ",") {
				cfg.only[name] = true
			}
		}
		if got := cfg.selectedMountModes(); !slices.Equal(got, c.modes) || cfg.wantsStandard() != c.standard {
			t.Errorf("only %q: modes %v, standard %v; want %v, %v", c.only, got, cfg.wantsStandard(), c.modes, c.standard)
		}
		if unknown := cfg.unknownOnly(); len(unknown) > 0 {
			t.Errorf("only %q: %v taken for unknown", c.only, unknown)
		}
	}
	cfg := config{only: map[string]bool{"mount-of": true, "mount": true}}
	if got := cfg.unknownOnly(); !slices.Equal(got, []string{"mount-of"}) {
		t.Errorf("unknownOnly = %v, want the misspelt mount-of", got)
	}
}

func TestMetersMinusKeepsWhatThePhaseAdded(t *testing.T) {
	before := meters{calls: emuproc.Calls{Routes: map[string]int{routeList: 6, routeURL: 8}, Total: 14}, pulled: 100, failing: 1}
	after := meters{calls: emuproc.Calls{Routes: map[string]int{routeList: 6, routeURL: 10, "GET /download/{id}": 2}, Total: 18}, pulled: 350, failing: 1}
	got := after.minus(before)
	if want := map[string]int{routeURL: 2, "GET /download/{id}": 2}; fmt.Sprint(got.calls.Routes) != fmt.Sprint(want) || got.calls.Total != 4 || got.pulled != 250 || got.failing != 0 {
		t.Fatalf("minus = %+v, want routes %v, 4 calls, 250 bytes, no failures", got, want)
	}
}

func TestRecordMountStatus(t *testing.T) {
	m := meters{calls: emuproc.Calls{Routes: map[string]int{routeURL: 3}, Total: 5}, pulled: 9 << 20}
	for _, c := range []struct {
		runErr, ctxErr error
		status, error  string
	}{
		{nil, nil, statusOK, ""},
		{wrongData{"x lists []"}, nil, statusWrong, "x lists []"},
		{errors.New("transport endpoint is not connected"), nil, statusFailed, "transport endpoint is not connected"},
		{errors.New("interrupted"), context.DeadlineExceeded, statusFailed, "timed out after 5m0s: interrupted"},
	} {
		var r result
		r.recordMount(2*time.Second, 3<<20, m, c.runErr, c.ctxErr, 5*time.Minute)
		if r.Status != c.status || r.Error != c.error || r.URLCalls != 3 || r.Calls != 5 || overFetch(0, r.figures) != 3 || r.WallSeconds != 2 {
			t.Errorf("recordMount(%v, %v) = %s %q, %d /url of %d, over-fetch %.1f; want %s %q, 3 of 5, 3.0",
				c.runErr, c.ctxErr, r.Status, r.Error, r.URLCalls, r.Calls, overFetch(0, r.figures), c.status, c.error)
		}
	}
}

// The plan: six phases per cache mode, each a scenario name BENCH_ONLY's
// groups select, and every mount target judges one of them (a misspelt
// name would leave its target silently out of the table).
func TestMountPlanCoversEveryTarget(t *testing.T) {
	phases := mountPhases(sizes{MountFolders: 4, MountFiles: 40, MountMiB: 24})
	planned := map[string]bool{}
	for _, mode := range mountModes {
		for _, ph := range phases {
			name := mountScenario(mode, ph.key)
			if !isMountScenario(name) || planned[name] {
				t.Errorf("%s: not a mount scenario name, or twice in the plan", name)
			}
			planned[name] = true
		}
	}
	if len(planned) != 12 || !strings.Contains(phases[0].what, "40 × 24 MiB files") {
		t.Fatalf("plan = %v (cold: %q), want 6 phases in each of 2 modes", planned, phases[0].what)
	}
	for _, tg := range mountTargets() {
		if !planned[tg.Scenario] {
			t.Errorf("target %q judges %s, which no session produces", tg.Figure, tg.Scenario)
		}
	}
	want := []string{"mount", "bench:", "/m", "--vfs-cache-mode", "full", "--cache-dir", "/c", "--rc", "--rc-addr", "127.0.0.1:5572", "--rc-no-auth"}
	if got := mountArgs("/m", "/c", "full", "127.0.0.1:5572"); !slices.Equal(got, want) {
		t.Errorf("mountArgs = %q, want %q", got, want)
	}
}
