package putio

import (
	"context"
	"net"
	"net/url"
	"testing"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// closedPortURL is the base URL of a local port nothing listens on.
func closedPortURL(t *testing.T) string {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := listener.Addr().String()
	require.NoError(t, listener.Close())
	return "http://" + addr
}

// A signed download URL's query downloads the file without the token, so
// neither it nor the token shows in the debug log or the error, however
// every try of a download fails.
func TestDownloadFailuresKeepSecretsOutOfLogs(t *testing.T) {
	for _, tc := range []struct {
		name     string
		opts     func(t *testing.T) putiotest.Options
		fault    *putiotest.Fault
		logLine  string // what the failed tries logged
		attempts int    // downloads the emulator saw, at least
	}{
		{name: "connection refused", logLine: "will retry after",
			opts: func(t *testing.T) putiotest.Options { return putiotest.Options{PublicURL: closedPortURL(t)} }},
		{name: "connection cut", logLine: "will retry after", attempts: 3,
			fault: &putiotest.Fault{Route: "GET /download/{id}", Cut: putiotest.CutRequest}},
		{name: "URL refused", logLine: "download URL refused", attempts: 2,
			fault: &putiotest.Fault{Route: "GET /download/{id}", Status: 403,
				Body: "<html>denied: /download/1?u=echoed</html>", ContentType: "text/html"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var opts putiotest.Options
			if tc.opts != nil {
				opts = tc.opts(t)
			}
			stopped := time.Now()
			opts.Now = func() time.Time { return stopped }
			logs := captureLog(t)
			f, srv, acct := newTestFs(t, nil, opts)
			o := seedObject(t, f, acct, "a.bin", []byte("secret bytes"))
			if tc.fault != nil {
				require.NoError(t, srv.Inject(*tc.fault))
			}
			_, openErr := o.Open(fewRetries(f, 3))
			require.Error(t, openErr)
			assert.GreaterOrEqual(t, srv.Calls("GET /download/{id}"), tc.attempts)
			assert.Contains(t, logs.String(), tc.logLine, "the failed tries were logged")
			// The emulator's clock stands still, so it signs the same URL again.
			again, err := f.fetchDownloadURL(context.Background(), o.(*Object).id())
			require.NoError(t, err)
			signed, err := url.Parse(again)
			require.NoError(t, err)
			require.NotEmpty(t, signed.Query().Get("u"), "the emulator signs with u")
			for what, text := range map[string]string{"log": logs.String(), "error": openErr.Error()} {
				for _, secret := range []string{signed.RawQuery, signed.Query().Get("u"), srv.Token, "echoed"} {
					assert.NotContains(t, text, secret, "the %s", what)
				}
			}
		})
	}
}
