package putiotest

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// fileShare is how an item is shared with friends: with every friend
// (everyone), or with some, each share having an id of its own.
type fileShare struct {
	everyone bool
	friends  []friendShare
}

type friendShare struct {
	id int64
	to *account
}

// friendFolder is a viewer's SHARED_FRIEND folder: the items one friend
// shares with the viewer. It is no item of either account: it cannot be
// written to, and its children are worked out when listed.
type friendFolder struct {
	node           *node
	viewer, friend *account
}

// friendShareRoutes are the friend-sharing routes' and clone's.
func (e *Emulator) friendShareRoutes() []*route {
	return []*route{
		newRoute("POST /v2/files/share", authed, firstParty(e.shareFiles)),
		newRoute("GET /v2/files/shared", authed, firstParty(e.listSharedFiles)),
		newRoute("POST /v2/files/{id}/unshare", authed, firstParty(e.unshareFile)),
		newRoute("POST /v2/sharing/clone", authed, firstParty(e.cloneShared)),
		newRoute("GET /v2/sharing/clone/{id}", authed, firstParty(e.cloneInfo)),
	}
}

// shareFiles serves POST /v2/files/share: file_ids shared with friends,
// "everyone" or comma-separated friend names. All or nothing; an item
// already shared with a target, itself or through a folder above it, is
// 400 ALREADY_SHARED (SDK live suite).
func (e *Emulator) shareFiles(c *call) {
	c.locked(func(v url.Values) (obj, error) {
		if v.Get("cursor") != "" {
			return nil, errBadRequest("BadRequest", "sharing by cursor is not emulated; send file_ids")
		}
		ids, err := idsParam(v, "file_ids")
		if err != nil {
			return nil, err
		}
		everyone, to, err := e.shareTargets(c.acct, v.Get("friends"))
		if err != nil {
			return nil, err
		}
		items := make([]*node, len(ids))
		for i, id := range ids {
			if items[i], err = e.shareable(c.acct, id, everyone, to); err != nil {
				return nil, err
			}
		}
		for _, n := range items {
			e.addShareLocked(n, everyone, to)
		}
		return nil, nil
	})
}

// shareTargets reads the friends parameter: everyone, or friends by name.
func (e *Emulator) shareTargets(me *account, friends string) (everyone bool, to []*account, err error) {
	friends = strings.TrimSpace(friends)
	switch friends {
	case "":
		return false, nil, errBadRequest("BadRequest", `friends is required: "everyone" or comma-separated friend names`)
	case "everyone":
		return true, nil, nil
	}
	s := e.socialLocked()
	for _, name := range strings.Split(friends, ",") {
		name = strings.TrimSpace(name)
		a, err := e.userNamedLocked(name)
		if err != nil {
			return false, nil, err
		}
		if !s.areFriends(me, a) {
			return false, nil, errBadRequest("BadRequest", name+" is not your friend")
		}
		to = append(to, a)
	}
	return false, to, nil
}

// shareable finds an item of the account that may be shared with the
// targets: not the root, and not shared with any of them yet, itself or
// through a folder above it.
func (e *Emulator) shareable(a *account, id int64, everyone bool, to []*account) (*node, error) {
	n := e.lookup(a, id)
	switch {
	case n == nil:
		return nil, errNotFound("file " + itoa(id))
	case n.parent == nil:
		return nil, errBadRequest("BadRequest", "the root folder cannot be shared")
	}
	s := e.socialLocked()
	for x := n; x != nil; x = x.parent {
		sh := s.fileShares[x.id]
		if sh == nil {
			continue
		}
		clash := sh.everyone || everyone || slices.ContainsFunc(sh.friends, func(f friendShare) bool { return slices.Contains(to, f.to) })
		if clash {
			return nil, errBadRequest("ALREADY_SHARED", "item "+itoa(x.id)+" is already shared with them")
		}
	}
	return n, nil
}

