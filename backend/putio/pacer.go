package putio

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/rclone/rclone/fs"
	"github.com/rclone/rclone/lib/pacer"
	"golang.org/x/time/rate"
)

// Retries go through rclone's lib/pacer (backoff, --low-level-retries,
// --max-connections), but lib/pacer arms its sleep before it sees a call's
// result, so a 429's Retry-After handed to it as a RetryAfterError only
// takes effect from the second retry: the first one goes out at once and is
// refused again. The gate below is waited on inside every paced attempt
// instead, so a 429 delays the very next attempt, and every concurrent call,
// by exactly what the server asked for.

const (
	// rateLimitFallback is how long to back off after a 429 that names no
	// delay; it is the default put.io staff chose for rclone (PR #6064).
	rateLimitFallback = 60 * time.Second
	// lowBudget is the x-ratelimit-remaining at or below which the gate
	// spreads the remaining requests evenly until the window resets.
	lowBudget = 10
	// minSleep and maxSleep bound lib/pacer's backoff while calls fail
	// with 5xx, network errors and other transient failures.
	minSleep = 100 * time.Millisecond
	maxSleep = 2 * time.Second
	// skewMargin is added to waits for a reset time when the server sent
	// no Date to measure them against.
	skewMargin = time.Second
	// noticeDelay is the rate-limit wait long enough to tell the user about.
	noticeDelay = 10 * time.Second
)

// gate holds every request until the server is willing to take it.
type gate struct {
	limiter  *rate.Limiter
	fallback time.Duration

	mu           sync.Mutex
	blockedUntil time.Time
	// apiDate is the Date of the latest API reply, which arrived when our
	// monotonic clock read apiDateAt: see apiTimeAt.
	apiDate, apiDateAt time.Time
}

// observeAPIDate notes the Date of a reply from the API, the host whose
// clock stamps created_at. Upload and download hosts are never asked:
// their clocks may differ from the API's.
func (g *gate) observeAPIDate(h http.Header) {
	date, err := http.ParseTime(h.Get("Date"))
	if err != nil {
		return
	}
	g.mu.Lock()
	g.apiDate, g.apiDateAt = date, time.Now()
	g.mu.Unlock()
}

// apiTimeAt is a time at or before the API's clock when ours read local
// (which must keep its monotonic reading), and false before any API
// reply gave its Date. The Date of a reply is at or before the API's
// time when we read it, and the time between that moment and local is
// measured on our monotonic clock, so neither our wall clock nor any
// other host's clock comes into it.
func (g *gate) apiTimeAt(local time.Time) (time.Time, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.apiDateAt.IsZero() {
		return time.Time{}, false
	}
	return g.apiDate.Add(local.Sub(g.apiDateAt)), true
}

func newGate() *gate {
	return &gate{limiter: rate.NewLimiter(rate.Inf, 1), fallback: rateLimitFallback}
}

// gates holds one gate per login, so every Fs rclone makes for the same
// remote (sub-roots, the other side of a server-side copy), or for another
// remote with the same login, shares it.
var gates = perLogin[gate]{newT: newGate}

// wait blocks until the gate opens or ctx ends.
func (g *gate) wait(ctx context.Context) error {
	for {
		g.mu.Lock()
		delay := time.Until(g.blockedUntil)
		g.mu.Unlock()
		if delay <= 0 {
			return g.limiter.Wait(ctx)
		}
		// Loop: another 429 may have pushed blockedUntil further meanwhile.
		if err := sleepCtx(ctx, delay); err != nil {
			return err
		}
	}
}

// observe reads the rate-limit headers of any reply, with err, the
// reply's translated error if it failed. A captcha 429 holds nothing:
// waiting does not clear it, and the call fails at once.
func (g *gate) observe(resp *http.Response, err error) {
	now := time.Now()
	serverNow := serverClock(resp.Header, now)
	reset, hasReset := resetTime(resp.Header)
	if resp.StatusCode == http.StatusTooManyRequests {
		if !isCaptcha(err) {
			g.blockUntil(now.Add(g.retryDelay(resp.Header, bodyRetryAfter(err), serverNow)))
		}
		return
	}
	remaining, err := strconv.Atoi(resp.Header.Get("X-Ratelimit-Remaining"))
	if err != nil || !hasReset {
		return
	}
	g.spread(remaining, reset.Sub(serverNow))
}

