package putiotest

import (
	"net/http"
	"strconv"
	"sync"
	"time"
)

// rateLimiter gives each token a fixed window of RateLimit.Requests. Its
// lock is its own, never held with another.
type rateLimiter struct {
	cfg  RateLimit // cfg, now and omit are fixed by init
	now  func() time.Time
	omit map[string]bool

	mu      sync.Mutex // guards windows
	windows map[string]*rateWindow
}

type rateWindow struct {
	start time.Time
	used  int
}

func (l *rateLimiter) init(cfg RateLimit, now func() time.Time) {
	l.cfg, l.now = cfg, now
	l.windows = map[string]*rateWindow{}
	l.omit = map[string]bool{}
	for _, h := range cfg.Omit {
		if h != "retry_after" {
			h = http.CanonicalHeaderKey(h)
		}
		l.omit[h] = true
	}
}

// admit counts the request against its token's window; over budget it
// replies 429 and reports false. The x-ratelimit-* headers go on every
// reply while limiting is on.
func (l *rateLimiter) admit(c *call) bool {
	if l.cfg.Requests <= 0 {
		return true
	}
	now := l.now()
	l.mu.Lock()
	w := l.windows[c.token]
	if w == nil || !now.Before(w.start.Add(l.cfg.Window)) {
		w = &rateWindow{start: now}
		l.windows[c.token] = w
	}
	w.used++
	used, reset := w.used, w.start.Add(l.cfg.Window)
	l.mu.Unlock()

	l.setHeader(c.w, "X-Ratelimit-Limit", strconv.Itoa(l.cfg.Requests))
	l.setHeader(c.w, "X-Ratelimit-Remaining", strconv.Itoa(max(l.cfg.Requests-used, 0)))
	l.setHeader(c.w, "X-Ratelimit-Reset", strconv.FormatInt(ceilUnix(reset.Add(c.clockSkew)), 10))
	if used <= l.cfg.Requests {
		return true
	}
	if l.cfg.Captcha {
		l.failCaptcha(c)
		return false
	}
	wait := max(int64(reset.Sub(now)+time.Second-1)/int64(time.Second), 1)
	l.setHeader(c.w, "Retry-After", strconv.FormatInt(wait, 10))
	body := errorBody(http.StatusTooManyRequests, "TooManyRequests", "rate limit exceeded; wait for the time in Retry-After / x-ratelimit-reset")
	if !l.omit["retry_after"] {
		body["retry_after"] = wait
	}
	writeJSON(c.w, http.StatusTooManyRequests, body)
	return false
}

// failCaptcha is put.io's 429 for a client that must solve a captcha at
// https://app.put.io/captcha/<x-ratelimit-id>: no delay would help.
func (l *rateLimiter) failCaptcha(c *call) {
	c.w.Header().Set("X-Ratelimit-Action", "captcha-needed")
	c.w.Header().Set("X-Ratelimit-Id", randomHex(8))
	c.fail(http.StatusTooManyRequests, "RATE_LIMIT_ERROR", "too many requests; solve the captcha to continue")
}

func (l *rateLimiter) setHeader(w http.ResponseWriter, key, value string) {
	if !l.omit[key] {
		w.Header().Set(key, value)
	}
}

// ceilUnix is t in epoch seconds, rounded up so a client never wakes early.
func ceilUnix(t time.Time) int64 {
	s := t.Unix()
	if t.Nanosecond() > 0 {
		s++
	}
	return s
}
