package putiotest

import (
	"context"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"path"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// put.io's transfer statuses, as transfers/list reports them.
const (
	StatusWaiting     = "WAITING"
	StatusPreparing   = "PREPARING_DOWNLOAD"
	StatusInQueue     = "IN_QUEUE"
	StatusDownloading = "DOWNLOADING"
	StatusCompleting  = "COMPLETING"
	StatusCompleted   = "COMPLETED"
	StatusError       = "ERROR"
)

// The schedule a transfer the emulator does not fetch follows on the
// emulator clock: WAITING, then IN_QUEUE (URL) or PREPARING_DOWNLOAD
// (torrent), then DOWNLOADING one percent a second up to 99, where it
// stays until the test completes or fails it.
const (
	transferQueuedAfter      = 2 * time.Second
	transferDownloadingAfter = 5 * time.Second
	transferPercentEvery     = time.Second
)

// transfer is one put.io transfer, guarded by Emulator.mu but for
// downloaded, which a running fetch counts up.
type transfer struct {
	id       int64
	acct     *account
	source   string // the URL as added (see Options.TransferSourceNormalize)
	hash     string // a magnet's btih info hash in lowercase hex, else ""
	name     string
	kind     string // "URL" or "TORRENT"
	parentID int64
	callback string
	fetch    bool // an http(s) URL the emulator downloads (fetchesFrom)
	// fromLocal: added by a request trusted to come from this machine
	// (fromThisMachine), so its fetch may connect to loopback addresses
	// (fetchGuard).
	fromLocal bool

	created, finished time.Time
	status            string // terminal or fetch status; "" follows the schedule
	size              int64
	downloaded        atomic.Int64
	fileID            int64
	errorMessage      string
	cancel            context.CancelFunc // stops a running fetch
}

// transferSet holds every account's transfers and the fetches running.
type transferSet struct {
	byID map[int64]*transfer // byID and next are guarded by Emulator.mu
	next int64

	ctx     context.Context // fixed by init; ends at Close, stopping every fetch
	stop    context.CancelFunc
	running sync.WaitGroup
}

func (s *transferSet) init() {
	s.byID, s.next = map[int64]*transfer{}, 1
	s.ctx, s.stop = context.WithCancel(context.Background())
}

// close stops the fetches and waits for them.
func (s *transferSet) close() {
	s.stop()
	s.running.Wait()
}

// add gives t the next transfer id and keeps it; the caller holds
// Emulator.mu.
func (s *transferSet) add(t *transfer) *transfer {
	t.id = s.next
	s.next++
	s.byID[t.id] = t
	return t
}

// of returns the account's transfers in id order.
func (s *transferSet) of(a *account) []*transfer {
	var out []*transfer
	for _, t := range s.byID {
		if t.acct == a {
			out = append(out, t)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

// lookup finds a transfer of the account, or TRANSFER_NOT_FOUND.
func (s *transferSet) lookup(a *account, id int64) (*transfer, error) {
	t := s.byID[id]
	if t == nil || t.acct != a {
		return nil, &apiError{404, "TRANSFER_NOT_FOUND", "no transfer with id " + itoa(id)}
	}
	return t, nil
}

// currentStatus is the status now, following the schedule when the
// transfer is neither fetched nor finished.
func (e *Emulator) currentStatus(t *transfer) (status string, percent int64) {
	if t.status != "" {
		switch t.status {
		case StatusCompleted:
			return t.status, 100
		case StatusDownloading:
			if t.size > 0 {
				return t.status, min(99, 100*t.downloaded.Load()/t.size)
			}
		}
		return t.status, 0
	}
	elapsed := e.opts.Now().Sub(t.created)
	switch {
	case elapsed < transferQueuedAfter:
		return StatusWaiting, 0
	case elapsed < transferDownloadingAfter && t.kind == "TORRENT":
		return StatusPreparing, 0
	case elapsed < transferDownloadingAfter:
		return StatusInQueue, 0
	}
	return StatusDownloading, min(99, int64((elapsed-transferDownloadingAfter)/transferPercentEvery))
}

func (t *transfer) finishedOK() bool { return t.status == StatusCompleted }

// parseTransferURL checks a URL put.io would accept and derives the
// transfer's kind, its name and, for a plain http(s) URL, the host a fetch
// would connect to ("" for magnets and torrents, never fetched).
func parseTransferURL(raw string) (kind, name, urlHost string, err error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", "", "", errBadRequest("EMPTY_URL", "url is required")
	}
	u, perr := url.Parse(raw)
	switch {
	case perr == nil && u.Scheme == "magnet":
		if !strings.HasPrefix(strings.ToLower(u.Query().Get("xt")), "urn:btih:") {
			return "", "", "", errBadRequest("NOT_TORRENT", "a magnet link needs xt=urn:btih:<hash>")
		}
		name = u.Query().Get("dn")
		if name == "" {
			name = strings.ToLower(u.Query().Get("xt")[len("urn:btih:"):])
		}
		return "TORRENT", name, "", nil
	case perr == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "":
		name = path.Base(u.Path)
		if name == "/" || name == "." || name == "" {
			name = u.Hostname()
		}
		if strings.HasSuffix(strings.ToLower(u.Path), ".torrent") {
			return "TORRENT", strings.TrimSuffix(name, path.Ext(name)), "", nil
		}
		return "URL", name, u.Hostname(), nil
	}
	return "", "", "", errBadRequest("BadRequest", "url must be an http(s) URL or a magnet link, got "+quoteShort(raw))
}

func quoteShort(s string) string {
	if len(s) > 80 {
		s = s[:80] + "..."
	}
	return fmt.Sprintf("%q", s)
}

// isLoopbackHost accepts only names that can only mean this machine; no
// DNS lookup is made, so a name can never lead elsewhere.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// magnetHash is the btih info hash of a magnet link in lowercase hex (a
// base32 hash converted), or "" for anything else.
func magnetHash(source string) string {
	u, err := url.Parse(source)
	if err != nil || u.Scheme != "magnet" {
		return ""
	}
	xt := u.Query().Get("xt")
	if len(xt) <= len("urn:btih:") || !strings.EqualFold(xt[:len("urn:btih:")], "urn:btih:") {
		return ""
	}
	hash := xt[len("urn:btih:"):]
	if raw, err := base32.StdEncoding.DecodeString(strings.ToUpper(hash)); err == nil && len(hash) == 32 {
		return hex.EncodeToString(raw)
	}
	return strings.ToLower(hash)
}

// newTransfer registers a transfer, added by a request from this machine
// if local; the caller holds e.mu and, then calls begin.
func (e *Emulator) newTransfer(a *account, local bool, source string, parentID int64, callback string) (*transfer, error) {
	kind, name, urlHost, err := parseTransferURL(source)
	if err != nil {
		return nil, err
	}
	if _, err := e.lookupFolder(a, parentID); err != nil {
		return nil, err
	}
	hash := magnetHash(source)
	if hash != "" && e.opts.TransferSourceNormalize {
		source = "magnet:?xt=urn:btih:" + hash
	}
	for _, t := range e.transfers.of(a) {
		if t.kind == "TORRENT" && (t.source == source || hash != "" && t.hash == hash) && !t.finishedOK() {
			return nil, &extraError{&apiError{400, "TRANSFER_ALREADY_ADDED", "this torrent is already a transfer (id " + itoa(t.id) + ")"},
				obj{"existing_id": t.id}}
		}
	}
	return e.transfers.add(&transfer{acct: a, source: source, hash: hash, name: name, kind: kind,
		parentID: parentID, callback: callback, fetch: e.fetchesFrom(urlHost), fromLocal: local, created: e.opts.Now()}), nil
}

// begin sets a transfer going once it is added or retried; the caller
// holds e.mu. A loopback URL is fetched; a URL whose host can never
// resolve fails at once, as put.io's downloader would; anything else
// follows the schedule.
func (e *Emulator) begin(t *transfer) {
	switch {
	case t.fetch:
		e.startFetch(t)
	case t.kind == "URL" && unresolvable(t.source):
		e.failTransfer(t, "Could not resolve host: the name does not exist")
	}
}

// unresolvable reports a URL under the .invalid top-level domain, which
// RFC 6761 reserves as never resolving; the emulator makes no DNS lookup.
func unresolvable(source string) bool {
	u, err := url.Parse(source)
	if err != nil {
		return false
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	return host == "invalid" || strings.HasSuffix(host, ".invalid")
}

// startFetch downloads a fetched transfer in the background.
func (e *Emulator) startFetch(t *transfer) {
	ctx, cancel := context.WithCancel(e.transfers.ctx)
	t.cancel, t.status, t.errorMessage = cancel, StatusDownloading, ""
	t.downloaded.Store(0)
	e.transfers.running.Add(1)
	go func() {
		defer e.transfers.running.Done()
		defer cancel()
		e.fetch(ctx, t)
	}()
}
