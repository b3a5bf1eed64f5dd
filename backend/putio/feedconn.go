package putio

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rclone/rclone/fs"
	"github.com/rclone/rclone/fs/fshttp"
	"golang.org/x/net/websocket"
)

// The feed speaks plain websocket (golang.org/x/net/websocket, already in
// rclone's module graph) to the raw endpoint that put.io's SockJS server
// offers beside its SockJS transports, so no SockJS framing is needed.
const (
	defaultFeedURL = "wss://socket.put.io/socket/sockjs/websocket"
	// feedOrigin is the Origin header x/net/websocket must send; put.io's
	// own clients connect from the web app.
	feedOrigin = "https://app.put.io"
	// feedMaxMessage bounds one message; file events are small.
	feedMaxMessage = 1 << 20
)

// checkFeedURL rejects a feed_url that is not an absolute ws:// or wss://
// URL. Empty means put.io's, for configs written before the option.
func checkFeedURL(value string) (*url.URL, error) {
	if value == "" {
		value = defaultFeedURL
	}
	return parseURLOption("feed_url", value, "ws", "wss")
}

// liveConn remembers when bytes last arrived, heartbeats and pongs
// included, which x/net/websocket does not report.
type liveConn struct {
	net.Conn
	now      func() time.Time
	lastRead atomic.Int64 // unix nanoseconds

	mu      sync.Mutex
	waiting chan struct{} // closed by the next read
}

func (c *liveConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.lastRead.Store(c.now().UnixNano())
		c.mu.Lock()
		if c.waiting != nil {
			close(c.waiting)
			c.waiting = nil
		}
		c.mu.Unlock()
	}
	return n, err
}

// nextRead returns a channel closed when bytes next arrive.
func (c *liveConn) nextRead() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.waiting = make(chan struct{})
	return c.waiting
}

// silentFor is how long nothing has arrived.
func (c *liveConn) silentFor() time.Duration {
	return c.now().Sub(time.Unix(0, c.lastRead.Load()))
}

// dialFeed opens a websocket to the feed through rclone's dialer (so
// --bind, --contimeout and --timeout apply), rclone's proxy (see
// feedProxy) and rclone's TLS settings (--ca-cert, --no-check-certificate,
// --client-cert).
func (f *Fs) dialFeed(ctx context.Context) (*websocket.Conn, *liveConn, error) {
	target := f.feed.url
	port := target.Port()
	if port == "" {
		port = map[string]string{"ws": "80", "wss": "443"}[target.Scheme]
	}
	transport := feedTransport(ctx)
	proxy, err := feedProxy(transport.Proxy, target)
	if err != nil {
		return nil, nil, err
	}
	conn, err := dialFeedTCP(ctx, proxy, net.JoinHostPort(target.Hostname(), port))
	if err != nil {
		return nil, nil, err
	}
	if target.Scheme == "wss" {
		tlsConn := tls.Client(conn, feedTLSConfig(transport, target.Hostname()))
		if err := tlsConn.HandshakeContext(ctx); err != nil {
			_ = conn.Close()
			return nil, nil, err
		}
		conn = tlsConn
	}
	live := &liveConn{Conn: conn, now: f.feed.clock}
	live.lastRead.Store(live.now().UnixNano())
	config, err := websocket.NewConfig(target.String(), feedOrigin)
	if err != nil {
		_ = conn.Close()
		return nil, nil, err
	}
	config.Header.Set("User-Agent", fs.GetConfig(ctx).UserAgent)
	// The handshake takes no context: closing the connection ends it.
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	ws, err := websocket.NewClient(config, live)
	if !stop() {
		err = ctx.Err()
	}
	if err != nil {
		_ = conn.Close()
		return nil, nil, fmt.Errorf("putio: websocket handshake with %s: %w", target.Redacted(), err)
	}
	ws.MaxPayloadBytes = feedMaxMessage
	return ws, live, nil
}

// feedTransport is the transport rclone's flags make, for its proxy and
// TLS settings.
func feedTransport(ctx context.Context) *http.Transport {
	var transport *http.Transport
	fshttp.NewTransportCustom(ctx, func(t *http.Transport) { transport = t })
	return transport
}

// feedTLSConfig is transport's TLS configuration for host, speaking
// HTTP/1.1, the only protocol a websocket upgrade works over here.
func feedTLSConfig(transport *http.Transport, host string) *tls.Config {
	config := transport.TLSClientConfig.Clone()
	config.ServerName = host
	config.NextProtos = []string{"http/1.1"}
	return config
}

// sendPing writes a ping frame; the pong, like any byte, proves the
// connection alive. A write that cannot finish within wait fails, so a
// connection whose peer stopped reading cannot hold us up.
func sendPing(ws *websocket.Conn, wait time.Duration) error {
	_ = ws.SetWriteDeadline(time.Now().Add(wait))
	ws.PayloadType = websocket.PingFrame
	defer func() { ws.PayloadType = websocket.TextFrame }()
	_, err := ws.Write(nil)
	return err
}
