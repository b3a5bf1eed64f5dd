package putio

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
	"github.com/rclone/rclone/fs"
	"github.com/rclone/rclone/fs/accounting"
	"github.com/rclone/rclone/fs/config/configmap"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	copyRoute   = "POST /v2/files/copy"
	moveRoute   = "POST /v2/files/move"
	touchRoute  = "POST /v2/files/touch"
	renameRoute = "POST /v2/files/rename"
)

// assertOnlyFile checks dir holds exactly one item, named name, with data
// and the test mod time.
func assertOnlyFile(t *testing.T, acct *putiotest.Account, dir, name, data string) putiotest.File {
	t.Helper()
	p := strings.TrimPrefix(dir+"/"+name, "/")
	assertHoldsOnly(t, acct, p, data, "no second copy, no temporary name left")
	stat, err := acct.Stat(p)
	require.NoError(t, err)
	assert.Equal(t, testModTime, stat.UpdatedAt.UTC())
	return stat
}

// assertOnlyFileNamed checks the file at p (in the root) has data and the
// test mod time.
func assertOnlyFileNamed(t *testing.T, acct *putiotest.Account, p, data string) putiotest.File {
	t.Helper()
	got, err := acct.ReadFile(p)
	require.NoError(t, err)
	assert.Equal(t, data, string(got))
	stat, err := acct.Stat(p)
	require.NoError(t, err)
	assert.Equal(t, testModTime, stat.UpdatedAt.UTC(), "mod time of %s", p)
	return stat
}

// injectAfter returns opts for a server that injects faults once n calls
// of the first fault's route have been served after setServer is given
// the server, to hit a later call of a route. The faults are injected
// before the nth reply leaves, so the next calls meet them.
func injectAfter(opts putiotest.Options, n int, faults ...putiotest.Fault) (_ putiotest.Options, setServer func(*putiotest.Server)) {
	var srv atomic.Pointer[putiotest.Server]
	var served atomic.Int64
	inject := func(s *putiotest.Server) {
		for _, fault := range faults {
			_ = s.Inject(fault)
		}
	}
	opts.OnRequest = func(entry putiotest.LogEntry) {
		s := srv.Load()
		if s == nil || entry.Route != faults[0].Route {
			return
		}
		if served.Add(1) == int64(n) {
			inject(s)
		}
	}
	return opts, func(s *putiotest.Server) {
		srv.Store(s)
		if n == 0 {
			inject(s)
		}
	}
}

// A copy whose reply is lost after put.io made it is found, not made
// again (which used to trash the first copy).
func TestCopyReplyLost(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, nil)
	src := seedObject(t, f, acct, "a.txt", []byte("hello"))
	require.NoError(t, f.Mkdir(ctx, "dst"))
	require.NoError(t, srv.Inject(putiotest.Fault{Route: copyRoute, AfterWork: true, Status: http.StatusBadGateway, Times: 1}))

	dst, err := f.Copy(ctx, src, "dst/a.txt")

	require.NoError(t, err)
	stat := assertOnlyFile(t, acct, "dst", "a.txt", "hello")
	assert.Equal(t, fmt.Sprint(stat.ID), dst.(fs.IDer).ID())
	assert.Empty(t, acct.Trash())
	assert.Equal(t, 1, srv.Calls(copyRoute), "found, not sent again")
}

