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
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rclone-putio/rclone-putio/bench/internal/emu"
	"github.com/rclone-putio/rclone-putio/bench/internal/mitm"
	"github.com/rclone-putio/rclone-putio/bench/internal/netns"
)

// putioHosts are the names the built-in backend hard-codes.
var putioHosts = []string{"api.put.io", "upload.put.io"}

// sizes scale the scenarios; each has a BENCH_* environment override.
type sizes struct {
	LargeMiB   int64 `json:"large_mib"`
	SmallFiles int   `json:"small_files"`
	SmallKiB   int64 `json:"small_kib"`
	Siblings   int   `json:"siblings"`
	MemFiles   int   `json:"mem_files"`
	MemMiB     int64 `json:"mem_mib"`
}

type config struct {
	ours, upstream, emulator string
	oursArgs                 []string
	outDir                   string
	only                     map[string]bool
	timeout                  time.Duration
	latency                  time.Duration
	runs                     int
	sz                       sizes
}

func main() {
	cfg := parseFlags()
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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "benchputio:", err)
		os.Exit(1)
	}
}

func parseFlags() config {
	var cfg config
	var only string
	flag.StringVar(&cfg.ours, "ours", "bin/rclone", "rclone built with our putio backend")
	flag.StringVar(&cfg.upstream, "upstream", "bin/rclone-upstream", "stock rclone with the built-in putio backend")
	flag.StringVar(&cfg.emulator, "emulator", "bin/putio-emulator", "put.io emulator binary")
	oursArgs := flag.String("ours-args", os.Getenv("BENCH_OURS_ARGS"), "extra flags for our rclone only, e.g. \"--putio-chunk-size 48M\" (env BENCH_OURS_ARGS)")
	flag.StringVar(&cfg.outDir, "out", envString("BENCH_OUT", "bench/out"), "directory for results.json and results.md (env BENCH_OUT)")
	flag.StringVar(&only, "only", os.Getenv("BENCH_ONLY"), "comma-separated scenario names to run (default all; env BENCH_ONLY)")
	flag.DurationVar(&cfg.timeout, "timeout", envDuration("BENCH_TIMEOUT", 5*time.Minute), "limit for one rclone command (env BENCH_TIMEOUT)")
	flag.DurationVar(&cfg.latency, "latency", envDuration("BENCH_LATENCY", 0), "delay the proxy adds to each request, standing in for the round trip to put.io (env BENCH_LATENCY)")
	flag.IntVar(&cfg.runs, "runs", envInt("BENCH_RUNS", 3), "runs of each scenario and backend; the table shows the median by wall time (env BENCH_RUNS)")
	flag.Int64Var(&cfg.sz.LargeMiB, "large-mib", envInt("BENCH_LARGE_MIB", int64(512)), "size of the large upload/download file (env BENCH_LARGE_MIB)")
	flag.IntVar(&cfg.sz.SmallFiles, "small-files", envInt("BENCH_SMALL_FILES", 200), "number of small files (env BENCH_SMALL_FILES)")
	flag.Int64Var(&cfg.sz.SmallKiB, "small-kib", envInt("BENCH_SMALL_KIB", int64(4)), "size of each small file (env BENCH_SMALL_KIB)")
	flag.IntVar(&cfg.sz.Siblings, "siblings", envInt("BENCH_SIBLINGS", 2000), "files beside each ancestor of the deep path (env BENCH_SIBLINGS)")
	flag.IntVar(&cfg.sz.MemFiles, "mem-files", envInt("BENCH_MEM_FILES", 4), "files, and --transfers, of the memory scenario (env BENCH_MEM_FILES)")
	flag.Int64Var(&cfg.sz.MemMiB, "mem-mib", envInt("BENCH_MEM_MIB", int64(128)), "size of each memory-scenario file (env BENCH_MEM_MIB)")
	flag.Parse()
	cfg.oursArgs = strings.Fields(*oursArgs)
	cfg.runs = max(cfg.runs, 1)
	if only != "" {
		cfg.only = map[string]bool{}
		for _, name := range strings.Split(only, ",") {
			cfg.only[strings.TrimSpace(name)] = true
		}
	}
	return cfg
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

func envDuration(key string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(key)); err == nil && d > 0 {
		return d
	}
	return def
}

// bench is the state shared by every scenario run.
type bench struct {
	cfg      config
	work     string
	caFile   string
	ca       *mitm.CA
	data     *dataset
	backends []backend
	versions map[string]string
}

