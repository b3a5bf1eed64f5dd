package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// remoteName is the rclone remote every command uses, defined through
// environment variables so no config file is written.
const remoteName = "bench"

// backend is one rclone binary under test.
type backend struct {
	Name string // "ours" or "upstream"
	Bin  string
	Args []string // extra flags for every command
	// plain marks the baseline (plainEntrant), not an rclone.
	plain bool
}

// rcloneRun is one measured rclone process.
type rcloneRun struct {
	Args     []string
	Wall     time.Duration
	MaxRSS   int64 // bytes, ru_maxrss: includes the binary's resident text
	PeakAnon int64 // bytes, sampled RssAnon: heap, stacks and buffers
	Stdout   string
	Err      error  // exit status and the tail of stderr
	Logged   string // the tail of stderr after a successful exit
	Killed   bool   // ended by SIGKILL from kill, not by itself
}

// rcloneEnv is what a measured rclone needs: an account on the emulator
// reached only through the proxy, trusting only the throwaway CA.
type rcloneEnv struct {
	dir      string // scratch: HOME, TMPDIR, empty config
	token    string
	proxyURL string
	caFile   string
	timeout  time.Duration
}

// command returns the full argument list for args.
func (e rcloneEnv) command(args []string) []string {
	global := []string{
		"--config", filepath.Join(e.dir, "rclone.conf"),
		"--http-proxy", e.proxyURL,
		"--ca-cert", e.caFile,
		"--retries", "1",
		"-q",
	}
	return append(append([]string(nil), args...), global...)
}

func (e rcloneEnv) environ() []string {
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + e.dir,
		"TMPDIR=" + e.dir,
		"RCLONE_CONFIG_" + strings.ToUpper(remoteName) + "_TYPE=putio",
		"RCLONE_CONFIG_" + strings.ToUpper(remoteName) + `_TOKEN={"access_token":"` + e.token + `","token_type":"Bearer","expiry":"0001-01-01T00:00:00Z"}`,
	}
}

// timeBin is GNU time. It measures max RSS rather than this process's own
// rusage because on Linux a child's ru_maxrss starts at the peak RSS of the
// process that forked it (Go forks with a shared address space): the
// harness's memory would leak into the figure. time forks from a tiny
// process instead.
const timeBin = "/usr/bin/time"

// runRclone starts b with args, waits, and measures wall time and the peak
// resident set of that process alone. Closing kill (nil: never) ends
// rclone with SIGKILL, as a crash or a power cut would.
func runRclone(ctx context.Context, b backend, env rcloneEnv, args []string, kill <-chan struct{}) rcloneRun {
	if err := os.WriteFile(filepath.Join(env.dir, "rclone.conf"), nil, 0o600); err != nil {
		return rcloneRun{Err: err}
	}
	return runMeasured(ctx, b.Bin, env.command(append(args, b.Args...)), env, kill)
}

// runMeasured runs bin with args as runRclone says, in env's directory and
// minimal environment: every entrant, rclone or baseline, is started and
// measured the same way.
func runMeasured(ctx context.Context, bin string, args []string, env rcloneEnv, kill <-chan struct{}) rcloneRun {
	r := rcloneRun{Args: args}
	statsFile := filepath.Join(env.dir, "time.out")
	ctx, cancel := context.WithTimeout(ctx, env.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, timeBin, append([]string{"-f", "%M", "-o", statsFile, bin}, r.Args...)...)
	cmd.Env = env.environ()
	cmd.Dir = env.dir
	// A group of its own, so a timeout kills rclone and not just time.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Start()
	if err == nil {
		stop := make(chan struct{})
		peak := make(chan int64, 1)
		killed := make(chan bool, 1)
		go func() { peak <- peakAnon(cmd.Process.Pid, stop) }()
		go func() { killed <- killOnSignal(cmd.Process.Pid, kill, stop) }()
		err = cmd.Wait()
		close(stop)
		r.PeakAnon, r.Killed = <-peak, <-killed
	}
	r.Wall = time.Since(start)
	r.Stdout = stdout.String()
	r.MaxRSS = readMaxRSS(statsFile)
	switch {
	case r.Killed:
		r.Err = nil // the kill was the plan; the caller checks the rest
	case ctx.Err() == context.DeadlineExceeded:
		r.Err = fmt.Errorf("timed out after %s: %s", env.timeout, lastLines(stderr.String(), 3))
	case err != nil:
		r.Err = fmt.Errorf("%w: %s", err, lastLines(stderr.String(), 3))
	default:
		// -q leaves only errors on stderr: news even after exit 0.
		r.Logged = lastLines(stderr.String(), 3)
	}
	return r
}

// killOnSignal SIGKILLs the process group of pid (time and rclone) when
// kill closes before stop, and reports whether it did.
func killOnSignal(pid int, kill, stop <-chan struct{}) bool {
	select {
	case <-kill:
		return syscall.Kill(-pid, syscall.SIGKILL) == nil
	case <-stop:
		return false
	}
}

// readMaxRSS reads time's %M (KiB, last line) in bytes; 0 if missing.
func readMaxRSS(statsFile string) int64 {
	data, err := os.ReadFile(statsFile)
	if err != nil {
		return 0
	}
	kib, err := strconv.ParseInt(lastLines(string(data), 1), 10, 64)
	if err != nil {
		return 0
	}
	return kib << 10
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
