package putio

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
	"github.com/rclone/rclone/fs"
	"github.com/rclone/rclone/fs/rc"
	"github.com/rclone/rclone/vfs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// partWayFailures are the ways a listing can fail after its first page:
// armed on the pages that follow for as long as a test needs, they outlast
// the retries (see mediaFolder). Not found and gone are there because a
// later page proves nothing about the folder, which the first page showed.
var partWayFailures = map[string]putiotest.Fault{
	"5xx":                  {Status: http.StatusServiceUnavailable},
	"cut":                  {Cut: putiotest.CutResponse, CutAfter: 20},
	"truncated page":       {Truncate: true},
	"page with no list":    {Status: http.StatusOK, Body: `{"cursor":null,"status":"OK"}`},
	"cursor refused twice": {Status: http.StatusBadRequest, ErrorType: "INVALID_CURSOR"},
	"not found":            {Status: http.StatusNotFound, ErrorType: "NotFound"},
	"gone":                 {Status: http.StatusGone, ErrorType: errTypeFileLost},
}

// mediaFolder seeds the folder media with files enough for three pages of
// f's listing, makes f give up after two tries, and mounts it as a media
// server would. It returns the mount and the folder's names.
func mediaFolder(t *testing.T, opts ...putiotest.Options) (*Fs, *putiotest.Server, *vfs.VFS, []string) {
	t.Helper()
	f, srv, acct := newTestFs(t, nil, opts...)
	var want []string
	for i := range 5 {
		name := fmt.Sprintf("episode%d.mkv", i)
		_, err := acct.Put("media/"+name, []byte(name), testModTime)
		require.NoError(t, err)
		want = append(want, name)
	}
	f.pageSize = 2
	fewRetries(f, 2)
	return f, srv, newMount(t, f, srv), want
}

// failListingsPartWay arms fault on every page after the first.
func failListingsPartWay(t *testing.T, srv *putiotest.Server, fault putiotest.Fault) {
	t.Helper()
	srv.ResetCounters()
	require.NoError(t, srv.Inject(onRoute(continueRoute, fault)))
}

// requireNothingLost fails unless a listing either failed or holds every
// name in want.
func requireNothingLost(t *testing.T, got []string, err error, want []string) {
	t.Helper()
	if err == nil {
		require.Subset(t, got, want, "the folder lists fewer names than it holds, with no error")
	}
}

// The first listing of a folder that fails part-way is an error through
// the VFS, never a short or empty folder; once the fault passes, the
// folder is whole.
func TestVFSFirstListingFailingPartWayIsAnError(t *testing.T) {
	for name, fault := range partWayFailures {
		t.Run(name, func(t *testing.T) {
			_, srv, v, want := mediaFolder(t)
			failListingsPartWay(t, srv, fault)

			got, err := readDirNames(v, "media")

			require.Error(t, err, "the mount lists %v", got)
			assert.Positive(t, srv.Calls(continueRoute), "the fault was met")
			srv.ClearFaults()
			got, err = readDirNames(v, "media")
			require.NoError(t, err)
			assert.Equal(t, want, got)
		})
	}
}

// A refresh (rclone rc vfs/refresh) of a cached folder whose listing fails
// part-way reports the error and leaves the folder as it was known: an
// error or every name, never fewer.
func TestVFSRefreshFailingPartWayKeepsTheFolder(t *testing.T) {
	refresh := rc.Calls.Get("vfs/refresh")
	require.NotNil(t, refresh)
	for name, fault := range partWayFailures {
		t.Run(name, func(t *testing.T) {
			f, srv, v, want := mediaFolder(t)
			got, err := readDirNames(v, "media")
			require.NoError(t, err)
			require.Equal(t, want, got)
			failListingsPartWay(t, srv, fault)

			out, err := refresh.Fn(context.Background(), rc.Params{"fs": fs.ConfigString(f), "dir": "media"})

			require.NoError(t, err)
			assert.NotEqual(t, "OK", out["result"].(map[string]string)["media"], "the refresh reports the failure")
			assert.Positive(t, srv.Calls(continueRoute), "the fault was met")
			got, err = readDirNames(v, "media")
			requireNothingLost(t, got, err, want)
			srv.ClearFaults()
			got, err = readDirNames(v, "media")
			require.NoError(t, err)
			assert.Equal(t, want, got)
		})
	}
}

// A change another device makes invalidates the cached folder (through
// ChangeNotify); when the listing that follows fails part-way, the folder
// is an error or whole, never smaller, and once the fault passes it shows
// the change.
func TestVFSChangeThenFailingListingKeepsTheFolder(t *testing.T) {
	for name, fault := range partWayFailures {
		t.Run(name, func(t *testing.T) {
			_, srv, v, want := mediaFolder(t)
			got, err := readDirNames(v, "media")
			require.NoError(t, err)
			require.Equal(t, want, got)
			failListingsPartWay(t, srv, fault)

			put(context.Background(), t, otherClient(t, srv), "media/new.mkv", []byte("new"))

			// The cached names stand until the notification makes the VFS list
			// the folder again, which then fails.
			require.Eventually(t, func() bool {
				got, err = readDirNames(v, "media")
				return err != nil || !slices.Equal(got, want)
			}, hangGuard, 5*time.Millisecond, "the mount never listed the folder again")
			requireNothingLost(t, got, err, want)
			assert.Positive(t, srv.Calls(continueRoute), "the fault was met")
			srv.ClearFaults()
			got, err = readDirNames(v, "media")
			require.NoError(t, err)
			assert.Equal(t, append(want, "new.mkv"), got)
		})
	}
}
