package main

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/rclone-putio/rclone-putio/bench/internal/emu"
)

// world is what one scenario run sees: a fresh emulator, the shared local
// data, and a scratch directory of its own.
type world struct {
	emu  *emu.Emulator
	data *dataset
	dir  string
	sz   sizes
}

// scenario is one measured rclone command with its seeding and check.
type scenario struct {
	Name     string
	What     string
	Items    int    // files the command handles, for calls per item (0: n/a)
	Bytes    int64  // bytes it transfers, for MiB/s (0: n/a)
	KeyRoute string // the route this scenario is about, shown in the main table
	// Emulator names an emulator feature the scenario needs (see
	// emulatorFeatures); if the emulator lacks it, the scenario is n/a.
	Emulator string
	// KillAfter, if > 0, makes the scenario a crash and a retry: a first
	// attempt is SIGKILLed once that many tus body bytes have crossed
	// the proxy, then the same command runs again and that run is measured.
	KillAfter int64
	seed      func(ctx context.Context, w *world) error
	args      func(w *world) []string
	check     func(ctx context.Context, w *world, r rcloneRun) error
	// plain, if set, names a local file and remote name for the
	// plainEntrant baseline, which then runs beside both rclones.
	plain func(w *world) (local, name string)
}

// withEmulator is sc on an emulator with feature, under its own name.
func withEmulator(sc scenario, suffix, feature string) scenario {
	sc.Name += "-" + suffix
	sc.What += ", emulator offers " + feature
	sc.Emulator = feature
	return sc
}

// Route names as the emulator counts them.
const (
	routeChild     = "GET /v2/files/{id}/child"
	routeList      = "GET /v2/files/list"
	routeURL       = "GET /v2/files/{id}/url"
	routeTusCreate = "POST /files/"
	routeCopy      = "POST /v2/files/copy"
	routeMove      = "POST /v2/files/move"
	routePatch     = "PATCH /files/{upload}"
)

const remote = remoteName + ":"

// seedWorkers bounds concurrent seeding uploads.
const seedWorkers = 8

// standardNames are the names of the one-command scenarios.
func standardNames() []string {
	var names []string
	for _, sc := range scenarios(sizes{}, &dataset{}) {
		names = append(names, sc.Name)
	}
	return names
}

