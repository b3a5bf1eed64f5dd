package putio

import (
	"context"
	"net/http"
	"testing"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lostAfterWork is a fault that serves route in full once, then loses
// its reply.
func lostAfterWork(route string) putiotest.Fault {
	return putiotest.Fault{Route: route, AfterWork: true, Status: http.StatusBadGateway, Times: 1}
}

// A purge whose reply is lost still forgets the folder's id: a Mkdir of
// the same path then makes a folder, and a file put into it lands there,
// not in the trashed folder.
func TestPurgeReplyLostForgetsFolder(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, noSessions)
	_, err := acct.Put("dir/a.txt", []byte("a"), testModTime)
	require.NoError(t, err)
	require.NoError(t, srv.Inject(lostAfterWork(deleteRoute)))

	require.NoError(t, f.Purge(ctx, "dir"))
	require.NoError(t, f.Mkdir(ctx, "dir"))
	put(ctx, t, f, "dir/b.txt", []byte("b"))

	assert.Equal(t, []string{"b.txt"}, names(t, acct, "dir"))
	require.Len(t, acct.Trash(), 1)
	assert.Equal(t, "dir", acct.Trash()[0].Name)
}