// Copying over an existing file, every step of which loses its reply
// once after doing its work, ends with one file of the new bytes, the old
// one in the trash and no temporary name: whether put.io takes a repeated
// rename to the name an item already has or refuses it as a clash.
func TestCopyOverExistingRepliesLost(t *testing.T) {
	for _, refuseSameName := range []bool{false, true} {
		for _, step := range []struct {
			route string
			after int // calls of route served before the one that loses its reply
		}{{copyRoute, 0}, {renameRoute, 0}, {renameRoute, 1}, {deleteRoute, 0}, {touchRoute, 0}} {
			t.Run(fmt.Sprintf("%s#%d/refuseSameName=%v", step.route, step.after+1, refuseSameName), func(t *testing.T) {
				ctx := context.Background()
				lost := putiotest.Fault{Route: step.route, AfterWork: true, Status: http.StatusBadGateway, Times: 1}
				opts, setServer := injectAfter(putiotest.Options{RefuseSameName: refuseSameName}, step.after, lost)
				f, srv, acct := newTestFs(t, nil, opts)
				src := seedObject(t, f, acct, "a.txt", []byte("new"))
				old, err := acct.Put("dst/a.txt", []byte("old"), testModTime)
				require.NoError(t, err)
				// The first copy is refused for the name; the fault hits a later call.
				require.NoError(t, srv.Inject(putiotest.Fault{Route: copyRoute, Status: http.StatusBadRequest, ErrorType: errTypeNameExists, Times: 1}))
				setServer(srv)

				_, err = f.Copy(ctx, src, "dst/a.txt")

				require.NoError(t, err)
				assertOnlyFile(t, acct, "dst", "a.txt", "new")
				assert.Equal(t, map[string]int{copyRoute: 2, renameRoute: 2, deleteRoute: 1},
					map[string]int{copyRoute: srv.Calls(copyRoute), renameRoute: srv.Calls(renameRoute), deleteRoute: srv.Calls(deleteRoute)},
					"the refused copy, the temporary copy, the old file aside, the copy into place, the delete: each sent once")
				trash := acct.Trash()
				require.Len(t, trash, 1)
				assert.Equal(t, old.ID, trash[0].ID)
			})
		}
	}
}

// A temporary copy name must fit put.io's 255-byte limit.
func TestCopyOverExistingLongName(t *testing.T) {
	ctx := context.Background()
	f, _, acct := newTestFs(t, nil)
	long := strings.Repeat("n", 245) + ".txt" // 249 bytes
	src := seedObject(t, f, acct, "a.txt", []byte("new"))
	_, err := acct.Put("dst/"+long, []byte("old"), testModTime)
	require.NoError(t, err)

	_, err = f.Copy(ctx, src, "dst/"+long)

	require.NoError(t, err)
	assertOnlyFile(t, acct, "dst", long, "new")
	assert.Len(t, acct.Trash(), 1)
}

// If put.io still refuses the temporary name as too long, rclone is told
// to copy another way.
func TestCopyTempNameTooLongFallsBack(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, nil)
	src := seedObject(t, f, acct, "a.txt", []byte("new"))
	_, err := acct.Put("b.txt", []byte("old"), testModTime)
	require.NoError(t, err)
	require.NoError(t, srv.Inject(putiotest.Fault{Route: copyRoute, Status: http.StatusBadRequest, ErrorType: errTypeNameExists, Times: 1}))
	require.NoError(t, srv.Inject(putiotest.Fault{Route: copyRoute, Status: http.StatusBadRequest, ErrorType: errTypeNameTooLong, Times: 1}))

	_, err = f.Copy(ctx, src, "b.txt")

	assert.Equal(t, fs.ErrorCantCopy, err)
	got, err := acct.ReadFile("b.txt")
	require.NoError(t, err)
	assert.Equal(t, "old", string(got))
	assert.ElementsMatch(t, []string{"a.txt", "b.txt"}, names(t, acct, ""))
}

