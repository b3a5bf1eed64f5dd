// Command benchputio runs the same rclone commands with our putio backend
// and with rclone v1.76.0's built-in one against fresh put.io emulators and
// prints a comparison: wall time, MiB/s, peak RSS and API calls.
//
// It re-executes itself in a new network namespace that has only loopback
// and refuses to run if it cannot: both rclones reach the emulator through
// a TLS-terminating proxy (bench/internal/mitm) that answers for api.put.io
// and upload.put.io, so nothing may be able to reach the real hosts.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rclone-putio/rclone-putio/bench/internal/emu"
	"github.com/rclone-putio/rclone-putio/bench/internal/mitm"
	"github.com/rclone-putio/rclone-putio/bench/internal/netns"
	"github.com/rclone-putio/rclone-putio/internal/fusemount"
)

// The names the built-in backend hard-codes.
const (
	apiHost    = "api.put.io"
	uploadHost = "upload.put.io"
)

var putioHosts = []string{apiHost, uploadHost}

// sizes scale the scenarios; each has a BENCH_* environment override.
type sizes struct {
	LargeMiB   int64 `json:"large_mib"`
	SmallFiles int   `json:"small_files"`
	SmallKiB   int64 `json:"small_kib"`
	Siblings   int   `json:"siblings"`
	MemFiles   int   `json:"mem_files"`
	MemMiB     int64 `json:"mem_mib"`
	ResumeMiB  int64 `json:"resume_mib"`
	KillMiB    int64 `json:"kill_mib"`
	// The mount scenarios' library: files spread over folders.
	MountFolders int   `json:"mount_folders,omitempty"`
	MountFiles   int   `json:"mount_files,omitempty"`
	MountMiB     int64 `json:"mount_mib,omitempty"`
}

type config struct {
	ours, upstream, emulator string
	oursArgs                 []string
	cwuArgs                  []string // emulator flags for featureCWU, if given
	outDir                   string
	only                     map[string]bool
	timeout                  time.Duration
	latency                  time.Duration
	runs                     int
	sz                       sizes
	render                   string // a results.json to print as markdown, instead of a run
}

func main() {
	asPlainUploadChild()
	cfg := parseFlags()
	if cfg.render != "" {
		if err := renderSaved(cfg.render, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "benchputio:", err)
			os.Exit(1)
		}
		return
	}
	if !netns.Inside() {
		code, err := netns.Reexec()
		if err != nil {
			fmt.Fprintln(os.Stderr, "benchputio:", err)
			os.Exit(2)
		}
		os.Exit(code)
	}
	if err := netns.Prepare(); err != nil {
		fmt.Fprintln(os.Stderr, "benchputio: refusing to run:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	if err := run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "benchputio:", err)
		os.Exit(1)
	}
}

// The binaries make bench builds from this checkout.
const (
	defaultOurs     = "bin/rclone"
	defaultEmulator = "bin/putio-emulator"
)

