package putio

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/putdotio/go-putio"
	"github.com/rclone-putio/rclone-putio/backend/putio/api"
	"github.com/rclone/rclone/fs"
	"github.com/rclone/rclone/fs/fserrors"
)

// Error types put.io uses that the backend acts on.
const (
	errTypeTrashLock    = "TRASH_LOCK_TIMEOUT"
	errTypeNameExists   = "NAME_ALREADY_EXIST"
	errTypeNameTooLong  = "NAME_TOO_LONG"
	errTypeInvalidScope = "invalid_scope"      // a route closed to third-party apps
	errTypeFileLost     = "FILE_LOST"          // gone for good
	errTypeNotReachable = "FILE_NOT_REACHABLE" // temporarily unreachable
	errTypeQuota        = "QUOTA_EXCEEDED"     // the account's disk is full (413)
)

// captchaURL is where put.io asks a user to solve a captcha; the id comes
// from the x-ratelimit-id header.
const captchaURL = "https://app.put.io/captcha/"

// captchaError is a 429 that waiting does not clear: put.io wants a
// captcha solved in a browser first.
type captchaError struct {
	id    string
	cause *api.Error
}

func (e *captchaError) Error() string {
	where := captchaURL + e.id
	if e.id == "" {
		where = "https://app.put.io/ (put.io gave no captcha id)"
	}
	return fmt.Sprintf("%v: put.io wants a captcha solved before it takes more requests: open %s in a browser, solve it, then run the command again", e.cause, where)
}

func (e *captchaError) Unwrap() error { return e.cause }

// Fatal tells rclone to stop the whole run (no --retries either): every
// request fails the same way until the captcha is solved.
func (e *captchaError) Fatal() bool { return true }

// isCaptcha reports a captcha-needed refusal.
func isCaptcha(err error) bool {
	var captcha *captchaError
	return errors.As(err, &captcha)
}

// errTruncated marks a reply body that ended early; the call is retried.
var errTruncated = errors.New("reply body ended early")

// authError is a rejected token, with the command that fixes it.
type authError struct {
	remote string
	cause  *api.Error
}

func (e *authError) Error() string {
	return fmt.Sprintf("%v: the login token was rejected: %s to log in again", e.cause, reconnectAdvice(e.remote))
}

// reconnectAdvice names the command that renews the token of remote. rclone
// suffixes a remote's name with "{hash}" when options come from flags,
// environment variables or a connection string; the config knows it without.
func reconnectAdvice(remote string) string {
	configName, _, _ := strings.Cut(remote, "{")
	return fmt.Sprintf("run \"rclone config reconnect %s:\"", configName)
}

func (e *authError) Unwrap() error { return e.cause }

// scopeError is put.io refusing a route to third-party apps, which rclone
// is: the token is fine, so logging in again would not help.
type scopeError struct {
	cause *api.Error
}

func (e *scopeError) Error() string {
	return fmt.Sprintf("%v: put.io does not let third-party apps such as rclone do this; do it in the put.io web app", e.cause)
}

func (e *scopeError) Unwrap() error { return e.cause }

// quotaError is put.io refusing to store more: the account is full. It
// is told apart from a 413 about a request's size, which a smaller
// request cures; this only the user can.
type quotaError struct {
	cause *api.Error
}

func (e *quotaError) Error() string {
	return fmt.Sprintf("%v: the put.io account is full: free space or empty the trash, then run again", e.cause)
}

func (e *quotaError) Unwrap() error { return e.cause }

// NoRetry tells rclone not to retry the transfer in this run (--retries):
// the account stays full until the user frees space.
func (e *quotaError) NoRetry() bool { return true }

// unsettledError is a write that stopped with something in place that
// the backend could not settle: an upload after a try that may have made
// the file, with no look able to tell whether it did; a copy over a file
// that stopped with both kept. rclone must not try it again in this run:
// another try could add a second copy, or replace the first and put it in
// the trash. pacer marks errors that outlast their retries for rclone to
// retry; this is the outermost answer.
type unsettledError struct{ err error }

func (e *unsettledError) Error() string {
	return e.err.Error() + " (not tried again: check it before running again)"
}

func (e *unsettledError) Unwrap() error { return e.err }

// Retry and NoLowLevelRetry tell rclone's transfer not to try again.
func (e *unsettledError) Retry() bool           { return false }
func (e *unsettledError) NoLowLevelRetry() bool { return true }

// isAccountFull reports put.io refusing to store more for lack of space.
func isAccountFull(err error) bool {
	var full *quotaError
	return errors.As(err, &full)
}

