package putio

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
	"github.com/rclone/rclone/fs/accounting"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// matrixFault is a column of the matrix. arm injects it into a cell for
// op and returns the route it hits; applies, if set, says which
// operations it concerns.
type matrixFault struct {
	name    string
	applies func(op matrixOp) bool
	arm     func(c *cell, op matrixOp) string
}

func (mf matrixFault) appliesTo(op matrixOp) bool { return mf.applies == nil || mf.applies(op) }

func lists(op matrixOp) bool    { return op.listRoute != "" }
func deletes(op matrixOp) bool  { return op.deletes }
func existing(op matrixOp) bool { return op.existing }

// once is a fault on the operation's own call that fires one time.
func once(f putiotest.Fault) func(c *cell, op matrixOp) string {
	return func(c *cell, op matrixOp) string {
		f := f // cells run in parallel: each arms its own copy
		f.Route, f.Times = op.route, 1
		require.NoError(c.t, c.srv.Inject(f))
		return op.route
	}
}

// always is a fault on the operation's own call that fires every time.
func always(f putiotest.Fault) func(c *cell, op matrixOp) string {
	return func(c *cell, op matrixOp) string {
		f := f // cells run in parallel: each arms its own copy
		f.Route = op.route
		require.NoError(c.t, c.srv.Inject(f))
		return op.route
	}
}

// listingFault arms a doctored first listing page for operations that
// list; edit changes the real page.
func listingFault(edit func(c *cell, page map[string]any, parentID int64)) func(c *cell, op matrixOp) string {
	return func(c *cell, op matrixOp) string {
		page, parentID := c.listingOf(op.listDir)
		edit(c, page, parentID)
		body := pageBody(c.t, page, func(map[string]any) {})
		require.NoError(c.t, c.srv.Inject(putiotest.Fault{Route: op.listRoute, Times: 1, Status: http.StatusOK, Body: body}))
		return op.listRoute
	}
}

var matrixFaults = []matrixFault{
	{name: "none", arm: func(_ *cell, op matrixOp) string { return op.route }},
	{name: "429 with Retry-After", arm: once(putiotest.Fault{Status: http.StatusTooManyRequests,
		ErrorType: "TooManyRequests", Headers: map[string]string{"Retry-After": "1"}})},
	{name: "429 with x-ratelimit-reset only", arm: func(c *cell, op matrixOp) string {
		reset := strconv.FormatInt(time.Now().Add(time.Second).Unix(), 10)
		return once(putiotest.Fault{Status: http.StatusTooManyRequests, ErrorType: "TooManyRequests",
			Headers: map[string]string{"X-Ratelimit-Reset": reset}})(c, op)
	}},
	{name: "500", arm: once(putiotest.Fault{Status: http.StatusInternalServerError})},
	{name: "502", arm: once(putiotest.Fault{Status: http.StatusBadGateway})},
	{name: "503", arm: once(putiotest.Fault{Status: http.StatusServiceUnavailable})},
	{name: "502 after the work was done", arm: once(putiotest.Fault{AfterWork: true, Status: http.StatusBadGateway})},
	{name: "connection cut mid-request", arm: once(putiotest.Fault{Cut: putiotest.CutRequest, CutAfter: 3})},
	{name: "connection cut mid-response", arm: once(putiotest.Fault{Cut: putiotest.CutResponse, CutAfter: 10})},
	{name: "truncated JSON", arm: once(putiotest.Fault{Truncate: true})},
	{name: "non-JSON body", arm: once(putiotest.Fault{Status: http.StatusOK, ContentType: "text/html",
		Body: "<html><body>Down for maintenance</body></html>"})},
	{name: "empty page with a cursor", applies: lists, arm: listingFault(func(c *cell, page map[string]any, parentID int64) {
		page["files"], page["cursor"] = []any{}, c.startCursor(parentID)
	})},
	{name: "malformed item", applies: lists, arm: listingFault(func(c *cell, page map[string]any, parentID int64) {
		// The only item of the first page has no name; the rest follow.
		page["files"] = []any{map[string]any{"id": 987654, "parent_id": parentID, "name": "", "size": 10, "file_type": "TEXT"}}
		page["cursor"] = c.startCursor(parentID)
	})},
	{name: "TRASH_LOCK_TIMEOUT", applies: deletes, arm: func(c *cell, op matrixOp) string {
		require.NoError(c.t, c.srv.Inject(putiotest.Fault{Route: routeDelete, Times: 1, Status: http.StatusBadRequest,
			ErrorType: "TRASH_LOCK_TIMEOUT", Message: "trash is locked by another operation"}))
		return routeDelete
	}},
	// A revoked token fails every call that carries it.
	{name: "revoked token", arm: func(c *cell, _ matrixOp) string {
		require.NoError(c.t, c.srv.Inject(putiotest.Fault{Status: http.StatusUnauthorized, ErrorType: "invalid_grant",
			Message: "the access token is not valid (revoked or never issued)"}))
		return anyRoute
	}},
	{name: "FILE_NOT_REACHABLE", arm: once(putiotest.Fault{Status: http.StatusBadRequest, ErrorType: "FILE_NOT_REACHABLE"})},
	{name: "410 FILE_LOST", applies: existing, arm: always(putiotest.Fault{Status: http.StatusGone, ErrorType: "FILE_LOST"})},
}

