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

	require.NoError(t, srv.Inject(putiotest.Fault{Route: "POST /v2/trash/restore", AfterWork: true, Status: http.StatusBadGateway, Times: 1}))
	_, err = f.Command(fewRetries(f, 1), "restore", []string{fmt.Sprint(items[0].ID)}, nil)
	require.Error(t, err, "the reply was lost")
	require.Eventually(t, func() bool {
		_, err := acct.ReadFile("dir/a.txt")
		return err == nil
	}, hangGuard, 10*time.Millisecond, "restored all the same")

	put(ctx, t, f, "dir/a.txt", []byte("new"))
	assert.Equal(t, []string{"a.txt"}, names(t, acct, "dir"), "replaced, not added beside")
	data, err := acct.ReadFile("dir/a.txt")
	require.NoError(t, err)
	assert.Equal(t, "new", string(data))
}
