package mitm

import (
	"io"
	"net/http"
	"sync"
	"time"
)

// UploadStats is what the proxy saw of tus upload bodies (every PATCH,
// and a creation POST that carries bytes under creation-with-upload): body
// bytes that crossed it and the span from the first such request's
// arrival to the last one's reply. Measured on the wire, it needs no help
// from the server.
type UploadStats struct {
	Requests int
	InFlight int // requests not yet answered
	Bytes    int64
	First    time.Time // arrival of the first request
	Last     time.Time // end of the last request's reply
}

// Span is the time from the first request to the end of the last one.
func (s UploadStats) Span() time.Duration {
	if s.First.IsZero() || s.Last.Before(s.First) {
		return 0
	}
	return s.Last.Sub(s.First)
}

// uploadMeter accumulates UploadStats and wakes waiters once enough bytes
// have gone by.
type uploadMeter struct {
	mu      sync.Mutex
	stats   UploadStats
	waiters []byteWaiter
}

type byteWaiter struct {
	bytes int64
	ch    chan struct{}
}

func (m *uploadMeter) snapshot() UploadStats {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.stats
}

func (m *uploadMeter) started(now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.stats.Requests++
	m.stats.InFlight++
	if m.stats.First.IsZero() {
		m.stats.First = now
	}
}

func (m *uploadMeter) finished(now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.stats.InFlight--
	if now.After(m.stats.Last) {
		m.stats.Last = now
	}
}

func (m *uploadMeter) add(n int64) {
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
func (m *uploadMeter) after(n int64) <-chan struct{} {
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

// tusBodyType marks a request body as upload bytes, in a PATCH and in a
// creation-with-upload POST alike.
const tusBodyType = "application/offset+octet-stream"

// meterUploads counts the body bytes of tus upload requests as the target
// reads them, so a client killed mid-body is counted for what it sent.
func (m *uploadMeter) meterUploads(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPatch && r.Header.Get("Content-Type") != tusBodyType {
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
	m *uploadMeter
}

func (b countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 {
		b.m.add(int64(n))
	}
	return n, err
}
