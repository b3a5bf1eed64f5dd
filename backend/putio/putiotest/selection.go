package putiotest

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// selectionLocked resolves the items a zips/create or download_links/create
// names: file_ids, or a files listing's cursor, which stands for that whole
// listing (every item its folder and filter show, its first page too: the
// SDK suite excludes an item of the first page through exclude_ids), less
// exclude_ids. An id that names no live item of the account is refused with
// 400 BadRequest, as the suite shows download_links/create does.
func (e *Emulator) selectionLocked(a *account, v url.Values) ([]*node, error) {
	if strings.TrimSpace(v.Get("cursor")) != "" {
		return e.cursorSelectionLocked(a, v)
	}
	ids, err := idsParam(v, "file_ids")
	if err != nil {
		return nil, errBadRequest("BadRequest", "file_ids or cursor is required")
	}
	items := make([]*node, 0, len(ids))
	for _, id := range ids {
		n := e.lookup(a, id)
		if n == nil {
			return nil, errBadRequest("BadRequest", "file "+itoa(id)+" does not exist")
		}
		if !slices.Contains(items, n) {
			items = append(items, n)
		}
	}
	return items, nil
}

// cursorSelectionLocked is selectionLocked for a cursor.
func (e *Emulator) cursorSelectionLocked(a *account, v url.Values) ([]*node, error) {
	cur, err := decodeCursor(v.Get("cursor"), "files", a)
	if err != nil {
		return nil, err
	}
	var excluded []int64
	if strings.TrimSpace(v.Get("exclude_ids")) != "" {
		if excluded, err = idsParam(v, "exclude_ids"); err != nil {
			return nil, err
		}
	}
	parent := e.lookup(a, cur.Parent)
	if parent == nil {
		return nil, errNotFound("folder " + itoa(cur.Parent))
	}
	var items []*node
	for _, n := range parent.children {
		if cur.allows(n) && !slices.Contains(excluded, n.id) {
			items = append(items, n)
		}
	}
	if len(items) == 0 {
		return nil, errBadRequest("BadRequest", "the cursor less exclude_ids selects nothing")
	}
	return items, nil
}

// selectionKey names a selection request, for download_links/create's
// reuse of the task of an identical request.
func selectionKey(v url.Values) string {
	return url.Values{"file_ids": {v.Get("file_ids")}, "cursor": {v.Get("cursor")},
		"exclude_ids": {v.Get("exclude_ids")}}.Encode()
}

// member is a file of a selection, with its path inside the selection.
type member struct {
	id   int64
	path string
}

// membersOf lists the files of the selected items, folders walked, each
// with its path relative to the folder the selection was made in.
func membersOf(items []*node) []member {
	var out []member
	for _, top := range items {
		walk(top, func(n *node) {
			if !n.dir {
				out = append(out, member{n.id, relativePath(top.parent, n)})
			}
		})
	}
	return out
}

// Task statuses, as put.io reports zips and download-links tasks.
const (
	taskNew        = "NEW"
	taskProcessing = "PROCESSING"
	taskDone       = "DONE"
)

// taskProgress is how far a zip or download-links task has got. put.io
// works on them in the background; the emulator moves one step on each
// status read (NEW, then PROCESSING, then DONE), so a client must poll
// and never waits on a clock, unless Options.TasksDoneAtOnce.
type taskProgress struct {
	reads int
}

// readLocked counts a status read and reports the status it sees.
func (p *taskProgress) readLocked(doneAtOnce bool) string {
	p.reads++
	switch {
	case doneAtOnce || p.reads > 2:
		return taskDone
	case p.reads == 1:
		return taskNew
	}
	return taskProcessing
}

// errTaskGone is the 410 of a zip that does not exist (or no longer).
func errTaskGone(what string) error {
	return &apiError{http.StatusGone, "LINK_EXPIRED", what + " does not exist or has expired"}
}
