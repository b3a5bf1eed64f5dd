package putio

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
	"github.com/rclone/rclone/fs"
	"github.com/rclone/rclone/fs/config/configmap"
	"github.com/rclone/rclone/lib/pacer"
	"pgregory.net/rapid"
)

// The simulation's world: one emulator with options drawn per sequence,
// one account, the rclone processes (Fs) on it, and the faults armed for
// each step.

// simWorldOptions are the emulator's and the backend's settings for one
// sequence, each a behaviour put.io may plausibly have.
type simWorldOptions struct {
	emu        putiotest.Options
	hardDelete bool
	chunkSize  int64
	window     int64
}

func drawWorldOptions(t *rapid.T) simWorldOptions {
	o := simWorldOptions{
		hardDelete: rapid.Bool().Draw(t, "hard_delete"),
		chunkSize:  rapid.SampledFrom([]int64{0, 0, 48 << 10}).Draw(t, "chunk_size"),
		window:     rapid.SampledFrom([]int64{64 << 10, 1 << 20}).Draw(t, "upload_window"),
	}
	o.emu.ShuffleListing = rapid.Bool().Draw(t, "shuffle_listing")
	o.emu.SpuriousCopyConflict = rapid.Bool().Draw(t, "spurious_copy_conflict")
	o.emu.RefuseSameName = rapid.Bool().Draw(t, "refuse_same_name")
	o.emu.DropPartialPatch = rapid.Bool().Draw(t, "drop_partial_patch")
	o.emu.MaxPatchSize = rapid.SampledFrom([]int64{0, 0, 96 << 10}).Draw(t, "max_patch_size")
	o.emu.IgnoreRange = rapid.Bool().Draw(t, "ignore_range")
	o.emu.HideHiddenItems = rapid.Bool().Draw(t, "hide_hidden_items")
	o.emu.MaxPatchSizeAfterBody = rapid.Bool().Draw(t, "max_patch_size_after_body")
	o.emu.OmitUploadCRC = rapid.Bool().Draw(t, "omit_upload_crc")
	o.emu.CreateFolderReturnsExisting = rapid.Bool().Draw(t, "create_folder_returns_existing")
	apiSkew := rapid.SampledFrom(simSkews).Draw(t, "api_clock_skew") // from ours
	o.emu.Now = func() time.Time { return time.Now().Add(apiSkew) }
	o.emu.Quota = rapid.SampledFrom([]int64{0, 0, 0, simSmallQuota}).Draw(t, "quota")
	o.emu.UploadClockSkew = rapid.SampledFrom(simSkews).Draw(t, "upload_clock_skew")
	o.emu.DownloadClockSkew = rapid.SampledFrom(simSkews).Draw(t, "download_clock_skew")
	if rapid.Bool().Draw(t, "creation_with_upload") {
		o.emu.TusExtensions = []string{"creation", "creation-with-upload", "termination"}
	}
	o.emu.Seed = rapid.Uint64().Draw(t, "emulator_seed")
	return o
}

// simSmallQuota is an account the simulation's files fill, the trash
// included, so that quota runs out mid-upload as uploads and deletes go.
const simSmallQuota = 600 << 10

// simSkews are how far the API's clock is from ours, and the upload and
// download hosts' clocks from the API's.
var simSkews = []time.Duration{0, time.Hour, -time.Hour}

// simWorld is one sequence's world.
type simWorld struct {
	t        *rapid.T
	ctx      context.Context
	emu      *putiotest.Emulator
	url      string
	token    string
	acct     *putiotest.Account
	opts     simWorldOptions
	fses     []*Fs
	cacheDir string
	log      *syncBuffer
	stats    *simStats
}

// newSimWorld starts the emulator and two Fs: two rclone processes on one
// machine, one account, one cache directory.
func newSimWorld(t *rapid.T, log *syncBuffer, stats *simStats) *simWorld {
	w := &simWorld{t: t, opts: drawWorldOptions(t), log: log, stats: stats, token: simToken()}
	ctx, ci := fs.AddConfig(context.Background())
	ci.LowLevelRetries = simRetries
	w.ctx = ctx
	emu, err := putiotest.New(w.opts.emu)
	if err != nil {
		t.Fatalf("emulator: %v", err)
	}
	srv := httptest.NewServer(emu)
	t.Cleanup(func() {
		srv.Close()
		_ = emu.Close()
	})
	w.emu, w.url, w.acct = emu, srv.URL, emu.Account(w.token)
	if w.cacheDir, err = os.MkdirTemp("", "putio-sim-"); err != nil {
		t.Fatalf("cache dir: %v", err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(w.cacheDir) })
	for range 2 {
		w.fses = append(w.fses, w.newFs())
	}
	return w
}