// outcome is what a cell must end in: done, or an error containing match.
type outcome struct {
	short string // the cell's text in docs/reliability.md
	label string // what it means, for the legend there
	match string // a part of the error; "" for done
	// countsError: the listing counted an error for rclone to report
	// (so that a sync does not delete on a partial view).
	countsError bool
}

var (
	done        = outcome{short: "ok", label: "succeeds (retrying where needed); the tree is exactly what the operation makes, nothing left over"}
	doneCounted = outcome{short: "ok, counted", countsError: true,
		label: "succeeds without the bad item, which is logged and counted as an error so a sync does not delete on a partial view"}
	reconnect = outcome{short: "reconnect", match: "rclone config reconnect",
		label: "fails saying to run `rclone config reconnect remote:`; nothing changed"}
	notEmpty = outcome{short: "not empty", match: "directory not empty",
		label: "refuses with `directory not empty`; nothing changed"}
	notEmptyBad = outcome{short: "not empty, counted", match: "directory not empty", countsError: true,
		label: "refuses with `directory not empty`, counting the unreadable item as an error; nothing changed"}
	gone = outcome{short: "not found", match: "not found",
		label: "fails with rclone's not-found error (put.io lost the item for good); nothing changed"}
	malformed = outcome{short: "malformed", match: "malformed reply",
		label: "fails naming the call and quoting the start of the body; nothing changed"}
	readCut = outcome{short: "EOF", match: "unexpected EOF",
		label: "the read fails with `unexpected EOF`, which rclone's transfers answer by re-opening at the offset reached"}
	noUsableReply = outcome{short: "no reply", match: "without a usable putio-file-id",
		label: "fails saying the upload's reply was unusable; nothing changed, no upload left open"}
)

// allOutcomes is the legend's order.
var allOutcomes = []outcome{done, doneCounted, reconnect, notEmpty, notEmptyBad, gone, malformed, readCut, noUsableReply}

// faultOutcomes are the outcomes that differ from done, by fault and
// then by operation ("" for any operation without its own entry).
var faultOutcomes = map[string]map[string]outcome{
	"revoked token":               {"": reconnect},
	"410 FILE_LOST":               {"": gone},
	"non-JSON body":               {"": malformed, "open and read": readCut, "put": noUsableReply, "update": noUsableReply},
	"connection cut mid-response": {"open and read": readCut},
	"truncated JSON":              {"open and read": readCut},
	"malformed item":              {"list": doneCounted, "rmdir": notEmptyBad, "rmdir, not empty": notEmptyBad},
}

