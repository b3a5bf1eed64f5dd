package putio

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
	"github.com/rclone/rclone/lib/pacer"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const childRoute = "GET /v2/files/{id}/child"

// gapAfter429 returns the time between the first 429 on route and the
// request that followed it on the same route, from the emulator's log.
func gapAfter429(t *testing.T, srv *putiotest.Server, route string) time.Duration {
	t.Helper()
	var limited time.Time
	for _, entry := range srv.Log() {
		if entry.Route != route {
			continue
		}
		if limited.IsZero() && entry.Status == http.StatusTooManyRequests {
			limited = entry.Time
		} else if !limited.IsZero() {
			return entry.Time.Sub(limited)
		}
	}
	t.Fatalf("no retry after a 429 on %s in %v", route, srv.Log())
	return 0
}

// guardedCtx bounds a call by hangGuard and sets f's fallback wait to an
// hour: a wait longer than the server asked then fails the test on the
// guard rather than passing slowly, with no upper bound on how long a
// right wait may take on a slow machine.
func guardedCtx(t *testing.T, f *Fs) context.Context {
	f.gate.fallback = time.Hour
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	t.Cleanup(cancel)
	return ctx
}

// gateShut reports whether f's gate holds calls now.
func gateShut(f *Fs) bool {
	f.gate.mu.Lock()
	defer f.gate.mu.Unlock()
	return time.Now().Before(f.gate.blockedUntil)
}

// seedFile puts a small file and returns an Fs with a warm dir cache.
func seedFile(t *testing.T, opts ...putiotest.Options) (*Fs, *putiotest.Server, *putiotest.Account) {
	f, srv, acct := newTestFs(t, nil, opts...)
	_, err := acct.Put("file.txt", []byte("content"), testModTime)
	require.NoError(t, err)
	srv.ResetCounters()
	return f, srv, acct
}

func TestRetryAfterIsHonouredOnFirstRetry(t *testing.T) {
	f, srv, _ := seedFile(t)
	require.NoError(t, srv.Inject(putiotest.Fault{Route: childRoute, Status: http.StatusTooManyRequests,
		ErrorType: "TooManyRequests", Headers: map[string]string{"Retry-After": "2"}, Times: 1}))

	_, err := f.NewObject(guardedCtx(t, f), "file.txt")

	require.NoError(t, err)
	assert.Equal(t, 2, srv.Calls(childRoute))
	gap := gapAfter429(t, srv, childRoute)
	assert.GreaterOrEqual(t, gap, 2*time.Second-50*time.Millisecond)
}

func TestRateLimitResetIsHonoured(t *testing.T) {
	f, srv, _ := seedFile(t)
	reset := time.Now().Add(2 * time.Second).Truncate(time.Second).Add(time.Second)
	require.NoError(t, srv.Inject(putiotest.Fault{Route: childRoute, Status: http.StatusTooManyRequests,
		Headers: map[string]string{"X-Ratelimit-Reset": strconv.FormatInt(reset.Unix(), 10), "X-Ratelimit-Remaining": "0"}, Times: 1}))

	_, err := f.NewObject(guardedCtx(t, f), "file.txt")

	require.NoError(t, err)
	var retried time.Time
	for _, entry := range srv.Log() {
		if entry.Route == childRoute && entry.Status == http.StatusOK {
			retried = entry.Time
		}
	}
	// Measured from the server's Date, which has whole seconds, the wait
	// may end up to a second after the reset, never before it.
	assert.False(t, retried.Before(reset.Add(-50*time.Millisecond)), "retried at %v, before the reset %v", retried, reset)
	assert.Greater(t, gapAfter429(t, srv, childRoute), time.Second)
}

