package putiotest

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"time"
)

// trashLocked is locked for trash operations: it takes the account's trash
// lock first, as put.io serialises them, failing with TRASH_LOCK_TIMEOUT
// after Options.TrashLockWait, and holds it Options.TrashHold afterwards.
func (c *call) trashLocked(fn func(v url.Values) (obj, error)) {
	if _, ok := c.params(); !ok {
		return
	}
	if !c.takeTrashLock() {
		return
	}
	defer func() {
		sleepCtx(c.r, c.e.opts.TrashHold)
		<-c.acct.trashLock
	}()
	c.locked(fn)
}

func (c *call) takeTrashLock() bool {
	var timeout <-chan time.Time
	if wait := c.e.opts.TrashLockWait; wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case c.acct.trashLock <- struct{}{}:
		return true
	case <-timeout:
		c.badRequest("TRASH_LOCK_TIMEOUT", "a blocking trash operation is in progress; retry in a moment")
	case <-c.r.Context().Done():
	}
	return false
}

// deleteFiles serves POST /v2/files/delete: to the trash, or for good
// with skip_trash or when the account's trash_enabled setting is off.
func (e *Emulator) deleteFiles(c *call) {
	c.trashLocked(func(v url.Values) (obj, error) {
		ids, err := idsParam(v, "file_ids", "file_id")
		if err != nil {
			return nil, err
		}
		nodes, skipped, err := e.deletable(c.acct, ids, flagParam(v, "skip_nonexistents"))
		if err != nil {
			return nil, err
		}
		for _, n := range nodes {
			e.detach(n)
			if flagParam(v, "skip_trash") || !c.acct.settings.TrashEnabled {
				e.changed(n, feedFileDelete)
				e.purge(n)
				continue
			}
			e.moveToTrash(n)
		}
		return obj{"skipped": skipped, "cursor": nil}, nil
	})
}

// deletable resolves ids for a delete; missing ids fail the whole request
// unless skipped. An item inside an already listed folder is dropped so
// that each subtree is deleted once.
func (e *Emulator) deletable(a *account, ids []int64, skipMissing bool) (nodes []*node, skipped int, err error) {
	for _, id := range ids {
		n := e.lookup(a, id)
		switch {
		case n == nil && skipMissing:
			skipped++
		case n == nil:
			return nil, 0, errNotFound("file " + itoa(id))
		case n.parent == nil:
			return nil, 0, errBadRequest("BadRequest", "the root folder cannot be deleted")
		default:
			nodes = append(nodes, n)
		}
	}
	return outermost(nodes), skipped, nil
}

// outermost drops duplicates and nodes that lie under another node listed.
func outermost(nodes []*node) []*node {
	listed := make(map[*node]bool, len(nodes))
	for _, n := range nodes {
		listed[n] = true
	}
	var out []*node
	for _, n := range nodes {
		if listed[n] && !listedAncestor(n, listed) {
			out = append(out, n)
			listed[n] = false // once
		}
	}
	return out
}

func listedAncestor(n *node, listed map[*node]bool) bool {
	for x := n.parent; x != nil; x = x.parent {
		if _, ok := listed[x]; ok {
			return true
		}
	}
	return false
}

// moveToTrash puts a detached item, with its subtree, in the trash.
func (e *Emulator) moveToTrash(n *node) {
	n.trashed, n.deletedAt = true, e.now()
	n.acct.trash = append(n.acct.trash, n)
	e.changed(n, feedFileDelete)
}

func (a *account) trashSize() int64 {
	var total int64
	for _, n := range a.trash {
		total += n.totalSize()
	}
	return total
}

// trashJSON is a File plus the trash fields.
func (e *Emulator) trashJSON(n *node) obj {
	f := fileJSON(n)
	f["deleted_at"] = formatTime(n.deletedAt)
	f["expiration_date"] = formatTime(n.deletedAt.Add(30 * 24 * time.Hour))
	return f
}

