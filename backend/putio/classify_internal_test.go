package putio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"syscall"
	"testing"

	"github.com/rclone-putio/rclone-putio/backend/putio/api"
	"github.com/rclone-putio/rclone-putio/backend/putio/internal/tus"
	"github.com/rclone/rclone/fs/fserrors"
	"github.com/stretchr/testify/assert"
)

// Every kind of error the backend meets is read by classify, and the
// retry and "may have worked" predicates follow from what it reads.
func TestClassifyEveryErrorKind(t *testing.T) {
	reply := func(status int, errorType string) *api.Error {
		return &api.Error{Status: status, Type: errorType, Method: http.MethodPost, Path: "/v2/files/delete"}
	}
	timeout := &net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}
	refusedDial := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	for _, c := range []struct {
		name          string
		err           error
		want          callOutcome
		retry, mayDid bool
		// uploadMayPass: a failed upload keeps its session for a later run
		uploadMayPass bool
	}{
		{"no error", nil, succeeded, false, false, false},
		{"our context's cancellation", context.Canceled, cancelled, false, false, true},
		{"a wrapped cancellation", fmt.Errorf("putio: listing: %w", context.Canceled), cancelled, false, false, true},
		{"a deadline that is not our context's", context.DeadlineExceeded, unanswered, true, true, true},
		{"400", reply(http.StatusBadRequest, "INVALID_NAME"), refusal, false, false, false},
		{"409", reply(http.StatusConflict, ""), refusal, false, false, false},
		{"413 about the size", reply(http.StatusRequestEntityTooLarge, ""), refusal, false, false, false},
		{"404", reply(http.StatusNotFound, "NOT_FOUND"), absent, false, false, false},
		{"410", reply(http.StatusGone, ""), lostForGood, false, false, false},
		{"FILE_LOST with 404", reply(http.StatusNotFound, errTypeFileLost), lostForGood, false, false, false},
		{"FILE_LOST with 500", reply(http.StatusInternalServerError, errTypeFileLost), lostForGood, false, true, false},
		{"429", reply(http.StatusTooManyRequests, "TooManyRequests"), busy, true, false, true},
		{"trash lock", reply(http.StatusBadRequest, errTypeTrashLock), busy, true, false, true},
		{"FILE_NOT_REACHABLE", reply(http.StatusBadRequest, errTypeNotReachable), busy, true, false, true},
		{"500", reply(http.StatusInternalServerError, ""), unanswered, true, true, true},
		{"503 with the trash lock's type", reply(http.StatusServiceUnavailable, errTypeTrashLock), unanswered, true, true, true},
		{"a reply put in rclone's retry wrapper by the pacer", fserrors.RetryError(reply(http.StatusBadGateway, "")), unanswered, true, true, true},
		{"a 429 put in rclone's retry wrapper by the pacer", fserrors.RetryError(reply(http.StatusTooManyRequests, "")), busy, true, false, true},
		{"a rejected token", &authError{remote: "putio", cause: reply(http.StatusUnauthorized, "invalid_grant")}, loginRejected, false, false, true},
		{"a wrapped rejected token", fmt.Errorf("putio: %w", &authError{cause: reply(http.StatusUnauthorized, "")}), loginRejected, false, false, true},
		{"a route closed to apps", &scopeError{cause: reply(http.StatusUnauthorized, errTypeInvalidScope)}, closedToApps, false, false, false},
		{"a full account", &quotaError{cause: reply(http.StatusRequestEntityTooLarge, errTypeQuota)}, accountFull, false, false, true},
		{"a captcha", &captchaError{id: "x", cause: reply(http.StatusTooManyRequests, "")}, captchaNeeded, false, false, true},
		{"a truncated error body", fmt.Errorf("putio: POST /v2/files/delete: HTTP 500: %w", errTruncated), unanswered, true, true, true},
		{"a truncated reply", fmt.Errorf("putio: GET /v2/files/list: %w (got 3 bytes)", errTruncated), unanswered, true, true, true},
		{"a cut connection", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), unanswered, true, true, true},
		{"a network timeout", timeout, unanswered, true, true, true},
		{"a refused connection", refusedDial, unsent, true, false, true},
		{"a refused connection as net/http returns it", &url.Error{Op: "Post", URL: "http://127.0.0.1:9/v2/files/delete", Err: refusedDial}, unsent, true, false, true},
		{"a refused proxy", &net.OpError{Op: "proxyconnect", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}, unsent, true, false, true},
		{"a host name that does not resolve", &url.Error{Op: "Get", URL: "https://api.put.io/v2/files/list", Err: &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "api.put.io", IsNotFound: true}}}, unsent, true, false, true},
		{"a bare DNS failure", &net.DNSError{Err: "server misbehaving", Name: "api.put.io", IsTemporary: true}, unsent, true, false, true},
		{"a reset after the connection was made", &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}, unanswered, true, true, true},
		{"a broken pipe while writing the request", &net.OpError{Op: "write", Net: "tcp", Err: os.NewSyscallError("write", syscall.EPIPE)}, unanswered, true, true, true},
		{"an EOF after the connection was made", &url.Error{Op: "Post", URL: "http://127.0.0.1:9/v2/files/delete", Err: io.EOF}, unanswered, true, true, true},
		{"a malformed reply", errors.New("putio: GET /v2/files/1: malformed reply"), undetermined, false, true, false},
		{"a resumable PATCH", fserrors.RetryErrorf("putio: resuming the upload after: %v", reply(http.StatusConflict, "")), unanswered, true, true, true},
		{"a lost final upload reply", fserrors.NoLowLevelRetryError(errors.New("putio: the reply that completes the upload was lost")), undetermined, false, true, false},
		{"no low-level retry of a 5xx", fserrors.NoLowLevelRetryError(reply(http.StatusBadGateway, "")), undetermined, false, true, false},
		{"an unsettled write", &unsettledError{reply(http.StatusBadGateway, "")}, undetermined, false, true, false},
		{"the source failed", &sourceError{Err: io.ErrUnexpectedEOF}, sourceFailed, false, true, true},
		{"the source can't go back", fmt.Errorf("putio: the upload must go on from byte 9: %w", tus.ErrCannotRewind), sourceFailed, false, true, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			assert.Equal(t, c.want, classify(ctx, c.err))
			assert.Equal(t, c.retry, shouldRetry(ctx, c.err), "shouldRetry")
			assert.Equal(t, c.mayDid, mayHaveWorked(ctx, c.err), "mayHaveWorked")
			assert.Equal(t, c.uploadMayPass, mayPass(ctx, c.err), "mayPass")
		})
	}
}

// Once our context has ended, any failure reads as cancelled: it is
// neither retried nor taken as possibly done.
func TestClassifyAfterOurContextEnded(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, err := range []error{&api.Error{Status: http.StatusBadGateway}, io.ErrUnexpectedEOF, errTruncated} {
		assert.Equal(t, cancelled, classify(ctx, err), "%v", err)
		assert.False(t, shouldRetry(ctx, err), "%v", err)
		assert.False(t, mayHaveWorked(ctx, err), "%v", err)
	}
	assert.Equal(t, succeeded, classify(ctx, nil))
}
