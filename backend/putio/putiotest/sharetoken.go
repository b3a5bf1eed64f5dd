package putiotest

import (
	"net/http"
	"net/url"
)

// The share-token side of public shares: whoever holds a share's token
// sends it as the access token and sees the shared item and, for a
// folder, what lies under it; nothing else of the owner's account.

// shareOf finds the live, unexpired share whose token the request
// carries. Call with e.mu held.
func (e *Emulator) shareOf(c *call) (*publicShare, *node, error) {
	if c.token == "" {
		return nil, nil, &apiError{http.StatusUnauthorized, "Unauthorized", "no share token: send it as Authorization: token <share token> or ?oauth_token="}
	}
	for _, s := range e.shares {
		if s.token != c.token || e.opts.Now().After(s.expires) {
			continue
		}
		top := e.lookup(s.acct, s.fileID)
		if top == nil {
			return nil, nil, errNotFound("the shared item")
		}
		return s, top, nil
	}
	return nil, nil, &apiError{http.StatusUnauthorized, "Unauthorized", "the share token is unknown, deleted or expired; ask the owner for a new link"}
}

// sharedLocked runs fn with the request's share under the state lock.
func (c *call) sharedLocked(fn func(v url.Values, s *publicShare, top *node) (obj, error)) {
	c.locked(func(v url.Values) (obj, error) {
		s, top, err := c.e.shareOf(c)
		if err != nil {
			return nil, err
		}
		return fn(v, s, top)
	})
}

// inShare finds item id within the shared item's subtree.
func (e *Emulator) inShare(s *publicShare, top *node, id int64) (*node, error) {
	n := e.lookup(s.acct, id)
	if n == nil || !isAncestor(top, n) {
		return nil, errNotFound("item " + itoa(id) + " of this share")
	}
	return n, nil
}

// getPublicShare serves GET /v2/public_share.
func (e *Emulator) getPublicShare(c *call) {
	c.sharedLocked(func(_ url.Values, s *publicShare, _ *node) (obj, error) {
		return obj{"public_share": e.shareJSON(s)}, nil
	})
}

// listShareFiles serves GET /v2/public_share/files/list: a folder of the
// share (parent_id, by default the shared item).
func (e *Emulator) listShareFiles(c *call) {
	c.sharedLocked(func(v url.Values, s *publicShare, top *node) (obj, error) {
		parentID, err := intParam(v, "parent_id", top.id)
		if err != nil {
			return nil, err
		}
		n, err := e.perPage(v, defaultPerPage)
		if err != nil {
			return nil, err
		}
		parent, err := e.inShare(s, top, parentID)
		if err != nil {
			return nil, err
		}
		cur := cursor{Kind: "share", User: s.acct.userID, Parent: parent.id, PerPage: n, Types: v.Get("file_type"), Share: s.id}
		reply := e.pageReply(parent.children, cur)
		reply["parent"] = fileJSON(parent)
		e.parentMediaFields(c.r, reply["parent"].(obj), parent, v)
		if flagParam(v, "total") {
			reply["total"] = countAllowed(parent.children, cur)
		}
		return reply, nil
	})
}

// continueShareFiles serves POST /v2/public_share/files/list/continue.
func (e *Emulator) continueShareFiles(c *call) {
	c.sharedLocked(func(v url.Values, s *publicShare, top *node) (obj, error) {
		cur, err := e.continuation(v, "share", s.acct)
		if err == nil && cur.Share != s.id {
			err = errBadRequest("INVALID_CURSOR", "the cursor belongs to another share; start the listing again")
		}
		if err != nil {
			return nil, err
		}
		parent, err := e.inShare(s, top, cur.Parent)
		if err != nil {
			return nil, err
		}
		return e.pageReply(parent.children, cur), nil
	})
}

// shareFileURL serves GET /v2/public_share/files/{id}/url.
func (e *Emulator) shareFileURL(c *call) {
	id, ok := c.idVar()
	if !ok {
		return
	}
	c.sharedLocked(func(_ url.Values, s *publicShare, top *node) (obj, error) {
		n, err := e.inShare(s, top, id)
		if err != nil {
			return nil, err
		}
		if n.dir {
			return nil, errBadRequest("NotFile", "item "+itoa(id)+" is a folder; only files can be downloaded")
		}
		return obj{"url": e.signedURL(c.r, n)}, nil
	})
}
