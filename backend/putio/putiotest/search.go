package putiotest

import (
	"cmp"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxSearchQuery is the longest query searched. put.io refuses a 300-char
// query; the exact limit is not on record, so the emulator takes the name
// limit: a longer query could match no name.
const maxSearchQuery = 255

// searchFiles serves GET /v2/files/search: live items of the account whose
// name holds the query (case-insensitive), in id order, optionally of the
// file types in "type". Results are immediate; put.io's search is
// eventually consistent, so clients must not rely on either.
func (e *Emulator) searchFiles(c *call) {
	c.locked(func(v url.Values) (obj, error) {
		query := strings.TrimSpace(v.Get("query"))
		if query == "" {
			return nil, errBadRequest("BadRequest", "query is required")
		}
		if utf8.RuneCountInString(query) > maxSearchQuery {
			return nil, errBadRequest("SEARCH_TOO_LONG_QUERY", "the search query is longer than "+itoa(maxSearchQuery)+" characters")
		}
		n, err := e.perPage(v, defaultPerPage)
		if err != nil {
			return nil, err
		}
		cur := cursor{Kind: "search", User: c.acct.userID, PerPage: n, Types: v.Get("type"), Query: query}
		hits := searchHits(c.acct, query)
		reply := e.pageReply(hits, cur)
		reply["total"] = countAllowed(hits, cur)
		return reply, nil
	})
}

// continueSearch serves POST /v2/files/search/continue.
func (e *Emulator) continueSearch(c *call) {
	c.locked(func(v url.Values) (obj, error) {
		cur, err := e.continuation(v, "search", c.acct)
		if err != nil {
			return nil, err
		}
		hits := searchHits(c.acct, cur.Query)
		reply := e.pageReply(hits, cur)
		reply["total"] = countAllowed(hits, cur)
		return reply, nil
	})
}

// searchHits are the live items under the root whose name holds query.
func searchHits(a *account, query string) []*node {
	want := strings.ToLower(nameKey(query))
	var hits []*node
	for _, child := range a.root.children {
		walk(child, func(n *node) {
			if strings.Contains(strings.ToLower(n.key), want) {
				hits = append(hits, n)
			}
		})
	}
	slices.SortFunc(hits, func(x, y *node) int { return cmp.Compare(x.id, y.id) })
	return hits
}

// legacySearchPage is the page size of the legacy search.
const legacySearchPage = 50

// legacySearch serves GET /v2/files/search/{query}/page/{n}, the form
// go-putio's Files.Search uses: 50 hits a page, page -1 for all, next the
// URL of the following page (null after the last).
func (e *Emulator) legacySearch(c *call) {
	page, err := strconv.ParseInt(c.r.PathValue("n"), 10, 64)
	if err != nil || page == 0 || page < -1 {
		c.badRequest("BadRequest", "the page must be a number from 1, or -1 for all results")
		return
	}
	query := c.r.PathValue("query")
	if utf8.RuneCountInString(query) > maxSearchQuery {
		c.badRequest("SEARCH_TOO_LONG_QUERY", "the search query is longer than "+itoa(maxSearchQuery)+" characters")
		return
	}
	e.mu.Lock()
	hits := searchHits(c.acct, query)
	var next any
	if page > 0 {
		start := min(int64(len(hits)), (page-1)*legacySearchPage)
		end := min(int64(len(hits)), start+legacySearchPage)
		if end < int64(len(hits)) {
			next = e.baseURL(c.r) + "/v2/files/search/" + url.PathEscape(query) + "/page/" + itoa(page+1)
		}
		hits = hits[start:end]
	}
	files := filesJSON(hits)
	e.mu.Unlock()
	c.ok(obj{"files": files, "next": next})
}