// The wait for x-ratelimit-reset is measured on the server's clock (its
// Date header), so a clock off by an hour either way neither retries at
// once into another 429 nor waits an hour too long (which would fail on
// the hang guard).
func TestRateLimitResetWithSkewedClock(t *testing.T) {
	for _, skew := range []time.Duration{time.Hour, -time.Hour} {
		t.Run(skew.String(), func(t *testing.T) {
			serverNow := func() time.Time { return time.Now().Add(skew) }
			f, srv, _ := seedFile(t, putiotest.Options{Now: serverNow})
			reset := serverNow().Add(2 * time.Second).Truncate(time.Second)
			require.NoError(t, srv.Inject(putiotest.Fault{Route: childRoute, Status: http.StatusTooManyRequests,
				Headers: map[string]string{"X-Ratelimit-Reset": strconv.FormatInt(reset.Unix(), 10)}, Times: 1}))

			_, err := f.NewObject(guardedCtx(t, f), "file.txt")

			require.NoError(t, err)
			assert.Equal(t, 2, srv.Calls(childRoute))
			gap := gapAfter429(t, srv, childRoute)
			assert.Greater(t, gap, 900*time.Millisecond)
		})
	}
}

func TestRateLimitFallbackWithoutHeaders(t *testing.T) {
	f, srv, _ := seedFile(t)
	ctx := guardedCtx(t, f)
	f.gate.fallback = time.Second
	require.NoError(t, srv.Inject(putiotest.Fault{Route: childRoute, Status: http.StatusTooManyRequests, Times: 1}))

	_, err := f.NewObject(ctx, "file.txt")

	require.NoError(t, err)
	gap := gapAfter429(t, srv, childRoute)
	assert.GreaterOrEqual(t, gap, time.Second-50*time.Millisecond)
}

// A 429 holds every concurrent call, not just the one that got it.
func TestRateLimitHoldsConcurrentCalls(t *testing.T) {
	f, srv, _ := seedFile(t)
	require.NoError(t, srv.Inject(putiotest.Fault{Route: childRoute, Status: http.StatusTooManyRequests,
		Headers: map[string]string{"Retry-After": "1"}, Times: 1}))
	start := time.Now()
	_, err := f.NewObject(context.Background(), "file.txt")
	require.NoError(t, err)
	blocked := time.Since(start)
	require.GreaterOrEqual(t, blocked, 950*time.Millisecond)

	require.NoError(t, srv.Inject(putiotest.Fault{Route: childRoute, Status: http.StatusTooManyRequests,
		Headers: map[string]string{"Retry-After": "1"}, Times: 1}))
	var wg sync.WaitGroup
	var limitedAt time.Time
	wg.Go(func() { _, _ = f.NewObject(context.Background(), "file.txt") })
	require.Eventually(t, func() bool { return gateShut(f) }, hangGuard, time.Millisecond, "the 429 lands first")
	wg.Go(func() { _, _ = f.About(context.Background()) })
	wg.Wait()
	var aboutAt time.Time
	for _, entry := range srv.Log() {
		if entry.Route == childRoute && entry.Status == http.StatusTooManyRequests {
			limitedAt = entry.Time
		}
		if entry.Route == "GET /v2/account/info" {
			aboutAt = entry.Time
		}
	}
	assert.GreaterOrEqual(t, aboutAt.Sub(limitedAt), 950*time.Millisecond, "unrelated call waited for the window too")
}

// When the remaining budget runs low the gate spreads the calls left
// until the reset.
func TestLowBudgetSlowsDown(t *testing.T) {
	g := newGate()
	g.spread(4, 2*time.Second)
	assert.InDelta(t, 2.0, float64(g.limiter.Limit()), 0.01, "4 calls over 2 s")
	g.spread(500, 2*time.Second)
	assert.True(t, g.limiter.Limit() > 1e9, "limit lifted when the budget is plentiful")
	before := time.Now()
	g.spread(0, time.Second)
	after := time.Now()
	assert.False(t, g.blockedUntil.Before(before.Add(time.Second)) || g.blockedUntil.After(after.Add(time.Second)),
		"blocked until %v, not a second after the call", g.blockedUntil)
}

// The gate's wait respects cancellation.
func TestGateWaitRespectsContext(t *testing.T) {
	g := newGate()
	g.blockUntil(time.Now().Add(time.Hour))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, g.wait(ctx), context.DeadlineExceeded)
}

