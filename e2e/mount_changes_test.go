package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rclone-putio/rclone-putio/internal/fusemount"
)

// changeLine is one line of `rclone backend changes`.
type changeLine struct {
	Time   time.Time `json:"time"`
	Kind   string    `json:"kind"`
	Change string    `json:"change"`
	Path   string    `json:"path"`
}

// changeStream reads `rclone backend changes` as it prints.
type changeStream struct {
	mu    sync.Mutex
	lines []changeLine
	bad   []string // lines that are not JSON
}

func (s *changeStream) read(r io.Reader) {
	scanner := bufio.NewScanner(r)
	for scanner.Scan() {
		var line changeLine
		err := json.Unmarshal(scanner.Bytes(), &line)
		s.mu.Lock()
		if err != nil {
			s.bad = append(s.bad, scanner.Text())
		} else {
			s.lines = append(s.lines, line)
		}
		s.mu.Unlock()
	}
}

// find returns the first line about p, if there is one yet.
func (s *changeStream) find(p string) (changeLine, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := slices.IndexFunc(s.lines, func(l changeLine) bool { return l.Path == p })
	if i < 0 {
		return changeLine{}, false
	}
	return s.lines[i], true
}

// isMounted reports whether dir is a FUSE mount point, from the kernel's
// table.
func isMounted(t *testing.T, dir string) bool {
	points, err := fusemount.Under(dir)
	if err != nil {
		t.Fatalf("reading the mount table: %v", err)
	}
	return slices.Contains(points, dir)
}

// mountRemote runs `rclone mount` of p on a new directory until the test
// ends, and returns the directory once the kernel has it mounted. The
// dir cache is an hour: only the change feed can show a new file.
func mountRemote(t *testing.T, r *remote, p, helper string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "mnt")
	mustMkdirAll(t, dir)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := r.command(ctx, nil, "mount", p, dir, "--vfs-cache-mode", "off", "--dir-cache-time", "1h", "--poll-interval", "1m")
	logs := &lockedBuffer{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		// Unmount first (rclone then exits by itself); kill only if not.
		if err := fusemount.UnmountUnder(helper, dir); err != nil && isMounted(t, dir) {
			t.Errorf("unmounting %s: %v", dir, err)
		}
		select {
		case err := <-exited:
			logExit(t, err)
		case <-time.After(time.Minute):
			cancel()
			logExit(t, <-exited)
		}
		cancel()
		if t.Failed() {
			t.Logf("rclone mount output:\n%s", logs)
		}
	})
	waitFor(t, 2*time.Minute, "the mount", func() bool {
		select {
		case err := <-exited:
			t.Fatalf("rclone mount exited: %v\n%s", err, logs)
		default:
		}
		return isMounted(t, dir)
	})
	return dir
}

// waitSubscribed waits until the changes stream has put.io's feed: put.io
// does not say when it has taken the token, and changes made before are
// never reported, so warm-up uploads are made until one is reported.
func waitSubscribed(t *testing.T, r *remote, changes *changeStream) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for try := 0; time.Now().Before(deadline); try++ {
		name := fmt.Sprintf("warm-up-%d.txt", try)
		r.tusUpload(t, name, []byte("hello"), time.Now())
		for wait := time.Now().Add(5 * time.Second); time.Now().Before(wait); time.Sleep(20 * time.Millisecond) {
			if _, ok := changes.find(name); ok {
				return
			}
		}
	}
	t.Fatal("changes reported none of the warm-up uploads within 2m")
}

// logExit notes how a background rclone ended, which is useful only when
// the test has failed.
func logExit(t *testing.T, err error) {
	if err != nil {
		t.Logf("rclone mount ended: %v", err)
	}
}

// TestMountSeesTransferAndChangesReportsIt is the media-server case end to
// end: a real `rclone mount` and `rclone backend changes` on one account;
// a transfer put.io completes shows up in the mount, whose dir cache only
// the feed can refresh, and changes prints its path within 5 s of the
// completion. Ctrl-C ends changes with exit code 0.
func TestMountSeesTransferAndChangesReportsIt(t *testing.T) {
	helper, unavailable := fusemount.Helper()
	if unavailable != "" {
		t.Skip("FUSE is not available, so nothing can be mounted: " + unavailable)
	}
	t.Parallel()
	emu := startEmulator(t)
	r := newRemote(t, emu)
	r.rclone(t, "mkdir", path("media"))
	mnt := mountRemote(t, r, path(""), helper)
	if entries, err := os.ReadDir(filepath.Join(mnt, "media")); err != nil || len(entries) != 0 {
		t.Fatalf("the new mount lists media as %v (%v), want it empty", entries, err)
	}

	changes := &changeStream{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := r.command(ctx, nil, "backend", "changes", path(""))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	read := make(chan struct{})
	go func() { defer close(read); changes.read(stdout) }()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("rclone backend changes stderr:\n%s", stderr)
		}
	})
	waitSubscribed(t, r, changes)

	body := randomBytes(1<<20, 18)
	var served time.Time // when the source had sent the last byte; put.io completes after
	var servedMu sync.Mutex
	source := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.Copy(w, bytes.NewReader(body))
		servedMu.Lock()
		served = time.Now()
		servedMu.Unlock()
	}))
	defer source.Close()
	r.rclone(t, "backend", "transfer", path("media"), source.URL+"/Show.S01E01.mkv")

	const want = "media/Show.S01E01.mkv"
	var reported changeLine
	waitFor(t, 2*time.Minute, "changes to report "+want, func() bool {
		var ok bool
		reported, ok = changes.find(want)
		return ok
	})
	servedMu.Lock()
	gap := reported.Time.Sub(served)
	servedMu.Unlock()
	t.Logf("changes reported %s %s %v after the source sent its last byte (put.io's completion comes after that)", reported.Kind, reported.Change, gap)
	if reported.Kind != "file" || reported.Change != "created" {
		t.Errorf("changes printed %+v for the transfer's file, want a created file", reported)
	}
	if gap > 5*time.Second {
		t.Errorf("changes reported the file %v after the transfer completed, want at most 5s", gap)
	}

	inMount := filepath.Join(mnt, "media", "Show.S01E01.mkv")
	waitFor(t, 2*time.Minute, "the mount to list the transfer's file", func() bool {
		entries, err := os.ReadDir(filepath.Dir(inMount))
		return err == nil && slices.ContainsFunc(entries, func(e os.DirEntry) bool { return e.Name() == "Show.S01E01.mkv" })
	})
	if got, err := os.ReadFile(inMount); err != nil || !bytes.Equal(got, body) {
		t.Errorf("reading the file through the mount: %d bytes, %v; want the %d served", len(got), err, len(body))
	}

	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	<-read
	if err := cmd.Wait(); err != nil {
		t.Errorf("changes ended with %v on Ctrl-C, want exit code 0\nstderr:\n%s", err, stderr)
	}
	changes.mu.Lock()
	defer changes.mu.Unlock()
	if len(changes.bad) > 0 {
		t.Errorf("changes printed lines that are not JSON: %q", changes.bad)
	}
}
