package putiotest

import (
	"net/url"
	"strconv"
	"strings"
	"time"
)

// locked parses the parameters, runs fn under the state lock and sends its
// reply (with "status": "OK") or its error.
func (c *call) locked(fn func(v url.Values) (obj, error)) {
	v, ok := c.params()
	if !ok {
		return
	}
	c.e.mu.Lock()
	reply, err := fn(v)
	c.e.mu.Unlock()
	if err != nil {
		c.failErr(err)
		return
	}
	c.ok(reply)
}

// withID runs fn on the {id} of the path under the state lock.
func (c *call) withID(fn func(id int64, v url.Values) (obj, error)) {
	id, ok := c.idVar()
	if !ok {
		return
	}
	c.locked(func(v url.Values) (obj, error) { return fn(id, v) })
}

// item looks up the live item named by the id parameter.
func (e *Emulator) item(a *account, v url.Values, name string) (*node, error) {
	id, err := requiredInt(v, name)
	if err != nil {
		return nil, err
	}
	n := e.lookup(a, id)
	if n == nil {
		return nil, errNotFound("file " + itoa(id))
	}
	return n, nil
}

// movable is item for operations the root folder cannot take part in.
func (e *Emulator) movable(a *account, v url.Values, name string) (*node, error) {
	n, err := e.item(a, v, name)
	if err == nil && n.parent == nil {
		err = errBadRequest("BadRequest", "the root folder cannot be moved, renamed, copied or deleted")
	}
	return n, err
}

// optionalName is the cleaned name parameter, or def when it is absent.
func (e *Emulator) optionalName(v url.Values, def string) (string, error) {
	if !v.Has("name") {
		return def, nil
	}
	return cleanName(e.givenName(v.Get("name")))
}

// getFile serves GET /v2/files/{id}.
func (e *Emulator) getFile(c *call) {
	id, ok := c.idVar()
	if !ok {
		return
	}
	c.locked(func(v url.Values) (obj, error) {
		n := e.readableLocked(c.acct, id)
		if n == nil {
			return nil, errNotFound("file " + itoa(id))
		}
		f := fileJSON(n)
		e.withMedia(c.r, f, n, v, "")
		return obj{"file": f}, nil
	})
}

// child serves GET /v2/files/{id}/child?name=: the newest child of that
// name, compared after NFC.
func (e *Emulator) child(c *call) {
	id, ok := c.idVar()
	if !ok {
		return
	}
	c.locked(func(v url.Values) (obj, error) {
		name := v.Get("name")
		if name == "" {
			return nil, errBadRequest("EMPTY_NAME", "name is required")
		}
		parent, err := e.lookupFolder(c.acct, id)
		if err != nil {
			return nil, err
		}
		n := e.visibleChild(parent, e.givenName(name), v)
		if n == nil {
			return nil, errNotFound("child " + strconv.Quote(name) + " of folder " + itoa(id))
		}
		return obj{"file": fileJSON(n)}, nil
	})
}

// createFolder serves POST /v2/files/create-folder.
func (e *Emulator) createFolder(c *call) {
	c.locked(func(v url.Values) (obj, error) {
		if v.Has("path") {
			return nil, errBadRequest("BadRequest", "create-folder by path is not emulated; send name and parent_id")
		}
		parentID, err := intParam(v, "parent_id", 0)
		if err != nil {
			return nil, err
		}
		name, err := cleanName(e.givenName(v.Get("name")))
		if err != nil {
			return nil, err
		}
		parent, err := e.lookupFolder(c.acct, parentID)
		if err != nil {
			return nil, err
		}
		if existing := folderNamed(parent, name); existing != nil && e.opts.CreateFolderReturnsExisting {
			return obj{"file": fileJSON(existing)}, nil
		}
		if err := checkFree(parent, name, nil); err != nil {
			return nil, err
		}
		return obj{"file": fileJSON(e.newNode(parent, name, true))}, nil
	})
}

// rename serves POST /v2/files/rename.
func (e *Emulator) rename(c *call) {
	c.locked(func(v url.Values) (obj, error) {
		n, err := e.movable(c.acct, v, "file_id")
		if err != nil {
			return nil, err
		}
		name, err := cleanName(e.givenName(v.Get("name")))
		if err != nil {
			return nil, err
		}
		if err := checkFree(n.parent, name, e.renamed(n)); err != nil {
			return nil, err
		}
		e.setName(n, name)
		n.updated = e.now()
		n.parent.updated = n.updated
		e.changed(n, feedFileUpdate)
		return nil, nil
	})
}

// move serves POST /v2/files/move: single (file_id, optional name) fails
// as a whole; bulk (file_ids) reports per-item failures in errors[].
func (e *Emulator) move(c *call) {
	c.locked(func(v url.Values) (obj, error) {
		parentID, err := requiredInt(v, "parent_id")
		if err != nil {
			return nil, err
		}
		parent, err := e.lookupFolder(c.acct, parentID)
		if err != nil {
			return nil, err
		}
		if v.Get("file_ids") == "" {
			n, err := e.movable(c.acct, v, "file_id")
			if err != nil {
				return nil, err
			}
			name, err := e.optionalName(v, n.name)
			if err != nil {
				return nil, err
			}
			return obj{"errors": []obj{}}, e.moveNode(n, parent, name)
		}
		ids, err := idsParam(v, "file_ids")
		if err != nil {
			return nil, err
		}
		return obj{"errors": e.moveEach(c.acct, ids, parent)}, nil
	})
}

