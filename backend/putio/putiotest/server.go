package putiotest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
)

// Emulator is the put.io emulator as an http.Handler. It serves the API
// (/v2/...), tus uploads (/files/...), signed downloads (/download/...) and
// the admin API (/_emulator/...) from one handler.
type Emulator struct {
	// Locking: mu guards the put.io state (accounts and their items,
	// tokens, uploads, shares, transfers). The request counters, faults,
	// rate limiter and feed connections each have a lock of their own,
	// held only inside their own methods; of those, only the feed's is
	// taken with mu held (changes are published as they happen). An
	// upload's busy lock and an account's trash lock are taken before mu,
	// never both.

	// Fixed by New.
	opts    Options
	routes  []*route
	router  *http.ServeMux // matches requests to routes
	blobs   *blobStore     // the file system's to guard
	signKey []byte

	counters counterSet
	faults   faultSet
	limiter  rateLimiter
	feeds    feedHub // real-time feed connections

	mu        sync.Mutex // guards the fields below
	tokens    map[string]*grant
	revoked   map[string]bool
	retired   map[string]*account // the accounts of revoked tokens, for Account
	nodes     map[int64]*node
	uploads   map[string]*upload
	codes     map[string]*authCode // unused OAuth codes
	oobCodes  map[string]*oobCode  // device codes
	users     map[string]*account  // Options.Users by username
	logins    map[loginKey]string  // tokens of password logins
	shares    map[int64]*publicShare
	nextID    int64
	nextUser  int64
	nextShare int64
	nextGrant int64
	nextEvent int64
	rng       *rand.Rand
	transfers transferSet // but for its fetch bookkeeping

	zips      map[int64]*zipTask // made on first use
	nextZip   int64
	linkTasks map[int64]*linksTask // download_links tasks, made on first use
	nextLinks int64
	oauthApps map[int64]*oauthApp // registered through the API, made on first use
	nextApp   int64
	social    socialState // friends, family, invites, friend shares (social.go)
	rss       rssState    // RSS feeds (rss.go)
}

// New returns an emulator configured by opts. Call Close to remove the file
// bodies it stored.
func New(opts Options) (*Emulator, error) {
	opts = opts.withDefaults()
	if err := opts.checkUserTokens(); err != nil {
		return nil, err
	}
	blobs, err := newBlobStore(opts.DataDir)
	if err != nil {
		return nil, err
	}
	e := &Emulator{
		opts:      opts,
		blobs:     blobs,
		signKey:   []byte(randomHex(32)),
		tokens:    map[string]*grant{},
		revoked:   map[string]bool{},
		retired:   map[string]*account{},
		nodes:     map[int64]*node{},
		uploads:   map[string]*upload{},
		codes:     map[string]*authCode{},
		oobCodes:  map[string]*oobCode{},
		users:     map[string]*account{},
		logins:    map[loginKey]string{},
		shares:    map[int64]*publicShare{},
		nextID:    1,
		nextUser:  1,
		nextShare: 1,
		nextGrant: 1,
		nextEvent: 1,
		rng:       rand.New(rand.NewPCG(opts.Seed, 0x70757469)),
	}
	e.limiter.init(opts.RateLimit, opts.Now)
	e.transfers.init()
	e.routes = e.routeTable()
	e.router = newRouter(e.routes)
	if err := e.checkRouter(); err != nil {
		return nil, errors.Join(err, e.Close())
	}
	e.registerTokens(opts.Tokens, opts.AppTokens)
	if opts.SeedFixtures {
		if err := e.seedFixtures(); err != nil {
			return nil, errors.Join(err, e.Close())
		}
	}
	return e, nil
}

// Close ends feed connections, stops transfer downloads and removes the
// file bodies.
func (e *Emulator) Close() error {
	e.feeds.shutdown()
	e.transfers.close()
	return e.blobs.close()
}

// Server is an emulator listening on a loopback port, in the spirit of
// httptest.Server.
type Server struct {
	*Emulator
	// URL is the base URL, e.g. "http://127.0.0.1:41234".
	URL string
	// Token is a fresh token with its own empty account.
	Token string

	http *httptest.Server
}

// NewServer starts an emulator on a loopback port; t.Cleanup closes it. At
// most one Options may be given.
func NewServer(t testing.TB, opts ...Options) *Server {
	t.Helper()
	var o Options
	switch len(opts) {
	case 0:
	case 1:
		o = opts[0]
	default:
		t.Fatalf("putiotest.NewServer: want at most one Options, got %d", len(opts))
	}
	e, err := New(o)
	if err != nil {
		t.Fatalf("putiotest.NewServer: %v", err)
	}
	s := &Server{Emulator: e, http: httptest.NewServer(e)}
	s.URL = s.http.URL
	s.Token = "test-token-" + randomHex(8)
	e.accountFor(s.Token)
	t.Cleanup(s.Close)
	return s
}

// Close shuts the listener down and removes stored file bodies.
func (s *Server) Close() {
	s.http.Close()
	if err := s.Emulator.Close(); err != nil {
		fmt.Fprintf(os.Stderr, "putiotest: %v\n", err)
	}
}

// UploadURL is the tus creation endpoint, for the backend's upload_url.
func (s *Server) UploadURL() string { return s.URL + tusPrefix }

// baseURL is the scheme and host absolute URLs are built from: PublicURL if
// set, else what the client asked for (honouring a reverse proxy).
func (e *Emulator) baseURL(r *http.Request) string {
	if e.opts.PublicURL != "" {
		return strings.TrimSuffix(e.opts.PublicURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p != "" {
		scheme = strings.TrimSpace(strings.Split(p, ",")[0])
	}
	host := r.Host
	if h := r.Header.Get("X-Forwarded-Host"); h != "" {
		host = strings.TrimSpace(strings.Split(h, ",")[0])
	}
	return scheme + "://" + host
}
