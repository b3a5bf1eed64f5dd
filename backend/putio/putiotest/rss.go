package putiotest

import (
	"cmp"
	"image"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// rssState is the accounts' RSS feeds, guarded by Emulator.mu.
type rssState struct {
	feeds map[int64]*rssFeed
	next  int64
}

// rssFeed is a feed put.io watches for new items. The emulator never runs
// a feed, so it has no items and no failures.
type rssFeed struct {
	id                int64
	acct              *account
	title, sourceURL  string
	keyword, unwanted string
	parentID          int64
	deleteOldFiles    bool
	pausedAt          time.Time // zero while not paused
	created, updated  time.Time
	lastFetch         time.Time
}

// rssFeedFixturePath is the RSS document the emulator serves itself
// (admin API), the one feed it can "fetch": it reaches for nothing else,
// on the network or on loopback, so any other feed URL is 400
// FEED_CANNOT_FETCHED.
const rssFeedFixturePath = adminPrefix + "fixtures/feed.rss"

// rssFeedFixture is that document: RSS 2.0 with one item.
const rssFeedFixture = `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel>
<title>putio-emulator fixture feed</title>
<link>https://example.invalid/</link>
<description>A feed the emulator serves itself, for RSS tests.</description>
<item><title>putio-emulator fixture item</title><link>https://example.invalid/fixture.torrent</link><guid>putio-emulator-fixture-1</guid></item>
</channel></rss>
`

func (e *Emulator) rssRoutes() []*route {
	return []*route{
		newRoute("GET /v2/rss/list", authed, e.listRSS),
		newRoute("POST /v2/rss/create", authed, e.createRSS),
		newRoute("GET /v2/rss/{id}", authed, e.rssAction(getRSS)),
		newRoute("POST /v2/rss/{id}", authed, e.updateRSS),
		newRoute("POST /v2/rss/{id}/pause", authed, e.rssAction(pauseRSS)),
		newRoute("POST /v2/rss/{id}/resume", authed, e.rssAction(resumeRSS)),
		newRoute("POST /v2/rss/{id}/delete", authed, e.rssAction(deleteRSS)),
		newRoute("GET /v2/rss/{id}/items", authed, e.rssAction(rssItems)),
		newRoute("POST /v2/rss/{id}/clear-log", authed, e.rssAction(noRSSChange)),
		newRoute("POST /v2/rss/{id}/retry-all", authed, e.rssAction(noRSSChange)),
		newRoute("POST /v2/rss/{id}/items/{item}/retry", authed, e.rssAction(retryRSSItem)),
	}
}

func (f *rssFeed) json() obj {
	pausedAt := any(nil)
	if !f.pausedAt.IsZero() {
		pausedAt = formatTime(f.pausedAt)
	}
	return obj{
		"id": f.id, "title": f.title, "rss_source_url": f.sourceURL,
		"keyword": f.keyword, "unwanted_keywords": f.unwanted,
		"parent_dir_id": f.parentID, "parentdirid": f.parentID,
		"delete_old_files": f.deleteOldFiles, "extract": false,
		"paused": !f.pausedAt.IsZero(), "paused_at": pausedAt,
		"failed_item_count": 0, "last_error": nil, "last_fetch": formatTime(f.lastFetch), "start_at": nil,
		"created_at": formatTime(f.created), "updated_at": formatTime(f.updated),
	}
}

// listRSS serves GET /v2/rss/list; app tokens may read it (SDK live suite).
func (e *Emulator) listRSS(c *call) {
	c.locked(func(url.Values) (obj, error) {
		var mine []*rssFeed
		for _, f := range e.rss.feeds {
			if f.acct == c.acct {
				mine = append(mine, f)
			}
		}
		slices.SortFunc(mine, func(a, b *rssFeed) int { return cmp.Compare(a.id, b.id) })
		feeds := make([]obj, len(mine))
		for i, f := range mine {
			feeds[i] = f.json()
		}
		return obj{"feeds": feeds}, nil
	})
}

// createRSS serves POST /v2/rss/create; app tokens may (SDK live suite).
func (e *Emulator) createRSS(c *call) {
	c.locked(func(v url.Values) (obj, error) {
		f := &rssFeed{acct: c.acct}
		if err := e.setRSS(c, f, v); err != nil {
			return nil, err
		}
		if e.rss.feeds == nil {
			e.rss = rssState{feeds: map[int64]*rssFeed{}, next: 1}
		}
		f.id, f.created = e.rss.next, f.updated
		e.rss.next++
		e.rss.feeds[f.id] = f
		return obj{"feed": f.json()}, nil
	})
}

// updateRSS serves POST /v2/rss/{id}: the same parameters as create.
func (e *Emulator) updateRSS(c *call) {
	e.rssAction(func(c *call, f *rssFeed, v url.Values) (obj, error) {
		edited := *f
		if err := c.e.setRSS(c, &edited, v); err != nil {
			return nil, err
		}
		*f = edited
		return nil, nil
	})(c)
}

// setRSS fills a feed from create's or update's parameters, checked as
// put.io checks them (SDK error specs): URL_REQUIRED, URL_NOT_VALID,
// TITLE_REQUIRED, FEED_CANNOT_FETCHED, and the folder must be the
// account's.
func (e *Emulator) setRSS(c *call, f *rssFeed, v url.Values) error {
	source := strings.TrimSpace(v.Get("rss_source_url"))
	if source == "" {
		return errBadRequest("URL_REQUIRED", "rss_source_url is required")
	}
	u, err := url.Parse(source)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errBadRequest("URL_NOT_VALID", "rss_source_url must be an http or https URL")
	}
	title := strings.TrimSpace(v.Get("title"))
	if title == "" {
		return errBadRequest("TITLE_REQUIRED", "title is required")
	}
	if !e.isFeedFixture(c, u) {
		return errBadRequest("FEED_CANNOT_FETCHED", "the emulator fetches no feeds; use its own "+rssFeedFixturePath)
	}
	parentID, err := intParam(v, "parent_dir_id", 0)
	if err != nil {
		return err
	}
	if _, err := e.lookupFolder(c.acct, parentID); err != nil {
		return err
	}
	f.title, f.sourceURL, f.parentID = title, source, parentID
	f.keyword, f.unwanted = v.Get("keyword"), v.Get("unwanted_keywords")
	f.deleteOldFiles = isOn(v.Get("delete_old_files")) // dont_process_whole_feed is taken and ignored: feeds never run
	f.updated, f.lastFetch = e.now(), e.now()
	return nil
}

