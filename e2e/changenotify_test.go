package e2e

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer collects a background process's output for polling.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) has(s string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Contains(b.buf.String(), s)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestChangeNotifyFromTheFeed runs `rclone test changenotify`, which logs
// each change the backend reports: an upload made by another client is
// reported with its path, and revoking the token stops the feed with the
// reconnect advice and rclone does not reconnect.
func TestChangeNotifyFromTheFeed(t *testing.T) {
	t.Parallel()
	emu := startEmulator(t)
	r := newRemote(t, emu)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := r.command(ctx, nil, "test", "changenotify", "--poll-interval", "10s", path(""))
	logs := &lockedBuffer{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); _ = cmd.Wait() }()
	waitFor(t, time.Minute, "the feed to connect", func() bool { return logs.has("Waiting for changes") })

	r.tusUpload(t, "from-elsewhere.txt", []byte("hello"), time.Now())
	waitFor(t, time.Minute, "the upload's notification", func() bool { return logs.has(`"from-elsewhere.txt": 1`) })

	r.api(t, "POST", "/v2/oauth/grants/logout", nil)
	waitFor(t, time.Minute, "the feed to stop", func() bool { return logs.has("change notification stopped") })
	if !logs.has(`rclone config reconnect e2e:`) {
		t.Errorf("no reconnect advice in:\n%s", logs)
	}
	if got := emu.calls(t, "GET /socket/sockjs/websocket"); got != 1 {
		t.Errorf("the feed was opened %d times, want once", got)
	}
}
