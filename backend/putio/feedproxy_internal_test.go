package putio

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/rclone/rclone/fs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// connectProxy is an HTTP proxy that tunnels CONNECT requests, or refuses
// them all, and records what it was asked.
type connectProxy struct {
	refuse bool
	mu     sync.Mutex
	asked  []string // CONNECT targets
	auth   []string // their Proxy-Authorization headers
}

func (p *connectProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.asked = append(p.asked, r.Host)
	p.auth = append(p.auth, r.Header.Get("Proxy-Authorization"))
	p.mu.Unlock()
	if r.Method != http.MethodConnect || p.refuse {
		http.Error(w, "no tunnel", http.StatusForbidden)
		return
	}
	upstream, err := net.Dial("tcp", r.Host)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	client, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		_ = upstream.Close()
		return
	}
	_, _ = io.WriteString(client, "HTTP/1.1 200 Connection established\r\n\r\n")
	go func() {
		_, _ = io.Copy(upstream, client)
		_ = upstream.Close()
	}()
	_, _ = io.Copy(client, upstream)
	_ = client.Close()
}

func (p *connectProxy) seen() (asked, auth []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.asked...), append([]string(nil), p.auth...)
}

// withProxy is a context whose rclone config has --http-proxy set.
func withProxy(proxyURL string) context.Context {
	ctx, ci := fs.AddConfig(context.Background())
	ci.HTTPProxy = proxyURL
	return ctx
}

// With --http-proxy set, the feed goes through the proxy as every other
// request does, in a CONNECT tunnel, sending the proxy's credentials.
func TestFeedGoesThroughTheHTTPProxy(t *testing.T) {
	f, srv, _ := newTestFs(t, nil)
	proxy := &connectProxy{}
	ps := httptest.NewServer(proxy)
	defer ps.Close()
	withUser := strings.Replace(ps.URL, "http://", "http://ann:pw@", 1)

	ws, _, err := f.dialFeed(withProxy(withUser))

	require.NoError(t, err)
	require.NoError(t, ws.Close())
	asked, auth := proxy.seen()
	assert.Equal(t, []string{strings.TrimPrefix(srv.URL, "http://")}, asked, "the feed's host, through the proxy")
	assert.Equal(t, []string{"Basic YW5uOnB3"}, auth, "ann:pw")
}

// A proxy that refuses the tunnel is a clear error that names the proxy
// but not its password.
func TestFeedProxyRefusalIsClear(t *testing.T) {
	f, _, _ := newTestFs(t, nil)
	ps := httptest.NewServer(&connectProxy{refuse: true})
	defer ps.Close()

	_, _, err := f.dialFeed(withProxy(strings.Replace(ps.URL, "http://", "http://ann:secret@", 1)))

	require.ErrorContains(t, err, "refused a tunnel to the feed")
	assert.NotContains(t, err.Error(), "secret")
}