func parseFlags() config {
	var cfg config
	var only string
	flag.StringVar(&cfg.ours, "ours", defaultOurs, "rclone built with our putio backend")
	flag.StringVar(&cfg.upstream, "upstream", "bin/rclone-upstream", "stock rclone with the built-in putio backend")
	flag.StringVar(&cfg.emulator, "emulator", defaultEmulator, "put.io emulator binary")
	oursArgs := flag.String("ours-args", os.Getenv("BENCH_OURS_ARGS"), "extra flags for our rclone only, e.g. \"--putio-chunk-size 48M\" (env BENCH_OURS_ARGS)")
	flag.StringVar(&cfg.outDir, "out", envString("BENCH_OUT", "bench/out"), "directory for results.json and results.md (env BENCH_OUT)")
	flag.StringVar(&only, "only", os.Getenv("BENCH_ONLY"), "comma-separated scenario names to run (default all; env BENCH_ONLY)")
	flag.DurationVar(&cfg.timeout, "timeout", envDuration("BENCH_TIMEOUT", 5*time.Minute), "limit for one rclone command (env BENCH_TIMEOUT)")
	flag.DurationVar(&cfg.latency, "latency", envDuration("BENCH_LATENCY", standardLatency), "delay the proxy adds to each request, standing in for the round trip to put.io; 0 for none (env BENCH_LATENCY)")
	flag.IntVar(&cfg.runs, "runs", envInt("BENCH_RUNS", 3), "runs of each scenario and backend; the table shows the median by wall time (env BENCH_RUNS)")
	flag.Int64Var(&cfg.sz.LargeMiB, "large-mib", envInt("BENCH_LARGE_MIB", int64(512)), "size of the large upload/download file (env BENCH_LARGE_MIB)")
	flag.IntVar(&cfg.sz.SmallFiles, "small-files", envInt("BENCH_SMALL_FILES", 200), "number of small files (env BENCH_SMALL_FILES)")
	flag.Int64Var(&cfg.sz.SmallKiB, "small-kib", envInt("BENCH_SMALL_KIB", int64(4)), "size of each small file (env BENCH_SMALL_KIB)")
	flag.IntVar(&cfg.sz.Siblings, "siblings", envInt("BENCH_SIBLINGS", 2000), "files beside each ancestor of the deep path (env BENCH_SIBLINGS)")
	flag.IntVar(&cfg.sz.MemFiles, "mem-files", envInt("BENCH_MEM_FILES", 4), "files, and --transfers, of the memory scenario (env BENCH_MEM_FILES)")
	flag.Int64Var(&cfg.sz.MemMiB, "mem-mib", envInt("BENCH_MEM_MIB", int64(128)), "size of each memory-scenario file (env BENCH_MEM_MIB)")
	flag.Int64Var(&cfg.sz.ResumeMiB, "resume-mib", envInt("BENCH_RESUME_MIB", int64(300)), "size of the file killed mid-upload and uploaded again (env BENCH_RESUME_MIB)")
	flag.Int64Var(&cfg.sz.KillMiB, "kill-mib", envInt("BENCH_KILL_MIB", int64(150)), "upload MiB sent after which the first attempt is killed (env BENCH_KILL_MIB)")
	flag.IntVar(&cfg.sz.MountFolders, "mount-folders", envInt("BENCH_MOUNT_FOLDERS", 4), "folders of the mount scenarios' library (env BENCH_MOUNT_FOLDERS)")
	flag.IntVar(&cfg.sz.MountFiles, "mount-files", envInt("BENCH_MOUNT_FILES", 40), "files of the mount scenarios' library (env BENCH_MOUNT_FILES)")
	flag.Int64Var(&cfg.sz.MountMiB, "mount-mib", envInt("BENCH_MOUNT_MIB", int64(24)), "size of each library file, at least 16 (env BENCH_MOUNT_MIB)")
	cwuArgs := flag.String("emu-cwu-args", os.Getenv("BENCH_EMU_CWU_ARGS"), "emulator flags that make it offer tus creation-with-upload (default: found in its -h; env BENCH_EMU_CWU_ARGS)")
	flag.StringVar(&cfg.render, "render", "", "print the markdown report of a saved results.json and exit (no run)")
	flag.Parse()
	cfg.oursArgs = strings.Fields(*oursArgs)
	cfg.cwuArgs = strings.Fields(*cwuArgs)
	if cfg.sz.KillMiB >= cfg.sz.ResumeMiB {
		fmt.Fprintf(os.Stderr, "benchputio: -kill-mib %d must be below -resume-mib %d\n", cfg.sz.KillMiB, cfg.sz.ResumeMiB)
		os.Exit(2)
	}
	if cfg.sz.MountMiB < minMountMiB {
		fmt.Fprintf(os.Stderr, "benchputio: -mount-mib %d must be at least %d (the playback reads 12 MiB in three places)\n", cfg.sz.MountMiB, minMountMiB)
		os.Exit(2)
	}
	cfg.runs = max(cfg.runs, 1)
	if only != "" {
		cfg.only = map[string]bool{}
		for _, name := range strings.Split(only, ",") {
			cfg.only[strings.TrimSpace(name)] = true
		}
	}
	if unknown := cfg.unknownOnly(); len(unknown) > 0 {
		fmt.Fprintf(os.Stderr, "benchputio: -only names no scenario: %s (see bench/README.md)\n", strings.Join(unknown, ", "))
		os.Exit(2)
	}
	return cfg
}

