package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
)

// config is what the command line asks for.
type config struct {
	addr    string
	verbose bool
	// printConfig prints a remote on the emulator, named remoteName,
	// after the ready line.
	printConfig bool
	remoteName  string
	opts        putiotest.Options
	// sharedAppTokens maps an app token to the token whose account it
	// joins (-app-tokens x=owner).
	sharedAppTokens map[string]string
	// seedFiles are the files -put stores before serving.
	seedFiles []seedFile
	tls       tlsFlags
}

// seedFile is a file -put stores: TOKEN:PATH.
type seedFile struct {
	token, path string
}

const usageHead = `putio-emulator serves a put.io API emulator: the API under /v2/, tus
uploads under /files/, signed downloads under /download/ and an admin API
under /_emulator/ (calls, log, upload-bytes, reset, faults, tokens; see
package putiotest).
It prints "putio-emulator listening on URL" when ready, then a ready
rclone remote on it (see -print-config); every token is
accepted as its own account unless -strict. Tokens are first-party unless
given with -app-tokens or issued by the OAuth flow to a client not listed in
-first-party-clients (rclone's 4131 gets app tokens, as on put.io); app
tokens get 401 invalid_scope on public_share/list, events/delete, the
oauth/grants, oauth/clients and oauth/apps routes, account/confirmation/list,
tunnel/routes and podcast/links.

With -tls it serves HTTPS instead, the feed as wss, with a certificate
made at start (its key never leaves memory); -tls-ca-out FILE writes the
certificate for clients to trust (rclone --ca-cert FILE).

Point rclone's putio backend at it with the printed RCLONE_CONFIG_*
variables or config section: api_url=URL, upload_url=URL/files/,
feed_url=ws://HOST:PORT/socket/sockjs/websocket (a remote with api_url
alone still uploads to put.io and watches put.io's feed), and any token.

The admin API can read every request and change any account, so it serves
only requests from this machine unless an admin secret is set
(PUTIO_EMULATOR_ADMIN_SECRET, or -admin-secret), which it then requires of
every request as Authorization: Bearer <secret>. Listening on an address
other machines can reach (-addr 0.0.0.0:8080) needs that secret, and so
does relaying it (ssh -L, socat, a proxy): a relay that adds no header
makes every client look local. With a secret, loopback transfer URLs are
fetched only if -transfer-fetch-hosts lists a loopback host.

Usage: putio-emulator [flags]

`

// listFlags are the comma-separated flags, read into config once parsed.
type listFlags struct {
	tokens, appTokens, firstParty, users, omit, tusExtensions, put, fetchHosts string
	userTokens                                                                 string
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var cfg config
	var lists listFlags
	fs := flag.NewFlagSet("putio-emulator", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		_, _ = io.WriteString(stderr, usageHead) // as fs.PrintDefaults, which has nowhere to report either
		fs.PrintDefaults()
	}
	serverFlags(fs, &cfg)
	accountFlags(fs, &cfg, &lists)
	transferFlags(fs, &cfg, &lists)
	choiceFlags(fs, &cfg)
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments %q; all settings are flags (see -h)", fs.Args())
	}
	if err := cfg.readLists(lists); err != nil {
		return config{}, err
	}
	if cfg.opts.AdminSecret == "" {
		cfg.opts.AdminSecret = os.Getenv(adminSecretEnv)
	}
	if err := checkRemoteName(cfg.remoteName); err != nil {
		return config{}, err
	}
	if err := cfg.tls.check(); err != nil {
		return config{}, err
	}
	if cfg.opts.Strict && len(cfg.opts.Tokens)+len(cfg.opts.AppTokens)+len(cfg.sharedAppTokens) == 0 {
		_, _ = fmt.Fprintln(stderr, "putio-emulator: -strict without -tokens: only OAuth-issued tokens will work") // a warning only
	}
	return cfg, nil
}

