package putio

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
	"github.com/rclone/rclone/fs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lostMoveRepeats are the answers a repeated move may meet when its first
// try's reply was lost after the move was done: none injected (the
// emulator's own answer, a clash under RefuseSameName), or "not found".
var lostMoveRepeats = []struct {
	name   string
	repeat *putiotest.Fault
}{
	{"emulator", nil},
	{"404", &putiotest.Fault{Route: moveRoute, Status: http.StatusNotFound, Times: 1}},
}

// forEachLostMove runs test with a server whose next move loses its reply
// after doing the work, under each repeat answer and both ways of taking
// a rename to the name an item has.
func forEachLostMove(t *testing.T, test func(t *testing.T, f *Fs, srv *putiotest.Server, acct *putiotest.Account)) {
	for _, refuseSameName := range []bool{false, true} {
		for _, repeat := range lostMoveRepeats {
			t.Run(fmt.Sprintf("%s/refuseSameName=%v", repeat.name, refuseSameName), func(t *testing.T) {
				f, srv, acct := newTestFs(t, nil, putiotest.Options{RefuseSameName: refuseSameName})
				require.NoError(t, srv.Inject(putiotest.Fault{Route: moveRoute, AfterWork: true, Status: http.StatusBadGateway, Times: 1}))
				if repeat.repeat != nil {
					require.NoError(t, srv.Inject(*repeat.repeat))
				}
				test(t, f, srv, acct)
			})
		}
	}
}

// A move whose reply is lost after put.io did it is a success.
func TestMoveReplyLost(t *testing.T) {
	forEachLostMove(t, func(t *testing.T, f *Fs, srv *putiotest.Server, acct *putiotest.Account) {
		ctx := context.Background()
		require.NoError(t, f.Mkdir(ctx, "dst"))
		src := seedObject(t, f, acct, "a.txt", []byte("hello"))

		dst, err := f.Move(ctx, src, "dst/a.txt")

		require.NoError(t, err)
		assert.Equal(t, 1, srv.Calls(moveRoute), "found moved, not sent again")
		assert.Equal(t, []string{"dst"}, names(t, acct, ""))
		stat := assertOnlyFile(t, acct, "dst", "a.txt", "hello")
		assert.Equal(t, src.(fs.IDer).ID(), fmt.Sprint(stat.ID))
		assert.Equal(t, src.(fs.IDer).ID(), dst.(fs.IDer).ID())
	})
}

// The same for a folder move.
func TestDirMoveReplyLost(t *testing.T) {
	forEachLostMove(t, func(t *testing.T, f *Fs, srv *putiotest.Server, acct *putiotest.Account) {
		ctx := context.Background()
		_, err := acct.Put("src/sub/a.txt", []byte("hello"), testModTime)
		require.NoError(t, err)
		before, err := acct.Stat("src/sub")
		require.NoError(t, err)

		require.NoError(t, f.DirMove(ctx, f, "src/sub", "dst/sub"))

		assert.Equal(t, 1, srv.Calls(moveRoute), "found moved, not sent again")
		assert.Empty(t, names(t, acct, "src"))
		after, err := acct.Stat("dst/sub")
		require.NoError(t, err)
		assert.Equal(t, before.ID, after.ID)
		assertOnlyFile(t, acct, "dst/sub", "a.txt", "hello")
	})
}

// A merge whose bulk move loses its reply after put.io did it does not
// take its own moved files for clashes: every file is merged, with its
// mod time, and the emptied folder goes.
func TestMergeDirsMoveReplyLost(t *testing.T) {
	for _, refuseSameName := range []bool{false, true} {
		t.Run(fmt.Sprintf("refuseSameName=%v", refuseSameName), func(t *testing.T) {
			ctx := context.Background()
			f, srv, acct := newTestFs(t, nil, putiotest.Options{RefuseSameName: refuseSameName})
			t2 := testModTime.Add(time.Hour)
			dirs := seedMerge(t, f, acct, map[string]time.Time{"one/a": testModTime, "two/b": t2, "two/c": t2}, "one", "two")
			require.NoError(t, srv.Inject(putiotest.Fault{Route: moveRoute, AfterWork: true, Status: http.StatusBadGateway, Times: 1}))

			require.NoError(t, f.MergeDirs(ctx, dirs))

			assert.Equal(t, 1, srv.Calls(moveRoute), "found moved, not sent again")
			assert.Equal(t, []string{"one"}, names(t, acct, ""))
			assertFile(t, acct, "one/a", "one/a", testModTime)
			assertFile(t, acct, "one/b", "two/b", t2)
			assertFile(t, acct, "one/c", "two/c", t2)
		})
	}
}

