package putio

import (
	"bytes"
	"context"
	"io"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
	"github.com/rclone/rclone/fs"
	"github.com/rclone/rclone/fs/config/configmap"
	"github.com/rclone/rclone/fs/object"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testModTime is a whole-second time, as put.io stores them.
var testModTime = time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC)

// hangGuard bounds waits only so that a hang fails the test: each wait
// ends on the event it waits for, however slow the machine, and no
// assertion depends on how long that takes.
const hangGuard = 2 * time.Minute

// testRemote is the remote name the tests give their Fs.
const testRemote = "TestPutioInternal"

// newTestFs starts an emulator and returns an Fs on it rooted at "" plus
// the emulator and the account behind the token.
func newTestFs(t testing.TB, extra configmap.Simple, opts ...putiotest.Options) (*Fs, *putiotest.Server, *putiotest.Account) {
	t.Helper()
	srv := putiotest.NewServer(t, opts...)
	f, err := newFsOn(srv, testRemote, "", extra)
	require.NoError(t, err)
	f.(*Fs).sessions = newFileSessions(t.TempDir()) // upload sessions stay out of the user's cache
	// Registered after the emulator's: background work ends before it closes.
	t.Cleanup(func() { _ = f.(*Fs).Shutdown(context.Background()) })
	return f.(*Fs), srv, srv.Account(srv.Token)
}

// newFsOn makes an Fs named name at root on srv with srv's token, plus
// the extra options.
func newFsOn(srv *putiotest.Server, name, root string, extra configmap.Simple) (fs.Fs, error) {
	m := configmap.Simple{
		"token":      `{"access_token":"` + srv.Token + `","expiry":"0001-01-01T00:00:00Z"}`,
		"api_url":    srv.URL,
		"upload_url": srv.UploadURL(),
		"feed_url":   srv.FeedURL(),
	}
	for k, v := range extra {
		m[k] = v
	}
	return NewFs(context.Background(), name, root, fs.ConfigMap(regInfo.Prefix, regInfo.Options, "", m))
}

// fewRetries lets f's pacer make only n low-level tries, as
// --low-level-retries would, so tests of failures do not wait for ten
// backoffs.
func fewRetries(f *Fs, n int) context.Context {
	f.pacer.SetRetries(n)
	return context.Background()
}

// srcInfo describes an upload of size bytes to remote.
func srcInfo(remote string, size int64) fs.ObjectInfo {
	return object.NewStaticObjectInfo(remote, testModTime, size, true, nil, nil)
}

// put uploads data to remote through f.Put.
func put(ctx context.Context, t *testing.T, f *Fs, remote string, data []byte) fs.Object {
	t.Helper()
	o, err := f.Put(ctx, bytes.NewReader(data), srcInfo(remote, int64(len(data))))
	require.NoError(t, err)
	return o
}

// readAll opens o with options and returns its bytes.
func readAll(ctx context.Context, t *testing.T, o fs.Object, options ...fs.OpenOption) []byte {
	t.Helper()
	rc, err := o.Open(ctx, options...)
	require.NoError(t, err)
	defer func() { require.NoError(t, rc.Close()) }()
	data, err := io.ReadAll(rc)
	require.NoError(t, err)
	return data
}

// failingReader yields data then fails, like a source dying mid-transfer.
type failingReader struct {
	data []byte
	err  error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

// pattern returns n recognisable bytes.
func pattern(n int, seed byte) []byte {
	data := make([]byte, n)
	for i := range data {
		data[i] = seed + byte(i%251)
	}
	return data
}

// names lists the item names of an emulator folder.
func names(t *testing.T, acct *putiotest.Account, dir string) []string {
	t.Helper()
	items, err := acct.List(dir)
	require.NoError(t, err)
	var out []string
	for _, item := range items {
		out = append(out, item.Name)
	}
	return out
}

// assertHoldsOnly asserts that the folder of p holds p's name alone, and
// that p holds want: a Put updated or replaced the file, not put a second
// beside it.
func assertHoldsOnly(t *testing.T, acct *putiotest.Account, p, want string, msgAndArgs ...any) {
	t.Helper()
	dir, leaf := path.Split(p)
	assert.Equal(t, []string{leaf}, names(t, acct, strings.TrimSuffix(dir, "/")), msgAndArgs...)
	data, err := acct.ReadFile(p)
	require.NoError(t, err)
	assert.Equal(t, want, string(data))
}

// bytesReader is a reader over data.
func bytesReader(data []byte) io.Reader { return bytes.NewReader(data) }

// seedObject stores data at remote on the emulator and returns the
// backend's Object for it.
func seedObject(t *testing.T, f *Fs, acct *putiotest.Account, remote string, data []byte) fs.Object {
	t.Helper()
	_, err := acct.Put(remote, data, testModTime)
	require.NoError(t, err)
	o, err := f.NewObject(context.Background(), remote)
	require.NoError(t, err)
	return o
}