// serverFlags are where and how the emulator serves.
func serverFlags(fs *flag.FlagSet, c *config) {
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8080", "listen address HOST:PORT (port 0 picks a free port)")
	fs.StringVar(&c.opts.DataDir, "data-dir", "", "directory for file bodies, kept in a subdirectory removed on exit (default: the system temporary directory)")
	fs.StringVar(&c.opts.PublicURL, "public-url", "", "base of absolute URLs handed out (default: from each request)")
	fs.DurationVar(&c.opts.Latency, "latency", 0, "delay added to every request")
	fs.Uint64Var(&c.opts.Seed, "seed", 0, "seed for random choices")
	fs.BoolVar(&c.verbose, "verbose", false, "log each request to stderr")
	fs.BoolVar(&c.printConfig, "print-config", true, "print an rclone remote on the emulator after the ready line, as RCLONE_CONFIG_* variables and as a config file section (its token: the first of -tokens, else "+defaultPrintedToken+" on loopback and a random one off it)")
	fs.StringVar(&c.remoteName, "remote-name", defaultRemoteName, "name of the printed remote (letters, digits and _)")
	fs.BoolVar(&c.tls.enabled, "tls", false, "serve HTTPS (and the feed as wss) with a self-signed certificate for localhost, 127.0.0.1, ::1 and the -addr host, made at start and valid for "+certLifetime.String())
	fs.StringVar(&c.tls.caOut, "tls-ca-out", "", "with -tls, write the certificate (PEM) to this file for clients to trust: rclone --ca-cert FILE, node NODE_EXTRA_CA_CERTS=FILE")
	fs.StringVar(&c.opts.AdminSecret, "admin-secret", "", "secret every admin request must send as Authorization: Bearer <secret>; required to listen off loopback (prefer $"+adminSecretEnv+", which ps does not show)")
}

// accountFlags are who may call and with how much room.
func accountFlags(fs *flag.FlagSet, c *config, l *listFlags) {
	fs.StringVar(&l.tokens, "tokens", "", "comma-separated tokens to register, each its own account")
	fs.StringVar(&l.appTokens, "app-tokens", "", "comma-separated third-party app tokens, each its own account, or TOKEN=OWNER to join OWNER's account")
	fs.StringVar(&l.firstParty, "first-party-clients", "", "comma-separated OAuth client ids whose tokens are first-party (default: every client gets app tokens)")
	fs.StringVar(&l.users, "users", "", "comma-separated NAME:PASSWORD users for the password login, each its own account")
	fs.StringVar(&l.userTokens, "user-tokens", "", "comma-separated TOKEN=USER: a -tokens token stands for that -users user's account")
	fs.BoolVar(&c.opts.SeedUserInvites, "seed-user-invites", false, "give each -users account one unused family invite and one unused friend invite")
	fs.BoolVar(&c.opts.Strict, "strict", false, "accept only registered or OAuth-issued tokens")
	fs.StringVar(&l.put, "put", "", "comma-separated TOKEN:/PATH files to store before serving, each a one-line text file naming its path (e.g. a file for clients that look for one to work on)")
	fs.Int64Var(&c.opts.Quota, "quota", 0, "disk size of each account in bytes (default 1 TiB)")
	fs.IntVar(&c.opts.RateLimit.Requests, "rate-limit", 0, "requests per window and token (0: no limit)")
	fs.DurationVar(&c.opts.RateLimit.Window, "rate-window", time.Minute, "rate limit window")
	fs.StringVar(&l.omit, "rate-omit-headers", "", "comma-separated rate limit headers to leave out (e.g. Retry-After; retry_after for the body field)")
	fs.BoolVar(&c.opts.RateLimit.Captcha, "rate-captcha", false, "answer over-limit requests with put.io's captcha-needed 429")
}

