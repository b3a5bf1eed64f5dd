package putiotest

import (
	"cmp"
	"net/url"
	"slices"
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
		n, err := perPage(v, defaultPerPage)
		if err != nil {
			return nil, err
		}
		cur := cursor{Kind: "search", User: c.acct.userID, PerPage: n, Types: v.Get("type"), Query: query}
		hits := searchHits(c.acct, query)
		reply := e.pageReply(hits, cur)
		reply["total"] = countAllowed(hits, typeFilter(cur.Types))
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
		reply["total"] = countAllowed(hits, typeFilter(cur.Types))
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