// isScopeRefusal reports put.io refusing a route to third-party apps.
func isScopeRefusal(err error) bool {
	var scope *scopeError
	return errors.As(err, &scope)
}

// translateError turns go-putio's error into an *api.Error, keeping
// network and context errors as they are. Its own Error method must never
// be called: it slices 250 bytes of any body that is not JSON, so a short
// one shows NUL padding or, in a smaller buffer, panics.
func (f *Fs) translateError(err error) error {
	var reply *putio.ErrorResponse
	if !errors.As(err, &reply) {
		return err
	}
	apiErr := api.ParseError(reply.Response.StatusCode, reply.Body)
	if req := reply.Response.Request; req != nil {
		apiErr.Method = req.Method
		apiErr.Path = req.URL.Path
		if header := reply.Response.Header.Get("Location"); header != "" {
			if location, err := req.URL.Parse(header); err == nil {
				apiErr.Location = location.String()
			}
		}
	}
	if bodyTruncated(reply) {
		// A refusal whose body was cut short says nothing of which
		// refusal it was: the try counts as a reply lost on the way.
		return fmt.Errorf("putio: %s %s: HTTP %d: %w", apiErr.Method, apiErr.Path, apiErr.Status, errTruncated)
	}
	if apiErr.Status == http.StatusUnauthorized && apiErr.Type == errTypeInvalidScope {
		return &scopeError{cause: apiErr}
	}
	if apiErr.Status == http.StatusUnauthorized {
		return &authError{remote: f.name, cause: apiErr}
	}
	if apiErr.Type == errTypeQuota {
		return &quotaError{cause: apiErr}
	}
	if strings.EqualFold(reply.Response.Header.Get("X-Ratelimit-Action"), "captcha-needed") {
		return &captchaError{id: reply.Response.Header.Get("X-Ratelimit-Id"), cause: apiErr}
	}
	return apiErr
}

// bodyTruncated reports an error reply whose body did not arrive whole: its
// read failed, or its JSON ends early. An empty body is a bare status.
func bodyTruncated(reply *putio.ErrorResponse) bool {
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case reply.ParseError == nil || errors.As(reply.ParseError, &typeErr):
		return false
	case errors.As(reply.ParseError, &syntaxErr):
		return len(reply.Body) > 0 && syntaxErr.Offset >= int64(len(reply.Body))
	}
	return true // the body's read failed
}

// apiError returns err as an *api.Error if it is one.
func apiError(err error) (*api.Error, bool) {
	var apiErr *api.Error
	ok := errors.As(err, &apiErr)
	return apiErr, ok
}

// hasStatus reports whether err is an API error with that HTTP status.
func hasStatus(err error, status int) bool {
	apiErr, ok := apiError(err)
	return ok && apiErr.Status == status
}

// hasType reports whether err is an API error with that error_type.
func hasType(err error, errorType string) bool {
	apiErr, ok := apiError(err)
	return ok && apiErr.Type == errorType
}

// callOutcome is what a call's error says about the call: whether it may
// have been done, and whether another try is worth making. classify is the
// one place that reads errors so; the predicates below switch on it.
type callOutcome int

const (
	succeeded callOutcome = iota
	// cancelled: our context ended.
	cancelled
	// refusal: a 4xx put.io would answer again; not done.
	refusal
	// busy: not done yet (429, trash lock, FILE_NOT_REACHABLE); worth
	// another try.
	busy
	// unanswered: no usable answer (5xx, network error, truncated body);
	// may have been done, and worth another try.
	unanswered
	// unsent: the request never left (the connection or the host's name
	// failed before a byte was sent); not done, and worth another try.
	unsent
	// undetermined: may have been done, and another try here would not
	// tell (an unusable reply, an error marked NoLowLevelRetry).
	undetermined
	// absent: a 404, no such item.
	absent
	// lostForGood: a 410 or FILE_LOST, put.io lost the item.
	lostForGood
	// loginRejected: the token was rejected (authError).
	loginRejected
	// captchaNeeded: put.io wants a captcha solved (captchaError).
	captchaNeeded
	// closedToApps: a route put.io refuses third-party apps (scopeError).
	closedToApps
	// accountFull: put.io stores no more (quotaError).
	accountFull
	// sourceFailed: the local side failed, reading the source or going
	// back in it.
	sourceFailed
)

// classify reads err, an error of a call made under ctx.
func classify(ctx context.Context, err error) callOutcome {
	if err != nil && ctx.Err() != nil {
		return cancelled
	}
	return outcomeOf(err)
}

