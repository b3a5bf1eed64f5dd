package putio

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/rclone-putio/rclone-putio/backend/putio/api"
	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
	"github.com/rclone/rclone/fs/config/configmap"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// switchProxy forwards requests at a loopback address to target while it
// is open; while it is shut, a dial there is refused, so a request sent
// there provably never left. It keeps no connection alive, so a request
// after shut dials afresh.
type switchProxy struct {
	t      *testing.T
	addr   string
	target *url.URL
	server *http.Server
}

// newSwitchProxy makes a switchProxy to target, shut.
func newSwitchProxy(t *testing.T, target string) *switchProxy {
	t.Helper()
	targetURL, err := url.Parse(target)
	require.NoError(t, err)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &switchProxy{t: t, addr: l.Addr().String(), target: targetURL}
	require.NoError(t, l.Close())
	t.Cleanup(p.shut)
	return p
}

// url is the proxy's address as an endpoint option takes it.
func (p *switchProxy) url() string { return "http://" + p.addr }

// open starts forwarding at the proxy's address.
func (p *switchProxy) open() {
	l, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Errorf("reopening %s: %v", p.addr, err)
		return
	}
	p.server = &http.Server{Handler: httputil.NewSingleHostReverseProxy(p.target)}
	p.server.SetKeepAlivesEnabled(false)
	go func() { _ = p.server.Serve(l) }()
}

// shut stops forwarding: dials are refused again.
func (p *switchProxy) shut() {
	if p.server != nil {
		_ = p.server.Close()
		p.server = nil
	}
}

// retryWatch is a log handler that calls onRetry the first time the
// backend logs that it will retry the call what.
type retryWatch struct {
	what    string
	once    sync.Once
	onRetry func()
}

func (h *retryWatch) Enabled(context.Context, slog.Level) bool { return true }
func (h *retryWatch) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *retryWatch) WithGroup(string) slog.Handler            { return h }

func (h *retryWatch) Handle(_ context.Context, r slog.Record) error {
	if strings.Contains(r.Message, h.what+": will retry after") {
		h.once.Do(h.onRetry)
	}
	return nil
}

// onRetry calls do, once, when the backend logs that it will retry the
// call what: between a failed try and the next.
func onRetry(t *testing.T, what string, do func()) {
	logTo(t, &retryWatch{what: what, onRetry: do})
}

// newFsVia makes an Fs whose API and upload service are reached through
// proxy.
func newFsVia(t *testing.T, srv *putiotest.Server, proxy *switchProxy) *Fs {
	t.Helper()
	f, err := newFsOn(srv, "proxied", "", configmap.Simple{
		"api_url":    proxy.url(),
		"upload_url": proxy.url() + strings.TrimPrefix(srv.UploadURL(), srv.URL),
	})
	require.NoError(t, err)
	f.(*Fs).sessions = newFileSessions(t.TempDir()) // upload sessions stay out of the user's cache
	t.Cleanup(func() { _ = f.(*Fs).Shutdown(context.Background()) })
	return f.(*Fs)
}

// A mutation whose first try was refused at the dial never reached
// put.io: it is sent again without a look for its work first.
func TestRefusedMutationIsRetriedWithoutProbe(t *testing.T) {
	ctx := context.Background()
	_, srv, acct := newTestFs(t, nil)
	file, err := acct.Put("dir/file.txt", []byte("to delete"), testModTime)
	require.NoError(t, err)
	proxy := newSwitchProxy(t, srv.URL)
	f := newFsVia(t, srv, proxy)
	onRetry(t, "POST /v2/files/delete", proxy.open)

	require.NoError(t, f.deleteItems(ctx, api.ID(file.ID).String()))

	assert.Equal(t, 1, srv.Calls("POST /v2/files/delete"), "the refused try never arrived")
	assert.Zero(t, srv.Calls("GET /v2/files/{id}"), "no look for the work of a try that never left")
	_, err = acct.Stat("dir/file.txt")
	assert.Error(t, err)
	trash := acct.Trash()
	require.Len(t, trash, 1)
	assert.Equal(t, file.ID, trash[0].ID)
}

// An upload whose every try is refused at the dial made nothing, even
// when no look at put.io can tell: it fails as an error rclone may retry,
// not as unsettled.
func TestRefusedUploadIsNotUnsettled(t *testing.T) {
	_, srv, acct := newTestFs(t, nil, putiotest.Options{TusExtensions: []string{"creation", "creation-with-upload"}})
	proxy := newSwitchProxy(t, srv.URL)
	f := newFsVia(t, srv, proxy)
	ctx := fewRetries(f, 2)
	proxy.open()
	require.True(t, f.uploadCaps(ctx).CreationWithUpload, "the file would not travel in the creation POST")
	proxy.shut()
	data := []byte("never sent")

	_, err := f.upload(ctx, bytesReader(data), srcInfo("file.txt", int64(len(data))), "file.txt", rootID, 0, nil)

	require.Error(t, err)
	var unsettled *unsettledError
	assert.False(t, errors.As(err, &unsettled), "unsettled: %v", err)
	assert.Equal(t, unsent, classify(ctx, err), "%v", err)
	assert.Zero(t, srv.Calls("POST /files/"), "nothing reached the upload service")
	assert.Empty(t, names(t, acct, ""))
}