// transferFlags shape uploads and downloads.
func transferFlags(fs *flag.FlagSet, c *config, l *listFlags) {
	fs.DurationVar(&c.opts.URLExpiry, "url-expiry", 6*time.Hour, "lifetime of signed download URLs")
	fs.DurationVar(&c.opts.UploadExpiry, "upload-expiry", 24*time.Hour, "idle time after which a tus upload is dropped")
	fs.Int64Var(&c.opts.MaxPatchSize, "max-patch-size", 0, "largest tus PATCH body in bytes (0: no limit)")
	fs.BoolVar(&c.opts.MaxPatchSizeAfterBody, "max-patch-size-after-body", false, "refuse a PATCH over -max-patch-size only once its whole body is read (default: from its Content-Length, before reading)")
	fs.BoolVar(&c.opts.OmitUploadCRC, "omit-upload-crc", false, "leave putio-file-crc32 out of the reply that completes a tus upload")
	fs.BoolVar(&c.opts.DropPartialPatch, "drop-partial-patch", false, "forget every byte of a tus PATCH whose body was cut short (default: keep what arrived)")
	fs.StringVar(&l.tusExtensions, "tus-extensions", "creation,termination", "tus extensions OPTIONS advertises; with creation-with-upload a creation POST may carry the first bytes")
	fs.Int64Var(&c.opts.TusMaxSize, "tus-max-size", 0, "Tus-Max-Size to advertise and enforce at creation, in bytes (0: none)")
	fs.BoolVar(&c.opts.RefuseOptions, "refuse-options", false, "answer tus OPTIONS with 405")
	fs.DurationVar(&c.opts.UploadClockSkew, "upload-clock-skew", 0, "how far the upload host's clock (Date, x-ratelimit-reset) runs ahead of the API's; negative: behind")
	fs.DurationVar(&c.opts.DownloadClockSkew, "download-clock-skew", 0, "how far the download host's clock runs ahead of the API's; negative: behind")
	fs.BoolVar(&c.opts.IgnoreRange, "ignore-range", false, "answer every download with 200 and the whole file, as a proxy that ignores Range does")
	fs.StringVar(&l.fetchHosts, "transfer-fetch-hosts", "", "comma-separated hosts, beyond loopback, whose transfer URLs the emulator downloads for any client (loopback only for clients on this machine while no admin secret is set, unless listed)")
}

// choiceFlags pick among put.io's plausible behaviours where the record
// is silent.
func choiceFlags(fs *flag.FlagSet, c *config) {
	fs.DurationVar(&c.opts.CursorExpiry, "cursor-expiry", 0, "lifetime of listing cursors; older ones get 400 (0: no expiry)")
	fs.BoolVar(&c.opts.ShuffleListing, "shuffle-listing", false, "return each listing page in random order")
	fs.BoolVar(&c.opts.HideHiddenItems, "hide-hidden-items", false, "leave hidden items out of listings and child lookups that do not ask hidden=1")
	fs.DurationVar(&c.opts.TrashLockWait, "trash-lock-wait", 0, "wait for the trash lock before TRASH_LOCK_TIMEOUT (0: wait forever)")
	fs.DurationVar(&c.opts.TrashHold, "trash-hold", 0, "time each trash operation holds the trash lock")
	fs.BoolVar(&c.opts.SpuriousCopyConflict, "spurious-copy-conflict", false, "fail the first copy of each file with NAME_ALREADY_EXIST")
	fs.BoolVar(&c.opts.RefuseSameName, "refuse-same-name", false, "fail a rename or move of an item to the name it already has with NAME_ALREADY_EXIST")
	fs.BoolVar(&c.opts.NormalizeNamesNFC, "normalize-names-nfc", false, "store every name in Unicode NFC (default: as given)")
	fs.BoolVar(&c.opts.KeepPercentEscapes, "keep-percent-escapes", false, "store names as given instead of percent-decoding %XX as put.io does")
	fs.DurationVar(&c.opts.FeedHeartbeat, "feed-heartbeat", 10*time.Second, "interval of the real-time feed's pings (negative: none)")
	fs.BoolVar(&c.opts.FeedTextHeartbeat, "feed-text-heartbeat", false, "send the real-time feed's heartbeats as text messages \"h\" instead of pings")
	fs.BoolVar(&c.opts.FeedFileObjects, "feed-file-objects", false, "real-time feed file events carry the whole File object, not just the id")
	fs.BoolVar(&c.opts.CreateFolderReturnsExisting, "create-folder-returns-existing", false, "answer create-folder of a name a folder has with that folder (default: NAME_ALREADY_EXIST)")
	fs.BoolVar(&c.opts.CancelMissingTransferNotFound, "cancel-missing-transfer-not-found", false, "refuse a transfer cancel naming an id with no transfer with 404 TRANSFER_NOT_FOUND (default: ignore it, as put.io does)")
	fs.BoolVar(&c.opts.TransferSourceNormalize, "transfer-source-normalize", false, "store magnet links as magnet:?xt=urn:btih:<lowercase hex>, as put.io may")
	fs.BoolVar(&c.opts.TasksDoneAtOnce, "tasks-done-at-once", false, "report zips and download_links tasks DONE from their first status read (default: NEW, then PROCESSING, then DONE)")
	fs.BoolVar(&c.opts.ClampPerPage, "clamp-per-page", false, "cut a per_page over 1000 to 1000 (default: refuse it with 400 INVALID_PER_PAGE, as put.io does for transfers)")
	fs.BoolVar(&c.opts.SeedFixtures, "fixtures", false, "seed each -tokens/-app-tokens account with the fixtures put.io's SDK live suite expects (codex-sdk-fixtures: two MP4 videos, a zip archive, a completed transfer)")
}

