// Package mitm is a TLS-terminating forward proxy for benchmarks: it answers
// CONNECT for a fixed set of host names with certificates from a throwaway
// CA and forwards each decrypted request, over plain HTTP, to one loopback
// target. It never dials anything else, so a client pointed at it cannot
// reach the real hosts.
package mitm

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// CA is a throwaway certificate authority that signs leaf certificates.
type CA struct {
	cert    *x509.Certificate
	key     *ecdsa.PrivateKey
	certPEM []byte
}

// NewCA makes a CA valid for one day.
func NewCA() (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          randomSerial(),
		Subject:               pkix.Name{CommonName: "rclone-putio bench CA (throwaway)"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &CA{cert: cert, key: key, certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}, nil
}

// CertPEM is the CA certificate, for a client's --ca-cert.
func (ca *CA) CertPEM() []byte { return ca.certPEM }

// Leaf signs a server certificate for host.
func (ca *CA) Leaf(host string) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: randomSerial(),
		Subject:      pkix.Name{CommonName: host},
		DNSNames:     []string{host},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der, ca.cert.Raw}, PrivateKey: key}, nil
}

func randomSerial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return n
}

// Proxy is a running forward proxy.
type Proxy struct {
	// Addr is the proxy's "127.0.0.1:PORT".
	Addr string

	target    *url.URL
	delay     time.Duration
	leaves    map[string]tls.Certificate // by host name, port 443 only
	outer     *http.Server               // CONNECT on the listener
	inner     *http.Server               // requests inside the tunnels
	tunnels   *connListener
	refused   atomic.Int64
	failed    atomic.Int64
	uploads   bodyMeter
	downloads bodyMeter
}

// Config says where a Proxy forwards to and for which names.
type Config struct {
	// Target is the http://127.0.0.1:PORT base every request goes to.
	Target string
	// Hosts are the names served on port 443; CONNECT to anything else is
	// refused.
	Hosts []string
	// Delay is added before forwarding each request, to stand in for the
	// round trip to a distant server.
	Delay time.Duration
	// DownloadPrefix, if set, is the path of download URLs ("/download/"):
	// the reply bytes of those requests are counted (Downloads).
	DownloadPrefix string
}

// Start listens on a loopback port and serves cfg.
func Start(ca *CA, cfg Config) (*Proxy, error) {
	u, err := url.Parse(cfg.Target)
	if err != nil {
		return nil, err
	}
	if ip := net.ParseIP(u.Hostname()); u.Scheme != "http" || ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("mitm: target %q must be http:// on a loopback IP", cfg.Target)
	}
	p := &Proxy{target: u, delay: cfg.Delay, leaves: map[string]tls.Certificate{}}
	for _, h := range cfg.Hosts {
		if p.leaves[h], err = ca.Leaf(h); err != nil {
			return nil, err
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p.Addr = ln.Addr().String()
	p.tunnels = newConnListener(ln.Addr())
	p.inner = &http.Server{Handler: p.uploads.meterUploads(p.downloads.meterReplies(cfg.DownloadPrefix, p.forwarder())), ReadHeaderTimeout: time.Minute}
	p.outer = &http.Server{Handler: http.HandlerFunc(p.serveConnect), ReadHeaderTimeout: time.Minute}
	go func() { _ = p.inner.Serve(p.tunnels) }()
	go func() { _ = p.outer.Serve(ln) }()
	return p, nil
}

// URL is the proxy URL for --http-proxy.
func (p *Proxy) URL() string { return "http://" + p.Addr }

// Refused counts requests the proxy turned away: anything but CONNECT to
// one of its hosts on port 443.
func (p *Proxy) Refused() int64 { return p.refused.Load() }

// Failed counts requests the proxy could not complete with the target,
// typically because the client went away mid-request (a killed rclone).
// They are counted, not logged, so that a planned kill stays quiet.
func (p *Proxy) Failed() int64 { return p.failed.Load() }

// Uploads reports the tus upload-body traffic so far.
func (p *Proxy) Uploads() BodyStats { return p.uploads.snapshot() }

// Downloads reports the download replies so far (Config.DownloadPrefix):
// body bytes written to clients, whether they read them or not.
func (p *Proxy) Downloads() BodyStats { return p.downloads.snapshot() }

// AfterUploadBytes returns a channel that is closed once at least n tus
// body bytes have crossed the proxy, e.g. to kill a client mid-upload.
func (p *Proxy) AfterUploadBytes(n int64) <-chan struct{} { return p.uploads.after(n) }

// Close stops the proxy and every tunnel.
func (p *Proxy) Close() error {
	return errors.Join(p.outer.Close(), p.inner.Close())
}

func (p *Proxy) serveConnect(w http.ResponseWriter, r *http.Request) {
	host, port, err := net.SplitHostPort(r.Host)
	leaf, known := p.leaves[host]
	if r.Method != http.MethodConnect || err != nil || port != "443" || !known {
		p.refused.Add(1)
		http.Error(w, "mitm: only CONNECT to the benchmark's hosts on :443 is served", http.StatusForbidden)
		return
	}
	conn, rw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	if _, err := rw.WriteString("HTTP/1.1 200 Connection Established\r\n\r\n"); err != nil || rw.Flush() != nil {
		_ = conn.Close()
		return
	}
	tlsConn := tls.Server(bufferedConn{conn, rw.Reader}, &tls.Config{
		Certificates: []tls.Certificate{leaf},
		NextProtos:   []string{"http/1.1"},
		MinVersion:   tls.VersionTLS12,
	})
	p.tunnels.push(tlsConn)
}

// forwarder sends a decrypted request to the target, telling it which
// https host the client asked for so that absolute URLs it hands out (tus
// Location, download links) name that host and come back through us.
func (p *Proxy) forwarder() http.Handler {
	transport := &http.Transport{
		Proxy:               nil,
		MaxIdleConnsPerHost: 64,
		DisableCompression:  true,
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
	}
	forward := &httputil.ReverseProxy{
		Transport:     transport,
		FlushInterval: -1,
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(p.target)
			pr.Out.Header.Set("X-Forwarded-Proto", "https")
			pr.Out.Header.Set("X-Forwarded-Host", pr.In.Host)
		},
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, _ error) {
			p.failed.Add(1)
			w.WriteHeader(http.StatusBadGateway)
		},
	}
	if p.delay <= 0 {
		return forward
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		timer := time.NewTimer(p.delay)
		defer timer.Stop()
		select {
		case <-timer.C:
			forward.ServeHTTP(w, r)
		case <-r.Context().Done():
		}
	})
}

// bufferedConn keeps bytes the CONNECT reader already buffered.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c bufferedConn) Read(b []byte) (int, error) { return c.r.Read(b) }

// connListener hands hijacked tunnel connections to an http.Server.
type connListener struct {
	addr      net.Addr
	conns     chan net.Conn
	done      chan struct{}
	closeOnce sync.Once
}

func newConnListener(addr net.Addr) *connListener {
	return &connListener{addr: addr, conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *connListener) push(c net.Conn) {
	select {
	case l.conns <- c:
	case <-l.done:
		_ = c.Close()
	}
}

func (l *connListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *connListener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return nil
}

func (l *connListener) Addr() net.Addr { return l.addr }
