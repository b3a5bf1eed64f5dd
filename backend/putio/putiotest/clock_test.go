package putiotest_test

import (
	"sync"
	"testing"
	"time"
)

// fakeClock is a settable Options.Now.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *fakeClock { return &fakeClock{now: t0} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// mustTakeAtLeast checks that fn was delayed by at least d.
func mustTakeAtLeast(t *testing.T, d time.Duration, fn func()) {
	t.Helper()
	start := time.Now()
	fn()
	if took := time.Since(start); took < d {
		t.Fatalf("took %v, want at least %v", took, d)
	}
}
