package mitm

import (
	"io"
	"net/http"
	"sync"
	"time"
)

// PatchStats is what the proxy saw of tus PATCH requests: body bytes that
// crossed it and the span from the first PATCH's arrival to the last one's
// reply. Measured on the wire, it needs no help from the server.
type PatchStats struct {
	Requests int
	InFlight int // PATCHes not yet answered
	Bytes    int64
	First    time.Time // arrival of the first PATCH
	Last     time.Time // end of the last PATCH's reply
}

// Span is the time from the first PATCH to the end of the last one.
func (s PatchStats) Span() time.Duration {
	if s.First.IsZero() || s.Last.Before(s.First) {
		return 0
	}
	return s.Last.Sub(s.First)
}

// patchMeter accumulates PatchStats and wakes waiters once enough bytes
// have gone by.
type patchMeter struct {
	mu      sync.Mutex
	stats   PatchStats
	waiters []byteWaiter
}

type byteWaiter struct {
	bytes int64
	ch    chan struct{}
}

func (m *patchMeter) snapshot() PatchStats {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.stats
}

func (m *patchMeter) started(now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.stats.Requests++
	m.stats.InFlight++
	if m.stats.First.IsZero() {
		m.stats.First = now
	}
}

func (m *patchMeter) finished(now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.stats.InFlight--
	if now.After(m.stats.Last) {
		m.stats.Last = now
	}
}

func (m *patchMeter) add(n int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.stats.Bytes += n
	kept := m.waiters[:0]
	for _, w := range m.waiters {
		if m.stats.Bytes >= w.bytes {
			close(w.ch)
			continue
		}
		kept = append(kept, w)
	}
	m.waiters = kept
}

// after returns a channel closed once at least n body bytes have passed.
func (m *patchMeter) after(n int64) <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	ch := make(chan struct{})
	if m.stats.Bytes >= n {
		close(ch)
		return ch
	}
	m.waiters = append(m.waiters, byteWaiter{bytes: n, ch: ch})
	return ch
}

// meterPatches counts the body bytes of PATCH requests as the target reads
// them, so a client killed mid-body is counted for what it really sent.
func (m *patchMeter) meterPatches(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPatch {
			next.ServeHTTP(w, r)
			return
		}
		m.started(time.Now())
		defer func() { m.finished(time.Now()) }()
		r.Body = countingBody{r.Body, m}
		next.ServeHTTP(w, r)
	})
}

type countingBody struct {
	io.ReadCloser
	m *patchMeter
}

func (b countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 {
		b.m.add(int64(n))
	}
	return n, err
}