func (e *Emulator) moveEach(a *account, ids []int64, parent *node) []obj {
	failures := []obj{}
	for _, id := range ids {
		n := e.lookup(a, id)
		err := errNotFound("file " + itoa(id))
		if n != nil && n.parent != nil {
			err = e.moveNode(n, parent, n.name)
		}
		if ae, ok := err.(*apiError); ok {
			var name any // null for an id that names nothing
			if n != nil {
				name = n.name
			}
			failures = append(failures, obj{"id": id, "name": name, "error_type": ae.errorType, "status_code": ae.status})
		}
	}
	return failures
}

// renamed is the item a rename or move of n may find under its own name
// without a clash: n itself, or none with Options.RefuseSameName.
func (e *Emulator) renamed(n *node) *node {
	if e.opts.RefuseSameName {
		return nil
	}
	return n
}

// moveNode re-parents n under the name; updated_at resets, as on put.io.
func (e *Emulator) moveNode(n, parent *node, name string) error {
	if isAncestor(n, parent) {
		return errBadRequest("BadRequest", "cannot move a folder into itself or its own subfolder")
	}
	if err := checkFree(parent, name, e.renamed(n)); err != nil {
		return err
	}
	e.detach(n)
	e.setName(n, name)
	e.attach(parent, n)
	n.updated = e.now()
	e.changed(n, feedFileMove)
	return nil
}

// copy serves POST /v2/files/copy.
func (e *Emulator) copy(c *call) {
	c.locked(func(v url.Values) (obj, error) {
		src, err := e.movable(c.acct, v, "file_id")
		if err != nil {
			return nil, err
		}
		parentID, err := intParam(v, "parent_id", src.parent.id)
		if err != nil {
			return nil, err
		}
		parent, err := e.lookupFolder(c.acct, parentID)
		if err != nil {
			return nil, err
		}
		name, err := e.optionalName(v, src.name)
		if err != nil {
			return nil, err
		}
		if err := e.checkCopy(src, parent, name); err != nil {
			return nil, err
		}
		n, err := e.copyTree(src, parent, name)
		if err != nil {
			return nil, err
		}
		return obj{"file": fileJSON(n)}, nil
	})
}

func (e *Emulator) checkCopy(src, parent *node, name string) error {
	if isAncestor(src, parent) {
		return errBadRequest("BadRequest", "cannot copy a folder into itself")
	}
	if e.opts.SpuriousCopyConflict && !src.copyTried {
		src.copyTried = true
		return errBadRequest("NAME_ALREADY_EXIST", "Name already exist")
	}
	return checkFree(parent, name, nil)
}

// touch serves POST /v2/files/touch: sets updated_at of file_id or file_ids.
func (e *Emulator) touch(c *call) {
	c.locked(func(v url.Values) (obj, error) {
		t, err := parseClientTime(v.Get("updated_at"))
		if err != nil {
			return nil, err
		}
		ids, err := idsParam(v, "file_ids", "file_id")
		if err != nil {
			return nil, err
		}
		nodes, err := e.lookupAll(c.acct, ids)
		if err != nil {
			return nil, err
		}
		for _, n := range nodes {
			n.updated = t
			e.changed(n, feedFileUpdate)
		}
		return nil, nil
	})
}

// lookupAll resolves every id or fails with 404 on the first missing one.
func (e *Emulator) lookupAll(a *account, ids []int64) ([]*node, error) {
	nodes := make([]*node, 0, len(ids))
	for _, id := range ids {
		n := e.lookup(a, id)
		if n == nil {
			return nil, errNotFound("file " + itoa(id))
		}
		nodes = append(nodes, n)
	}
	return nodes, nil
}

// parseClientTime reads an RFC 3339 time; the fraction is dropped. A time
// without a zone is refused: the record does not say how put.io reads one.
func parseClientTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, errBadRequest("BadRequest", "updated_at is required (RFC 3339, e.g. 2024-05-01T12:00:00Z)")
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, errBadRequest("BadRequest", strconv.Quote(s)+" is not an RFC 3339 time with a zone, such as 2024-05-01T12:00:00Z")
	}
	return t.UTC().Truncate(time.Second), nil
}

// canWrite serves GET /v2/files/{id}/can-write: the account may write to
// each of its own live items.
func (e *Emulator) canWrite(c *call) {
	id, ok := c.idVar()
	if !ok {
		return
	}
	c.locked(func(url.Values) (obj, error) {
		if e.lookup(c.acct, id) == nil {
			return nil, errNotFound("file " + itoa(id))
		}
		return obj{"user_id": c.acct.userID}, nil
	})
}
