package putio

import (
	"context"
	"testing"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/api"
	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lookupCalls counts the lookup routes' calls.
func lookupCalls(srv *putiotest.Server) map[string]int {
	calls := map[string]int{}
	for _, route := range []string{childRoute, listRoute, continueRoute, itemRoute} {
		calls[route] = srv.Calls(route)
	}
	return calls
}

// callsSince is what lookupCalls counts now beyond before.
func callsSince(srv *putiotest.Server, before map[string]int) map[string]int {
	calls := lookupCalls(srv)
	for route, n := range before {
		calls[route] -= n
	}
	return calls
}

// seedFile puts data at p and returns the item put.io holds.
func seedAt(t *testing.T, acct *putiotest.Account, p, data string) putiotest.File {
	t.Helper()
	item, err := acct.Put(p, []byte(data), testModTime)
	require.NoError(t, err)
	return item
}

// A spec with a name costs one child?name= call when the answer settles
// it; not found is no item and no error.
func TestLookupByName(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, nil)
	file := seedAt(t, acct, "dir/a.txt", "aaa")
	dirID := api.ID(file.ParentID).String()

	before := lookupCalls(srv)
	item, err := f.find(ctx, itemSpec{dirID: dirID, leaf: "a.txt", kind: fileKind, sized: true, size: 3})
	require.NoError(t, err)
	require.NotNil(t, item)
	assert.Equal(t, file.ID, int64(item.ID))
	assert.Equal(t, map[string]int{childRoute: 1, listRoute: 0, continueRoute: 0, itemRoute: 0}, callsSince(srv, before))

	before = lookupCalls(srv)
	item, err = f.find(ctx, itemSpec{dirID: dirID, leaf: "missing.txt"})
	require.NoError(t, err, "not found is an answer")
	assert.Nil(t, item)
	assert.Equal(t, 1, callsSince(srv, before)[childRoute])

	item, err = f.find(ctx, itemSpec{dirID: dirID, leaf: "a.txt", sized: true, size: 4})
	require.NoError(t, err)
	assert.Nil(t, item, "the answer must match the whole spec")
	item, err = f.find(ctx, itemSpec{dirID: dirID, leaf: "a.txt", notID: api.ID(file.ID)})
	require.NoError(t, err)
	assert.Nil(t, item, "not-id rules the answer out")
}

// A folder a newer file of its name hides from child?name= is found in a
// listing, across pages.
func TestLookupListsWhenTheAnswerHidesTheItem(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, nil)
	f.pageSize = 2
	for _, name := range []string{"a", "b", "c"} {
		seedAt(t, acct, "dir/"+name, name)
	}
	folder, err := acct.Mkdir("dir/x")
	require.NoError(t, err)
	seedAt(t, acct, "dir/x", "a file hiding the folder")
	dirID := api.ID(folder.ParentID).String()

	before := lookupCalls(srv)
	item, err := f.find(ctx, itemSpec{dirID: dirID, leaf: "x", kind: folderKind})
	require.NoError(t, err)
	require.NotNil(t, item)
	assert.Equal(t, folder.ID, int64(item.ID))
	calls := callsSince(srv, before)
	assert.Equal(t, 1, calls[childRoute])
	assert.Equal(t, 1, calls[listRoute])
	assert.Positive(t, calls[continueRoute], "the folder is past the first page")
}

// A name put.io holds under another spelling is asked for under each,
// with child?name=, never a listing.
func TestLookupOtherSpellings(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, nil)
	file := seedAt(t, acct, "pct/old\uff05 name.txt", "old")
	dirID := api.ID(file.ParentID).String()

	before := lookupCalls(srv)
	item, err := f.find(ctx, itemSpec{dirID: dirID, leaf: "old% name.txt"})
	require.NoError(t, err)
	require.NotNil(t, item)
	assert.Equal(t, file.ID, int64(item.ID))
	assert.Equal(t, map[string]int{childRoute: 2, listRoute: 0, continueRoute: 0, itemRoute: 0}, callsSince(srv, before))
}

// newest asks for the newest match in a listing: an older duplicate of
// the same name and content is not it, and the time rules apply.
func TestLookupNewestInListing(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, nil)
	older := seedAt(t, acct, "dir/a.txt", "same")
	newer := seedAt(t, acct, "dir/a.txt", "same") // a duplicate: the emulator keeps both
	require.Greater(t, newer.ID, older.ID)
	dirID := api.ID(older.ParentID).String()
	spec := itemSpec{dirID: dirID, leaf: "a.txt", kind: fileKind, sized: true, size: 4, crc32: newer.CRC32, modTime: testModTime, newest: true}

	before := lookupCalls(srv)
	item, err := f.find(ctx, spec)
	require.NoError(t, err)
	require.NotNil(t, item)
	assert.Equal(t, newer.ID, int64(item.ID))
	calls := callsSince(srv, before)
	assert.Equal(t, 0, calls[childRoute], "child?name= answers one item only")
	assert.Equal(t, 1, calls[listRoute])

	spec.newerThan = api.ID(newer.ID)
	item, err = f.find(ctx, spec)
	require.NoError(t, err)
	assert.Nil(t, item, "nothing newer than the newest")

	spec.newerThan = 0
	spec.createdSince = func() time.Time { return newer.CreatedAt.Add(time.Hour) }
	item, err = f.find(ctx, spec)
	require.NoError(t, err)
	assert.Nil(t, item, "nothing made since")

	spec.createdSince = nil
	spec.modTime = testModTime.Add(time.Second)
	item, err = f.find(ctx, spec)
	require.NoError(t, err)
	assert.Nil(t, item, "another modification time")
}

