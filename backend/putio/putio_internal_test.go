package putio

import (
	"context"
	"testing"

	"github.com/rclone/rclone/fs"
	"github.com/rclone/rclone/fs/config/configmap"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMissingTokenSaysReconnect(t *testing.T) {
	m := configmap.Simple{"api_url": "http://127.0.0.1:1"}
	_, err := NewFs(context.Background(), "notoken", "", fs.ConfigMap(regInfo.Prefix, regInfo.Options, "", m))
	require.ErrorContains(t, err, `rclone config reconnect notoken:`)
}

// A root naming a file gives ErrorIsFile with the parent as root.
func TestRootIsFile(t *testing.T) {
	_, srv, acct := newTestFs(t, nil)
	_, err := acct.Put("dir/a.txt", []byte("x"), testModTime)
	require.NoError(t, err)
	sub, err := newFsOn(srv, "sub", "dir/a.txt", nil)
	assert.ErrorIs(t, err, fs.ErrorIsFile)
	assert.Equal(t, "dir", sub.Root())
}

// Every Fs on the same account shares one gate.
func TestGateSharedPerRemote(t *testing.T) {
	f, srv, _ := newTestFs(t, nil)
	sub, err := newFsOn(srv, testRemote, "sub", nil)
	require.NoError(t, err)
	assert.Same(t, f.gate, sub.(*Fs).gate)
}
