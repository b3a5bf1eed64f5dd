package emuproc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"time"
)

// adminSecretEnv is the variable that gives the emulator an admin secret.
const adminSecretEnv = "PUTIO_EMULATOR_ADMIN_SECRET"

// addressPrefix starts the first line the emulator prints; its URL follows.
const addressPrefix = "putio-emulator listening on "

// readyTimeout bounds the wait for the address line, so an emulator that
// hangs on start fails its caller instead of blocking it.
const readyTimeout = time.Minute

// Process is a running putio-emulator.
type Process struct {
	// URL is its base, "http://127.0.0.1:PORT" ("https://" with -tls).
	URL string

	cmd     *exec.Cmd
	exited  chan struct{} // closed once the process has been waited for
	waitErr error         // how it ended; read only after exited is closed
}

// Start runs bin on a free loopback port with args appended to -addr, its
// stderr going to stderr (nil: discarded), and returns once the process
// has printed its address. Ending ctx kills the process. The process does
// not inherit an admin secret from the environment: Client sends none,
// and on loopback none is needed.
func Start(ctx context.Context, bin string, args []string, stderr io.Writer) (*Process, error) {
	stdout := newFirstLine()
	cmd := exec.CommandContext(ctx, bin, append([]string{"-addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, adminSecretEnv+"=") })
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	p := &Process{cmd: cmd, exited: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	timer := time.NewTimer(readyTimeout)
	defer timer.Stop()
	var err error
	select {
	case <-stdout.ready:
		p.URL, err = parseAddress(stdout.line)
	case <-p.exited:
		err = fmt.Errorf("the emulator exited before printing its address (%v); its output: %q", p.waitErr, stdout.partial)
	case <-timer.C:
		err = fmt.Errorf("the emulator printed no address within %s", readyTimeout)
	case <-ctx.Done():
		err = ctx.Err()
	}
	if err != nil {
		return nil, errors.Join(err, p.Kill())
	}
	return p, nil
}

// parseAddress returns the URL of an address line, or an error quoting a
// line that is not one.
func parseAddress(line string) (string, error) {
	rest, ok := strings.CutPrefix(strings.TrimRight(line, "\r\n"), addressPrefix)
	u, err := url.Parse(rest)
	if !ok || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || strings.ContainsAny(rest, " \t") {
		return "", fmt.Errorf("the emulator's first line is %q, want %q and its URL", line, addressPrefix)
	}
	return rest, nil
}

// Stop asks the emulator to shut down (SIGTERM) and waits for it. An exit
// status other than 0 is an error; an end by signal is not.
func (p *Process) Stop() error { return p.end(syscall.SIGTERM) }

// Kill ends the emulator at once and waits for it.
func (p *Process) Kill() error { return p.end(os.Kill) }

func (p *Process) end(sig os.Signal) error {
	if err := p.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("signalling the emulator: %w", err)
	}
	<-p.exited
	var exit *exec.ExitError
	if errors.As(p.waitErr, &exit) && !exit.Exited() {
		return nil
	}
	return p.waitErr
}

// maxLine bounds what is kept of stdout while waiting for a newline.
const maxLine = 4 << 10

// firstLine is the emulator's stdout: it keeps the first line, signals
// ready, and discards the rest, so the process never blocks on a full pipe.
// exec's copying goroutine is its only writer; line is read only after
// ready is closed, partial only after the process has been waited for.
type firstLine struct {
	ready   chan struct{}
	line    string
	partial []byte
}

func newFirstLine() *firstLine { return &firstLine{ready: make(chan struct{})} }

func (w *firstLine) Write(p []byte) (int, error) {
	select {
	case <-w.ready:
		return len(p), nil
	default:
	}
	w.partial = append(w.partial, p...)
	if i := bytes.IndexByte(w.partial, '\n'); i >= 0 || len(w.partial) > maxLine {
		if i < 0 {
			i = len(w.partial)
		}
		w.line = string(w.partial[:i])
		close(w.ready)
	}
	return len(p), nil
}