func TestTrashLockTimeoutIsRetried(t *testing.T) {
	f, srv, acct := seedFile(t)
	o, err := f.NewObject(context.Background(), "file.txt")
	require.NoError(t, err)
	require.NoError(t, srv.Inject(putiotest.Fault{Route: "POST /v2/files/delete", Status: http.StatusBadRequest,
		ErrorType: "TRASH_LOCK_TIMEOUT", Times: 1}))

	require.NoError(t, o.Remove(context.Background()))

	assert.Equal(t, 2, srv.Calls("POST /v2/files/delete"))
	assert.Len(t, acct.Trash(), 1)
}

func TestServerErrorsAreRetried(t *testing.T) {
	f, srv, _ := seedFile(t)
	require.NoError(t, srv.Inject(putiotest.Fault{Route: childRoute, Status: http.StatusBadGateway,
		Body: "<html>bad gateway</html>", ContentType: "text/html", Times: 2}))
	_, err := f.NewObject(context.Background(), "file.txt")
	require.NoError(t, err)
	assert.Equal(t, 3, srv.Calls(childRoute))
}

func TestOtherClientErrorsFailFast(t *testing.T) {
	f, srv, _ := seedFile(t)
	require.NoError(t, srv.Inject(putiotest.Fault{Route: childRoute, Status: http.StatusForbidden, ErrorType: "FORBIDDEN"}))
	_, err := f.NewObject(context.Background(), "file.txt")
	require.ErrorContains(t, err, "FORBIDDEN")
	assert.Equal(t, 1, srv.Calls(childRoute))
}

func TestRevokedTokenSaysReconnect(t *testing.T) {
	f, srv, _ := seedFile(t)
	require.NoError(t, srv.Inject(putiotest.Fault{Status: http.StatusUnauthorized, ErrorType: "invalid_grant"}))
	_, err := f.NewObject(context.Background(), "file.txt")
	require.ErrorContains(t, err, `rclone config reconnect `+testRemote+`:`)
	assert.Equal(t, 1, srv.TotalCalls(), "not retried")
}

func TestTruncatedReplyIsRetried(t *testing.T) {
	f, srv, _ := seedFile(t)
	require.NoError(t, srv.Inject(putiotest.Fault{Route: childRoute, Truncate: true, Times: 1}))
	o, err := f.NewObject(context.Background(), "file.txt")
	require.NoError(t, err)
	assert.Equal(t, int64(7), o.Size())
	assert.Equal(t, 2, srv.Calls(childRoute))
}

func TestCutReplyIsRetried(t *testing.T) {
	f, srv, _ := seedFile(t)
	require.NoError(t, srv.Inject(putiotest.Fault{Route: childRoute, Cut: putiotest.CutResponse, CutAfter: 10, Times: 1}))
	_, err := f.NewObject(context.Background(), "file.txt")
	require.NoError(t, err)
	assert.Equal(t, 2, srv.Calls(childRoute))
}

func TestMalformedRepliesGiveErrors(t *testing.T) {
	for name, body := range map[string]string{
		"html":          "<html>oops</html>",
		"null file":     `{"file":null,"status":"OK"}`,
		"missing file":  `{"status":"OK"}`,
		"string id":     `{"file":{"id":"abc","name":"file.txt"}}`,
		"zero id":       `{"file":{"id":0,"name":"file.txt"}}`,
		"negative id":   `{"file":{"id":-3,"name":"file.txt"}}`,
		"wrong types":   `{"file":{"id":5,"name":["file.txt"]}}`,
		"array":         `[1,2,3]`,
		"bad timestamp": `{"file":{"id":5,"name":"file.txt","updated_at":"soon"}}`,
	} {
		t.Run(name, func(t *testing.T) {
			f, srv, _ := seedFile(t)
			require.NoError(t, srv.Inject(putiotest.Fault{Route: childRoute, Status: http.StatusOK, Body: body}))
			_, err := f.NewObject(fewRetries(f, 2), "file.txt")
			require.Error(t, err)
			assert.Contains(t, err.Error(), "putio: GET /v2/files/0/child")
		})
	}
}

