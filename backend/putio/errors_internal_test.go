package putio

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/api"
	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
	"github.com/rclone/rclone/fs"
	"github.com/rclone/rclone/fs/fserrors"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCaptchaStopsAtOnceWithTheCaptchaURL(t *testing.T) {
	f, srv, _ := seedFile(t)
	require.NoError(t, srv.Inject(putiotest.Fault{Route: childRoute, Status: http.StatusTooManyRequests, ErrorType: "RATE_LIMIT_ERROR",
		Headers: map[string]string{"X-Ratelimit-Action": "captcha-needed", "X-Ratelimit-Id": "abc123", "Retry-After": "3600"}}))

	_, err := f.NewObject(guardedCtx(t, f), "file.txt")

	require.Error(t, err)
	assert.NotErrorIs(t, err, context.DeadlineExceeded, "no wait for Retry-After")
	assert.Equal(t, 1, srv.Calls(childRoute), "nothing retried")
	assert.Contains(t, err.Error(), "https://app.put.io/captcha/abc123")
	assert.Contains(t, err.Error(), "browser")
	assert.Contains(t, err.Error(), "run the command again")
	assert.True(t, f.gate.blockedUntil.Before(time.Now()), "the gate holds nothing for a captcha")
	assert.True(t, fserrors.IsFatalError(err), "a sync stops at once, without --retries")
}

func TestCaptchaModeOfTheEmulatorsRateLimit(t *testing.T) {
	// Without x-ratelimit-remaining the gate does not hold calls for the
	// window to reset, so the next call meets the captcha.
	f, srv, _ := seedFile(t, putiotest.Options{RateLimit: putiotest.RateLimit{Requests: 1, Window: time.Hour,
		Captcha: true, Omit: []string{"X-Ratelimit-Remaining"}}})
	_, _ = f.NewObject(context.Background(), "file.txt") // spends the budget
	srv.ResetCounters()

	_, err := f.NewObject(context.Background(), "file.txt")

	require.True(t, isCaptcha(err), "got %v", err)
	assert.Regexp(t, `https://app\.put\.io/captcha/[0-9a-f]+ in a browser`, err.Error())
	assert.Equal(t, 1, srv.TotalCalls())
}

// retryAfterBody is a put.io 429 body carrying retry_after.
func retryAfterBody(seconds string) string {
	return `{"status":"ERROR","status_code":429,"error_type":"RATE_LIMIT_ERROR","error_message":"slow down","retry_after":` + seconds + `}`
}

func TestRetryAfterInTheBodyIsHonoured(t *testing.T) {
	f, srv, _ := seedFile(t)
	f.gate.fallback = time.Minute // would make the test time out if used
	require.NoError(t, srv.Inject(putiotest.Fault{Route: childRoute, Status: http.StatusTooManyRequests, Body: retryAfterBody("2"), Times: 1}))

	_, err := f.NewObject(context.Background(), "file.txt")

	require.NoError(t, err)
	gap := gapAfter429(t, srv, childRoute)
	assert.GreaterOrEqual(t, gap, 2*time.Second-50*time.Millisecond)
	assert.Less(t, gap, 2*time.Second+700*time.Millisecond)
}

func TestRetryAfterHeaderWinsOverTheBody(t *testing.T) {
	f, srv, _ := seedFile(t)
	require.NoError(t, srv.Inject(putiotest.Fault{Route: childRoute, Status: http.StatusTooManyRequests, Body: retryAfterBody("30"),
		Headers: map[string]string{"Retry-After": "1"}, Times: 1}))

	_, err := f.NewObject(context.Background(), "file.txt")

	require.NoError(t, err)
	gap := gapAfter429(t, srv, childRoute)
	assert.GreaterOrEqual(t, gap, time.Second-50*time.Millisecond)
	assert.Less(t, gap, 2*time.Second)
}

func TestTemporaryUnavailabilityIsRetried(t *testing.T) {
	for name, fault := range map[string]putiotest.Fault{
		"FILE_NOT_REACHABLE": {Status: http.StatusBadRequest, ErrorType: "FILE_NOT_REACHABLE"},
		"503":                {Status: http.StatusServiceUnavailable, ErrorType: "ServiceUnavailable"},
	} {
		t.Run(name, func(t *testing.T) {
			f, srv, _ := seedFile(t)
			fault.Route, fault.Times = childRoute, 2
			require.NoError(t, srv.Inject(fault))

			o, err := f.NewObject(context.Background(), "file.txt")

			require.NoError(t, err)
			assert.Equal(t, int64(7), o.Size())
			assert.Equal(t, 3, srv.Calls(childRoute))
		})
	}
}

