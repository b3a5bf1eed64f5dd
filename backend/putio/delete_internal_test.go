package putio

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
	"github.com/rclone/rclone/fs"
	"github.com/rclone/rclone/fs/config/configmap"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	listRoute     = "GET /v2/files/list"
	continueRoute = "POST /v2/files/list/continue"
	deleteRoute   = "POST /v2/files/delete"
	itemRoute     = "GET /v2/files/{id}"
)

// page is a listing reply holding the given items JSON and cursor.
func page(items, cursor string) putiotest.Fault {
	return putiotest.Fault{Status: http.StatusOK, Body: `{"files":[` + items + `],"cursor":` + cursor + `,"status":"OK"}`, Times: 1}
}

// onRoute is fault on route.
func onRoute(route string, fault putiotest.Fault) putiotest.Fault {
	fault.Route = route
	return fault
}

// Rmdir deletes (recursively, on put.io) only a folder a listing proves
// empty: a first page with no usable item is not proof.
func TestRmdirNeedsProofOfEmptiness(t *testing.T) {
	for name, faults := range map[string][]putiotest.Fault{
		"empty page with a cursor": {
			onRoute(listRoute, page("", `"next"`)),
			onRoute(continueRoute, page(`{"id":999,"name":"keep.txt","size":1,"updated_at":"2020-01-01T00:00:00"}`, "null")),
		},
		"page of one malformed item": {
			onRoute(listRoute, page(`{"id":0,"name":"keep.txt"}`, `"next"`)),
		},
		"malformed item on the last page": {
			onRoute(listRoute, page(`{"id":999,"size":-1}`, "null")),
		},
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			f, srv, acct := newTestFs(t, nil)
			_, err := acct.Put("dir/keep.txt", []byte("precious"), testModTime)
			require.NoError(t, err)
			for _, fault := range faults {
				require.NoError(t, srv.Inject(fault))
			}

			err = f.Rmdir(ctx, "dir")

			assert.ErrorIs(t, err, fs.ErrorDirectoryNotEmpty)
			assert.Zero(t, srv.Calls(deleteRoute))
			data, err := acct.ReadFile("dir/keep.txt")
			require.NoError(t, err)
			assert.Equal(t, "precious", string(data))
			assert.Empty(t, acct.Trash())
		})
	}
}

// A listing reply that carries no item list is no proof of emptiness,
// even with hard_delete, and it does not end a listing early either.
func TestRmdirRefusesListingWithoutItems(t *testing.T) {
	for _, body := range []string{`{"status":"OK"}`, `null`, `{"parent":{"id":5,"name":"dir"},"cursor":null,"status":"OK"}`} {
		t.Run(body, func(t *testing.T) {
			f, srv, acct := newTestFs(t, configmap.Simple{"hard_delete": "true"})
			ctx := fewRetries(f, 1)
			_, err := acct.Put("dir/keep.txt", []byte("precious"), testModTime)
			require.NoError(t, err)
			require.NoError(t, srv.Inject(putiotest.Fault{Route: listRoute, Status: http.StatusOK, Body: body}))

			require.Error(t, f.Rmdir(ctx, "dir"))
			assert.Zero(t, srv.Calls(deleteRoute))
			data, err := acct.ReadFile("dir/keep.txt")
			require.NoError(t, err)
			assert.Equal(t, "precious", string(data))

			srv.ClearFaults()
			require.NoError(t, srv.Inject(onRoute(continueRoute, putiotest.Fault{Status: http.StatusOK, Body: body, Times: 1})))
			_, err = acct.Put("dir/more.txt", []byte("x"), testModTime)
			require.NoError(t, err)
			f.pageSize = 1
			_, err = f.List(ctx, "dir")
			assert.Error(t, err, "a listing cut short by an item-less page")
		})
	}
}

// An empty page with a cursor followed by an empty last page is empty.
func TestRmdirFollowsCursorToTheEnd(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, nil)
	_, err := acct.Mkdir("dir")
	require.NoError(t, err)
	require.NoError(t, srv.Inject(onRoute(listRoute, page("", `"next"`))))
	require.NoError(t, srv.Inject(onRoute(continueRoute, page("", "null"))))

	require.NoError(t, f.Rmdir(ctx, "dir"))

	assert.Equal(t, 1, srv.Calls(continueRoute))
	_, err = acct.Stat("dir")
	assert.Error(t, err)
}