// serverClock is the server's time when it replied. x-ratelimit-reset and
// an HTTP-date Retry-After are instants on the server's clock, so waits
// are measured against its Date header: our own clock may be off by any
// amount. Date has whole seconds, at or behind the server's time, so a
// wait measured from it never ends early. Without Date, our clock is
// used less skewMargin.
func serverClock(h http.Header, now time.Time) time.Time {
	if date, err := http.ParseTime(h.Get("Date")); err == nil {
		return date
	}
	return now.Add(-skewMargin)
}

// bodyRetryAfter is the retry_after a 429's body gave, 0 if none.
func bodyRetryAfter(err error) time.Duration {
	if apiErr, ok := apiError(err); ok {
		return apiErr.RetryAfter
	}
	return 0
}

// retryDelay is what a 429 asks for. Headers win over the body: first
// Retry-After, then the window reset, then the body's retry_after, else
// the fallback; serverNow is the server's clock. The headers are what
// put.io's rate limiter itself sets (and what rclone has always obeyed);
// retry_after is a hint in the body.
func (g *gate) retryDelay(h http.Header, bodyDelay time.Duration, serverNow time.Time) time.Duration {
	if seconds, err := strconv.Atoi(h.Get("Retry-After")); err == nil && seconds >= 0 {
		return time.Duration(seconds) * time.Second
	}
	if when, err := http.ParseTime(h.Get("Retry-After")); err == nil {
		return when.Sub(serverNow)
	}
	if reset, ok := resetTime(h); ok {
		return reset.Sub(serverNow)
	}
	if bodyDelay > 0 {
		return bodyDelay
	}
	return g.fallback
}

// resetTime parses x-ratelimit-reset, epoch seconds.
func resetTime(h http.Header) (time.Time, bool) {
	epoch, err := strconv.ParseInt(h.Get("X-Ratelimit-Reset"), 10, 64)
	if err != nil || epoch <= 0 {
		return time.Time{}, false
	}
	return time.Unix(epoch, 0), true
}

func (g *gate) blockUntil(until time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !until.After(g.blockedUntil) {
		return
	}
	g.blockedUntil = until
	delay := time.Until(until).Round(time.Millisecond)
	if delay >= noticeDelay {
		fs.Logf(nil, "put.io rate limit: holding requests for %v", delay)
	} else {
		fs.Debugf(nil, "put.io rate limit: holding requests for %v", delay)
	}
}

// spread slows the limiter when the budget runs low so the remaining calls
// last until the window resets, and lifts the limit once it is plentiful.
func (g *gate) spread(remaining int, untilReset time.Duration) {
	switch {
	case remaining > lowBudget || untilReset <= 0:
		g.limiter.SetLimit(rate.Inf)
	case remaining == 0:
		g.blockUntil(time.Now().Add(untilReset))
	default:
		g.limiter.SetLimit(rate.Limit(float64(remaining) / untilReset.Seconds()))
	}
}

// sleepCtx sleeps for d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// newPacer is the pacer every API, upload and download attempt goes through.
func newPacer(ctx context.Context) *fs.Pacer {
	return fs.NewPacer(ctx, backoffCalculator{})
}

// backoffCalculator spaces calls only while they fail. lib/pacer's default
// calculator keeps a minimum sleep between all calls, which serialises
// small uploads (hundreds of calls a second are fine for put.io; the gate
// slows us when its rate-limit headers say so).
type backoffCalculator struct{}

// Calculate implements pacer.Calculator: no wait after a success, then
// minSleep doubling up to maxSleep for each consecutive retry.
func (backoffCalculator) Calculate(state pacer.State) time.Duration {
	if state.ConsecutiveRetries == 0 {
		return 0
	}
	return min(minSleep<<min(state.ConsecutiveRetries-1, 8), maxSleep)
}

// retry runs attempt through the pacer until it succeeds, fails for good,
// or rclone's --low-level-retries is used up. Each attempt first waits on
// the gate, which holds it for as long as a 429 asked.
func (f *Fs) retry(ctx context.Context, what string, attempt func() error) error {
	return f.pacer.Call(func() (bool, error) {
		if err := f.gate.wait(ctx); err != nil {
			return false, err
		}
		err := attempt()
		retry := shouldRetry(ctx, err)
		if retry {
			fs.Debugf(f, "%s: will retry after: %v", what, err)
		}
		return retry, err
	})
}