func (e *Emulator) addShareLocked(n *node, everyone bool, to []*account) {
	s := e.socialLocked()
	sh := s.fileShares[n.id]
	if sh == nil {
		sh = &fileShare{}
		s.fileShares[n.id] = sh
	}
	sh.everyone = sh.everyone || everyone
	for _, a := range to {
		sh.friends = append(sh.friends, friendShare{id: s.nextShare, to: a})
		s.nextShare++
	}
	n.sharedOut = true
}

// unshareLocked drops the friend shares of item id that drop picks, and
// the share to everyone if drop is nil; an item with none left is no
// longer shared.
func (e *Emulator) unshareLocked(id int64, drop func(friendShare) bool) {
	s := e.socialLocked()
	sh := s.fileShares[id]
	if sh == nil {
		return
	}
	if drop == nil {
		sh.everyone, sh.friends = false, nil
	} else {
		sh.friends = slices.DeleteFunc(sh.friends, drop)
	}
	if !sh.everyone && len(sh.friends) == 0 {
		delete(s.fileShares, id)
		if n := e.nodes[id]; n != nil {
			n.sharedOut = false
		}
	}
}

// forgetFriendShares drops the friend shares of an item deleted for good.
func (e *Emulator) forgetFriendShares(id int64) {
	if e.social.fileShares != nil {
		e.unshareLocked(id, nil)
	}
}

// listSharedFiles serves GET /v2/files/shared: the account's live shared
// items, each with shared_with "everyone" or its number of friend shares.
func (e *Emulator) listSharedFiles(c *call) {
	c.locked(func(url.Values) (obj, error) {
		shared := []obj{}
		for _, n := range e.sharedItemsLocked(c.acct) {
			f := fileJSON(n)
			f["shared_with"] = e.socialLocked().fileShares[n.id].sharedWith()
			shared = append(shared, f)
		}
		return obj{"shared": shared}, nil
	})
}

func (sh *fileShare) sharedWith() any {
	if sh.everyone {
		return "everyone"
	}
	return len(sh.friends)
}

// sharedItemsLocked lists a's live shared items in id order.
func (e *Emulator) sharedItemsLocked(a *account) []*node {
	var out []*node
	for id := range e.socialLocked().fileShares {
		if n := e.lookup(a, id); n != nil {
			out = append(out, n)
		}
	}
	slices.SortFunc(out, func(x, y *node) int { return cmp.Compare(x.id, y.id) })
	return out
}

// sharedWith serves GET /v2/files/{id}/shared-with-v2. A missing id
// answers 500, as put.io does (TS SDK live test), not 404.
func (e *Emulator) sharedWith(c *call) {
	id, ok := c.idVar()
	if !ok {
		return
	}
	e.mu.Lock()
	n := e.lookup(c.acct, id)
	var reply obj
	if n != nil {
		reply = c.sharedWithJSON(e.socialLocked().fileShares[id])
	}
	e.mu.Unlock()
	if n == nil {
		c.fail(http.StatusInternalServerError, "InternalServerError", "file "+itoa(id)+" not found")
		return
	}
	c.ok(reply)
}

// sharedWithJSON is shared-with-v2's reply for an item's share (nil: not
// shared, no friends).
func (c *call) sharedWithJSON(sh *fileShare) obj {
	if sh != nil && sh.everyone {
		return obj{"share_type": "everyone"}
	}
	shares := []obj{}
	if sh != nil {
		for _, f := range sh.friends {
			user := c.userJSON(f.to)
			shares = append(shares, obj{"share_id": f.id, "user_name": user["name"], "user_avatar_url": user["avatar_url"]})
		}
	}
	return obj{"share_type": "friends", "shares": shares}
}

