package putio

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
	"github.com/rclone/rclone/fs"
	"github.com/rclone/rclone/fs/accounting"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	copyRoute  = "POST /v2/files/copy"
	moveRoute  = "POST /v2/files/move"
	touchRoute = "POST /v2/files/touch"
)

// assertOnlyFile checks dir holds exactly one item, named name, with data
// and the test mod time.
func assertOnlyFile(t *testing.T, acct *putiotest.Account, dir, name, data string) putiotest.File {
	t.Helper()
	assert.Equal(t, []string{name}, names(t, acct, dir), "no second copy, no temporary name left")
	p := strings.TrimPrefix(dir+"/"+name, "/")
	got, err := acct.ReadFile(p)
	require.NoError(t, err)
	assert.Equal(t, data, string(got))
	stat, err := acct.Stat(p)
	require.NoError(t, err)
	assert.Equal(t, testModTime, stat.UpdatedAt.UTC())
	return stat
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
	assert.Equal(t, 2, srv.Calls(copyRoute))
}

// Copying over an existing file, every step of which loses its reply
// once after doing its work, ends with one file of the new bytes, the old
// one in the trash and no temporary name.
func TestCopyOverExistingRepliesLost(t *testing.T) {
	for _, route := range []string{copyRoute, deleteRoute, "POST /v2/files/rename", touchRoute} {
		t.Run(route, func(t *testing.T) {
			ctx := context.Background()
			f, srv, acct := newTestFs(t, nil)
			src := seedObject(t, f, acct, "a.txt", []byte("new"))
			old, err := acct.Put("dst/a.txt", []byte("old"), testModTime)
			require.NoError(t, err)
			// The first copy is refused for the name; the fault hits the next call.
			require.NoError(t, srv.Inject(putiotest.Fault{Route: copyRoute, Status: http.StatusBadRequest, ErrorType: errTypeNameExists, Times: 1}))
			require.NoError(t, srv.Inject(putiotest.Fault{Route: route, AfterWork: true, Status: http.StatusBadGateway, Times: 1}))

			_, err = f.Copy(ctx, src, "dst/a.txt")

			require.NoError(t, err)
			assertOnlyFile(t, acct, "dst", "a.txt", "new")
			trash := acct.Trash()
			require.Len(t, trash, 1)
			assert.Equal(t, old.ID, trash[0].ID)
		})
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

// When the step after the temporary copy fails, the temporary copy goes
// and the file in the way stays.
func TestCopyViaTempNameFailureRemovesTempCopy(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, nil)
	src := seedObject(t, f, acct, "a.txt", []byte("new"))
	_, err := acct.Put("b.txt", []byte("old"), testModTime)
	require.NoError(t, err)
	require.NoError(t, srv.Inject(putiotest.Fault{Route: copyRoute, Status: http.StatusBadRequest, ErrorType: errTypeNameExists, Times: 1}))
	require.NoError(t, srv.Inject(putiotest.Fault{Route: deleteRoute, Status: http.StatusForbidden, Times: 1}))

	_, err = f.Copy(ctx, src, "b.txt")

	require.Error(t, err)
	assert.ElementsMatch(t, []string{"a.txt", "b.txt"}, names(t, acct, ""))
	got, err := acct.ReadFile("b.txt")
	require.NoError(t, err)
	assert.Equal(t, "old", string(got))
	assert.Empty(t, acct.Trash(), "the temporary copy is gone for good")
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
			assert.Equal(t, "x", string(readAll(t, ctx, dst)))
			assert.NotEqual(t, testModTime, dst.ModTime(ctx), "the object does not claim the time it could not set")
			assert.Equal(t, int64(1), accounting.Stats(ctx).GetErrors())
			want := map[string][]string{"move": {"b.txt"}, "copy": {"a.txt", "b.txt"}}[name]
			assert.ElementsMatch(t, want, names(t, acct, ""))
		})
	}
}