func TestLostFilesAreNotFoundForGood(t *testing.T) {
	for name, fault := range map[string]putiotest.Fault{
		"410":                {Status: http.StatusGone, ErrorType: "Gone"},
		"FILE_LOST":          {Status: http.StatusBadRequest, ErrorType: "FILE_LOST"},
		"FILE_LOST with 500": {Status: http.StatusInternalServerError, ErrorType: "FILE_LOST"},
	} {
		t.Run(name, func(t *testing.T) {
			f, srv, _ := seedFile(t)
			fault.Route = childRoute
			require.NoError(t, srv.Inject(fault))
			_, err := f.NewObject(context.Background(), "file.txt")
			assert.ErrorIs(t, err, fs.ErrorObjectNotFound)
			assert.Equal(t, 1, srv.Calls(childRoute), "not retried")

			fault.Route = listRoute
			require.NoError(t, srv.Inject(fault))
			_, err = f.List(context.Background(), "")
			assert.ErrorIs(t, err, fs.ErrorDirNotFound)
			assert.Equal(t, 1, srv.Calls(listRoute), "not retried")

			// A lost folder on the way down a path is not there either.
			_, err = f.List(context.Background(), "lost/dir")
			assert.ErrorIs(t, err, fs.ErrorDirNotFound)
		})
	}
}

// fiveFiles seeds five files and lists two per page.
func fiveFiles(t *testing.T, opts ...putiotest.Options) (*Fs, *putiotest.Server) {
	f, srv, acct := newTestFs(t, nil, opts...)
	for _, name := range []string{"a", "b", "c", "d", "e"} {
		_, err := acct.Put(name, []byte(name), testModTime)
		require.NoError(t, err)
	}
	f.pageSize = 2
	srv.ResetCounters()
	return f, srv
}

func TestRefusedCursorRestartsTheListingOnce(t *testing.T) {
	f, srv := fiveFiles(t)
	// The second page's cursor is refused: the listing starts over.
	require.NoError(t, srv.Inject(putiotest.Fault{Route: continueRoute, Status: http.StatusBadRequest, ErrorType: "INVALID_CURSOR", Times: 1}))

	entries, err := f.List(context.Background(), "")

	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Remote())
	}
	assert.Equal(t, []string{"a", "b", "c", "d", "e"}, names, "each file exactly once")
	assert.Equal(t, 2, srv.Calls(listRoute))
}

func TestRefusedCursorTwiceFailsClearly(t *testing.T) {
	f, srv := fiveFiles(t, putiotest.Options{CursorExpiry: time.Nanosecond}) // every cursor has expired
	var delivered int

	err := f.ListP(context.Background(), "", func(entries fs.DirEntries) error {
		delivered += len(entries)
		return nil
	})

	require.Error(t, err)
	assert.Contains(t, err.Error(), "incomplete")
	assert.Contains(t, err.Error(), "INVALID_CURSOR")
	assert.Equal(t, 2, srv.Calls(listRoute), "restarted once, not more")
	assert.Equal(t, 2, delivered, "the restart handed on no item twice")
	assert.False(t, errors.Is(err, fs.ErrorDirNotFound))
}

// A lost item reads as rclone's sentinel, by identity; a 404 does not, as
// copy and move treat it as the possible echo of a lost reply.
func TestGoneAs(t *testing.T) {
	lost := &api.Error{Status: http.StatusGone, Type: errTypeFileLost}
	assert.Same(t, fs.ErrorObjectNotFound, goneAs(lost, fs.ErrorObjectNotFound))
	assert.Same(t, fs.ErrorDirNotFound, goneAs(lost, fs.ErrorDirNotFound))
	missing := &api.Error{Status: http.StatusNotFound}
	assert.Same(t, error(missing), goneAs(missing, fs.ErrorObjectNotFound))
	assert.NoError(t, goneAs(nil, fs.ErrorObjectNotFound))
}