func scenarios(sz sizes, d *dataset) []scenario {
	leafFolders := (sz.SmallFiles + 9) / 10
	uploadSmall := scenario{
		Name:  "upload-small",
		What:  fmt.Sprintf("copy %d × %d KiB in %d folders, --transfers 4", sz.SmallFiles, sz.SmallKiB, leafFolders),
		Items: sz.SmallFiles, KeyRoute: routeTusCreate,
		args: func(w *world) []string {
			return []string{"copy", w.data.path("small"), remote + "small", "--transfers", "4"}
		},
		check: wantTree("small", d.small),
	}
	return []scenario{{
		Name:  "upload-large",
		What:  fmt.Sprintf("copyto 1 × %d MiB", sz.LargeMiB),
		Items: 1, Bytes: d.large.bytes(), KeyRoute: routePatch,
		args: func(w *world) []string {
			return []string{"copyto", w.data.path("large", "large.bin"), remote + "large.bin"}
		},
		check: wantTree("", d.large),
		plain: func(w *world) (string, string) { return w.data.path("large", "large.bin"), "large.bin" },
	}, uploadSmall, withEmulator(uploadSmall, "cwu", featureCWU), {
		Name:  "update-small",
		What:  fmt.Sprintf("copy over %d changed × %d KiB, --transfers 4", sz.SmallFiles, sz.SmallKiB),
		Items: sz.SmallFiles, KeyRoute: routeTusCreate,
		seed: func(ctx context.Context, w *world) error {
			return seedTree(ctx, w, "small", w.data.path("small-old"), w.data.smallOld)
		},
		args: func(w *world) []string {
			return []string{"copy", w.data.path("small"), remote + "small", "--transfers", "4"}
		},
		check: wantTree("small", d.small),
	}, {
		Name:  "copy-server",
		What:  "copyto within the remote (server-side)",
		Items: 1, KeyRoute: routeCopy,
		seed: seedOneFile("cm", "src.dat"),
		args: func(w *world) []string {
			return []string{"copyto", remote + "cm/src.dat", remote + "cm/copy.dat"}
		},
		check: func(ctx context.Context, w *world, _ rcloneRun) error {
			f := firstFile(d.small)
			return wantTree("cm", tree{"src.dat": f, "copy.dat": f})(ctx, w, rcloneRun{})
		},
	}, {
		Name:  "move-server",
		What:  "moveto another folder, new name (server-side)",
		Items: 1, KeyRoute: routeMove,
		seed: func(ctx context.Context, w *world) error {
			if _, err := w.emu.MkdirAll(ctx, "cm/dst"); err != nil {
				return err
			}
			return seedOneFile("cm", "src.dat")(ctx, w)
		},
		args: func(w *world) []string {
			return []string{"moveto", remote + "cm/src.dat", remote + "cm/dst/moved.dat"}
		},
		check: wantTree("cm", tree{"dst/moved.dat": firstFile(d.small)}),
	}, {
		Name:     "deep-path",
		What:     fmt.Sprintf("lsf a/b/c/d, %d files beside each ancestor", sz.Siblings),
		KeyRoute: routeList,
		seed:     seedDeepPath,
		args: func(w *world) []string {
			return []string{"lsf", remote + "a/b/c/d"}
		},
		check: func(_ context.Context, _ *world, r rcloneRun) error {
			if got, want := strings.Fields(r.Stdout), deepLeaves(); strings.Join(got, " ") != strings.Join(want, " ") {
				return fmt.Errorf("lsf printed %q, want %q", got, want)
			}
			return nil
		},
	}, {
		Name:  "download-mt",
		What:  fmt.Sprintf("copy 1 × %d MiB down, --multi-thread-streams 4", sz.LargeMiB),
		Items: 1, Bytes: d.large.bytes(), KeyRoute: routeURL,
		seed: func(ctx context.Context, w *world) error {
			return seedTree(ctx, w, "", w.data.path("large"), w.data.large)
		},
		args: func(w *world) []string {
			return []string{"copy", remote + "large.bin", filepath.Join(w.dir, "download"),
				"--multi-thread-streams", "4", "--multi-thread-cutoff", "1M"}
		},
		check: func(_ context.Context, w *world, _ rcloneRun) error {
			got, err := sumFile(filepath.Join(w.dir, "download", "large.bin"))
			if err != nil {
				return err
			}
			if want := d.large["large.bin"]; got != want {
				return fmt.Errorf("downloaded %d bytes crc %s, want %d bytes crc %s", got.Size, got.CRC32, want.Size, want.CRC32)
			}
			return nil
		},
	}, {
		Name:  "memory-transfers",
		What:  fmt.Sprintf("copy %d × %d MiB, --transfers %d", sz.MemFiles, sz.MemMiB, sz.MemFiles),
		Items: sz.MemFiles, Bytes: d.mem.bytes(), KeyRoute: routePatch,
		args: func(w *world) []string {
			return []string{"copy", w.data.path("mem"), remote + "mem", "--transfers", fmt.Sprint(sz.MemFiles)}
		},
		check: wantTree("mem", d.mem),
	}, {
		Name:  "resume-after-kill",
		What:  fmt.Sprintf("copyto 1 × %d MiB, SIGKILLed after %d MiB sent, then rerun", sz.ResumeMiB, sz.KillMiB),
		Items: 1, Bytes: d.resume.bytes(), KeyRoute: routePatch,
		KillAfter: sz.KillMiB << 20,
		args: func(w *world) []string {
			return []string{"copyto", w.data.path("resume", "resume.bin"), remote + "resume.bin"}
		},
		check: wantTree("", d.resume),
	}}
}