// unshareFile serves POST /v2/files/{id}/unshare: shares is "everyone"
// (every share of the item) or comma-separated share ids.
func (e *Emulator) unshareFile(c *call) {
	c.withID(func(id int64, v url.Values) (obj, error) {
		if e.lookup(c.acct, id) == nil {
			return nil, errNotFound("file " + itoa(id))
		}
		if e.socialLocked().fileShares[id] == nil {
			return nil, errBadRequest("BadRequest", "item "+itoa(id)+" is not shared")
		}
		shares := strings.TrimSpace(v.Get("shares"))
		if shares == "" || shares == "everyone" {
			e.unshareLocked(id, nil)
			return nil, nil
		}
		ids, err := idsParam(v, "shares")
		if err != nil {
			return nil, err
		}
		e.unshareLocked(id, func(f friendShare) bool { return slices.Contains(ids, f.id) })
		return nil, nil
	})
}

// sharedWithLocked reports whether item n itself is shared with viewer.
func (e *Emulator) sharedWithLocked(n *node, viewer *account) bool {
	s := e.socialLocked()
	sh := s.fileShares[n.id]
	if sh == nil || n.acct == viewer || !s.areFriends(n.acct, viewer) {
		return false
	}
	return sh.everyone || slices.ContainsFunc(sh.friends, func(f friendShare) bool { return f.to == viewer })
}

// sharedTopsLocked lists owner's live items shared with viewer that no
// folder above them already shares: what viewer's SHARED_FRIEND folder
// for owner holds, in id order.
func (e *Emulator) sharedTopsLocked(owner, viewer *account) []*node {
	var tops []*node
	for id := range e.socialLocked().fileShares {
		n := e.lookup(owner, id)
		if n == nil || !e.sharedWithLocked(n, viewer) || e.sharedAboveLocked(n.parent, viewer) {
			continue
		}
		tops = append(tops, n)
	}
	slices.SortFunc(tops, func(x, y *node) int { return cmp.Compare(x.id, y.id) })
	return tops
}

// sharedAboveLocked reports whether n or a folder above it is shared with
// viewer.
func (e *Emulator) sharedAboveLocked(n *node, viewer *account) bool {
	for x := n; x != nil; x = x.parent {
		if e.sharedWithLocked(x, viewer) {
			return true
		}
	}
	return false
}

// friendFolderLocked is viewer's SHARED_FRIEND folder for friend, made
// on first use with an id of its own.
func (e *Emulator) friendFolderLocked(viewer, friend *account) *friendFolder {
	s := e.socialLocked()
	for _, ff := range s.friendFolders {
		if ff.viewer == viewer && ff.friend == friend {
			return ff
		}
	}
	now := e.now()
	n := &node{id: e.nextID, acct: viewer, parent: sharedRootOf(viewer), dir: true, created: now, updated: now, folderType: "SHARED_FRIEND"}
	e.setName(n, friend.username)
	e.nextID++
	ff := &friendFolder{node: n, viewer: viewer, friend: friend}
	s.friendFolders[n.id] = ff
	return ff
}

// sharedRootOf is a's shared-with-you pseudo folder.
func sharedRootOf(a *account) *node {
	return &node{id: sharedWithYouID, acct: a, parent: a.root, name: "Items shared with you", key: "Items shared with you",
		dir: true, created: a.root.created, updated: a.root.updated, folderType: "SHARED_ROOT"}
}

// friendFoldersLocked lists viewer's SHARED_FRIEND folders that hold
// something, in friend order.
func (e *Emulator) friendFoldersLocked(viewer *account) []*node {
	var out []*node
	for _, friend := range e.socialLocked().friendsOf(viewer) {
		if len(e.sharedTopsLocked(friend, viewer)) > 0 {
			out = append(out, e.friendFolderLocked(viewer, friend).node)
		}
	}
	return out
}

// readableLocked finds an item a may read: its own live item, one of its
// SHARED_FRIEND folders, or an item a friend shares with it.
func (e *Emulator) readableLocked(a *account, id int64) *node {
	if n := e.lookup(a, id); n != nil {
		return n
	}
	if ff := e.socialLocked().friendFolders[id]; ff != nil && ff.viewer == a {
		return ff.node
	}
	n := e.nodes[id]
	if n == nil || n.inTrash() || !e.sharedAboveLocked(n, a) {
		return nil
	}
	return n
}

