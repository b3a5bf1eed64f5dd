package mitm

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// BodyStats is what the proxy saw of one kind of body: tus upload bodies
// (every PATCH, and a creation POST that carries bytes under
// creation-with-upload), or download replies. Bytes are body bytes that
// crossed it; the span runs from the first such request's arrival to the
// last one's reply. Measured on the wire, it needs no help from the server.
type BodyStats struct {
	Requests int
	InFlight int // requests not yet answered
	Bytes    int64
	First    time.Time // arrival of the first request
	Last     time.Time // end of the last request's reply
}

// Span is the time from the first request to the end of the last one.
func (s BodyStats) Span() time.Duration {
	if s.First.IsZero() || s.Last.Before(s.First) {
		return 0
	}
	return s.Last.Sub(s.First)
}

// bodyMeter accumulates BodyStats and wakes waiters once enough bytes
// have gone by.
type bodyMeter struct {
	mu      sync.Mutex
	stats   BodyStats
	waiters []byteWaiter
}

type byteWaiter struct {
	bytes int64
	ch    chan struct{}
}

func (m *bodyMeter) snapshot() BodyStats {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.stats
}

func (m *bodyMeter) started(now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.stats.Requests++
	m.stats.InFlight++
	if m.stats.First.IsZero() {
		m.stats.First = now
	}
}

func (m *bodyMeter) finished(now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.stats.InFlight--
	if now.After(m.stats.Last) {
		m.stats.Last = now
	}
}

func (m *bodyMeter) add(n int64) {
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
func (m *bodyMeter) after(n int64) <-chan struct{} {
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
func (m *bodyMeter) meterUploads(next http.Handler) http.Handler {
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
	m *bodyMeter
}

func (b countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 {
		b.m.add(int64(n))
	}
	return n, err
}

// meterReplies counts the reply body bytes of requests whose path starts
// with prefix as they are written to the client: what a client pulled
// from the download host, including what it dropped unread.
func (m *bodyMeter) meterReplies(prefix string, next http.Handler) http.Handler {
	if prefix == "" {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, prefix) {
			next.ServeHTTP(w, r)
			return
		}
		m.started(time.Now())
		defer func() { m.finished(time.Now()) }()
		next.ServeHTTP(countingWriter{w, m}, r)
	})
}

type countingWriter struct {
	http.ResponseWriter
	m *bodyMeter
}

func (c countingWriter) Write(p []byte) (int, error) {
	n, err := c.ResponseWriter.Write(p)
	if n > 0 {
		c.m.add(int64(n))
	}
	return n, err
}

// Unwrap lets http.ResponseController flush through to the connection.
func (c countingWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }
