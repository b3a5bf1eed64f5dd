package putiotest

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"sort"
	"strings"
	"time"
)

const (
	defaultPerPage = 100
	maxPerPage     = 1000
)

// cursor names a position in a listing (the last id handed out), not a
// snapshot, so it stays valid while the folder changes.
type cursor struct {
	Kind    string `json:"k"` // "files" or "trash"
	User    int64  `json:"u"`
	Parent  int64  `json:"p"`
	After   int64  `json:"a"`
	PerPage int64  `json:"n"`
	Types   string `json:"t,omitempty"`
	Query   string `json:"q,omitempty"` // search words
	Share   int64  `json:"s,omitempty"` // public share listed
	Issued  int64  `json:"i,omitempty"` // Unix seconds, for Options.CursorExpiry
	// HideHidden leaves hidden items out (Options.HideHiddenItems).
	HideHidden bool `json:"h,omitempty"`
}

// encodeCursor hands out cur, stamped with the time it was issued.
func (e *Emulator) encodeCursor(cur cursor) string {
	cur.Issued = e.opts.Now().Unix()
	data, _ := json.Marshal(cur) // a struct of ints and strings always encodes
	return base64.RawURLEncoding.EncodeToString(data)
}

func decodeCursor(s, kind string, a *account) (cursor, error) {
	var cur cursor
	data, err := base64.RawURLEncoding.DecodeString(strings.TrimSpace(s))
	if err == nil {
		err = json.Unmarshal(data, &cur)
	}
	if err != nil || cur.Kind != kind || cur.User != a.userID || cur.PerPage <= 0 {
		return cursor{}, errBadRequest("INVALID_CURSOR", "the cursor is not one this server handed out; start the listing again")
	}
	return cur, nil
}

// continuation reads the cursor of a list/continue call, with the page
// size it may override. With Options.CursorExpiry, an older cursor is
// refused with 400, as put.io refuses bad or expired cursors.
func (e *Emulator) continuation(v url.Values, kind string, a *account) (cursor, error) {
	cur, err := decodeCursor(v.Get("cursor"), kind, a)
	if err == nil && e.opts.CursorExpiry > 0 && e.opts.Now().Sub(time.Unix(cur.Issued, 0)) > e.opts.CursorExpiry {
		err = errBadRequest("INVALID_CURSOR", "the cursor has expired; start the listing again")
	}
	if err == nil {
		cur.PerPage, err = e.perPage(v, cur.PerPage)
	}
	return cur, err
}

// perPage reads per_page: default def. A page larger than put.io's
// largest, 1000, is refused with 400 INVALID_PER_PAGE, as put.io's SDK
// live suite finds transfers/list?per_page=1001 refused; with
// Options.ClampPerPage it is cut to 1000 instead.
func (e *Emulator) perPage(values url.Values, def int64) (int64, error) {
	n, err := intParam(values, "per_page", def)
	if err != nil {
		return 0, err
	}
	if n <= 0 {
		return 0, errBadRequest("BadRequest", "per_page must be a positive number")
	}
	return e.pageAtMost(n)
}

// pageAtMost applies the largest page size to a valid per_page n.
func (e *Emulator) pageAtMost(n int64) (int64, error) {
	if n > maxPerPage && !e.opts.ClampPerPage {
		return 0, errBadRequest("INVALID_PER_PAGE", "per_page must be at most "+itoa(maxPerPage)+", got "+itoa(n))
	}
	return min(n, maxPerPage), nil
}

// allows reports whether the listing cur continues shows n: of a
// file_type asked for, and not hidden unless hidden items are shown.
func (cur cursor) allows(n *node) bool {
	return typeFilter(cur.Types).allows(n) && !(cur.HideHidden && n.hidden)
}

// page returns up to cur.PerPage items after cur.After that cur allows,
// and whether more follow. items must be in id order.
func (e *Emulator) page(items []*node, cur cursor) (out []*node, more bool) {
	start := sort.Search(len(items), func(i int) bool { return items[i].id > cur.After })
	for _, n := range items[start:] {
		if !cur.allows(n) {
			continue
		}
		if int64(len(out)) == cur.PerPage {
			return e.shuffled(out), true
		}
		out = append(out, n)
	}
	return e.shuffled(out), false
}

// pageReply renders a page with the cursor of the next one (null at the end).
func (e *Emulator) pageReply(items []*node, cur cursor) obj {
	nodes, more := e.page(items, cur)
	reply := obj{"files": filesJSON(nodes), "cursor": nil}
	if more {
		next := cur
		next.After = maxID(nodes)
		reply["cursor"] = e.encodeCursor(next)
	}
	return reply
}

func maxID(nodes []*node) int64 {
	var id int64
	for _, n := range nodes {
		id = max(id, n.id)
	}
	return id
}

func (e *Emulator) shuffled(nodes []*node) []*node {
	if e.opts.ShuffleListing {
		e.rng.Shuffle(len(nodes), func(i, j int) { nodes[i], nodes[j] = nodes[j], nodes[i] })
	}
	return nodes
}

// typeFilter is a set of file_type values; empty allows everything.
type typeFilter string

func (t typeFilter) allows(n *node) bool {
	if t == "" {
		return true
	}
	kind := "FOLDER"
	if !n.dir {
		_, _, kind = fileKind(n.name)
	}
	for _, want := range strings.Split(string(t), ",") {
		if strings.EqualFold(strings.TrimSpace(want), kind) {
			return true
		}
	}
	return false
}

// listFiles serves GET /v2/files/list.
func (e *Emulator) listFiles(c *call) {
	c.locked(func(v url.Values) (obj, error) {
		parentID, err := intParam(v, "parent_id", 0)
		if err != nil {
			return nil, err
		}
		n, err := e.perPage(v, defaultPerPage)
		if err != nil {
			return nil, err
		}
		parent := e.readableLocked(c.acct, parentID)
		if parent == nil {
			return nil, errNotFound("folder " + itoa(parentID))
		}
		cur := cursor{Kind: "files", User: c.acct.userID, Parent: parentID, PerPage: n, Types: v.Get("file_type"), HideHidden: e.hidesHidden(v)}
		children := e.childrenLocked(c.acct, parent)
		reply := e.folderPage(parent, children, cur)
		e.filesWithMedia(c.r, reply["files"].([]obj), v)
		reply["parent"] = fileJSON(parent)
		e.withMedia(c.r, reply["parent"].(obj), parent, v, "_parent")
		if flagParam(v, "total") {
			reply["total"] = countAllowed(children, cur)
		}
		return reply, nil
	})
}

func countAllowed(items []*node, cur cursor) int {
	count := 0
	for _, n := range items {
		if cur.allows(n) {
			count++
		}
	}
	return count
}

// continueFiles serves POST /v2/files/list/continue.
func (e *Emulator) continueFiles(c *call) {
	c.locked(func(v url.Values) (obj, error) {
		cur, err := e.continuation(v, "files", c.acct)
		if err != nil {
			return nil, err
		}
		parent := e.readableLocked(c.acct, cur.Parent)
		if parent == nil {
			return nil, errNotFound("folder " + itoa(cur.Parent))
		}
		return e.folderPage(parent, e.childrenLocked(c.acct, parent), cur), nil
	})
}

// folderPage is pageReply for a folder's children: the items a
// SHARED_FRIEND folder holds belong to the friend's tree, yet are listed
// as its children.
func (e *Emulator) folderPage(parent *node, children []*node, cur cursor) obj {
	reply := e.pageReply(children, cur)
	if parent.folderType == "SHARED_FRIEND" {
		for _, f := range reply["files"].([]obj) {
			f["parent_id"] = parent.id
		}
	}
	return reply
}
