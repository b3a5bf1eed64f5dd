package putiotest

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// publicShareLife is the expiry of a share created without
// expiration_date; put.io's default is not on record.
const publicShareLife = 30 * 24 * time.Hour

// publicShare is a public link to a file or folder.
type publicShare struct {
	id      int64
	acct    *account
	fileID  int64
	token   string
	created time.Time
	expires time.Time
}

func (e *Emulator) shareJSON(s *publicShare) obj {
	f := e.nodes[s.fileID]
	return obj{
		"id":              s.id,
		"token":           s.token,
		"push_token":      "",
		"created_at":      formatTime(s.created),
		"expiration_date": formatTime(s.expires),
		"owner":           obj{"name": s.acct.username},
		"user_file":       obj{"id": f.id, "name": f.name, "file_type": fileJSON(f)["file_type"]},
	}
}

// createShare serves POST /v2/public_share/{id}, {id} being a file id.
func (e *Emulator) createShare(c *call) {
	id, ok := c.idVar()
	if !ok {
		return
	}
	c.locked(func(v url.Values) (obj, error) {
		n := e.lookup(c.acct, id)
		if n == nil {
			return nil, errNotFound("file " + itoa(id))
		}
		if n.parent == nil {
			return nil, errBadRequest("PUBLIC_SHARE_FOLDER_ROOT_NOT_ALLOWED", "the root folder cannot be shared publicly")
		}
		now := e.now()
		expires, err := parseExpiration(v.Get("expiration_date"), now)
		if err != nil {
			return nil, err
		}
		s := &publicShare{id: e.nextShare, acct: c.acct, fileID: id, token: randomHex(10), created: now, expires: expires}
		e.nextShare++
		e.shares[s.id] = s
		return obj{"public_share": e.shareJSON(s)}, nil
	})
}

// parseExpiration takes RFC 3339 or a plain date (end of that day, UTC).
func parseExpiration(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return now.Add(publicShareLife), nil
	}
	if day, err := time.Parse(time.DateOnly, s); err == nil {
		return day.Add(24*time.Hour - time.Second), nil
	}
	t, err := parseClientTime(s)
	if err != nil {
		return time.Time{}, errBadRequest("BadRequest", "expiration_date must be RFC 3339 or YYYY-MM-DD, got "+strconv.Quote(s))
	}
	return t, nil
}

// listShares serves GET /v2/public_share/list.
func (e *Emulator) listShares(c *call) {
	c.locked(func(url.Values) (obj, error) {
		var mine []*publicShare
		for _, s := range e.shares {
			if s.acct == c.acct {
				mine = append(mine, s)
			}
		}
		slices.SortFunc(mine, func(a, b *publicShare) int { return cmp.Compare(a.id, b.id) })
		out := make([]obj, len(mine))
		for i, s := range mine {
			out[i] = e.shareJSON(s)
		}
		return obj{"public_shares": out}, nil
	})
}

// deleteShare serves DELETE /v2/public_share/{id}, {id} being a share id.
func (e *Emulator) deleteShare(c *call) {
	id, ok := c.idVar()
	if !ok {
		return
	}
	c.locked(func(url.Values) (obj, error) {
		s := e.shares[id]
		if s == nil || s.acct != c.acct {
			return nil, &apiError{http.StatusNotFound, "NotFound", "public share " + itoa(id) + " not found"}
		}
		delete(e.shares, id)
		return nil, nil
	})
}

// forgetShares drops the shares of a file deleted for good.
func (e *Emulator) forgetShares(fileID int64) {
	if len(e.shares) == 0 {
		return // the common case; purge calls this for every item
	}
	for id, s := range e.shares {
		if s.fileID == fileID {
			delete(e.shares, id)
		}
	}
}
