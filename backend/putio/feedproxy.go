package putio

import (
	"bufio"
	"context"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/rclone/rclone/fs/fshttp"
)

// feedProxy is the HTTP proxy rclone's own transport would use for the
// feed's URL (--http-proxy, else HTTPS_PROXY, HTTP_PROXY and NO_PROXY),
// nil for none. x/net/websocket dials no proxy itself, so without this a
// user behind a proxy would have no feed at all.
func feedProxy(proxyFor func(*http.Request) (*url.URL, error), target *url.URL) (*url.URL, error) {
	if proxyFor == nil {
		return nil, nil
	}
	asHTTP := *target
	asHTTP.Scheme = strings.Replace(target.Scheme, "ws", "http", 1) // ws → http, wss → https
	return proxyFor(&http.Request{URL: &asHTTP, Header: http.Header{}})
}

// dialFeedTCP connects to addr through rclone's dialer (so --bind,
// --contimeout and --timeout apply), tunnelling through proxy with
// CONNECT when there is one.
func dialFeedTCP(ctx context.Context, proxy *url.URL, addr string) (net.Conn, error) {
	dialer := fshttp.NewDialer(ctx)
	if proxy == nil {
		return dialer.DialContext(ctx, "tcp", addr)
	}
	if proxy.Scheme != "http" {
		return nil, fmt.Errorf("putio: the real-time feed can't use proxy %s: only http:// proxies can tunnel it", proxy.Redacted())
	}
	proxyAddr := proxy.Host
	if proxy.Port() == "" {
		proxyAddr = net.JoinHostPort(proxy.Hostname(), "80")
	}
	conn, err := dialer.DialContext(ctx, "tcp", proxyAddr)
	if err != nil {
		return nil, err
	}
	if err := openTunnel(ctx, conn, proxy, addr); err != nil {
		_ = conn.Close()
		return nil, err
	}
	return conn, nil
}

// openTunnel asks the proxy on conn for a tunnel to addr, as net/http's
// transport does for https:// URLs.
func openTunnel(ctx context.Context, conn net.Conn, proxy *url.URL, addr string) error {
	req := &http.Request{Method: http.MethodConnect, URL: &url.URL{Opaque: addr}, Host: addr, Header: http.Header{}}
	if user := proxy.User; user != nil {
		password, _ := user.Password()
		req.Header.Set("Proxy-Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(user.Username()+":"+password)))
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() }) // the exchange takes no context
	defer stop()
	if err := req.Write(conn); err != nil {
		return fmt.Errorf("putio: asking proxy %s for a tunnel to the feed: %w", proxy.Redacted(), err)
	}
	reader := bufio.NewReader(conn)
	resp, err := http.ReadResponse(reader, req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("putio: proxy %s answered no tunnel to the feed: %w", proxy.Redacted(), err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("putio: proxy %s refused a tunnel to the feed at %s: %s", proxy.Redacted(), addr, resp.Status)
	}
	if reader.Buffered() > 0 {
		// Bytes the tunnel's far end sent before we spoke would be lost
		// with the reader.
		return fmt.Errorf("putio: proxy %s sent data before the tunnel was used", proxy.Redacted())
	}
	return nil
}