// isFeedFixture reports whether u is the emulator's own fixture feed, on
// the host the request came to (or Options.PublicURL's).
func (e *Emulator) isFeedFixture(c *call, u *url.URL) bool {
	if u.Path != rssFeedFixturePath {
		return false
	}
	base, err := url.Parse(e.baseURL(c.r))
	return err == nil && strings.EqualFold(u.Host, base.Host)
}

// isOn reads a checkbox-style flag: put.io's forms send "on", clients
// true or 1.
func isOn(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "on", "1", "true":
		return true
	}
	return false
}

// rssChange acts on one of the caller's feeds.
type rssChange func(c *call, f *rssFeed, v url.Values) (obj, error)

// rssAction serves a route on feed {id}: a feed that is not the caller's
// is 404 NotFound (SDK live suite).
func (e *Emulator) rssAction(change rssChange) func(*call) {
	return func(c *call) {
		c.withID(func(id int64, v url.Values) (obj, error) {
			f := e.rss.feeds[id]
			if f == nil || f.acct != c.acct {
				return nil, errNotFound("RSS feed " + itoa(id))
			}
			return change(c, f, v)
		})
	}
}

func getRSS(_ *call, f *rssFeed, _ url.Values) (obj, error) { return obj{"feed": f.json()}, nil }

func pauseRSS(c *call, f *rssFeed, _ url.Values) (obj, error) {
	if f.pausedAt.IsZero() {
		f.pausedAt = c.e.now()
	}
	return nil, nil
}

func resumeRSS(_ *call, f *rssFeed, _ url.Values) (obj, error) {
	f.pausedAt = time.Time{}
	return nil, nil
}

func deleteRSS(c *call, f *rssFeed, _ url.Values) (obj, error) {
	delete(c.e.rss.feeds, f.id)
	return nil, nil
}

// rssItems lists the feed's processed items: none, as feeds never run.
func rssItems(_ *call, f *rssFeed, _ url.Values) (obj, error) {
	return obj{"feed": f.json(), "items": []obj{}}, nil
}

// noRSSChange is clear-log's and retry-all's: with no items there is
// nothing to clear or retry.
func noRSSChange(*call, *rssFeed, url.Values) (obj, error) { return nil, nil }

// retryRSSItem fails for every item: a feed here has none.
func retryRSSItem(c *call, f *rssFeed, _ url.Values) (obj, error) {
	return nil, errNotFound("item " + c.r.PathValue("item") + " of RSS feed " + itoa(f.id))
}

// serveFeedFixture serves GET /_emulator/fixtures/feed.rss.
func serveFeedFixture(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/rss+xml")
	_, _ = io.WriteString(w, rssFeedFixture)
}

// serveAvatar serves GET /_emulator/fixtures/avatar.png: one grey pixel.
func serveAvatar(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "image/png")
	_ = png.Encode(w, image.NewGray(image.Rect(0, 0, 1, 1))) // a write error is the client gone
}
