package putiotest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// fetchesFrom reports whether the emulator downloads a URL on host itself:
// a loopback name or one of Options.TransferFetchHosts. A transfer of any
// other URL is left for a test to complete or fail, and its host is never
// contacted.
func (e *Emulator) fetchesFrom(host string) bool {
	return host != "" && (isLoopbackHost(host) || e.listsFetchHost(func(listed string) bool { return strings.EqualFold(listed, host) }))
}

// listsFetchHost reports whether Options.TransferFetchHosts has a host
// (an IPv6 address with or without brackets) that match accepts.
func (e *Emulator) listsFetchHost(match func(host string) bool) bool {
	return slices.ContainsFunc(e.opts.TransferFetchHosts, func(listed string) bool { return match(strings.Trim(listed, "[]")) })
}

// fetchClient is the client of one transfer's fetch: it connects only
// where fetchGuard allows and follows redirects only to hosts the
// emulator fetches from.
func (e *Emulator) fetchClient(t *transfer) *http.Client {
	guard := &fetchGuard{
		loopback: t.fromLocal || e.listsFetchHost(isLoopbackHost),
		dialer:   net.Dialer{Timeout: 10 * time.Second},
		lookup:   net.DefaultResolver.LookupNetIP,
	}
	return &http.Client{
		Transport: &http.Transport{DialContext: guard.dial, DisableKeepAlives: true},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= maxFetchRedirects {
				return fmt.Errorf("stopped after %d redirects", maxFetchRedirects)
			}
			if !e.fetchesFrom(req.URL.Hostname()) {
				return fmt.Errorf("redirected to %s, a host the emulator does not fetch from", req.URL.Host)
			}
			return nil
		},
	}
}

// maxFetchRedirects is as many redirects as net/http follows by default.
const maxFetchRedirects = 10

// fetchGuard connects a fetch. It resolves the host itself and dials only
// the addresses it has checked, so a name cannot pass the check with one
// address and be dialled at another (DNS rebinding).
type fetchGuard struct {
	loopback bool // loopback addresses allowed (see fetchClient)
	dialer   net.Dialer
	lookup   func(ctx context.Context, network, host string) ([]netip.Addr, error)
}

func (g *fetchGuard) dial(ctx context.Context, network, address string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	ips, err := g.lookup(ctx, "ip", host)
	if err != nil {
		return nil, err
	}
	var refused []error
	for _, ip := range ips {
		if err := g.check(ip.Unmap()); err != nil {
			refused = append(refused, err)
			continue
		}
		conn, err := g.dialer.DialContext(ctx, network, net.JoinHostPort(ip.Unmap().String(), port))
		if err == nil {
			return conn, nil
		}
		refused = append(refused, err)
	}
	return nil, errors.Join(refused...)
}

// check refuses an address a fetch may not connect to: loopback unless
// allowed, and addresses that are no single remote host (unspecified,
// which reaches this machine, link-local, which holds cloud metadata
// services, and multicast).
func (g *fetchGuard) check(ip netip.Addr) error {
	switch {
	case ip.IsLoopback() && !g.loopback:
		return fmt.Errorf("%s is a loopback address: the emulator fetches from its own machine only for transfers added from it while it has no admin secret, unless Options.TransferFetchHosts (-transfer-fetch-hosts) lists a loopback host", ip)
	case ip.IsUnspecified() || ip.IsLinkLocalUnicast() || ip.IsMulticast() || ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast():
		return fmt.Errorf("%s is not an address transfers fetch from", ip)
	}
	return nil
}

// fetch downloads t.source and files it, or fails the transfer with the
// reason, as put.io shows in error_message.
func (e *Emulator) fetch(ctx context.Context, t *transfer) {
	name, blob, size, crc, err := e.fetchBody(ctx, t)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.transfers.byID[t.id] != t {
		e.blobs.remove(blob) // cancelled meanwhile
		return
	}
	t.cancel = nil
	if err == nil {
		t.name = name
		_, err = e.fileTransfer(t, blob, size, crc)
	}
	if err != nil {
		e.blobs.remove(blob)
		e.failTransfer(t, err.Error())
	}
}