// outcomeOf is classify for an error whose context does not matter. The
// backend's own errors come first, as they wrap a put.io reply that alone
// would read otherwise; rclone's wrappers next, as they say what a
// caller decided; then put.io's replies and network errors.
func outcomeOf(err error) callOutcome {
	var auth *authError
	var source *sourceError
	apiErr, isAPI := apiError(err)
	switch {
	case err == nil:
		return succeeded
	case errors.Is(err, context.Canceled):
		return cancelled
	case isCaptcha(err):
		return captchaNeeded
	case errors.As(err, &auth):
		return loginRejected
	case isScopeRefusal(err):
		return closedToApps
	case isAccountFull(err):
		return accountFull
	case errors.As(err, &source):
		return sourceFailed
	case fserrors.IsNoLowLevelRetryError(err):
		return undetermined
	case isAPI:
		return replyOutcome(apiErr)
	case neverSent(err):
		return unsent
	case errors.Is(err, errTruncated) || fserrors.IsRetryError(err) || fserrors.ShouldRetry(err):
		return unanswered
	}
	return undetermined
}

// neverSent reports a network failure that provably sent nothing: the
// dial (or the proxy's) failed, or the host's name did not resolve. A
// reset, an early EOF or a timeout after the connection was made may come
// after the request arrived, so they are not read so.
func neverSent(err error) bool {
	var dnsErr *net.DNSError
	var opErr *net.OpError
	return errors.As(err, &dnsErr) || errors.As(err, &opErr) && (opErr.Op == "dial" || opErr.Op == "proxyconnect")
}

// replyOutcome reads an error reply of put.io's.
func replyOutcome(apiErr *api.Error) callOutcome {
	switch {
	case apiErr.Status == http.StatusGone || apiErr.Type == errTypeFileLost:
		return lostForGood
	case apiErr.Status >= http.StatusInternalServerError:
		return unanswered
	case apiErr.Status == http.StatusTooManyRequests || apiErr.Type == errTypeTrashLock || apiErr.Type == errTypeNotReachable:
		return busy
	case apiErr.Status == http.StatusNotFound:
		return absent
	}
	return refusal
}

// shouldRetry decides whether an attempt is worth repeating.
func shouldRetry(ctx context.Context, err error) bool {
	switch classify(ctx, err) {
	case busy, unanswered, unsent:
		return true
	}
	return false
}

// mayHaveWorked reports whether a failed try may have reached the server
// and done its work. A loss put.io reports failing (a 5xx naming
// FILE_LOST) is not worth another try, but the server may have met it
// after the work: its error type says why it failed, not that nothing
// was done.
func mayHaveWorked(ctx context.Context, err error) bool {
	switch classify(ctx, err) {
	case unanswered, undetermined, sourceFailed:
		return true
	case lostForGood:
		apiErr, _ := apiError(err)
		return apiErr.Status >= http.StatusInternalServerError
	}
	return false
}

// isGone reports an item put.io has lost for good: 410 or FILE_LOST.
func isGone(err error) bool {
	return outcomeOf(err) == lostForGood
}

// isNotFound reports that put.io has no such item: a 404, or an item lost
// for good.
func isNotFound(err error) bool {
	switch outcomeOf(err) {
	case absent, lostForGood:
		return true
	}
	return false
}

// notFoundAs maps a 404, or an item lost for good (410, FILE_LOST), to
// the rclone sentinel the caller expects, which rclone compares by
// identity.
func notFoundAs(err, notFound error) error {
	if isNotFound(err) {
		return notFound
	}
	return err
}

// goneAs maps an item put.io lost for good (410, FILE_LOST) to the rclone
// sentinel the caller expects; unlike notFoundAs it leaves a 404 alone,
// which for a copy or move can also be the echo of a lost reply.
func goneAs(err, notFound error) error {
	if isGone(err) {
		return notFound
	}
	return err
}

// logIgnored logs a clean-up error that must not mask the main one.
func logIgnored(o any, what string, err error) {
	if err != nil {
		fs.Errorf(o, "%s failed: %v", what, err)
	}
}

// reportLeftover logs and counts a failed clean-up that leaves something
// in the user's account (a temporary copy, a corrupt upload, a time not
// put back): rclone then reports the run as failed, and the log says what
// to remove or fix.
func reportLeftover(ctx context.Context, what string, err error) {
	if err != nil {
		fs.Errorf(nil, "%s failed, so it is left as it is: %v", what, err)
		_ = fs.CountError(ctx, err)
	}
}