// A look that can't tell is an error, never "absent": a failed child?name=
// call (one try for a probe), or a listing that fails before its end.
func TestLookupUnsureIsAnError(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, nil)
	f.pageSize = 2
	for _, name := range []string{"a", "b", "c"} {
		seedAt(t, acct, "dir/"+name, name)
	}
	file := seedAt(t, acct, "dir/d", "d")
	dirID := api.ID(file.ParentID).String()

	require.NoError(t, srv.Inject(putiotest.Fault{Route: childRoute, Status: 503, Times: 1}))
	before := lookupCalls(srv)
	item, err := f.probe(ctx, itemSpec{dirID: dirID, leaf: "d"})
	require.Error(t, err)
	assert.Nil(t, item)
	assert.Equal(t, 1, callsSince(srv, before)[childRoute], "a probe tries once")

	ctx = fewRetries(f, 1)
	require.NoError(t, srv.Inject(putiotest.Fault{Route: continueRoute, Status: 503, Times: 1}))
	item, err = f.find(ctx, itemSpec{dirID: dirID, leaf: "zz", newest: true})
	require.Error(t, err, "a listing cut short can't say the item is absent")
	assert.Nil(t, item)

	require.NoError(t, srv.Inject(putiotest.Fault{Route: itemRoute, Status: 503, Times: 1}))
	item, err = f.probe(ctx, itemSpec{id: api.ID(file.ID)})
	require.Error(t, err)
	assert.Nil(t, item)
}

// A spec with an id asks for the item by id and checks where it is; an
// item put.io has not, or has lost for good, is not found.
func TestLookupByID(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, nil)
	file := seedAt(t, acct, "dir/a.txt", "aaa")
	other, err := acct.Mkdir("other")
	require.NoError(t, err)
	id, dirID := api.ID(file.ID), api.ID(file.ParentID).String()

	before := lookupCalls(srv)
	item, err := f.find(ctx, itemSpec{id: id, dirID: dirID, leaf: "a.txt", kind: fileKind})
	require.NoError(t, err)
	require.NotNil(t, item)
	assert.Equal(t, map[string]int{childRoute: 0, listRoute: 0, continueRoute: 0, itemRoute: 1}, callsSince(srv, before))

	for _, spec := range []itemSpec{
		{id: id, dirID: api.ID(other.ID).String()},
		{id: id, leaf: "b.txt"},
		{id: id, kind: folderKind},
		{id: id, notID: id},
	} {
		item, err = f.find(ctx, spec)
		require.NoError(t, err)
		assert.Nil(t, item, "%+v", spec)
	}

	_, err = f.find(ctx, itemSpec{leaf: "a.txt"})
	require.Error(t, err, "a spec with neither an id nor a folder")

	require.NoError(t, acct.DeleteID(file.ID))
	item, err = f.probe(ctx, itemSpec{id: id})
	require.NoError(t, err)
	assert.Nil(t, item, "a deleted item is not found")
	require.NoError(t, srv.Inject(putiotest.Fault{Route: itemRoute, Status: 410, ErrorType: "FILE_LOST", Times: 1}))
	item, err = f.probe(ctx, itemSpec{id: api.ID(other.ID)})
	require.NoError(t, err)
	assert.Nil(t, item, "an item lost for good is not found")
}

// A rename or move is done once its item has the name in the folder, even
// when a newer item of that name (another device's) is what child?name=
// answers: the probe asks for the item by id.
func TestPlacedProbeSeesTheItemANewerOneHides(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, nil)
	moved := seedAt(t, acct, "dir/b.txt", "moved here")
	seedAt(t, acct, "dir/b.txt", "another device's, newer") // the emulator keeps both
	dirID := api.ID(moved.ParentID).String()

	before := lookupCalls(srv)
	done, err := f.placedProbe(ctx, api.ID(moved.ID), dirID, "b.txt")()
	require.NoError(t, err)
	assert.True(t, done)
	assert.Equal(t, map[string]int{childRoute: 0, listRoute: 0, continueRoute: 0, itemRoute: 1}, callsSince(srv, before))

	done, err = f.placedProbe(ctx, api.ID(moved.ID), dirID, "c.txt")()
	require.NoError(t, err)
	assert.False(t, done, "not at another name")
	done, err = f.placedProbe(ctx, api.ID(moved.ID), rootID, "b.txt")()
	require.NoError(t, err)
	assert.False(t, done, "not in another folder")
}

// A name as put.io holds it is sought in a listing, compared after NFC,
// not asked with child?name= (whose spelling rules are rclone's).
func TestLookupByHeldName(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, nil)
	folder, err := acct.Mkdir("dir/cafe\u0301") // decomposed
	require.NoError(t, err)
	seedAt(t, acct, "dir/café.txt", "a file")
	dirID := api.ID(folder.ParentID).String()

	before := lookupCalls(srv)
	item, err := f.find(ctx, itemSpec{dirID: dirID, name: "café", kind: folderKind})
	require.NoError(t, err)
	require.NotNil(t, item)
	assert.Equal(t, folder.ID, int64(item.ID))
	assert.Equal(t, map[string]int{childRoute: 0, listRoute: 1, continueRoute: 0, itemRoute: 0}, callsSince(srv, before))

	item, err = f.find(ctx, itemSpec{dirID: dirID, name: "café", kind: folderKind, notID: api.ID(folder.ID)})
	require.NoError(t, err)
	assert.Nil(t, item)
}
