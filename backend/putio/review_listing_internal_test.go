package putio

import (
	"testing"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
	"github.com/rclone/rclone/fs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Review finding: when the remembered folder id is gone and the fresh
// lookup of the path fails for a reason other than "not found" (a 5xx, a
// cut, a 429 past the retries), ListP reports fs.ErrorDirNotFound: a VFS
// then shows the folder, which another device made again, as empty.
func TestReviewListReResolutionKeepsLookupError(t *testing.T) {
	f, srv, acct := newTestFs(t, nil)
	_, err := acct.Put("dir/old.txt", []byte("old"), testModTime)
	require.NoError(t, err)
	ctx := fewRetries(f, 1)
	_, err = f.List(ctx, "dir")
	require.NoError(t, err)
	require.NoError(t, acct.Delete("dir"))
	_, err = acct.Put("dir/new.txt", []byte("new"), testModTime)
	require.NoError(t, err)
	require.NoError(t, srv.Inject(putiotest.Fault{Route: "GET /v2/files/{id}/child", Status: 503}))

	_, err = f.List(ctx, "dir")

	require.Error(t, err)
	assert.NotErrorIs(t, err, fs.ErrorDirNotFound, "the folder is there; only its lookup failed")
}
