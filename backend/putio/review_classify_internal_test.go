package putio

import (
	"context"
	"net/http"
	"testing"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A copy whose work is done but whose reply is a 5xx naming FILE_LOST (a
// server that failed after the work; the error type says why, not that
// nothing was done) is looked for like any lost reply: it succeeds with
// the copy in place and sent once, rather than failing as "not found"
// with the copy made, or, over an existing file, left under its
// temporary name beside the old one.
func TestCopy5xxFileLostAfterWorkIsLookedFor(t *testing.T) {
	lostAfterWork := putiotest.Fault{Route: copyRoute, AfterWork: true, Status: http.StatusInternalServerError, ErrorType: errTypeFileLost, Times: 1}
	for _, over := range []bool{false, true} {
		t.Run(map[bool]string{false: "new", true: "over an existing file"}[over], func(t *testing.T) {
			ctx := context.Background()
			f, srv, acct := newTestFs(t, nil)
			src := seedObject(t, f, acct, "a.txt", []byte("new"))
			require.NoError(t, f.Mkdir(ctx, "dst"))
			copies := 1
			if over {
				_, err := acct.Put("dst/a.txt", []byte("old"), testModTime)
				require.NoError(t, err)
				require.NoError(t, srv.Inject(putiotest.Fault{Route: copyRoute, Status: http.StatusBadRequest, ErrorType: errTypeNameExists, Times: 1}))
				copies++ // the refused copy, then the temporary one
			}
			require.NoError(t, srv.Inject(lostAfterWork))

			_, err := f.Copy(ctx, src, "dst/a.txt")

			require.NoError(t, err)
			assertOnlyFile(t, acct, "dst", "a.txt", "new")
			assert.Equal(t, copies, srv.Calls(copyRoute), "found, not sent again")
		})
	}
}