// readLists puts the comma-separated flags into cfg.
func (cfg *config) readLists(l listFlags) error {
	cfg.opts.Tokens = splitList(l.tokens)
	cfg.opts.FirstPartyClients = splitList(l.firstParty)
	cfg.opts.RateLimit.Omit = splitList(l.omit)
	cfg.opts.TusExtensions = splitList(l.tusExtensions)
	cfg.opts.TransferFetchHosts = splitList(l.fetchHosts)
	if cfg.opts.TusExtensions == nil {
		cfg.opts.TusExtensions = []string{} // advertise none, rather than the default
	}
	if err := cfg.readUsers(l.users); err != nil {
		return err
	}
	if err := cfg.readUserTokens(l.userTokens); err != nil {
		return err
	}
	if err := cfg.readSeedFiles(l.put); err != nil {
		return err
	}
	return cfg.readAppTokens(l.appTokens)
}

func (cfg *config) readUsers(list string) error {
	for _, entry := range splitList(list) {
		name, password, ok := strings.Cut(entry, ":")
		if !ok || name == "" || password == "" {
			return errors.New("-users: an entry is not NAME:PASSWORD") // the entry holds a password: not echoed
		}
		if cfg.opts.Users == nil {
			cfg.opts.Users = map[string]string{}
		}
		cfg.opts.Users[name] = password
	}
	return nil
}

func (cfg *config) readSeedFiles(list string) error {
	for _, entry := range splitList(list) {
		token, path, ok := strings.Cut(entry, ":")
		if !ok || token == "" || !strings.HasPrefix(path, "/") || path == "/" {
			return errors.New("-put: an entry is not TOKEN:/PATH") // the entry holds a token: not echoed
		}
		cfg.seedFiles = append(cfg.seedFiles, seedFile{token, path})
	}
	return nil
}

func (cfg *config) readUserTokens(list string) error {
	for _, entry := range splitList(list) {
		token, user, ok := strings.Cut(entry, "=")
		if !ok || token == "" || user == "" {
			return errors.New("-user-tokens: an entry is not TOKEN=USER") // the entry holds a token: not echoed
		}
		if cfg.opts.UserTokens == nil {
			cfg.opts.UserTokens = map[string]string{}
		}
		cfg.opts.UserTokens[token] = user
	}
	return nil
}

func (cfg *config) readAppTokens(list string) error {
	cfg.sharedAppTokens = map[string]string{}
	for _, entry := range splitList(list) {
		token, owner, shared := strings.Cut(entry, "=")
		if !shared {
			cfg.opts.AppTokens = append(cfg.opts.AppTokens, token)
			continue
		}
		if token == "" || owner == "" {
			return errors.New("-app-tokens: an entry is not TOKEN or TOKEN=OWNER") // the entry holds tokens: not echoed
		}
		cfg.sharedAppTokens[token] = owner
	}
	return nil
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
