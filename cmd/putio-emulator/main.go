// Command putio-emulator serves the put.io API emulator (package putiotest)
// on a TCP address, for rclone end-to-end runs and manual testing.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
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

// config is what the command line asks for.
type config struct {
	addr    string
	verbose bool
	opts    putiotest.Options
	// sharedAppTokens maps an app token to the token whose account it
	// joins (-app-tokens x=owner).
	sharedAppTokens map[string]string
}

const usageHead = `putio-emulator serves a put.io API emulator: the API under /v2/, tus
uploads under /files/, signed downloads under /download/ and an admin API
under /_emulator/ (calls, log, upload-bytes, reset, faults, tokens; see
package putiotest).
It prints "putio-emulator listening on URL" when ready; every token is
accepted as its own account unless -strict. Tokens are first-party unless
given with -app-tokens or issued by the OAuth flow to a client not listed in
-first-party-clients (rclone's 4131 gets app tokens, as on put.io); app
tokens get 401 invalid_scope on public_share/list, events/delete and the
oauth/grants routes.

Point rclone's putio backend at it with api_url=URL, upload_url=URL/files/
and any token.

Usage: putio-emulator [flags]

`

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var cfg config
	var tokens, appTokens, firstParty, users string
	var omit string
	var tusExtensions string
	fs := flag.NewFlagSet("putio-emulator", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usageHead)
		fs.PrintDefaults()
	}
	fs.StringVar(&cfg.addr, "addr", "127.0.0.1:8080", "listen address HOST:PORT (port 0 picks a free port)")
	fs.StringVar(&tokens, "tokens", "", "comma-separated tokens to register, each its own account")
	fs.StringVar(&appTokens, "app-tokens", "", "comma-separated third-party app tokens, each its own account, or TOKEN=OWNER to join OWNER's account")
	fs.StringVar(&firstParty, "first-party-clients", "", "comma-separated OAuth client ids whose tokens are first-party (default: every client gets app tokens)")
	fs.StringVar(&users, "users", "", "comma-separated NAME:PASSWORD users for the password login, each its own account")
	fs.BoolVar(&cfg.opts.Strict, "strict", false, "accept only registered or OAuth-issued tokens")
	fs.StringVar(&cfg.opts.DataDir, "data-dir", "", "directory for file bodies, kept in a subdirectory removed on exit (default: the system temporary directory)")
	fs.Int64Var(&cfg.opts.Quota, "quota", 0, "disk size of each account in bytes (default 1 TiB)")
	fs.DurationVar(&cfg.opts.Latency, "latency", 0, "delay added to every request")
	fs.IntVar(&cfg.opts.RateLimit.Requests, "rate-limit", 0, "requests per window and token (0: no limit)")
	fs.DurationVar(&cfg.opts.RateLimit.Window, "rate-window", time.Minute, "rate limit window")
	fs.StringVar(&omit, "rate-omit-headers", "", "comma-separated rate limit headers to leave out (e.g. Retry-After; retry_after for the body field)")
	fs.BoolVar(&cfg.opts.RateLimit.Captcha, "rate-captcha", false, "answer over-limit requests with put.io's captcha-needed 429")
	fs.DurationVar(&cfg.opts.CursorExpiry, "cursor-expiry", 0, "lifetime of listing cursors; older ones get 400 (0: no expiry)")
	fs.StringVar(&cfg.opts.PublicURL, "public-url", "", "base of absolute URLs handed out (default: from each request)")
	fs.DurationVar(&cfg.opts.URLExpiry, "url-expiry", 6*time.Hour, "lifetime of signed download URLs")
	fs.DurationVar(&cfg.opts.UploadExpiry, "upload-expiry", 24*time.Hour, "idle time after which a tus upload is dropped")
	fs.Int64Var(&cfg.opts.MaxPatchSize, "max-patch-size", 0, "largest tus PATCH body in bytes (0: no limit)")
	fs.BoolVar(&cfg.opts.DropPartialPatch, "drop-partial-patch", false, "forget every byte of a tus PATCH whose body was cut short (default: keep what arrived)")
	fs.StringVar(&tusExtensions, "tus-extensions", "creation,termination", "tus extensions OPTIONS advertises; with creation-with-upload a creation POST may carry the first bytes")
	fs.Int64Var(&cfg.opts.TusMaxSize, "tus-max-size", 0, "Tus-Max-Size to advertise and enforce at creation, in bytes (0: none)")
	fs.BoolVar(&cfg.opts.RefuseOptions, "refuse-options", false, "answer tus OPTIONS with 405")
	fs.BoolVar(&cfg.opts.ShuffleListing, "shuffle-listing", false, "return each listing page in random order")
	fs.Uint64Var(&cfg.opts.Seed, "seed", 0, "seed for random choices")
	fs.DurationVar(&cfg.opts.TrashLockWait, "trash-lock-wait", 0, "wait for the trash lock before TRASH_LOCK_TIMEOUT (0: wait forever)")
	fs.DurationVar(&cfg.opts.TrashHold, "trash-hold", 0, "time each trash operation holds the trash lock")
	fs.BoolVar(&cfg.opts.SpuriousCopyConflict, "spurious-copy-conflict", false, "fail the first copy of each file with NAME_ALREADY_EXIST")
	fs.BoolVar(&cfg.opts.RefuseSameName, "refuse-same-name", false, "fail a rename or move of an item to the name it already has with NAME_ALREADY_EXIST")
	fs.BoolVar(&cfg.opts.KeepPercentEscapes, "keep-percent-escapes", false, "store names as given instead of percent-decoding %XX as put.io does")
	fs.DurationVar(&cfg.opts.FeedHeartbeat, "feed-heartbeat", 10*time.Second, "interval of the real-time feed's pings (negative: none)")
	fs.BoolVar(&cfg.opts.FeedTextHeartbeat, "feed-text-heartbeat", false, "send the real-time feed's heartbeats as text messages \"h\" instead of pings")
	fs.BoolVar(&cfg.opts.FeedFileObjects, "feed-file-objects", false, "real-time feed file events carry the whole File object, not just the id")
	fs.BoolVar(&cfg.opts.TransferSourceNormalize, "transfer-source-normalize", false, "store magnet links as magnet:?xt=urn:btih:<lowercase hex>, as put.io may")
	fs.BoolVar(&cfg.verbose, "verbose", false, "log each request to stderr")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments %q; all settings are flags (see -h)", fs.Args())
	}
	cfg.opts.Tokens = splitList(tokens)
	cfg.opts.FirstPartyClients = splitList(firstParty)
	cfg.sharedAppTokens = map[string]string{}
	for _, entry := range splitList(users) {
		name, password, ok := strings.Cut(entry, ":")
		if !ok || name == "" || password == "" {
			return config{}, fmt.Errorf("-users: %q is not NAME:PASSWORD", entry)
		}
		if cfg.opts.Users == nil {
			cfg.opts.Users = map[string]string{}
		}
		cfg.opts.Users[name] = password
	}
	for _, entry := range splitList(appTokens) {
		token, owner, shared := strings.Cut(entry, "=")
		if !shared {
			cfg.opts.AppTokens = append(cfg.opts.AppTokens, token)
			continue
		}
		if token == "" || owner == "" {
			return config{}, fmt.Errorf("-app-tokens: %q is not TOKEN or TOKEN=OWNER", entry)
		}
		cfg.sharedAppTokens[token] = owner
	}
	cfg.opts.RateLimit.Omit = splitList(omit)
	cfg.opts.TusExtensions = splitList(tusExtensions)
	if cfg.opts.TusExtensions == nil {
		cfg.opts.TusExtensions = []string{} // advertise none, rather than the default
	}
	if cfg.opts.Strict && len(cfg.opts.Tokens)+len(cfg.opts.AppTokens)+len(cfg.sharedAppTokens) == 0 {
		fmt.Fprintln(stderr, "putio-emulator: -strict without -tokens: only OAuth-issued tokens will work")
	}
	return cfg, nil
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// run serves until ctx ends or SIGINT/SIGTERM arrives, after printing one
// line with the URL to stdout; -verbose logs requests to stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
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
	defer emu.Close()
	for token, owner := range cfg.sharedAppTokens {
		if err := emu.Account(owner).AddToken(token, putiotest.ScopeApp); err != nil {
			return fmt.Errorf("-app-tokens %s=%s: %w", token, owner, err)
		}
	}
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %w (choose another -addr)", cfg.addr, err)
	}
	srv := &http.Server{Handler: emu, ReadHeaderTimeout: time.Minute}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Fprintf(stdout, "putio-emulator listening on http://%s\n", ln.Addr())
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
// and path. Tokens are left out of the log.
func logRequest(w io.Writer) func(putiotest.LogEntry) {
	var mu sync.Mutex
	return func(e putiotest.LogEntry) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(w, "%s %d %v %s %s\n", e.Time.UTC().Format(time.RFC3339Nano), e.Status, e.Duration.Round(time.Microsecond), e.Route, withoutToken(e.Path))
	}
}

// withoutToken hides the value of an oauth_token query parameter.
func withoutToken(target string) string {
	u, err := url.ParseRequestURI(target)
	if err != nil {
		return target
	}
	q := u.Query()
	if !q.Has("oauth_token") {
		return target
	}
	q.Set("oauth_token", "REDACTED")
	u.RawQuery = q.Encode()
	return u.RequestURI()
}