// childrenLocked is what listing parent shows a: a SHARED_FRIEND folder's
// shared items, or the folder's children.
func (e *Emulator) childrenLocked(a *account, parent *node) []*node {
	if ff := e.socialLocked().friendFolders[parent.id]; ff != nil && ff.node == parent {
		return e.sharedTopsLocked(ff.friend, a)
	}
	return parent.children
}

// friendSharedFolder serves GET /v2/friends/{name}/files: the caller's
// SHARED_FRIEND folder for that friend, null while the friend shares
// nothing with it. App tokens may read it (SDK live suite).
func (e *Emulator) friendSharedFolder(c *call) {
	name := c.r.PathValue("name")
	c.locked(func(url.Values) (obj, error) {
		friend := e.accountNamedLocked(name)
		if friend == nil || !e.socialLocked().areFriends(c.acct, friend) {
			return nil, errNotFound("friend " + name)
		}
		if len(e.sharedTopsLocked(friend, c.acct)) == 0 {
			return obj{"file": nil}, nil
		}
		return obj{"file": fileJSON(e.friendFolderLocked(c.acct, friend).node)}, nil
	})
}

// cloneTask is a sharing/clone request; the emulator copies at once, so
// a task is DONE or ERROR from the start.
type cloneTask struct {
	id    int64
	acct  *account
	error string // "" when done
}

// cloneShared serves POST /v2/sharing/clone: copies items friends share
// with the caller (file_ids) into its folder parent_id (default the root).
func (e *Emulator) cloneShared(c *call) {
	c.locked(func(v url.Values) (obj, error) {
		if v.Get("cursor") != "" {
			return nil, errBadRequest("BadRequest", "cloning by cursor is not emulated; send file_ids")
		}
		ids, err := idsParam(v, "file_ids")
		if err != nil {
			return nil, err
		}
		parentID, err := intParam(v, "parent_id", 0)
		if err != nil {
			return nil, err
		}
		parent, err := e.lookupFolder(c.acct, parentID)
		if err != nil {
			return nil, err
		}
		sources := make([]*node, len(ids))
		for i, id := range ids {
			n := e.readableLocked(c.acct, id)
			if n == nil || n.acct == c.acct {
				return nil, errNotFound("item " + itoa(id) + " shared with you")
			}
			sources[i] = n
		}
		s := e.socialLocked()
		task := &cloneTask{id: s.nextClone, acct: c.acct}
		s.nextClone++
		s.clones[task.id] = task
		if err := e.cloneInto(parent, sources); err != nil {
			task.error = err.Error()
		}
		return obj{"id": task.id}, nil
	})
}

// cloneInto copies sources under parent, stopping at the first failure
// (a name taken, no room).
func (e *Emulator) cloneInto(parent *node, sources []*node) error {
	var need int64
	for _, src := range sources {
		need += src.totalSize()
	}
	if avail := parent.acct.avail(e.opts.Quota); need > avail {
		return errQuota(need, avail)
	}
	for _, src := range sources {
		if err := checkFree(parent, src.name, nil); err != nil {
			return err
		}
		if _, err := e.copyNode(src, parent, src.name); err != nil {
			return err
		}
	}
	return nil
}

// cloneInfo serves GET /v2/sharing/clone/{id}; a task of no one's or of
// another account is 404 SHARED_FILE_CLONE_NOT_FOUND (SDK live suite).
func (e *Emulator) cloneInfo(c *call) {
	c.withID(func(id int64, _ url.Values) (obj, error) {
		task := e.socialLocked().clones[id]
		if task == nil || task.acct != c.acct {
			return nil, &apiError{http.StatusNotFound, "SHARED_FILE_CLONE_NOT_FOUND", "no clone task " + itoa(id)}
		}
		if task.error != "" {
			return obj{"shared_file_clone_status": "ERROR", "error_msg": task.error}, nil
		}
		return obj{"shared_file_clone_status": "DONE"}, nil
	})
}