// When a rename of a copy over an existing file is refused (the one that
// moves the old file aside, or the one that moves the copy into place),
// the old file is back at its name with its bytes, id and mod time, and
// the temporary copy is gone, with hard_delete too: nothing else was
// deleted.
func TestCopyOverExistingRenameRefused(t *testing.T) {
	for after := range 2 {
		t.Run(fmt.Sprintf("rename#%d", after+1), func(t *testing.T) {
			ctx := context.Background()
			refused := putiotest.Fault{Route: renameRoute, Status: http.StatusForbidden, Times: 1}
			opts, setServer := injectAfter(putiotest.Options{}, after, refused)
			f, srv, acct := newTestFs(t, configmap.Simple{"hard_delete": "true"}, opts)
			src := seedObject(t, f, acct, "a.txt", []byte("new"))
			old, err := acct.Put("b.txt", []byte("old"), testModTime)
			require.NoError(t, err)
			require.NoError(t, srv.Inject(putiotest.Fault{Route: copyRoute, Status: http.StatusBadRequest, ErrorType: errTypeNameExists, Times: 1}))
			setServer(srv)

			_, err = f.Copy(ctx, src, "b.txt")

			require.Error(t, err)
			assert.ElementsMatch(t, []string{"a.txt", "b.txt"}, names(t, acct, ""))
			stat := assertOnlyFileNamed(t, acct, "b.txt", "old")
			assert.Equal(t, old.ID, stat.ID)
			assert.Empty(t, acct.Trash(), "nothing deleted but the temporary copy")
		})
	}
}

// When the old file can't be deleted once the copy is in place, the copy
// stands and the old file is kept under its temporary name.
func TestCopyOverExistingDeleteRefusedKeepsOld(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, nil)
	src := seedObject(t, f, acct, "a.txt", []byte("new"))
	old, err := acct.Put("b.txt", []byte("old"), testModTime)
	require.NoError(t, err)
	require.NoError(t, srv.Inject(putiotest.Fault{Route: copyRoute, Status: http.StatusBadRequest, ErrorType: errTypeNameExists, Times: 1}))
	require.NoError(t, srv.Inject(putiotest.Fault{Route: deleteRoute, Status: http.StatusForbidden, Times: 1}))

	_, err = f.Copy(ctx, src, "b.txt")

	require.NoError(t, err)
	assertOnlyFileNamed(t, acct, "b.txt", "new")
	all := names(t, acct, "")
	require.Len(t, all, 3)
	var aside string
	for _, name := range all {
		if strings.HasPrefix(name, "b.txt.rclone-old-") {
			aside = name
		}
	}
	require.NotEmpty(t, aside, "the old file kept, in %q", all)
	got, err := acct.ReadFile(aside)
	require.NoError(t, err)
	assert.Equal(t, "old", string(got))
	stat, err := acct.Stat(aside)
	require.NoError(t, err)
	assert.Equal(t, old.ID, stat.ID)
	assert.Empty(t, acct.Trash())
}

// A move or copy whose touch fails has still moved or copied the file:
// it returns the object, and the failure is logged and counted.
func TestServerSideSucceedsWhenTouchFails(t *testing.T) {
	for name, op := range map[string]func(f *Fs, ctx context.Context, src fs.Object) (fs.Object, error){
		"move": func(f *Fs, ctx context.Context, src fs.Object) (fs.Object, error) { return f.Move(ctx, src, "b.txt") },
		"copy": func(f *Fs, ctx context.Context, src fs.Object) (fs.Object, error) { return f.Copy(ctx, src, "b.txt") },
	} {
		t.Run(name, func(t *testing.T) {
			ctx := accounting.WithStatsGroup(context.Background(), "touch-fails-"+name)
			accounting.Start(ctx) // installs the error counter
			f, srv, acct := newTestFs(t, nil)
			src := seedObject(t, f, acct, "a.txt", []byte("x"))
			require.NoError(t, srv.Inject(putiotest.Fault{Route: touchRoute, Status: http.StatusForbidden}))

			dst, err := op(f, ctx, src)

			require.NoError(t, err)
			assert.Equal(t, "b.txt", dst.Remote())
			assert.Equal(t, "x", string(readAll(ctx, t, dst)))
			assert.NotEqual(t, testModTime, dst.ModTime(ctx), "the object does not claim the time it could not set")
			assert.Equal(t, int64(1), accounting.Stats(ctx).GetErrors())
			want := map[string][]string{"move": {"b.txt"}, "copy": {"a.txt", "b.txt"}}[name]
			assert.ElementsMatch(t, want, names(t, acct, ""))
		})
	}
}