// trashPageReply is pageReply over the trash, with trash fields.
func (e *Emulator) trashPageReply(a *account, cur cursor) obj {
	items := slices.Clone(a.trash)
	slices.SortFunc(items, func(x, y *node) int { return cmp.Compare(x.id, y.id) })
	nodes, more := e.page(items, cur)
	files := make([]obj, len(nodes))
	for i, n := range nodes {
		files[i] = e.trashJSON(n)
	}
	reply := obj{"files": files, "cursor": nil, "trash_size": a.trashSize(), "total": len(a.trash)}
	if more {
		next := cur
		next.After = maxID(nodes)
		reply["cursor"] = e.encodeCursor(next)
	}
	return reply
}

// listTrash serves GET /v2/trash/list.
func (e *Emulator) listTrash(c *call) {
	c.locked(func(v url.Values) (obj, error) {
		n, err := e.perPage(v, defaultPerPage)
		if err != nil {
			return nil, err
		}
		return e.trashPageReply(c.acct, cursor{Kind: "trash", User: c.acct.userID, PerPage: n}), nil
	})
}

// continueTrash serves POST /v2/trash/list/continue.
func (e *Emulator) continueTrash(c *call) {
	c.locked(func(v url.Values) (obj, error) {
		cur, err := e.continuation(v, "trash", c.acct)
		if err != nil {
			return nil, err
		}
		return e.trashPageReply(c.acct, cur), nil
	})
}

// trashed finds top-level trashed items by id; anything else is
// TRASH_FILE_NOT_FOUND, children of trashed folders included.
func (e *Emulator) trashed(a *account, v url.Values) ([]*node, error) {
	if v.Has("cursor") {
		return nil, errBadRequest("BadRequest", "selection by cursor is not emulated (and never goes with file_ids); send file_ids")
	}
	ids, err := idsParam(v, "file_ids")
	if err != nil {
		return nil, err
	}
	var out []*node
	for _, id := range ids {
		i := slices.IndexFunc(a.trash, func(n *node) bool { return n.id == id })
		if i < 0 {
			return nil, &apiError{http.StatusNotFound, "TRASH_FILE_NOT_FOUND", "item " + itoa(id) + " is not in the trash (only top-level trashed items can be restored or deleted)"}
		}
		out = append(out, a.trash[i])
	}
	return out, nil
}

func (a *account) dropFromTrash(n *node) {
	a.trash = slices.DeleteFunc(a.trash, func(x *node) bool { return x == n })
}

// restoreTrash serves POST /v2/trash/restore: items go back to their old
// folder, or to the root if it is gone; a clashing name gets a suffix.
func (e *Emulator) restoreTrash(c *call) {
	e.takeFromTrash(c, func(n *node) {
		n.trashed = false
		parent := n.parent
		if parent.parent != nil && e.lookup(c.acct, parent.id) == nil {
			parent = c.acct.root
		}
		e.setName(n, freeName(parent, n.name))
		e.attach(parent, n)
		e.changed(n, feedFileCreate)
	})
}

// takeFromTrash runs fn on each trashed item named by file_ids, once all
// are found, after taking it out of the trash list.
func (e *Emulator) takeFromTrash(c *call, fn func(*node)) {
	c.trashLocked(func(v url.Values) (obj, error) {
		nodes, err := e.trashed(c.acct, v)
		if err != nil {
			return nil, err
		}
		for _, n := range nodes {
			c.acct.dropFromTrash(n)
			fn(n)
		}
		return nil, nil
	})
}

// freeName returns name, or name with " (N)" if a sibling has it.
func freeName(parent *node, name string) string {
	candidate := name
	for i := int64(1); checkFree(parent, candidate, nil) != nil; i++ {
		candidate = name + " (" + itoa(i) + ")"
	}
	return candidate
}

// deleteTrash serves POST /v2/trash/delete.
func (e *Emulator) deleteTrash(c *call) {
	e.takeFromTrash(c, e.purge)
}

// emptyTrash serves POST /v2/trash/empty.
func (e *Emulator) emptyTrash(c *call) {
	c.trashLocked(func(url.Values) (obj, error) {
		for _, n := range c.acct.trash {
			e.purge(n)
		}
		c.acct.trash = nil
		return nil, nil
	})
}
