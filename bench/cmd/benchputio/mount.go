package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/rclone-putio/rclone-putio/internal/fusemount"
)

// removeWork removes dir unless a mount is still below it.
func removeWork(helper, dir string) error {
	if err := fusemount.UnmountUnder(helper, dir); err != nil {
		return err
	}
	if left, err := fusemount.Under(dir); err != nil || len(left) > 0 {
		return errors.Join(err, fmt.Errorf("left %s in place: still mounted at %s", dir, strings.Join(left, ", ")))
	}
	return os.RemoveAll(dir)
}

// mountProc is one running rclone mount.
type mountProc struct {
	cmd    *exec.Cmd
	point  string
	helper string // fusermount3, for a forced unmount
	rcURL  string
	stderr *lockedBuffer
	exited chan struct{}
	err    error // how it ended; read only after exited is closed
}

// startMount runs rclone mount of the remote's root at point with the VFS
// cache mode, its cache in cacheDir and rc on a loopback port, and
// returns once the mount is in the mount table.
func startMount(ctx context.Context, be backend, env rcloneEnv, helper, point, cacheDir, mode string) (*mountProc, error) {
	port, err := freeLoopbackPort()
	if err != nil {
		return nil, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	args := env.command(append(mountArgs(point, cacheDir, mode, addr), be.Args...))
	if err := os.WriteFile(filepath.Join(env.dir, "rclone.conf"), nil, 0o600); err != nil {
		return nil, err
	}
	cmd := exec.Command(be.Bin, args...)
	cmd.Env = env.environ()
	cmd.Dir = env.dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	m := &mountProc{cmd: cmd, point: point, helper: helper, rcURL: "http://" + addr + "/", stderr: &lockedBuffer{}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = io.Discard, m.stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		m.err = cmd.Wait()
		close(m.exited)
	}()
	if err := m.waitMounted(ctx); err != nil {
		return nil, errors.Join(err, m.stop())
	}
	return m, nil
}

// mountArgs is the rclone mount command line before the global flags.
func mountArgs(point, cacheDir, mode, rcAddr string) []string {
	return []string{"mount", remote, point,
		"--vfs-cache-mode", mode, "--cache-dir", cacheDir,
		"--rc", "--rc-addr", rcAddr, "--rc-no-auth"}
}

// mountPoll is how often waitMounted looks at the mount table.
const mountPoll = 5 * time.Millisecond

// mountStartLimit bounds the wait for a mount to appear.
const mountStartLimit = time.Minute

func (m *mountProc) waitMounted(ctx context.Context) error {
	deadline := time.Now().Add(mountStartLimit)
	for {
		points, err := fusemount.Under(m.point)
		if err != nil {
			return err
		}
		if len(points) > 0 {
			return nil
		}
		select {
		case <-m.exited:
			return fmt.Errorf("rclone mount exited before mounting (%v): %s", m.err, m.stderr.tail(3))
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(mountPoll):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not mounted after %s: %s", m.point, mountStartLimit, m.stderr.tail(3))
		}
	}
}

// mountStopLimit bounds the wait for rclone to unmount and exit on SIGTERM.
const mountStopLimit = 30 * time.Second

// stop asks rclone to unmount and exit (SIGTERM), and forces both if it
// does not within mountStopLimit. An rclone that had already exited on its
// own is an error.
func (m *mountProc) stop() error {
	var early error
	select {
	case <-m.exited:
		early = fmt.Errorf("rclone mount exited by itself (%v): %s", m.err, m.stderr.tail(3))
	default:
		_ = syscall.Kill(-m.cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-m.exited:
		case <-time.After(mountStopLimit):
			early = fmt.Errorf("rclone mount still running %s after SIGTERM: killed", mountStopLimit)
			m.kill()
		}
	}
	return errors.Join(early, fusemount.UnmountUnder(m.helper, m.point))
}

// kill ends rclone at once: SIGKILL, which aborts the FUSE connection so
// reads blocked in the mount fail instead of hanging. The caller then
// unmounts (fusemount.UnmountUnder); the kill comes first because starting
// fusermount3 can itself wait on rclone: the child closes this process's
// open files in the mount as it execs, and each close asks rclone to flush.
func (m *mountProc) kill() {
	_ = syscall.Kill(-m.cmd.Process.Pid, syscall.SIGKILL)
	<-m.exited
}

// refresh re-lists every folder of the mount through rc vfs/refresh.
func (m *mountProc) refresh(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.rcURL+"vfs/refresh", strings.NewReader(`{"recursive":"true"}`))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("rc vfs/refresh: %w", err)
	}
	defer func() { warnCleanup("close the rc reply", resp.Body.Close()) }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("rc vfs/refresh: %w", err)
	}
	return refreshOK(resp.StatusCode, body)
}

// refreshOK checks a vfs/refresh reply: every folder it names says OK.
func refreshOK(status int, body []byte) error {
	var reply struct {
		Result map[string]string `json:"result"`
	}
	if err := json.Unmarshal(body, &reply); status != http.StatusOK || err != nil || len(reply.Result) == 0 {
		return fmt.Errorf("rc vfs/refresh: HTTP %d: %s", status, bytes.TrimSpace(body))
	}
	for dir, outcome := range reply.Result {
		if outcome != "OK" {
			return fmt.Errorf("rc vfs/refresh: %q: %s", dir, outcome)
		}
	}
	return nil
}

// freeLoopbackPort finds a port nobody listens on; inside the bench's
// namespace nothing else can take it before rclone does.
func freeLoopbackPort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	return port, ln.Close()
}

// lockedBuffer is a child's stderr, written by exec's copier and read by
// the harness meanwhile.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) tail(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return lastLines(b.buf.String(), n)
}
