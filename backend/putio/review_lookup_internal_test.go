package putio

import (
	"context"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
	"github.com/rclone/rclone/fs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Review finding: a copy whose reply is lost after put.io made it is
// looked for by child?name=, which answers the newest item of the name.
// When another device uploads a file of that name before the look, the
// answer is theirs, not a copy of the source, and the look took that for
// "no copy": the copy was sent again, refused for the name, and copied
// over by way of a temporary name, trashing a file of the name and
// leaving one copy too many.
func TestReviewCopyReplyLostAnotherDeviceUploadsTheName(t *testing.T) {
	ctx := context.Background()
	var other atomic.Pointer[putiotest.Account]
	var uploaded atomic.Bool
	f, srv, acct := newTestFs(t, nil, putiotest.Options{OnRequest: func(entry putiotest.LogEntry) {
		if acct := other.Load(); acct != nil && entry.Route == copyRoute && !uploaded.Swap(true) {
			_, err := acct.Put("dst/a.txt", []byte("theirs"), testModTime) // before our look
			assert.NoError(t, err)
		}
	}})
	src := seedObject(t, f, acct, "a.txt", []byte("hello"))
	require.NoError(t, f.Mkdir(ctx, "dst"))
	require.NoError(t, srv.Inject(putiotest.Fault{Route: copyRoute, AfterWork: true, Status: http.StatusBadGateway, Times: 1}))
	other.Store(acct)

	dst, err := f.Copy(ctx, src, "dst/a.txt")

	require.NoError(t, err)
	assert.Equal(t, 1, srv.Calls(copyRoute), "the copy is found, not sent again")
	assert.Empty(t, acct.Trash(), "nothing is deleted")
	listed, err := acct.List("dst")
	require.NoError(t, err)
	held := map[string]string{} // id → name and CRC-32
	for _, item := range listed {
		held[strconv.FormatInt(item.ID, 10)] = item.Name + " " + item.CRC32
	}
	assert.Equal(t, map[string]string{
		dst.(fs.IDer).ID():       "a.txt " + crcOf([]byte("hello")),
		theirsID(t, listed, dst): "a.txt " + crcOf([]byte("theirs")),
	}, held, "our copy, returned, and their upload, both called a.txt")
}

// theirsID is the id of the listed item that is not ours.
func theirsID(t *testing.T, listed []putiotest.File, ours fs.Object) string {
	for _, item := range listed {
		if id := strconv.FormatInt(item.ID, 10); id != ours.(fs.IDer).ID() {
			return id
		}
	}
	t.Fatal("only our item is listed")
	return ""
}

// Review finding: a copy whose reply leaves the new item out is looked up
// by its name alone, and child?name= answers the newest item of the name:
// when another device uploads a file of that name meanwhile, theirs was
// taken for the copy, returned, and had its modification time set to the
// source's.
func TestReviewCopyReplyWithoutFileAnotherDeviceUploadsTheName(t *testing.T) {
	ctx := context.Background()
	theirTime := testModTime.Add(-time.Hour)
	var other atomic.Pointer[putiotest.Account]
	var uploaded atomic.Bool
	f, srv, acct := newTestFs(t, nil, putiotest.Options{OnRequest: func(entry putiotest.LogEntry) {
		if acct := other.Load(); acct != nil && entry.Route == copyRoute && !uploaded.Swap(true) {
			_, err := acct.Put("dst/a.txt", []byte("theirs"), theirTime) // before our look
			assert.NoError(t, err)
		}
	}})
	src := seedObject(t, f, acct, "a.txt", []byte("hello"))
	require.NoError(t, f.Mkdir(ctx, "dst"))
	require.NoError(t, srv.Inject(putiotest.Fault{Route: copyRoute, AfterWork: true, Status: http.StatusOK, Body: `{"status":"OK"}`, Times: 1}))
	other.Store(acct)

	dst, err := f.Copy(ctx, src, "dst/a.txt")

	require.NoError(t, err)
	listed, err := acct.List("dst")
	require.NoError(t, err)
	held := map[string]string{} // id → CRC-32 and modification time
	for _, item := range listed {
		held[strconv.FormatInt(item.ID, 10)] = item.CRC32 + " " + item.UpdatedAt.UTC().Format(time.RFC3339)
	}
	assert.Equal(t, map[string]string{
		dst.(fs.IDer).ID():       crcOf([]byte("hello")) + " " + testModTime.UTC().Format(time.RFC3339),
		theirsID(t, listed, dst): crcOf([]byte("theirs")) + " " + theirTime.UTC().Format(time.RFC3339),
	}, held, "the copy returned is ours, with the source's time; theirs keeps its own")
}