// fetchBody fetches the URL of t into a new blob.
func (e *Emulator) fetchBody(ctx context.Context, t *transfer) (name, blob string, size int64, crc uint32, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.source, nil)
	if err != nil {
		return "", "", 0, 0, err
	}
	resp, err := e.fetchClient(t).Do(req)
	if err != nil {
		return "", "", 0, 0, fmt.Errorf("could not fetch the URL: %v", err)
	}
	defer closeRead(resp.Body, "a transfer's download")
	if resp.StatusCode/100 != 2 {
		return "", "", 0, 0, fmt.Errorf("the URL answered HTTP %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	name = t.name
	if _, params, perr := mime.ParseMediaType(resp.Header.Get("Content-Disposition")); perr == nil && params["filename"] != "" {
		name = params["filename"]
	}
	e.mu.Lock()
	t.size = max(resp.ContentLength, 0)
	avail := t.acct.avail(e.opts.Quota)
	e.mu.Unlock()
	// Read at most one byte past the free space: an endless body ends there.
	body := io.LimitReader(resp.Body, avail+1)
	blob, size, crc, err = e.blobs.write(&countingReader{r: body, n: &t.downloaded})
	if err != nil {
		return "", "", 0, 0, fmt.Errorf("download broke off: %v", err)
	}
	if size > avail {
		e.blobs.remove(blob)
		return "", "", 0, 0, fmt.Errorf("not enough disk space: the file is over the %d bytes available", avail)
	}
	return name, blob, size, crc, nil
}

// countingReader reports progress as the body arrives.
type countingReader struct {
	r io.Reader
	n interface{ Add(int64) int64 }
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// fileTransfer turns a finished download into a file in the transfer's
// folder, through the same node creation uploads use. The caller holds
// e.mu; on error the blob is the caller's to remove.
func (e *Emulator) fileTransfer(t *transfer, blob string, size int64, crc uint32) (*node, error) {
	parent, err := e.lookupFolder(t.acct, t.parentID)
	if err != nil {
		return nil, fmt.Errorf("the destination folder is gone")
	}
	if avail := t.acct.avail(e.opts.Quota); size > avail {
		return nil, fmt.Errorf("not enough disk space: need %d bytes, %d available", size, avail)
	}
	n := e.newFile(parent, t.name, blob, size, crc)
	e.completeTransfer(t, n)
	return n, nil
}

// completeTransfer ends t COMPLETED with file n; the caller holds e.mu.
func (e *Emulator) completeTransfer(t *transfer, n *node) {
	t.status, t.size, t.fileID, t.finished = StatusCompleted, n.size, n.id, e.opts.Now()
	t.downloaded.Store(n.size)
	e.recordTransferLocked(t)
}

// failTransfer ends t in ERROR with message; the caller holds e.mu.
func (e *Emulator) failTransfer(t *transfer, message string) {
	if t.cancel != nil {
		t.cancel()
		t.cancel = nil
	}
	t.status, t.errorMessage, t.finished = StatusError, message, e.opts.Now()
	e.recordTransferLocked(t)
}

// Transfer is a snapshot of a put.io transfer, for tests.
type Transfer struct {
	ID           int64
	Name         string
	Source       string
	Type         string // URL or TORRENT
	Status       string
	PercentDone  int64
	Size         int64
	SaveParentID int64
	FileID       int64 // the resulting item once COMPLETED, else 0
	ErrorMessage string
}

func (e *Emulator) transferSnapshot(t *transfer) Transfer {
	status, percent := e.currentStatus(t)
	return Transfer{ID: t.id, Name: t.name, Source: t.source, Type: t.kind, Status: status, PercentDone: percent,
		Size: t.size, SaveParentID: t.parentID, FileID: t.fileID, ErrorMessage: t.errorMessage}
}

// Transfers lists the account's transfers in id order.
func (acc *Account) Transfers() []Transfer {
	acc.emu.mu.Lock()
	defer acc.emu.mu.Unlock()
	var out []Transfer
	for _, t := range acc.emu.transfers.of(acc.account) {
		out = append(out, acc.emu.transferSnapshot(t))
	}
	return out
}

// heldTransfer finds a transfer a test may finish: one of the account's
// that is neither fetched by the emulator nor finished.
func (acc *Account) heldTransfer(id int64) (*transfer, error) {
	t, err := acc.emu.transfers.lookup(acc.account, id)
	switch {
	case err != nil:
		return nil, err
	case t.status != "":
		return nil, fmt.Errorf("putiotest: transfer %d is %s; only a transfer the emulator does not fetch, and not yet finished, can be completed or failed", id, t.status)
	}
	return t, nil
}

// CompleteTransfer finishes a transfer the emulator does not fetch (a
// magnet, a torrent or a URL on a host it does not fetch from): data becomes a file named
// after the transfer in its folder. It fails as put.io would if the
// folder is gone or the disk full, leaving the transfer in ERROR.
func (acc *Account) CompleteTransfer(id int64, data []byte) (File, error) {
	blob, size, crc, err := acc.emu.blobs.write(bytes.NewReader(data))
	if err != nil {
		return File{}, err
	}
	acc.emu.mu.Lock()
	defer acc.emu.mu.Unlock()
	t, err := acc.heldTransfer(id)
	var n *node
	if err == nil {
		t.size = size
		if n, err = acc.emu.fileTransfer(t, blob, size, crc); err != nil {
			acc.emu.failTransfer(t, err.Error())
		}
	}
	if err != nil {
		acc.emu.blobs.remove(blob)
		return File{}, err
	}
	return snapshot(n), nil
}

// FailTransfer ends a transfer the emulator does not fetch in ERROR with
// put.io's error_message.
func (acc *Account) FailTransfer(id int64, message string) error {
	acc.emu.mu.Lock()
	defer acc.emu.mu.Unlock()
	t, err := acc.heldTransfer(id)
	if err == nil {
		acc.emu.failTransfer(t, message)
	}
	return err
}

// generated is n bytes of a fixed pattern, for transfers completed by size.
func generated(n int64) []byte {
	data := make([]byte, n)
	for i := range data {
		data[i] = byte('a' + i%26)
	}
	return data
}