// minMountMiB is the smallest library file: playback reads 4 MiB at the
// start, the middle and the end without overlap.
const minMountMiB = 16

// unknownOnly lists the names in -only that select nothing.
func (cfg config) unknownOnly() []string {
	known := map[string]bool{mountGroup: true}
	for _, name := range standardNames() {
		known[name] = true
	}
	for _, mode := range mountModes {
		known[mountGroup+"-"+mode] = true
	}
	var out []string
	for name := range cfg.only {
		if !known[name] {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// wantsStandard reports whether any one-command scenario is selected.
func (cfg config) wantsStandard() bool {
	return cfg.only == nil || slices.ContainsFunc(standardNames(), func(name string) bool { return cfg.only[name] })
}

func envInt[T int | int64](key string, def T) T {
	if n, err := strconv.ParseInt(os.Getenv(key), 10, 64); err == nil && n > 0 {
		return T(n)
	}
	return def
}

func envString(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// envDuration reads a duration; "0" is a valid setting (no latency).
func envDuration(key string, def time.Duration) time.Duration {
	v := os.Getenv(key)
	if v == "0" {
		return 0
	}
	if d, err := time.ParseDuration(v); err == nil && d >= 0 {
		return d
	}
	return def
}

// standardLatency is the round trip the standard run adds to every
// request: a client some way from put.io's servers.
const standardLatency = 30 * time.Millisecond

// bench is the state shared by every scenario run.
type bench struct {
	cfg      config
	work     string
	caFile   string
	ca       *mitm.CA
	data     *dataset
	backends []backend
	baseline string // a fresh copy of this binary, run as the baseline child
	versions map[string]string
	features map[string][]string // emulator feature -> its flags
	library  library             // the mount scenarios' remote files
	// fuseHelper is fusermount3's path; fuseReason, if not empty, why
	// the mount scenarios cannot run here.
	fuseHelper, fuseReason string
}

func run(ctx context.Context, cfg config) error {
	work, err := os.MkdirTemp("", "benchputio-")
	if err != nil {
		return err
	}
	fuseHelper, fuseReason := fusemount.Helper()
	defer func() { warnCleanup("remove "+work, removeWork(fuseHelper, work)) }()
	b, err := newBench(ctx, cfg, work, fuseHelper, fuseReason)
	if err != nil {
		return err
	}
	start := time.Now()
	source := sourceRevision(ctx, cfg) // now: main may move while this runs
	results, err := b.runScenarios(ctx)
	if err != nil {
		return err
	}
	rep := report{
		Date: time.Now().UTC().Format(time.RFC3339), Command: reproduceCommand(), Source: source,
		OursArgs: strings.Join(cfg.oursArgs, " "), Runs: cfg.runs, Sizes: cfg.sz, Latency: cfg.latency.String(),
		CPUs: runtime.NumCPU(), Load: loadAverage(), Versions: b.versions, Features: b.features, FUSE: b.fuseSummary(), Results: results, Wall: time.Since(start).Round(time.Second).String(),
	}
	fmt.Println()
	fmt.Print(rep.text())
	return rep.save(cfg.outDir)
}

// newBench checks the tools, copies the binaries, makes the CA and writes
// the local data, all under work; fuseHelper and fuseReason are
// fusemount.Helper's findings.
func newBench(ctx context.Context, cfg config, work, fuseHelper, fuseReason string) (*bench, error) {
	if _, err := os.Stat(timeBin); err != nil {
		return nil, fmt.Errorf("%w: GNU time measures max RSS (apt-get install time)", err)
	}
	for _, bin := range []*string{&cfg.ours, &cfg.upstream, &cfg.emulator} {
		if _, err := os.Stat(*bin); err != nil {
			return nil, fmt.Errorf("%w (run make bench, which builds it)", err)
		}
		// Absolute, because each rclone runs in its own scratch directory.
		if abs, err := filepath.Abs(*bin); err == nil {
			*bin = abs
		}
	}
	b := &bench{cfg: cfg, work: work, caFile: filepath.Join(work, "ca.pem"), versions: map[string]string{}, fuseHelper: fuseHelper, fuseReason: fuseReason}
	var err error
	b.backends, err = freshCopies(filepath.Join(work, "bin"), []backend{{Name: "upstream", Bin: cfg.upstream}, {Name: "ours", Bin: cfg.ours, Args: cfg.oursArgs}})
	if err != nil {
		return nil, err
	}
	if b.baseline, err = freshBaseline(filepath.Join(work, "bin")); err != nil {
		return nil, err
	}
	if b.ca, err = mitm.NewCA(); err != nil {
		return nil, err
	}
	if err := os.WriteFile(b.caFile, b.ca.CertPEM(), 0o600); err != nil {
		return nil, err
	}
	fmt.Println("network: own namespace, loopback only; a direct connection to 192.0.2.1:443 failed as required")
	for _, be := range b.backends {
		b.versions[be.Name] = version(ctx, be.Bin)
		fmt.Printf("%s: %s (%s)\n", be.Name, be.Bin, b.versions[be.Name])
	}
	if b.features, err = emulatorFeatures(ctx, cfg); err != nil {
		return nil, err
	}
	b.library = newLibrary(cfg.sz.MountFolders, cfg.sz.MountFiles, cfg.sz.MountMiB)
	if len(cfg.selectedMountModes()) > 0 {
		fmt.Println("fuse:", b.fuseSummary())
	}
	if !cfg.wantsStandard() {
		fmt.Println()
		return b, nil
	}
	start := time.Now()
	if b.data, err = makeDataset(filepath.Join(work, "data"), cfg.sz); err != nil {
		return nil, fmt.Errorf("make local data: %w", err)
	}
	fmt.Printf("local data written in %.1fs\n\n", time.Since(start).Seconds())
	return b, nil
}

// fuseSummary says how the mount scenarios mount, or why they cannot.
func (b *bench) fuseSummary() string {
	if b.fuseReason != "" {
		return "NOT AVAILABLE: " + b.fuseReason + "; the mount scenarios are n/a"
	}
	return "/dev/fuse and " + b.fuseHelper
}

// loadAverage is the 1, 5 and 15 minute load average at the end of the
// run, since other work on the machine shares its CPUs.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	fields := strings.Fields(string(data))
	return strings.Join(fields[:min(3, len(fields))], " ")
}

func version(ctx context.Context, bin string) string {
	out, err := exec.CommandContext(ctx, bin, "version").Output()
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	first, _, _ := strings.Cut(string(out), "\n")
	return strings.TrimSpace(strings.TrimPrefix(first, "rclone "))
}

// featureCWU is an emulator that advertises and accepts tus
// creation-with-upload (a small file's body in the creation POST).
const featureCWU = "creation-with-upload"

// emulatorFeatures finds the flags for each optional emulator feature in
// its -h, so scenarios that need a newer emulator report n/a on an older
// one instead of failing.
func emulatorFeatures(ctx context.Context, cfg config) (map[string][]string, error) {
	features := map[string][]string{}
	if len(cfg.cwuArgs) > 0 {
		features[featureCWU] = cfg.cwuArgs
	} else {
		flags, err := emu.Flags(ctx, cfg.emulator)
		if err != nil {
			return nil, err
		}
		if args, ok := emu.CreationWithUploadArgs(flags); ok {
			features[featureCWU] = args
		}
	}
	if args, ok := features[featureCWU]; ok {
		fmt.Printf("emulator: %s with %s\n", featureCWU, strings.Join(args, " "))
	} else {
		fmt.Printf("emulator: no option for %s in its -h; those scenarios are n/a\n", featureCWU)
	}
	return features, nil
}

// reproduceCommand is the command line, with the size overrides that
// differ from the defaults, for RESULTS.md: make bench, or the harness
// itself if it was given flags.
func reproduceCommand() string {
	var words []string
	for _, kv := range os.Environ() {
		key, value, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(key, "BENCH_") {
			words = append(words, key+"="+shellQuote(value))
		}
	}
	if len(os.Args) < 2 {
		return strings.Join(append(words, "make bench"), " ")
	}
	words = append(words, "bin/benchputio")
	for _, arg := range os.Args[1:] {
		words = append(words, shellQuote(arg))
	}
	return strings.Join(words, " ")
}

// sourceRevision names the commit bin/rclone was most likely built from,
// and says if the backend had uncommitted changes; binaries given with
// -ours or -emulator are named as such, since the checkout says nothing
// about them.
func sourceRevision(ctx context.Context, cfg config) string {
	var given []string
	if cfg.ours != defaultOurs {
		given = append(given, "-ours "+cfg.ours)
	}
	if cfg.emulator != defaultEmulator {
		given = append(given, "-emulator "+cfg.emulator)
	}
	if len(given) > 0 {
		return "given binaries (" + strings.Join(given, ", ") + "), harness at " + checkoutRevision(ctx)
	}
	return checkoutRevision(ctx)
}

func checkoutRevision(ctx context.Context) string {
	head, err := exec.CommandContext(ctx, "git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	rev := strings.TrimSpace(string(head))
	dirty, err := exec.CommandContext(ctx, "git", "status", "--porcelain", "--", "backend/putio", "backend/all", "cmd/rclone").Output()
	if err == nil && len(strings.TrimSpace(string(dirty))) > 0 {
		rev += " with uncommitted backend changes"
	}
	// The newest main commit the checkout holds is what was measured; main
	// itself may have moved on since the last merge.
	base, errBase := exec.CommandContext(ctx, "git", "merge-base", "HEAD", "main").Output()
	main, errMain := exec.CommandContext(ctx, "git", "rev-parse", "main").Output()
	if errBase == nil && errMain == nil {
		held, now := strings.TrimSpace(string(base)), strings.TrimSpace(string(main))
		rev += " (holds main " + held[:min(7, len(held))]
		if held != now {
			rev += "; main is now at " + now[:min(7, len(now))]
		}
		rev += ")"
	}
	return rev
}

// freshBaseline copies this binary into dir with freshCopies, for the
// baseline child.
func freshBaseline(dir string) (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", err
	}
	copies, err := freshCopies(dir, []backend{{Name: plainEntrant, Bin: self}})
	if err != nil {
		return "", err
	}
	return copies[0].Bin, nil
}

// freshCopies copies each binary into dir. ru_maxrss counts the binary's
// resident text, and a binary other processes are running (bin/rclone,
// during tests) has more of it resident; new copies start even.
func freshCopies(dir string, backends []backend) ([]backend, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var out []backend
	for _, be := range backends {
		copyPath := filepath.Join(dir, "entrant-"+be.Name)
		if err := copyFile(be.Bin, copyPath); err != nil {
			return nil, err
		}
		be.Bin = copyPath
		out = append(out, be)
	}
	return out, nil
}

func copyFile(from, to string) (err error) {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer closeInto(&err, src)
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	_, err = io.Copy(dst, src)
	return errors.Join(err, dst.Close())
}

// closeInto closes c on the way out of a function whose error is *err,
// keeping the first error.
func closeInto(err *error, c io.Closer) {
	if closeErr := c.Close(); *err == nil {
		*err = closeErr
	}
}

// closeSent is closeInto for a file given to an HTTP request as its body:
// net/http closes such a body once it has sent it, so a file it already
// closed is no error.
func closeSent(err *error, f *os.File) {
	if closeErr := f.Close(); *err == nil && !errors.Is(closeErr, os.ErrClosed) {
		*err = closeErr
	}
}

// warnCleanup reports a failure to tidy up, which leaves litter behind
// but changes nothing that was measured.
func warnCleanup(what string, err error) {
	if err != nil {
		fmt.Fprintf(os.Stderr, "benchputio: cleanup: %s: %v\n", what, err)
	}
}

// shellQuote leaves plain words alone and single-quotes the rest.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./,:=") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