func TestMalformedErrorBodies(t *testing.T) {
	for name, body := range map[string]string{"empty": "", "short": "{", "html": "<h1>500</h1>"} {
		t.Run(name, func(t *testing.T) {
			f, srv, _ := seedFile(t)
			require.NoError(t, srv.Inject(putiotest.Fault{Route: childRoute, Status: http.StatusInternalServerError, Body: body, ContentType: "text/plain"}))
			_, err := f.NewObject(fewRetries(f, 2), "file.txt")
			require.ErrorContains(t, err, "HTTP 500")
			assert.Equal(t, 2, srv.Calls(childRoute))
		})
	}
}

// Every call goes through the gate, SetModTime included.
func TestSetModTimeIsRetried(t *testing.T) {
	f, srv, acct := seedFile(t)
	o, err := f.NewObject(context.Background(), "file.txt")
	require.NoError(t, err)
	require.NoError(t, srv.Inject(putiotest.Fault{Route: "POST /v2/files/touch", Status: http.StatusServiceUnavailable, Times: 1}))
	when := time.Date(2010, 1, 2, 3, 4, 5, 0, time.UTC)

	require.NoError(t, o.SetModTime(context.Background(), when))

	assert.Equal(t, 2, srv.Calls("POST /v2/files/touch"))
	stat, err := acct.Stat("file.txt")
	require.NoError(t, err)
	assert.Equal(t, when, stat.UpdatedAt.UTC())
	assert.Equal(t, when, o.ModTime(context.Background()))
}

// Contexts end retries and waits.
func TestCancelledContextStopsRetries(t *testing.T) {
	f, srv, _ := seedFile(t)
	require.NoError(t, srv.Inject(putiotest.Fault{Route: childRoute, Status: http.StatusTooManyRequests, Headers: map[string]string{"Retry-After": "3600"}}))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	result := make(chan error, 1)
	go func() {
		_, err := f.NewObject(ctx, "file.txt")
		result <- err
	}()
	require.Eventually(t, func() bool { return gateShut(f) }, hangGuard, time.Millisecond, "the 429 arrived")
	cancel()
	assert.ErrorIs(t, <-result, context.Canceled)
	assert.Equal(t, 1, srv.Calls(childRoute))
}

// With a small budget per window, the gate spreads calls so that none is
// refused: x-ratelimit-remaining and -reset pace the client.
func TestRateLimitBudgetIsSpread(t *testing.T) {
	f, srv, _ := seedFile(t, putiotest.Options{RateLimit: putiotest.RateLimit{Requests: 4, Window: time.Second}})
	for range 6 {
		_, err := f.NewObject(context.Background(), "file.txt")
		require.NoError(t, err)
	}
	for _, entry := range srv.Log() {
		assert.NotEqual(t, http.StatusTooManyRequests, entry.Status, "%s at %v", entry.Route, entry.Time)
	}
}

// A revoked token surfaces from NewFs when the root must be resolved.
func TestRevokedTokenAtNewFs(t *testing.T) {
	srv := putiotest.NewServer(t)
	require.NoError(t, srv.Inject(putiotest.Fault{Status: http.StatusUnauthorized}))
	_, err := newFsOn(srv, "revoked", "some/dir", nil)
	require.ErrorContains(t, err, `rclone config reconnect revoked:`)
}

// Successful calls are not spaced out (a minimum sleep between all calls
// made small uploads 20 times slower); failing ones back off exponentially.
func TestBackoffCalculator(t *testing.T) {
	for retries, want := range map[int]time.Duration{
		0:  0,
		1:  minSleep,
		2:  2 * minSleep,
		3:  4 * minSleep,
		5:  16 * minSleep,
		6:  maxSleep,
		50: maxSleep,
	} {
		got := backoffCalculator{}.Calculate(pacer.State{ConsecutiveRetries: retries, SleepTime: time.Second})
		assert.Equal(t, want, got, "after %d consecutive retries", retries)
	}
}

// A remote whose options come from the environment is named "e2e{hash}" by
// rclone; the advice must name the config section, which has no suffix.
func TestReconnectAdviceNamesTheConfigSection(t *testing.T) {
	assert.Equal(t, `run "rclone config reconnect e2e:"`, reconnectAdvice("e2e{gzjig}"))
	assert.Equal(t, `run "rclone config reconnect putio:"`, reconnectAdvice("putio"))
}
