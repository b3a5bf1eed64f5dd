package putio

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/api"
	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
	"github.com/rclone/rclone/fs"
	"github.com/rclone/rclone/fs/config/configmap"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// newAppTokenFs is an Fs on a third-party app token, as rclone's own
// OAuth app gets, over an account holding a.txt.
func newAppTokenFs(t *testing.T) (fs.Fs, *putiotest.Server) {
	srv := putiotest.NewServer(t)
	acct := srv.Account(srv.Token)
	_, err := acct.Put("a.txt", []byte("x"), testModTime)
	require.NoError(t, err)
	app, err := acct.NewToken(putiotest.ScopeApp)
	require.NoError(t, err)
	f, err := newFsOn(srv, testRemote, "", configmap.Simple{"token": `{"access_token":"` + app + `","expiry":"0001-01-01T00:00:00Z"}`})
	require.NoError(t, err)
	return f, srv
}

// lostShareReply arms a 502 sent after put.io made the share.
func lostShareReply(t *testing.T, srv *putiotest.Server) {
	require.NoError(t, srv.Inject(putiotest.Fault{Route: "POST /v2/public_share/{id}", Times: 1, AfterWork: true, Status: http.StatusBadGateway}))
	srv.ResetCounters()
}

// After a lost reply the share list is read again, and the share the lost
// try made is the link: no second share.
func TestPublicLinkLostReplyReusesShare(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, nil)
	item, err := acct.Put("a.txt", []byte("x"), testModTime)
	require.NoError(t, err)
	lostShareReply(t, srv)

	link, err := f.PublicLink(ctx, "a.txt", fs.DurationOff, false)
	require.NoError(t, err)
	shares, err := f.sharesOf(ctx, api.ID(item.ID))
	require.NoError(t, err)
	require.Len(t, shares, 1)
	assert.Equal(t, publicShareBase+shares[0].Token, link)
	assert.Equal(t, 1, srv.Calls("POST /v2/public_share/{id}"))
}

// A third-party token may not list shares, so after a lost reply the only
// way to a link is a second share (docs/content/putio.md says so).
func TestPublicLinkLostReplyWithAppToken(t *testing.T) {
	ctx := context.Background()
	f, srv := newAppTokenFs(t)
	lostShareReply(t, srv)

	_, err := f.Features().PublicLink(ctx, "a.txt", fs.DurationOff, false)
	require.NoError(t, err)
	assert.Equal(t, 2, srv.Calls("POST /v2/public_share/{id}"), "a second share is made")
}

func TestPublicLink(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, nil)
	_, err := acct.Put("a.txt", []byte("x"), testModTime)
	require.NoError(t, err)

	link, err := f.PublicLink(ctx, "a.txt", fs.DurationOff, false)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(link, publicShareBase), link)
	again, err := f.PublicLink(ctx, "a.txt", fs.DurationOff, false)
	require.NoError(t, err)
	assert.Equal(t, link, again, "existing share reused")
	assert.Equal(t, 1, srv.Calls("POST /v2/public_share/{id}"))

	_, err = f.PublicLink(ctx, "a.txt", fs.DurationOff, true)
	require.NoError(t, err)
	assert.Equal(t, 1, srv.Calls("DELETE /v2/public_share/{id}"))
	newLink, err := f.PublicLink(ctx, "a.txt", fs.DurationOff, false)
	require.NoError(t, err)
	assert.NotEqual(t, link, newLink)

	_, err = f.PublicLink(ctx, "missing.txt", fs.DurationOff, false)
	assert.ErrorIs(t, err, fs.ErrorObjectNotFound)
}

// rclone's OAuth app gets a third-party token, and put.io refuses those the
// share list: links are still made, and unlink says where it can be done
// instead of sending the user to log in again.
func TestPublicLinkWithAppToken(t *testing.T) {
	ctx := context.Background()
	f, srv := newAppTokenFs(t)

	link, err := f.Features().PublicLink(ctx, "a.txt", fs.DurationOff, false)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(link, publicShareBase), link)
	assert.Equal(t, 1, srv.Calls("POST /v2/public_share/{id}"))

	_, err = f.Features().PublicLink(ctx, "a.txt", fs.DurationOff, true)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "put.io web app")
	assert.NotContains(t, err.Error(), "reconnect")
	assert.Zero(t, srv.Calls("DELETE /v2/public_share/{id}"))
}

// --expire asks put.io for that expiry when the share is created.
func TestPublicLinkExpire(t *testing.T) {
	ctx := context.Background()
	f, _, acct := newTestFs(t, nil)
	item, err := acct.Put("a.txt", []byte("x"), testModTime)
	require.NoError(t, err)

	_, err = f.PublicLink(ctx, "a.txt", fs.Duration(48*time.Hour), false)
	require.NoError(t, err)
	shares, err := f.sharesOf(ctx, api.ID(item.ID))
	require.NoError(t, err)
	require.Len(t, shares, 1)
	assert.WithinDuration(t, time.Now().Add(48*time.Hour), shares[0].ExpirationDate.Time, time.Minute)
}

// Removing a link whose reply is lost after put.io removed it is a
// success: the share list no longer has it, and the delete is not sent
// again (put.io would answer 404). A list that can't be read leaves that
// unknown: a failure worth retrying is retried, a refusal fails the call
// saying so, and the delete is not sent again on a guess.
func TestPublicLinkUnlinkReplyLost(t *testing.T) {
	const deleteShareRoute, listSharesRoute = "DELETE /v2/public_share/{id}", "GET /v2/public_share/list"
	for name, test := range map[string]struct {
		listFault *putiotest.Fault
		fails     bool
	}{
		"list readable":   {},
		"list fails once": {listFault: &putiotest.Fault{Route: listSharesRoute, Status: http.StatusServiceUnavailable, Times: 1}},
		"list refused":    {listFault: &putiotest.Fault{Route: listSharesRoute, Status: http.StatusForbidden}, fails: true},
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			opts, setServer := putiotest.Options{}, func(*putiotest.Server) {}
			if test.listFault != nil {
				// After the list unlink reads first: on the lookup after the lost reply.
				opts, setServer = injectAfter(opts, 1, *test.listFault)
			}
			f, srv, acct := newTestFs(t, nil, opts)
			item, err := acct.Put("a.txt", []byte("x"), testModTime)
			require.NoError(t, err)
			_, err = f.PublicLink(ctx, "a.txt", fs.DurationOff, false)
			require.NoError(t, err)
			require.NoError(t, srv.Inject(putiotest.Fault{Route: deleteShareRoute, AfterWork: true, Status: http.StatusBadGateway, Times: 1}))
			setServer(srv)

			_, err = f.PublicLink(ctx, "a.txt", fs.DurationOff, true)

			assert.Equal(t, 1, srv.Calls(deleteShareRoute), "not sent again")
			srv.ClearFaults()
			shares, listErr := f.sharesOf(ctx, api.ID(item.ID))
			require.NoError(t, listErr)
			assert.Empty(t, shares, "the share is gone")
			if test.fails {
				require.ErrorContains(t, err, "can't tell whether public link")
				return
			}
			require.NoError(t, err)
		})
	}
}