// expected is the outcome of op under fault.
func expected(op matrixOp, fault string) outcome {
	if byOp, ok := faultOutcomes[fault]; ok {
		if want, ok := byOp[op.name]; ok {
			return want
		}
		if want, ok := byOp[""]; ok {
			return want
		}
	}
	if op.refused != (outcome{}) {
		return op.refused
	}
	return done
}

// pendingCells fail today because of defects being fixed elsewhere. Each
// runs with its correct outcome and must still fail; once it passes, the
// test says to remove it here.
var pendingCells = map[string]string{}

// tempMarker is in every temporary name the backend gives an item.
const tempMarker = ".rclone-"

// anyRoute stands for every route, for a fault that hits them all.
const anyRoute = "*"

func TestFaultMatrix(t *testing.T) {
	accounting.Start(context.Background()) // installs the error counter
	for _, op := range matrixOps {
		for _, fault := range matrixFaults {
			if !fault.appliesTo(op) {
				continue
			}
			name := op.name + "/" + fault.name
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				failures := runCell(t, op, fault)
				why, pending := pendingCells[name]
				switch {
				case pending && len(failures) == 0:
					t.Errorf("this cell passes now: remove it from pendingCells (%s)", why)
				case pending:
					t.Logf("pending (%s); fails with:\n%s", why, strings.Join(failures, "\n"))
				default:
					for _, failure := range failures {
						t.Error(failure)
					}
				}
			})
		}
	}
}

// runCell runs op under fault and returns the checks that failed.
func runCell(t *testing.T, op matrixOp, fault matrixFault) (failures []string) {
	c := newCell(t)
	defer func() {
		if r := recover(); r != nil && r != errCheckStopped {
			panic(r)
		}
		failures = c.k.failures
	}()
	route := fault.arm(c, op)
	want := expected(op, fault.name)
	c.srv.ResetCounters()
	fewRetries(c.f, 4)

	err := op.run(c)

	calls := c.srv.TotalCalls()
	if route != anyRoute {
		calls = c.srv.Calls(route)
	}
	require.Positive(c.k, calls, "the fault never fired: %s no longer calls %s", op.name, route)
	c.verify(op, want, err)
	return nil
}

// verify checks the state a cell ended in against want.
func (c *cell) verify(op matrixOp, want outcome, err error) {
	if want.match == "" {
		require.NoError(c.k, err)
		assert.Equal(c.k, op.after, c.tree(), "tree after %s", op.name)
		assert.Equal(c.k, op.trash, c.trashNames(), "trash after %s", op.name)
		if op.check != nil {
			op.check(c)
		}
	} else {
		require.Error(c.k, err)
		assert.Contains(c.k, err.Error(), want.match)
		assert.Equal(c.k, seedTree, c.tree(), "a failed %s must leave the tree as it was", op.name)
		assert.Empty(c.k, c.trashNames(), "a failed %s must trash nothing", op.name)
		c.hasBytes("dir/file.txt", originalData)
	}
	counted := accounting.Stats(c.ctx).GetErrors()
	if want.countsError {
		assert.Positive(c.k, counted, "errors counted")
	} else {
		assert.Zero(c.k, counted, "errors counted")
	}
	for _, p := range c.tree() {
		assert.NotContains(c.k, p, tempMarker, "left-over temporary item")
	}
	assert.Zero(c.k, c.acct.Uploads(), "unfinished uploads left on the server")
}

// checker collects failed checks instead of failing the test; FailNow
// stops the cell, which runCell recovers.
type checker struct{ failures []string }

var errCheckStopped = errors.New("cell check failed")

func (k *checker) Errorf(format string, args ...any) {
	k.failures = append(k.failures, fmt.Sprintf(format, args...))
}

func (k *checker) FailNow() { panic(errCheckStopped) }