// wantTree checks that the remote folder dir holds exactly want.
func wantTree(dir string, want tree) func(context.Context, *world, rcloneRun) error {
	return func(ctx context.Context, w *world, _ rcloneRun) error {
		files, err := w.emu.Tree(ctx, dir)
		if err != nil {
			return err
		}
		got := tree{}
		for name, f := range files {
			got[name] = fileSum{Size: f.Size, CRC32: f.CRC32}
		}
		return want.diff(got)
	}
}

// firstFile is the small-tree file that server-side scenarios start from.
func firstFile(t tree) fileSum { return t[nestedNames(1)[0]] }

func seedOneFile(dir, name string) func(context.Context, *world) error {
	return func(ctx context.Context, w *world) error {
		src := nestedNames(1)[0]
		return seedFiles(ctx, w, []seedFile{{remote: path.Join(dir, name), local: w.data.path("small", filepath.FromSlash(src))}})
	}
}

// seedTree uploads the local tree t, rooted at localRoot, into remote dir.
func seedTree(ctx context.Context, w *world, dir, localRoot string, t tree) error {
	var files []seedFile
	for name := range t {
		files = append(files, seedFile{remote: path.Join(dir, name), local: filepath.Join(localRoot, filepath.FromSlash(name))})
	}
	sort.Slice(files, func(i, j int) bool { return files[i].remote < files[j].remote })
	return seedFiles(ctx, w, files)
}

// seedFile is one upload: a local file, or if local is empty its
// stamped content.
type seedFile struct {
	remote  string
	local   string
	content stamped
}

// seedFiles creates the folders first (in order, so ids follow the list)
// and then uploads the files concurrently.
func seedFiles(ctx context.Context, w *world, files []seedFile) error {
	parents := make([]int64, len(files))
	for i, f := range files {
		id, err := w.emu.MkdirAll(ctx, path.Dir("/"+f.remote))
		if err != nil {
			return err
		}
		parents[i] = id
	}
	jobs := make(chan int)
	errs := make(chan error, seedWorkers)
	var wg sync.WaitGroup
	for range seedWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				if err := seedUpload(ctx, w, parents[i], files[i]); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	var err error
feed:
	for i := range files {
		select {
		case jobs <- i:
		case err = <-errs:
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	close(errs)
	if err != nil {
		return err
	}
	return <-errs // nil when the channel is empty
}

func seedUpload(ctx context.Context, w *world, parentID int64, f seedFile) (err error) {
	name := path.Base(f.remote)
	if f.local == "" {
		return w.emu.Upload(ctx, parentID, name, f.content.reader(), f.content.size, time.Now())
	}
	file, err := os.Open(f.local)
	if err != nil {
		return err
	}
	defer closeSent(&err, file)
	info, err := file.Stat()
	if err != nil {
		return err
	}
	return w.emu.Upload(ctx, parentID, name, file, info.Size(), info.ModTime())
}

// seedDeepPath builds a/b/c/d where the root, a, a/b and a/b/c each hold
// sz.Siblings files besides the next folder. Each folder is made after its
// parent's siblings, so it comes last in the parent's (id-ordered) listing.
func seedDeepPath(ctx context.Context, w *world) error {
	for _, dir := range []string{"", "a", "a/b", "a/b/c"} {
		siblings := make([]seedFile, w.sz.Siblings)
		for i := range siblings {
			siblings[i] = seedFile{remote: path.Join(dir, fmt.Sprintf("sibling-%05d.txt", i)), content: stamped{size: 16}}
		}
		if err := seedFiles(ctx, w, siblings); err != nil {
			return err
		}
	}
	var leaves []seedFile
	for _, leaf := range deepLeaves() {
		leaves = append(leaves, seedFile{remote: "a/b/c/d/" + leaf, content: stamped{size: 16}})
	}
	return seedFiles(ctx, w, leaves)
}

func deepLeaves() []string { return []string{"leaf-1.txt", "leaf-2.txt", "leaf-3.txt"} }
