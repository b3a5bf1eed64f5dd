package putio

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

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
	}, 5*time.Second, 50*time.Millisecond)

	_, err = f.Command(ctx, "bogus", nil, nil)
	assert.ErrorIs(t, err, fs.ErrorCommandNotFound)
}