func run(ctx context.Context, cfg config) error {
	work, err := os.MkdirTemp("", "benchputio-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	b, err := newBench(ctx, cfg, work)
	if err != nil {
		return err
	}
	start := time.Now()
	results, err := b.runScenarios(ctx)
	if err != nil {
		return err
	}
	rep := report{
		Date: time.Now().UTC().Format(time.RFC3339), Command: reproduceCommand(), Source: sourceRevision(ctx),
		OursArgs: strings.Join(cfg.oursArgs, " "), Runs: cfg.runs, Sizes: cfg.sz, Latency: cfg.latency.String(),
		CPUs: runtime.NumCPU(), Versions: b.versions, Results: results, Wall: time.Since(start).Round(time.Second).String(),
	}
	fmt.Println()
	rep.writeText(os.Stdout)
	return rep.save(cfg.outDir)
}

// newBench checks the tools, copies the binaries, makes the CA and writes
// the local data, all under work.
func newBench(ctx context.Context, cfg config, work string) (*bench, error) {
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
	b := &bench{cfg: cfg, work: work, caFile: filepath.Join(work, "ca.pem"), versions: map[string]string{}}
	var err error
	b.backends, err = freshCopies(filepath.Join(work, "bin"), []backend{{Name: "upstream", Bin: cfg.upstream}, {Name: "ours", Bin: cfg.ours, Args: cfg.oursArgs}})
	if err != nil {
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
	start := time.Now()
	if b.data, err = makeDataset(filepath.Join(work, "data"), cfg.sz); err != nil {
		return nil, fmt.Errorf("make local data: %w", err)
	}
	fmt.Printf("local data written in %.1fs\n\n", time.Since(start).Seconds())
	return b, nil
}

// runScenarios measures every selected scenario cfg.runs times per
// backend, alternating backends so drift in the machine's load hits both,
// and keeps the median run of each.
func (b *bench) runScenarios(ctx context.Context) ([]result, error) {
	var results []result
	for _, sc := range scenarios(b.cfg.sz, b.data) {
		if b.cfg.only != nil && !b.cfg.only[sc.Name] {
			continue
		}
		runs := map[string][]result{}
		for range b.cfg.runs {
			for _, be := range b.backends {
				res := b.measure(ctx, sc, be)
				fmt.Println(res.progressLine())
				runs[be.Name] = append(runs[be.Name], res)
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
			}
		}
		for _, be := range b.backends {
			results = append(results, medianRun(runs[be.Name]))
		}
	}
	return results, nil
}

// measure runs one scenario with one backend on a fresh emulator.
func (b *bench) measure(ctx context.Context, sc scenario, be backend) result {
	res := result{Scenario: sc.Name, What: sc.What, Backend: be.Name, KeyRoute: sc.KeyRoute}
	dir := filepath.Join(b.work, sc.Name+"-"+be.Name)
	defer os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return res.failed("setup", err)
	}
	emuLog, err := os.Create(filepath.Join(dir, "emulator.log"))
	if err != nil {
		return res.failed("setup", err)
	}
	defer emuLog.Close()
	token := "bench-" + sc.Name + "-" + be.Name
	e, err := emu.Start(ctx, b.cfg.emulator, filepath.Join(dir, "emulator-data"), token, emuLog)
	if err != nil {
		return res.failed("start emulator", err)
	}
	defer e.Stop()
	proxy, err := mitm.Start(b.ca, mitm.Config{Target: e.URL, Hosts: putioHosts, Delay: b.cfg.latency})
	if err != nil {
		return res.failed("start proxy", err)
	}
	defer proxy.Close()
	w := &world{emu: e, data: b.data, dir: dir, sz: b.cfg.sz}
	if sc.seed != nil {
		if err := sc.seed(ctx, w); err != nil {
			return res.failed("seed", err)
		}
	}
	if err := e.ResetCounters(ctx); err != nil {
		return res.failed("reset counters", err)
	}
	env := rcloneEnv{dir: dir, token: token, proxyURL: proxy.URL(), caFile: b.caFile, timeout: b.cfg.timeout}
	r := runRclone(ctx, be, env, sc.args(w))
	calls, err := e.Calls(ctx)
	if err != nil {
		return res.failed("read counters", err)
	}
	res.record(sc, r, calls, proxy.Refused())
	if r.Err == nil {
		if err := sc.check(ctx, w, r); err != nil {
			res.Status, res.Error = statusWrong, err.Error()
		}
	}
	return res
}

func version(ctx context.Context, bin string) string {
	out, err := exec.CommandContext(ctx, bin, "version").Output()
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	first, _, _ := strings.Cut(string(out), "\n")
	return strings.TrimSpace(strings.TrimPrefix(first, "rclone "))
}

// reproduceCommand is the command line, with the size overrides that
// differ from the defaults, for RESULTS.md.
func reproduceCommand() string {
	var env []string
	for _, kv := range os.Environ() {
		key, value, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(key, "BENCH_") {
			env = append(env, key+"="+shellQuote(value))
		}
	}
	return strings.TrimSpace(strings.Join(env, " ") + " make bench")
}

// sourceRevision names the commit bin/rclone was most likely built from,
// and says if the backend had uncommitted changes.
func sourceRevision(ctx context.Context) string {
	head, err := exec.CommandContext(ctx, "git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	rev := strings.TrimSpace(string(head))
	dirty, err := exec.CommandContext(ctx, "git", "status", "--porcelain", "--", "backend/putio", "backend/all", "cmd/rclone").Output()
	if err == nil && len(strings.TrimSpace(string(dirty))) > 0 {
		rev += " with uncommitted backend changes"
	}
	return rev
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
		copyPath := filepath.Join(dir, "rclone-"+be.Name)
		if err := copyFile(be.Bin, copyPath); err != nil {
			return nil, err
		}
		be.Bin = copyPath
		out = append(out, be)
	}
	return out, nil
}

func copyFile(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	_, err = io.Copy(dst, src)
	return errors.Join(err, dst.Close())
}

// shellQuote leaves plain words alone and single-quotes the rest.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./,:=") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