// untimed is the JSON of item as put.io might list it with neither
// updated_at nor created_at.
func untimed(item putiotest.File) string {
	return fmt.Sprintf(`{"id":%d,"name":%q,"size":%d,"parent_id":%d}`, item.ID, item.Name, item.Size, item.ParentID)
}

// A file put.io gave no time keeps the time put.io sets on a server-side
// copy or move: no touch writes year 1.
func TestServerSideZeroTimeNotWritten(t *testing.T) {
	for _, op := range []string{"copy", "move"} {
		t.Run(op, func(t *testing.T) {
			ctx := context.Background()
			f, srv, acct := newTestFs(t, nil)
			item, err := acct.Put("a.txt", []byte("x"), testModTime)
			require.NoError(t, err)
			require.NoError(t, srv.Inject(putiotest.Fault{Route: "GET /v2/files/{id}/child", Status: http.StatusOK,
				Body: `{"file":` + untimed(item) + `,"status":"OK"}`, Times: 1}))
			src, err := f.NewObject(ctx, "a.txt")
			require.NoError(t, err)
			require.True(t, src.ModTime(ctx).IsZero())

			if op == "copy" {
				_, err = f.Copy(ctx, src, "b.txt")
			} else {
				_, err = f.Move(ctx, src, "b.txt")
			}

			require.NoError(t, err)
			assert.Zero(t, srv.Calls(touchRoute))
			stat, err := acct.Stat("b.txt")
			require.NoError(t, err)
			assert.Greater(t, stat.UpdatedAt.Year(), 2000)
		})
	}
}

// The same for a merge.
func TestMergeDirsZeroTimeNotWritten(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, nil)
	dirs := seedMerge(t, f, acct, map[string]time.Time{"one/a": testModTime, "two/b": testModTime}, "one", "two")
	b, err := acct.Stat("two/b")
	require.NoError(t, err)
	require.NoError(t, srv.Inject(onRoute(listRoute, page(untimed(b), "null"))))

	require.NoError(t, f.MergeDirs(ctx, dirs))

	assert.Zero(t, srv.Calls(touchRoute))
	stat, err := acct.Stat("one/b")
	require.NoError(t, err)
	assert.Greater(t, stat.UpdatedAt.Year(), 2000)
}

func TestMoveFailureLeavesSourceIntact(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, nil)
	src := seedObject(t, f, acct, "a.txt", []byte("hello"))
	require.NoError(t, srv.Inject(putiotest.Fault{Route: "POST /v2/files/move", Status: http.StatusBadRequest, ErrorType: "NAME_ALREADY_EXIST"}))

	_, err := f.Move(ctx, src, "b.txt")

	require.ErrorContains(t, err, "NAME_ALREADY_EXIST")
	assert.Equal(t, []string{"a.txt"}, names(t, acct, ""))
}

// A move refused inside a 200 reply's errors list is still an error.
func TestMoveErrorsInBody(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, nil)
	src := seedObject(t, f, acct, "a.txt", []byte("hello"))
	require.NoError(t, srv.Inject(putiotest.Fault{Route: "POST /v2/files/move", Status: http.StatusOK,
		Body: `{"status":"OK","errors":[{"id":1,"name":"a.txt","error_type":"NAME_ALREADY_EXIST","status_code":400}]}`}))
	_, err := f.Move(ctx, src, "b.txt")
	require.ErrorContains(t, err, "NAME_ALREADY_EXIST")
}

// DirMove moves a folder with one call.
func TestDirMove(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, nil)
	_, err := acct.Put("src/sub/a.txt", []byte("x"), testModTime)
	require.NoError(t, err)
	require.NoError(t, f.Mkdir(ctx, "dst"))
	require.NoError(t, f.Mkdir(ctx, "src/sub"))
	srv.ResetCounters()

	require.NoError(t, f.DirMove(ctx, f, "src/sub", "dst/moved"))

	assert.Equal(t, 1, srv.Calls("POST /v2/files/move"))
	data, err := acct.ReadFile("dst/moved/a.txt")
	require.NoError(t, err)
	assert.Equal(t, "x", string(data))
}