// simTokens numbers the sequences' tokens: each is a login of its own, as
// the backend keeps what it learns of the upload service and the rate
// limit per login, and the system hands emulators' ports out again.
var simTokens atomic.Int64

func simToken() string { return fmt.Sprintf("sim-%d", simTokens.Add(1)) }

// simRetries is --low-level-retries in the simulation: few, so that
// faults that outlast them are met often.
const simRetries = 4

// newFs starts an rclone process: a new Fs on the world's account.
func (w *simWorld) newFs() *Fs {
	m := configmap.Simple{
		"token":         `{"access_token":"` + w.token + `","expiry":"0001-01-01T00:00:00Z"}`,
		"api_url":       w.url,
		"upload_url":    w.url + "/files/",
		"feed_url":      strings.Replace(w.url, "http", "ws", 1) + "/socket/sockjs/websocket",
		"hard_delete":   strconv.FormatBool(w.opts.hardDelete),
		"chunk_size":    strconv.FormatInt(w.opts.chunkSize, 10),
		"upload_window": strconv.FormatInt(w.opts.window, 10),
	}
	f, err := NewFs(w.ctx, "TestPutioSim", "", fs.ConfigMap(regInfo.Prefix, regInfo.Options, "", m))
	if err != nil {
		w.t.Fatalf("NewFs: %v", err)
	}
	pf := f.(*Fs)
	pf.sessions = newFileSessions(w.cacheDir)
	pf.pageSize = 2 // listings of a few items still span pages and cursors
	// Time is not what the simulation tests: backoffs and the fallback
	// wait of a 429 without a delay are cut to a millisecond.
	pf.pacer = fs.NewPacer(w.ctx, simBackoff{})
	pf.pacer.SetRetries(simRetries)
	pf.gate.mu.Lock()
	pf.gate.fallback = time.Millisecond
	pf.gate.mu.Unlock()
	return pf
}

// simBackoff is backoffCalculator with a millisecond for each wait.
type simBackoff struct{}

func (simBackoff) Calculate(state pacer.State) time.Duration {
	if state.ConsecutiveRetries == 0 {
		return 0
	}
	return time.Millisecond
}

// records lists the upload sessions the processes keep on disk, by the
// last segment of their URL.
func (w *simWorld) records() map[string]bool {
	out := map[string]bool{}
	store := w.fses[0].sessions
	keys, _ := store.List()
	for _, key := range keys {
		if r, err := store.Get(key); err == nil {
			out[r.Location[strings.LastIndex(r.Location, "/")+1:]] = true
		}
	}
	return out
}

// simFault is one fault the simulation can arm, on one of routes, or on
// any of simRoutes if routes is nil: put.io refuses for quota only what
// adds bytes, a trash lock only deletes, an old cursor only its pages.
type simFault struct {
	name   string
	fault  putiotest.Fault
	routes []string
}

// simRoutes are the routes the backend's operations use.
var simRoutes = []string{
	"GET /v2/files/list", "POST /v2/files/list/continue", "GET /v2/files/{id}", "GET /v2/files/{id}/child",
	"POST /v2/files/create-folder", "POST /v2/files/rename", "POST /v2/files/move", "POST /v2/files/copy",
	"POST /v2/files/delete", "POST /v2/files/touch", "GET /v2/files/{id}/url", "GET /download/{id}",
	"POST /files/", "PATCH /files/{upload}", "HEAD /files/{upload}", "DELETE /files/{upload}", "OPTIONS /files/",
}

// simRoutesWithBodies are the routes whose replies carry a body: the API's
// and the download host's, not the upload service's.
var simRoutesWithBodies = slices.DeleteFunc(slices.Clone(simRoutes), func(route string) bool {
	return strings.Contains(route, " /files/")
})

