package putio

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// What put.io's SDK live suite says of the calls the backend makes, and
// what the backend does about it (docs/reliability.md, "What put.io's own
// tests say").

// put.io refuses transfers/list?per_page=1001; the emulator refuses a page
// over 1000 on every listing unless ClampPerPage. The backend's listings
// (folders, trash, transfers) ask for put.io's largest page and no more,
// so they page through everything under both.
func TestListingsStayWithinPutiosLargestPage(t *testing.T) {
	for _, clamp := range []bool{false, true} {
		t.Run(fmt.Sprintf("ClampPerPage=%v", clamp), func(t *testing.T) {
			f, srv, acct := transferFs(t, "", putiotest.Options{ClampPerPage: clamp})
			const files = 1001
			for i := range files {
				_, err := acct.Put(fmt.Sprintf("big/f%04d", i), []byte("x"), testModTime)
				require.NoError(t, err)
			}
			_, err := acct.Put("gone.txt", []byte("x"), testModTime)
			require.NoError(t, err)
			gone, err := f.NewObject(context.Background(), "gone.txt")
			require.NoError(t, err)
			require.NoError(t, gone.Remove(context.Background()))

			entries, err := f.List(context.Background(), "big")
			require.NoError(t, err)
			trash, err := f.Command(context.Background(), "trash", nil, nil)
			require.NoError(t, err)
			runCommand(t, f, "transfers", nil, nil)

			assert.Len(t, entries, files)
			assert.Len(t, trash, 1)
			for _, entry := range srv.Log() {
				if !strings.HasSuffix(entry.Route, "/list") {
					continue
				}
				query, err := url.ParseQuery(entry.Path[strings.Index(entry.Path, "?")+1:])
				require.NoError(t, err)
				perPage, err := strconv.Atoi(query.Get("per_page"))
				require.NoError(t, err, entry.Path)
				assert.LessOrEqual(t, perPage, 1000, entry.Path)
				assert.Equal(t, http.StatusOK, entry.Status, entry.Path)
			}
		})
	}
}

// put.io refuses a folder name (EMPTY_NAME, NAME_TOO_LONG, SLASH_IN_NAME)
// the same way every time. So after a try whose request was lost, Mkdir
// looks for the folder, asks again, and takes the refusal as final: a
// clear error, no folder, and no third try.
func TestMkdirOfARefusedNameAfterALostRequest(t *testing.T) {
	f, srv, acct := transferFs(t, "")
	const route = "POST /v2/files/create-folder"
	require.NoError(t, srv.Inject(putiotest.Fault{Route: route, Cut: putiotest.CutRequest, Times: 1}))
	long := strings.Repeat("n", 300)

	err := f.Mkdir(context.Background(), long)

	require.Error(t, err)
	assert.Contains(t, err.Error(), "NAME_TOO_LONG")
	assert.Equal(t, 2, srv.Calls(route))
	_, statErr := acct.Stat(long)
	assert.Error(t, statErr)
}