// A delete whose reply is lost after put.io did it is a success: the item
// is looked up, found gone, and the delete is not sent again.
func TestDeleteReplyLost(t *testing.T) {
	for _, lost := range []putiotest.Fault{
		{Route: deleteRoute, AfterWork: true, Status: http.StatusBadGateway, Times: 1},
		{Route: deleteRoute, AfterWork: true, Cut: putiotest.CutResponse, Times: 1},
	} {
		t.Run("remove/"+faultName(lost), func(t *testing.T) {
			ctx := context.Background()
			f, srv, acct := newTestFs(t, nil)
			o := seedObject(t, f, acct, "a.txt", []byte("x"))
			require.NoError(t, srv.Inject(lost))

			require.NoError(t, o.Remove(ctx))

			assert.Equal(t, 1, srv.Calls(deleteRoute), "not sent again")
			assert.Equal(t, 1, srv.Calls(itemRoute), "looked up once")
			assert.Equal(t, []string(nil), names(t, acct, ""))
			require.Len(t, acct.Trash(), 1)
			assert.Equal(t, "a.txt", acct.Trash()[0].Name)
		})
		t.Run("purge/"+faultName(lost), func(t *testing.T) {
			ctx := context.Background()
			f, srv, acct := newTestFs(t, nil)
			_, err := acct.Put("dir/a.txt", []byte("x"), testModTime)
			require.NoError(t, err)
			require.NoError(t, srv.Inject(lost))

			require.NoError(t, f.Purge(ctx, "dir"))

			assert.Equal(t, 1, srv.Calls(deleteRoute))
			require.Len(t, acct.Trash(), 1)
			assert.Equal(t, "dir", acct.Trash()[0].Name)
		})
	}
}

// After a delete whose reply was lost, a lookup that fails is no answer:
// a failure worth retrying is asked again, any other ends the call. The
// delete is sent again only once the lookup finds the item still there.
func TestDeleteReplyLostLookupUnsure(t *testing.T) {
	lost := putiotest.Fault{Route: deleteRoute, Cut: putiotest.CutRequest, Times: 1} // the delete never arrived
	for name, test := range map[string]struct {
		lookup     putiotest.Fault
		fails      bool
		lookups    int
		deleteSent int
	}{
		"lookup fails once with 503": {lookup: putiotest.Fault{Status: http.StatusServiceUnavailable, Times: 1}, lookups: 2, deleteSent: 2},
		// Refused each time: asked again once the tries ran out, still refused.
		"lookup refused with 403": {lookup: putiotest.Fault{Status: http.StatusForbidden}, fails: true, lookups: 2, deleteSent: 1},
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			f, srv, acct := newTestFs(t, nil)
			o := seedObject(t, f, acct, "a.txt", []byte("x"))
			require.NoError(t, srv.Inject(lost))
			require.NoError(t, srv.Inject(onRoute(itemRoute, test.lookup)))

			err := o.Remove(ctx)

			assert.Equal(t, test.lookups, srv.Calls(itemRoute))
			assert.Equal(t, test.deleteSent, srv.Calls(deleteRoute))
			if test.fails {
				require.Error(t, err)
				assert.Equal(t, []string{"a.txt"}, names(t, acct, ""), "not deleted on a guess")
				assert.Empty(t, acct.Trash())
				return
			}
			require.NoError(t, err)
			assert.Empty(t, names(t, acct, ""))
			require.Len(t, acct.Trash(), 1)
		})
	}
}

// A "not found" with no lost reply before it still says not found.
func TestRemoveMissingIsNotFound(t *testing.T) {
	ctx := context.Background()
	f, _, acct := newTestFs(t, nil)
	o := seedObject(t, f, acct, "a.txt", []byte("x"))
	require.NoError(t, o.Remove(ctx))
	assert.ErrorIs(t, o.Remove(ctx), fs.ErrorObjectNotFound)
}

// faultName names a lost-reply fault for a subtest.
func faultName(f putiotest.Fault) string {
	switch {
	case f.Route == "":
		return "no fault"
	case f.Cut != "":
		return "cut"
	}
	return http.StatusText(f.Status)
}

// Rmdir refuses a non-empty folder after looking at one item only.
func TestRmdirRefusesNonEmpty(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, nil)
	for i := range 3 {
		_, err := acct.Put(fmt.Sprintf("dir/f%d", i), []byte("x"), testModTime)
		require.NoError(t, err)
	}
	srv.ResetCounters()
	err := f.Rmdir(ctx, "dir")
	assert.ErrorIs(t, err, fs.ErrorDirectoryNotEmpty)
	assert.Len(t, names(t, acct, "dir"), 3)
	var listed bool
	for _, entry := range srv.Log() {
		if entry.Route == "GET /v2/files/list" {
			listed = true
			assert.Contains(t, entry.Path, "per_page=1")
		}
	}
	assert.True(t, listed)
	assert.Zero(t, srv.Calls("POST /v2/files/delete"))

	_, err = acct.Mkdir("empty")
	require.NoError(t, err)
	require.NoError(t, f.Rmdir(ctx, "empty"))
	_, err = acct.Stat("empty")
	assert.Error(t, err)
}

// Purge removes a folder tree with one delete.
func TestPurge(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, nil)
	_, err := acct.Put("dir/a/b.txt", []byte("x"), testModTime)
	require.NoError(t, err)
	srv.ResetCounters()
	require.NoError(t, f.Purge(ctx, "dir"))
	assert.Equal(t, 1, srv.Calls("POST /v2/files/delete"))
	_, err = acct.Stat("dir")
	assert.Error(t, err)
}

// hard_delete skips the trash.
func TestHardDelete(t *testing.T) {
	ctx := context.Background()
	f, _, acct := newTestFs(t, configmap.Simple{"hard_delete": "true"})
	o := seedObject(t, f, acct, "a.txt", []byte("x"))
	require.NoError(t, o.Remove(ctx))
	_, err := acct.Stat("a.txt")
	assert.Error(t, err)
	assert.Empty(t, acct.Trash())
}