// simFaults are the kinds of fault, each put on a route drawn per arming.
var simFaults = []simFault{
	{name: "500", fault: putiotest.Fault{Status: http.StatusInternalServerError}},
	{name: "502", fault: putiotest.Fault{Status: http.StatusBadGateway}},
	{name: "503", fault: putiotest.Fault{Status: http.StatusServiceUnavailable}},
	{name: "502 after the work", fault: putiotest.Fault{Status: http.StatusBadGateway, AfterWork: true}},
	{name: "cut after the work", fault: putiotest.Fault{Cut: putiotest.CutResponse, AfterWork: true}},
	// A request cut after its first byte never reaches the handler; an
	// upload cut 40000 bytes in leaves the server part of the PATCH.
	{name: "cut mid-request", fault: putiotest.Fault{Cut: putiotest.CutRequest, CutAfter: 1}},
	{name: "cut mid-upload", fault: putiotest.Fault{Cut: putiotest.CutRequest, CutAfter: 40000},
		routes: []string{"POST /files/", "PATCH /files/{upload}"}},
	// Only replies with a body can be cut in it or truncated.
	{name: "cut mid-reply", fault: putiotest.Fault{Cut: putiotest.CutResponse, CutAfter: 40}, routes: simRoutesWithBodies},
	{name: "truncated reply", fault: putiotest.Fault{Truncate: true}, routes: simRoutesWithBodies},
	{name: "429 with Retry-After", fault: putiotest.Fault{Status: http.StatusTooManyRequests, ErrorType: "TooManyRequests", Headers: map[string]string{"Retry-After": "0"}}},
	{name: "429 without headers", fault: putiotest.Fault{Status: http.StatusTooManyRequests, ErrorType: "TooManyRequests"}},
	{name: "latency", fault: putiotest.Fault{Latency: 2 * time.Millisecond}},
	{name: "trash lock", fault: putiotest.Fault{Status: http.StatusBadRequest, ErrorType: "TRASH_LOCK_TIMEOUT", Message: "trash is locked by another operation"},
		routes: []string{"POST /v2/files/delete"}},
	{name: "cursor expired", fault: putiotest.Fault{Status: http.StatusBadRequest, ErrorType: "INVALID_CURSOR", Message: "cursor expired"},
		routes: []string{"POST /v2/files/list/continue"}},
	{name: "quota exceeded", fault: putiotest.Fault{Status: http.StatusRequestEntityTooLarge, ErrorType: "QUOTA_EXCEEDED", Message: "not enough disk space"},
		routes: []string{"POST /files/", "PATCH /files/{upload}", "POST /v2/files/copy"}},
}

// armFaults draws up to three faults for the next step and arms them.
// It returns them described, and whether one may lose the reply to a
// creation that made its upload session.
func (w *simWorld) armFaults() (armed []string, creationReplyMayBeLost bool) {
	n := rapid.IntRange(0, 3).Draw(w.t, "faults")
	for range n {
		kind := rapid.SampledFrom(simFaults).Draw(w.t, "fault")
		fault := kind.fault
		routes := kind.routes
		if routes == nil {
			routes = simRoutes
		}
		fault.Route = rapid.SampledFrom(routes).Draw(w.t, "route")
		// Most faults pass within the retries; some outlast them.
		fault.Times = rapid.SampledFrom([]int{1, 1, 2, simRetries - 1, simRetries + 2}).Draw(w.t, "times")
		if err := w.emu.Inject(fault); err != nil {
			w.t.Fatalf("inject %s: %v", kind.name, err)
		}
		armed = append(armed, fmt.Sprintf("%s on %s ×%d", kind.name, fault.Route, fault.Times))
		creationReplyMayBeLost = creationReplyMayBeLost || fault.Route == "POST /files/" && (fault.AfterWork || fault.Cut != "")
	}
	w.stats.faults.Add(int64(n))
	return armed, creationReplyMayBeLost
}

// signedQuery finds a signed download URL's query in a log line.
var signedQuery = regexp.MustCompile(`/download/[0-9]+\?[^ "]*`)

// secretsIn lists the secrets found in logged text: the access token
// and signed download URLs' queries.
func secretsIn(logged, token string) []string {
	var out []string
	if strings.Contains(logged, token) {
		out = append(out, "the access token")
	}
	for _, m := range signedQuery.FindAllString(logged, -1) {
		if !strings.Contains(m, "?REDACTED") {
			out = append(out, "a signed URL's query: "+m)
			break
		}
	}
	return out
}