// When the outcome of a copy over an existing file can't be settled (the
// copy's rename keeps losing its replies and looking it up fails, or
// putting the old file back is refused), nothing is deleted: the new and
// the old bytes are both still there, and the error says so.
func TestCopyOverExistingUnsettledKeepsBoth(t *testing.T) {
	for name, faults := range map[string][]putiotest.Fault{
		"copy rename replies lost, lookups fail": {
			{Route: renameRoute, AfterWork: true, Status: http.StatusBadGateway},
			{Route: childRoute, Status: http.StatusServiceUnavailable},
			{Route: itemRoute, Status: http.StatusServiceUnavailable},
		},
		"old file can't be put back": {{Route: renameRoute, Status: http.StatusForbidden}},
	} {
		t.Run(name, func(t *testing.T) {
			opts, setServer := injectAfter(putiotest.Options{}, 1, faults...) // every call after the first rename
			f, srv, acct := newTestFs(t, configmap.Simple{"hard_delete": "true"}, opts)
			ctx := fewRetries(f, 2)
			src := seedObject(t, f, acct, "a.txt", []byte("new"))
			_, err := acct.Put("b.txt", []byte("old"), testModTime)
			require.NoError(t, err)
			require.NoError(t, srv.Inject(putiotest.Fault{Route: copyRoute, Status: http.StatusBadRequest, ErrorType: errTypeNameExists, Times: 1}))
			setServer(srv)

			_, err = f.Copy(ctx, src, "b.txt")

			require.ErrorContains(t, err, "nothing deleted")
			var contents []string
			for _, name := range names(t, acct, "") {
				data, err := acct.ReadFile(name)
				require.NoError(t, err)
				contents = append(contents, string(data))
			}
			assert.ElementsMatch(t, []string{"new", "new", "old"}, contents, "the source, the copy and the old file")
			assert.Empty(t, acct.Trash())
		})
	}
}

// put.io's spurious NAME_ALREADY_EXIST on copy is handled with a temporary
// name, leaving nothing behind.
func TestCopySpuriousConflict(t *testing.T) {
	ctx := context.Background()
	f, _, acct := newTestFs(t, nil, putiotest.Options{SpuriousCopyConflict: true})
	src := seedObject(t, f, acct, "a.txt", []byte("hello"))

	dst, err := f.Copy(ctx, src, "b.txt")

	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"a.txt", "b.txt"}, names(t, acct, ""))
	data, err := acct.ReadFile("b.txt")
	require.NoError(t, err)
	assert.Equal(t, "hello", string(data))
	stat, err := acct.Stat("b.txt")
	require.NoError(t, err)
	assert.Equal(t, testModTime, stat.UpdatedAt.UTC())
	assert.Equal(t, fmt.Sprint(stat.ID), dst.(fs.IDer).ID())
	assert.Equal(t, "hello", string(readAll(ctx, t, dst)))
}

// Copying over an existing file replaces it only once the copy exists.
func TestCopyOverExisting(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, nil)
	_, err := acct.Put("a.txt", []byte("new"), testModTime)
	require.NoError(t, err)
	_, err = acct.Put("b.txt", []byte("old"), testModTime)
	require.NoError(t, err)
	src, err := f.NewObject(ctx, "a.txt")
	require.NoError(t, err)
	srv.ResetCounters()

	_, err = f.Copy(ctx, src, "b.txt")

	require.NoError(t, err)
	data, err := acct.ReadFile("b.txt")
	require.NoError(t, err)
	assert.Equal(t, "new", string(data))
	assert.ElementsMatch(t, []string{"a.txt", "b.txt"}, names(t, acct, ""))
	// Order matters for safety: the temporary copy exists before the delete.
	var order []string
	for _, entry := range srv.Log() {
		order = append(order, entry.Route)
	}
	copyAt := strings.Index(strings.Join(order, "|"), "POST /v2/files/copy|POST /v2/files/copy")
	deleteAt := strings.Index(strings.Join(order, "|"), "POST /v2/files/delete")
	assert.True(t, copyAt >= 0 && deleteAt > copyAt, "delete after the second copy: %v", order)
}

