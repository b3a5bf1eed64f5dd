package putio

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
	"github.com/rclone/rclone/fs"
	"github.com/rclone/rclone/fs/config/configmap"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const accountRoute = "GET /v2/account/info"

// newFsWithToken is an Fs named name on srv logged in with token, whose
// account the emulator makes on first use.
func newFsWithToken(t *testing.T, srv *putiotest.Server, name, token string) *Fs {
	t.Helper()
	f, err := newFsOn(srv, name, "", configmap.Simple{"token": `{"access_token":"` + token + `","expiry":"0001-01-01T00:00:00Z"}`})
	require.NoError(t, err)
	return f.(*Fs)
}

// Server-side operations between two accounts on one server are refused
// with the sentinel that makes rclone copy through the client; put.io is
// asked nothing with the wrong token.
func TestServerSideRefusedAcrossAccounts(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, nil)
	other := newFsWithToken(t, srv, "OtherAccount", "other-"+srv.Token)
	theirs := srv.Account("other-" + srv.Token)
	_, err := theirs.Put("dir/theirs.txt", []byte("theirs"), testModTime)
	require.NoError(t, err)
	src, err := other.NewObject(ctx, "dir/theirs.txt")
	require.NoError(t, err)
	srv.ResetCounters()

	_, err = f.Copy(ctx, src, "copied.txt")
	assert.Equal(t, fs.ErrorCantCopy, err)
	_, err = f.Move(ctx, src, "moved.txt")
	assert.Equal(t, fs.ErrorCantMove, err)
	assert.Equal(t, fs.ErrorCantDirMove, f.DirMove(ctx, other, "dir", "dir"))

	assert.Zero(t, srv.Calls(copyRoute)+srv.Calls(moveRoute))
	assert.Equal(t, 2, srv.Calls(accountRoute), "each account asked once")
	assert.Equal(t, []string(nil), names(t, acct, ""))
	assert.Equal(t, []string{"theirs.txt"}, names(t, theirs, "dir"))
}

// Two remotes with the same token copy server-side with no account call.
func TestServerSideSameTokenNeedsNoAccountCall(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, nil)
	other := newFsWithToken(t, srv, "SameAccount", srv.Token)
	_, err := acct.Put("a.txt", []byte("x"), testModTime)
	require.NoError(t, err)
	src, err := other.NewObject(ctx, "a.txt")
	require.NoError(t, err)

	_, err = f.Copy(ctx, src, "b.txt")

	require.NoError(t, err)
	assert.Zero(t, srv.Calls(accountRoute))
	assert.ElementsMatch(t, []string{"a.txt", "b.txt"}, names(t, acct, ""))
}

func TestAboutAndUserInfo(t *testing.T) {
	ctx := context.Background()
	f, _, acct := newTestFs(t, nil, putiotest.Options{Quota: 1 << 30})
	_, err := acct.Put("a.txt", make([]byte, 1000), testModTime)
	require.NoError(t, err)
	usage, err := f.About(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(1<<30), *usage.Total)
	assert.Equal(t, int64(1000), *usage.Used)
	assert.Equal(t, int64(1<<30-1000), *usage.Free)
	info, err := f.UserInfo(ctx)
	require.NoError(t, err)
	assert.Equal(t, fmt.Sprint(acct.UserID()), info["UserID"])
}

// What the Fs of one remote share (the rate-limit gate, what the upload
// service supports) is shared per login, under any remote name: another
// token at the same address and remote name (a test suite's next emulator
// on a reused port, say) starts with nothing learnt, and isn't held by the
// first one's 429.
func TestSharedStateIsPerLogin(t *testing.T) {
	ctx := context.Background()
	srv := putiotest.NewServer(t)
	first := newFsWithToken(t, srv, testRemote, "login-one")
	again := newFsWithToken(t, srv, "another-remote", "login-one")
	other := newFsWithToken(t, srv, testRemote, "login-two")
	assert.Same(t, first.gate, again.gate)
	assert.Same(t, first.uploads, again.uploads)
	put(ctx, t, first, "first.txt", []byte("1"))
	require.Equal(t, 1, srv.Calls(optionsRoute))

	first.gate.mu.Lock()
	first.gate.blockedUntil = time.Now().Add(time.Hour)
	first.gate.mu.Unlock()
	listCtx, cancel := context.WithTimeout(ctx, hangGuard) // the held login waits an hour
	defer cancel()
	_, err := other.List(listCtx, "")
	require.NoError(t, err, "the other login isn't held")

	put(ctx, t, other, "a.txt", []byte("a"))
	assert.Equal(t, 2, srv.Calls(optionsRoute), "the other login asks the upload service itself")
	assert.NotSame(t, first.uploads, other.uploads)
}

// The process-wide state shared per login (rate-limit gates, signed URL
// caches, what the upload service supports) keeps every login for the
// life of the process: it is keyed by a hash of the access token, never
// by the token itself.
func TestSharedLoginStateDoesNotHoldTheToken(t *testing.T) {
	f, _, _ := newTestFs(t, nil)
	token := f.accessToken()
	require.NotEmpty(t, token)
	for name, shared := range map[string]*sync.Map{"gates": &gates.byLogin, "signed URL caches": &signedURLCaches.byLogin, "upload services": &uploadServices.byLogin} {
		keys := 0
		shared.Range(func(key, _ any) bool {
			keys++
			assert.NotContains(t, key.(string), token, "a key of the %s", name)
			return true
		})
		assert.NotZero(t, keys, "the %s hold this login", name)
	}
}
