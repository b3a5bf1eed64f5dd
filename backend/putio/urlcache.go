package putio

import (
	"container/list"
	"context"
	"errors"
	"sync"
	"time"
)

// signedURLCapacity bounds the signed URLs kept per login. An entry is a
// file id and a URL of a few hundred bytes, so the cache stays under a few
// MiB, and it holds the whole library a media server scans for all but the
// largest libraries; past that the least recently opened files pay one
// /url call again.
const signedURLCapacity = 10_000

// signedURLTTL is how long a signed URL is used before a new one is
// fetched. put.io does not say how long its URLs work, and their query
// (a `u=` signature, record section 1.1) carries no expiry to read; they
// are known to work for hours. An hour outlives many re-lists (rclone's
// VFS re-lists a folder every --dir-cache-time, 5 minutes by default),
// and a URL that stops working sooner is refused and replaced at the cost
// of one round trip.
const signedURLTTL = time.Hour

// signedURLs keeps put.io's signed download URLs by file id, shared by
// every Fs of a login, so that a URL outlives the Object it was fetched
// for: after a re-list, or in another Fs on the same account, opening a
// file costs no API call. The file id is the whole key: a URL names the
// id (/download/<id>), not a version of its bytes, and put.io never
// changes the bytes behind an id (new content is a new file with a new
// id: Update, tus overwrite), so a cached URL serves the bytes the id
// has, which the Object's size check then holds to the Object.
//
// It is bounded (least recently used entries go first), entries older
// than ttl are fetched again, and a URL the download host refused is
// replaced at once. One fetch per id runs at a time: opens that find one
// running wait for its URL.
type signedURLs struct {
	capacity int
	ttl      time.Duration
	now      func() time.Time

	mu       sync.Mutex
	entries  map[string]*list.Element // file id → element of order
	order    *list.List               // *signedURL, most recently used first
	fetching map[string]*urlFetch     // file ids whose URL is being fetched
}

// signedURL is one cached URL and when it was asked for.
type signedURL struct {
	id      string
	url     string
	fetched time.Time
}

// urlFetch is a fetch in flight; done closes once url or err is set.
type urlFetch struct {
	done chan struct{}
	url  string
	err  error
}

func newSignedURLs(capacity int, ttl time.Duration) *signedURLs {
	return &signedURLs{
		capacity: capacity,
		ttl:      ttl,
		now:      time.Now,
		entries:  map[string]*list.Element{},
		order:    list.New(),
		fetching: map[string]*urlFetch{},
	}
}

// signedURLCaches holds one cache per login, like gates.
var signedURLCaches = perLogin[signedURLs]{newT: func() *signedURLs { return newSignedURLs(signedURLCapacity, signedURLTTL) }}

// get returns a usable signed URL of the file id: the cached one unless
// it is older than the ttl or is refused, the URL the download host has
// refused; otherwise one from fetch, which is then kept.
func (c *signedURLs) get(ctx context.Context, id, refused string, fetch func(context.Context) (string, error)) (string, error) {
	for {
		c.mu.Lock()
		if url, ok := c.lookup(id, refused); ok {
			c.mu.Unlock()
			return url, nil
		}
		if pending := c.fetching[id]; pending != nil {
			c.mu.Unlock()
			if err := c.await(ctx, pending); err != nil {
				return "", err
			}
			continue // its URL is cached now, unless evicted meanwhile
		}
		pending := &urlFetch{done: make(chan struct{})}
		c.fetching[id] = pending
		c.mu.Unlock()
		return c.fetch(ctx, id, pending, fetch)
	}
}

// await waits for another open's fetch. Its error is this open's too,
// unless it is only that the other open gave up: then this one fetches.
func (c *signedURLs) await(ctx context.Context, pending *urlFetch) error {
	select {
	case <-pending.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	if pending.err != nil && !errors.Is(pending.err, context.Canceled) && !errors.Is(pending.err, context.DeadlineExceeded) {
		return pending.err
	}
	return nil
}

// fetch runs fetch for id as the one fetch in flight, keeps its URL and
// hands the outcome to the opens waiting for it.
func (c *signedURLs) fetch(ctx context.Context, id string, pending *urlFetch, fetch func(context.Context) (string, error)) (string, error) {
	asked := c.now() // the URL's age counts from before put.io signed it
	pending.url, pending.err = fetch(ctx)
	c.mu.Lock()
	delete(c.fetching, id)
	if pending.err == nil {
		c.store(&signedURL{id: id, url: pending.url, fetched: asked})
	}
	c.mu.Unlock()
	close(pending.done)
	return pending.url, pending.err
}

// lookup returns the cached URL of id if it is young enough and not the
// refused one, which it drops. Call it with mu held.
func (c *signedURLs) lookup(id, refused string) (string, bool) {
	elem, ok := c.entries[id]
	if !ok {
		return "", false
	}
	entry := elem.Value.(*signedURL)
	if entry.url == refused || c.now().Sub(entry.fetched) >= c.ttl {
		c.drop(elem)
		return "", false
	}
	c.order.MoveToFront(elem)
	return entry.url, true
}

// store keeps entry as the most recently used, evicting the least
// recently used past capacity. Call it with mu held.
func (c *signedURLs) store(entry *signedURL) {
	if elem, ok := c.entries[entry.id]; ok {
		c.drop(elem)
	}
	c.entries[entry.id] = c.order.PushFront(entry)
	for c.order.Len() > c.capacity {
		c.drop(c.order.Back())
	}
}

// drop removes one entry. Call it with mu held.
func (c *signedURLs) drop(elem *list.Element) {
	delete(c.entries, elem.Value.(*signedURL).id)
	c.order.Remove(elem)
}

// holds reports whether a young URL of id is kept or one is being
// fetched, without counting as a use.
func (c *signedURLs) holds(id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fetching[id] != nil {
		return true
	}
	elem, ok := c.entries[id]
	return ok && c.now().Sub(elem.Value.(*signedURL).fetched) < c.ttl
}

// forget drops the URL of id, whose file is gone or replaced.
func (c *signedURLs) forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if elem, ok := c.entries[id]; ok {
		c.drop(elem)
	}
}
