// Command putio-emulator serves the put.io API emulator (package putiotest)
// on a TCP address, for rclone end-to-end runs and manual testing.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "putio-emulator:", err)
		os.Exit(1)
	}
}

// run serves until ctx ends or SIGINT/SIGTERM arrives, after printing a
// line with the URL and a remote on it to stdout; -verbose logs requests
// to stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	exposed, err := checkExposure(ctx, cfg.addr, cfg.opts.AdminSecret, net.DefaultResolver.LookupNetIP)
	if err != nil {
		return err
	}
	token, err := cfg.printedToken(exposed)
	if err != nil {
		return err
	}
	tlsConfig, err := cfg.tls.serverTLS(cfg.addr, cfg.opts.PublicURL)
	if err != nil {
		return err
	}
	if cfg.verbose {
		cfg.opts.OnRequest = logRequest(stderr)
	}
	emu, err := putiotest.New(cfg.opts)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := emu.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("removing the file bodies: %w", cerr))
		}
	}()
	for token, owner := range cfg.sharedAppTokens {
		if err := emu.Account(owner).AddToken(token, putiotest.ScopeApp); err != nil {
			return fmt.Errorf("-app-tokens: a token joining %s: %w", putiotest.TokenFingerprint(owner), err)
		}
	}
	for _, f := range cfg.seedFiles {
		if _, err := emu.Account(f.token).Put(f.path, []byte("putio-emulator seed file "+f.path+"\n"), time.Now()); err != nil {
			return fmt.Errorf("-put %s: %w", f.path, err)
		}
	}
	return serve(ctx, emu, cfg.addr, tlsConfig, func(listenURL string) error { return cfg.announce(stdout, listenURL, token) })
}

// serve listens on addr, announces its URL and serves emu, over TLS
// unless tlsConfig is nil, until ctx ends or a signal arrives.
func serve(ctx context.Context, emu http.Handler, addr string, tlsConfig *tls.Config, announce func(listenURL string) error) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %w (choose another -addr)", addr, err)
	}
	srv := &http.Server{Handler: emu, ReadHeaderTimeout: time.Minute, TLSConfig: tlsConfig}
	scheme, listen := "http", srv.Serve
	if tlsConfig != nil {
		scheme, listen = "https", func(ln net.Listener) error { return srv.ServeTLS(ln, "", "") }
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- listen(ln) }()
	if err := announce(scheme + "://" + ln.Addr().String()); err != nil {
		// Whoever started us waits for the announcement; serving
		// unannounced leaves it waiting.
		return errors.Join(fmt.Errorf("cannot announce the address on stdout: %w", err), srv.Close())
	}
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return srv.Close()
	}
	return nil
}

// logRequest prints one line per request: time, status, duration, route
// and path; the emulator has redacted credentials in the path and query.
func logRequest(w io.Writer) func(putiotest.LogEntry) {
	var mu sync.Mutex
	return func(e putiotest.LogEntry) {
		mu.Lock()
		defer mu.Unlock()
		// A log line that cannot be written is no reason to stop serving.
		_, _ = fmt.Fprintf(w, "%s %d %v %s %s\n", e.Time.UTC().Format(time.RFC3339Nano), e.Status, e.Duration.Round(time.Microsecond), e.Route, e.Path)
	}
}