// A failed copy leaves the source as it was and adds nothing.
func TestCopyFailureLeavesSourceIntact(t *testing.T) {
	f, srv, acct := newTestFs(t, nil)
	src := seedObject(t, f, acct, "a.txt", []byte("hello"))
	require.NoError(t, srv.Inject(putiotest.Fault{Route: "POST /v2/files/copy", Status: http.StatusInsufficientStorage}))

	_, err := f.Copy(fewRetries(f, 2), src, "b.txt")

	require.Error(t, err)
	assertHoldsOnly(t, acct, "a.txt", "hello")
}

// A copy reply without the new item still yields the right object.
func TestCopyReplyWithoutFile(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, nil)
	src := seedObject(t, f, acct, "a.txt", []byte("hello"))
	// The fault answers without copying, so the copy is seeded beforehand.
	_, err := acct.Put("c.txt", []byte("hello"), testModTime)
	require.NoError(t, err)
	require.NoError(t, srv.Inject(putiotest.Fault{Route: "POST /v2/files/copy", Status: http.StatusOK, Body: `{"status":"OK"}`, Times: 1}))

	dst, err := f.Copy(ctx, src, "c.txt")

	require.NoError(t, err)
	stat, err := acct.Stat("c.txt")
	require.NoError(t, err)
	assert.Equal(t, fmt.Sprint(stat.ID), dst.(fs.IDer).ID())
}

// Copying a file onto itself never deletes it.
func TestCopyOntoItself(t *testing.T) {
	ctx := context.Background()
	f, _, acct := newTestFs(t, nil)
	src := seedObject(t, f, acct, "a.txt", []byte("hello"))
	_, err := f.Copy(ctx, src, "a.txt")
	require.ErrorContains(t, err, "onto itself")
	assert.Equal(t, []string{"a.txt"}, names(t, acct, ""))
	assert.Empty(t, acct.Trash(), "the temporary copy is gone for good")
	assert.Equal(t, "hello", string(readAll(ctx, t, src)))
}

// The file a copy over an existing file moved aside is deleted only if it
// is still there under its temporary name: one another client moved away
// meanwhile is left alone, with its bytes.
func TestCopyOverExistingLeavesOldFileMovedAway(t *testing.T) {
	ctx := context.Background()
	var srv atomic.Pointer[putiotest.Server]
	var renames atomic.Int64
	var oldID, archiveID atomic.Int64
	moved := make(chan error, 1)
	opts := putiotest.Options{OnRequest: func(entry putiotest.LogEntry) {
		if entry.Route == renameRoute && renames.Add(1) == 2 { // the copy into place: the old file is aside
			moved <- asOtherClient(srv.Load(), "/v2/files/move", url.Values{"file_id": {itoa(oldID.Load())}, "parent_id": {itoa(archiveID.Load())}})
		}
	}}
	f, s, acct := newTestFs(t, nil, opts)
	srv.Store(s)
	src := seedObject(t, f, acct, "a.txt", []byte("new"))
	old, err := acct.Put("b.txt", []byte("old"), testModTime)
	require.NoError(t, err)
	archive, err := acct.Mkdir("archive")
	require.NoError(t, err)
	oldID.Store(old.ID)
	archiveID.Store(archive.ID)
	require.NoError(t, s.Inject(putiotest.Fault{Route: copyRoute, Status: http.StatusBadRequest, ErrorType: errTypeNameExists, Times: 1}))

	_, err = f.Copy(ctx, src, "b.txt")

	require.NoError(t, err)
	require.NoError(t, <-moved)
	assertOnlyFileNamed(t, acct, "b.txt", "new")
	assert.Zero(t, s.Calls(deleteRoute))
	assert.Empty(t, acct.Trash())
	kept, err := acct.List("archive")
	require.NoError(t, err)
	require.Len(t, kept, 1)
	assert.Equal(t, old.ID, kept[0].ID)
	assert.True(t, strings.HasPrefix(kept[0].Name, "b.txt.rclone-old-"), kept[0].Name)
}
