package putiotest

import (
	"net/url"
	"slices"
	"strings"
)

// setSortBy serves POST /v2/files/set-sort-by: a folder's sort
// preference. The record names the route, not its effect on listings, so
// the emulator stores the value and shows it in the folder's sort_by field;
// listings keep their own order.
func (e *Emulator) setSortBy(c *call) {
	c.locked(func(v url.Values) (obj, error) {
		n, err := e.item(c.acct, v, "file_id")
		if err != nil {
			return nil, err
		}
		if !n.dir {
			return nil, errBadRequest("BadRequest", "file "+itoa(n.id)+" is not a folder; only folders have a sort order")
		}
		sortBy := strings.TrimSpace(v.Get("sort_by"))
		if choices := settingChoices["sort_by"]; !slices.Contains(choices, sortBy) {
			return nil, errBadRequest("INVALID_VALUE", "sort_by must be one of "+strings.Join(choices, ", "))
		}
		n.sortBy = sortBy
		e.changed(n, feedFileUpdate)
		return nil, nil
	})
}

// removeSortBySettings serves POST /v2/files/remove-sort-by-settings: it
// forgets the sort preference of every folder of the account, trashed
// ones too (the record gives the route no parameters).
func (e *Emulator) removeSortBySettings(c *call) {
	c.locked(func(url.Values) (obj, error) {
		c.acct.root.sortBy = ""
		for _, n := range e.nodes {
			if n.acct == c.acct {
				n.sortBy = ""
			}
		}
		return nil, nil
	})
}

// copyToDisk serves POST /v2/files/copy-to-disk (file_ids), the older bulk
// copy: each item is copied, under its own name, into the account's
// default download folder (the root if that is gone). The record gives no
// reply body, so it answers {"status":"OK"}. Every id is checked first, so
// a refused request copies nothing.
func (e *Emulator) copyToDisk(c *call) {
	c.locked(func(v url.Values) (obj, error) {
		ids, err := idsParam(v, "file_ids")
		if err != nil {
			return nil, err
		}
		srcs, err := e.lookupAll(c.acct, ids)
		if err != nil {
			return nil, err
		}
		dest, err := e.uploadFolder(c.acct, url.Values{})
		if err != nil {
			return nil, err
		}
		if err := e.checkCopyAll(srcs, dest); err != nil {
			return nil, err
		}
		for _, src := range srcs {
			if _, err := e.copyNode(src, dest, src.name); err != nil {
				return nil, err
			}
		}
		return nil, nil
	})
}

// checkCopyAll refuses a bulk copy that would fail part way: the root, a
// folder into itself, a taken or repeated name, or more bytes than are free.
func (e *Emulator) checkCopyAll(srcs []*node, dest *node) error {
	var need int64
	names := map[string]bool{}
	for _, src := range srcs {
		switch {
		case src.parent == nil:
			return errBadRequest("BadRequest", "the root folder cannot be copied")
		case isAncestor(src, dest):
			return errBadRequest("BadRequest", "cannot copy a folder into itself")
		case names[src.key]:
			return errBadRequest("NAME_ALREADY_EXIST", "Name already exist: "+src.name)
		}
		if err := checkFree(dest, src.name, nil); err != nil {
			return err
		}
		names[src.key] = true
		need += src.totalSize()
	}
	if avail := dest.acct.avail(e.opts.Quota); need > avail {
		return errQuota(need, avail)
	}
	return nil
}

// sharedWithYouID is the id put.io gives the pseudo folder of items
// friends share.
const sharedWithYouID = -2

// itemsSharedWithYou serves GET /v2/files/list/items-shared-with-you: a
// SHARED_FRIEND folder for each friend who shares something with the
// caller, in the shape of files/list, with the pseudo folder as parent;
// one page holds them all.
func (e *Emulator) itemsSharedWithYou(c *call) {
	c.locked(func(v url.Values) (obj, error) {
		if _, err := e.perPage(v, defaultPerPage); err != nil {
			return nil, err
		}
		folders := e.friendFoldersLocked(c.acct)
		reply := obj{"files": filesJSON(folders), "parent": fileJSON(sharedRootOf(c.acct)), "cursor": nil}
		if flagParam(v, "total") {
			reply["total"] = len(folders)
		}
		return reply, nil
	})
}
