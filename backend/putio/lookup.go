package putio

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/api"
	"golang.org/x/text/unicode/norm"
)

// itemSpec names the item a lookup seeks: the item of an id, looked up
// by id, or one in the folder dirID. A zero field asks nothing.
type itemSpec struct {
	id        api.ID   // the item of this id, asked for by id
	dirID     string   // the folder it is in
	leaf      string   // its name as rclone spells it (see isNamed)
	name      string   // its name as put.io holds it, compared after NFC, asked in a listing
	kind      itemKind // a file, a folder, or either
	notID     api.ID   // never this item (a copy's source, the version an upload replaces)
	newerThan api.ID   // only an item made after this one: put.io's ids grow
	sized     bool     // size is asked
	size      int64
	crc32     string    // CRC-32, compared as put.io may case it
	modTime   time.Time // an item that has a modification time has this one, to the second
	// createdSince, when set, is the earliest creation time an item that
	// has one may have. It is asked as each listed page arrives, so it
	// may read the API's clock off that very reply.
	createdSince func() time.Time
	// newest asks for the newest match in a listing of dirID: the one
	// item child?name= answers could be an older duplicate.
	newest bool
}

// itemKind is the kind of item a spec seeks.
type itemKind int

const (
	anyKind itemKind = iota
	fileKind
	folderKind
)

// matches reports whether item is what s seeks, its name aside: an answer
// to child?name= is taken under the name asked, which isNamed may spell
// otherwise.
func (s *itemSpec) matches(item *api.File) bool {
	switch {
	case item == nil,
		s.kind == fileKind && item.IsDir(),
		s.kind == folderKind && !item.IsDir(),
		s.id != 0 && (item.ID != s.id || s.dirID != "" && item.ParentID.String() != s.dirID),
		s.name != "" && norm.NFC.String(item.Name) != norm.NFC.String(s.name),
		s.notID != 0 && item.ID == s.notID,
		s.newerThan != 0 && item.ID <= s.newerThan,
		s.sized && item.Size != s.size,
		s.crc32 != "" && !strings.EqualFold(item.CRC32, s.crc32),
		!s.modTime.IsZero() && !item.UpdatedAt.IsZero() && !item.ModTime().Equal(s.modTime.UTC().Truncate(time.Second)),
		s.createdSince != nil && !item.CreatedAt.IsZero() && item.CreatedAt.Before(s.createdSince()):
		return false
	}
	return true
}

// fits reports whether item is what s seeks, its name included.
func (f *Fs) fits(s *itemSpec, item *api.File) bool {
	return s.matches(item) && (s.leaf == "" || f.isNamed(item, s.leaf))
}

// lookup finds items by spec, each call either tried once (a mutation's
// probe, which the pacer repeats) or retried through the pacer.
type lookup struct {
	f    *Fs
	call func(ctx context.Context, call apiCall, out reply) error
}

// find is the lookup for callers outside the mutation path: each call is
// retried.
func (f *Fs) find(ctx context.Context, s itemSpec) (*api.File, error) {
	return lookup{f: f, call: f.callJSON}.item(ctx, s)
}

// probe is the lookup of a mutation's done probe: one try of a call by
// id or name. A listing's pages are retried all the same, as a listing
// cut short would start over.
func (f *Fs) probe(ctx context.Context, s itemSpec) (*api.File, error) {
	return lookup{f: f, call: f.attemptJSON}.item(ctx, s)
}

// item finds the item s seeks: by id, else by child?name= when s has a
// name to ask and the answer can settle it, else in a listing of s.dirID.
// child?name= answers only the newest item of a name, so an answer under
// the name asked that is not a match settles nothing: the match may be an
// older item of the name (a copy another device's newer upload hides, a
// folder a file hides), which only a listing shows. No item and no error is an
// answer: put.io has no such item (404, or an item lost for good). A look
// that can't tell is an error, never "absent".
func (l lookup) item(ctx context.Context, s itemSpec) (*api.File, error) {
	switch {
	case s.id == 0 && s.dirID == "":
		return nil, errors.New("putio: a lookup needs an item id or a folder to look in")
	case s.id != 0:
		item, err := l.answer(ctx, itemCall(s.id.String()))
		if err != nil || !l.f.fits(&s, item) {
			return nil, err
		}
		return item, nil
	case s.leaf != "" && !s.newest:
		item, hidden, err := l.named(ctx, s)
		if err != nil || item != nil || !hidden {
			return item, err
		}
	}
	return l.listed(ctx, s)
}

// named asks child?name= for s.leaf under each name put.io may hold it by
// (serverName, then otherSpellings) until one answers with a match: a
// few calls, never a listing, so a new name costs little. An answer under
// another spelling counts only if it is called leaf, as put.io may decode
// a spelling into another name. hidden reports an answer under the name
// asked first that did not match: the item sought may be an older item of
// that name, which child?name= does not answer.
func (l lookup) named(ctx context.Context, s itemSpec) (item *api.File, hidden bool, err error) {
	for i, name := range append([]string{l.f.serverName(s.leaf)}, l.f.otherSpellings(s.leaf)...) {
		answer, err := l.answer(ctx, childCall(s.dirID, name))
		switch {
		case err != nil:
			return nil, false, err
		case answer == nil:
			continue
		case s.matches(answer) && (i == 0 || l.f.isNamed(answer, s.leaf)):
			return answer, false, nil
		case i == 0:
			// put.io holds the name asked: another spelling is another item.
			return nil, true, nil
		}
	}
	return nil, false, nil
}

// answer makes a call answering with one item: none if put.io has no
// such item (404, or lost for good).
func (l lookup) answer(ctx context.Context, call apiCall) (*api.File, error) {
	var out api.FileReply
	err := l.call(ctx, call, &out)
	if isNotFound(err) {
		return nil, nil
	}
	return out.File, err
}

// listed finds s in a listing of s.dirID: the first match, or the newest
// if s asks for it. A listing that fails is an error even after a match,
// unless the match settles the look.
func (l lookup) listed(ctx context.Context, s itemSpec) (*api.File, error) {
	var found *api.File
	err := l.f.listPages(ctx, s.dirID, l.f.pageSize, func(items []api.File, _ int) error {
		for i := range items {
			item := &items[i]
			if !l.f.fits(&s, item) {
				continue
			}
			if !s.newest {
				found = item
				return errStopListing
			}
			if found == nil || item.ID > found.ID {
				found = item
			}
		}
		return nil
	})
	if found != nil && !s.newest {
		return found, nil
	}
	if err != nil {
		return nil, err
	}
	return found, nil
}

// errStopListing ends a listing early once it has found what it wanted.
var errStopListing = errors.New("listing stopped")

// itemCall looks an item up by id.
func itemCall(id string) apiCall {
	return apiCall{method: http.MethodGet, path: itemPath(id, "")}
}

// childCall looks up the item put.io calls name in the folder dirID.
func childCall(dirID, name string) apiCall {
	return apiCall{method: http.MethodGet, path: itemPath(dirID, "/child"), query: url.Values{"name": {name}, "hidden": {showHidden}}}
}
