package putio

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
	"github.com/rclone/rclone/fs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const restoreRoute = "POST /v2/trash/restore"

func TestCleanUpEmptiesTrash(t *testing.T) {
	ctx := context.Background()
	f, _, acct := newTestFs(t, nil)
	o := seedObject(t, f, acct, "a.txt", []byte("x"))
	require.NoError(t, o.Remove(ctx))
	require.Len(t, acct.Trash(), 1)
	require.NoError(t, f.CleanUp(ctx))
	assert.Empty(t, acct.Trash())
}

func TestTrashCommands(t *testing.T) {
	ctx := context.Background()
	f, _, acct := newTestFs(t, nil)
	o := seedObject(t, f, acct, "dir/a.txt", []byte("x"))
	require.NoError(t, o.Remove(ctx))
	other := seedObject(t, f, acct, "b.txt", []byte("y"))
	require.NoError(t, other.Remove(ctx))
	f.pageSize = 1 // one trashed item per page

	out, err := f.Command(ctx, "trash", nil, nil)
	require.NoError(t, err)
	items := out.([]TrashItem)
	require.Len(t, items, 2)
	slices.SortFunc(items, func(a, b TrashItem) int { return strings.Compare(a.Name, b.Name) })
	assert.Equal(t, "a.txt", items[0].Name)
	assert.False(t, items[0].DeletedAt.IsZero())

	_, err = f.Command(ctx, "restore", []string{"x1"}, nil)
	require.ErrorContains(t, err, `"x1" is not an item id`)
	_, err = f.Command(ctx, "restore", []string{fmt.Sprint(items[0].ID)}, nil)
	require.NoError(t, err)
	assert.Eventually(t, func() bool {
		data, err := acct.ReadFile("dir/a.txt")
		return err == nil && string(data) == "x"
	}, hangGuard, 50*time.Millisecond)

	_, err = f.Command(ctx, "bogus", nil, nil)
	assert.ErrorIs(t, err, fs.ErrorCommandNotFound)
}

// A restore whose reply is lost may still have put items back: what this
// Fs knew about names absent from their folders is dropped either way, so
// the next upload of a restored name replaces it rather than adding one.
func TestRestoreWithLostReplyForgetsMisses(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, noSessions)
	o := seedObject(t, f, acct, "dir/a.txt", []byte("x"))
	require.NoError(t, o.Remove(ctx))
	out, err := f.Command(ctx, "trash", nil, nil)
	require.NoError(t, err)
	items := out.([]TrashItem)
	require.Len(t, items, 1)
	_, err = f.NewObject(ctx, "dir/a.txt")
	require.ErrorIs(t, err, fs.ErrorObjectNotFound)

	require.NoError(t, srv.Inject(putiotest.Fault{Route: restoreRoute, AfterWork: true, Status: http.StatusBadGateway, Times: 1}))
	_, err = f.Command(fewRetries(f, 1), "restore", []string{fmt.Sprint(items[0].ID)}, nil)
	require.NoError(t, err, "its one try lost its reply, and the probe after it saw the item back")
	_, err = acct.ReadFile("dir/a.txt")
	require.NoError(t, err)

	put(ctx, t, f, "dir/a.txt", []byte("new"))
	assertHoldsOnly(t, acct, "dir/a.txt", "new", "replaced, not added beside")
}

// A restore whose reply is lost after put.io did it is a success: the
// items are found back, and the restore is not sent again (which put.io
// would refuse with TRASH_FILE_NOT_FOUND). A try that did not arrive, or
// did nothing, is sent again.
func TestRestoreReplyLost(t *testing.T) {
	for name, lost := range map[string]putiotest.Fault{
		"502 after the work":     {AfterWork: true, Status: http.StatusBadGateway},
		"cut after the work":     {AfterWork: true, Cut: putiotest.CutResponse},
		"cut before it arrived":  {Cut: putiotest.CutRequest},
		"503 before it was done": {Status: http.StatusServiceUnavailable},
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			f, srv, acct := newTestFs(t, nil)
			var ids []string
			for _, p := range []string{"dir/a.txt", "b.txt"} {
				o := seedObject(t, f, acct, p, []byte(p))
				require.NoError(t, o.Remove(ctx))
				ids = append(ids, o.(fs.IDer).ID())
			}
			lost.Route, lost.Times = restoreRoute, 1
			require.NoError(t, srv.Inject(lost))

			_, err := f.Command(ctx, "restore", ids, nil)

			require.NoError(t, err)
			assert.Empty(t, acct.Trash())
			for _, p := range []string{"dir/a.txt", "b.txt"} {
				data, err := acct.ReadFile(p)
				require.NoError(t, err)
				assert.Equal(t, p, string(data))
			}
			wantSent := map[bool]int{true: 1, false: 2}[lost.AfterWork]
			assert.Equal(t, wantSent, srv.Calls(restoreRoute))
		})
	}
}
