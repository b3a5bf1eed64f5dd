package putio

import (
	"context"
	"testing"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Regression tests for what TestSimulation found, each the shrunk
// sequence it reported, made deterministic.

// TestSimCutRefusalIsTriedAgain: a copy is made but its reply is cut;
// the repeat is refused, as the name is taken by that copy, and that
// refusal's body is cut too. A refusal that did not arrive whole says
// nothing of which refusal it was, so the call goes on as after any lost
// reply, and the copy is found instead of the copy failing with both
// files left behind.
func TestSimCutRefusalIsTriedAgain(t *testing.T) {
	f, srv, acct := newTestFs(t, nil)
	ctx := context.Background()
	src := seedObject(t, f, acct, "dir/src.txt", []byte("hello, world"))
	require.NoError(t, srv.Inject(putiotest.Fault{Route: "POST /v2/files/copy", Cut: putiotest.CutResponse, CutAfter: 20, Times: 2}))

	dst, err := f.Copy(ctx, src, "dir/dst.txt")
	require.NoError(t, err)
	assert.Equal(t, 3, srv.Calls("POST /v2/files/copy"), "the cut refusal was tried again")
	assert.ElementsMatch(t, []string{"src.txt", "dst.txt"}, names(t, acct, "dir"))
	data, err := acct.ReadFile("dir/dst.txt")
	require.NoError(t, err)
	assert.Equal(t, "hello, world", string(data))
	assert.True(t, dst.ModTime(ctx).Equal(testModTime))
	assert.Empty(t, acct.Trash())
}
