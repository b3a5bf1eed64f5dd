package putio

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/api"
	"github.com/rclone/rclone/fs"
)

// copyViaTempName handles a copy refused for a name clash (real or the
// spurious one put.io is known for). put.io has no atomic overwrite, so:
// copy under a temporary name; move the file in the way aside under
// another temporary name; rename the copy to leaf; only then delete the
// old file. Until the last step both files exist, so no failure can lose
// the only copy of anything, and a failed step puts the old file back (see
// abandon): leaf is never left empty while the old file survives.
func (f *Fs) copyViaTempName(ctx context.Context, src *Object, dirID, leaf string) (*api.File, error) {
	suffix := strconv.FormatInt(time.Now().UnixNano()%1e8, 36)
	r := replacement{f: f, dirID: dirID, leaf: leaf, tempLeaf: f.tempName(leaf, ".rclone-copy-"+suffix)}
	item, err := f.copyItem(ctx, src, dirID, r.tempLeaf)
	if hasType(err, errTypeNameTooLong) {
		return nil, fs.ErrorCantCopy // rclone downloads and uploads instead
	}
	if err != nil {
		return nil, err
	}
	r.copy = item.ID
	old, err := f.find(ctx, itemSpec{dirID: dirID, leaf: leaf})
	switch {
	case err != nil || old == nil:
	case old.ID == src.info.ID:
		err = fmt.Errorf("putio: can't copy %q onto itself", leaf)
	case old.IsDir():
		err = fmt.Errorf("putio: can't copy over folder %q", leaf)
	default:
		r.old, r.asideLeaf = old, f.tempName(leaf, ".rclone-old-"+suffix)
	}
	if err == nil {
		err = r.run(ctx)
	} else {
		err = r.abandon(ctx, err)
	}
	if err != nil {
		return nil, err
	}
	item.Name = f.serverName(leaf)
	return item, nil
}

// replacement is one copy over an existing file, in progress.
type replacement struct {
	f         *Fs
	dirID     string
	leaf      string
	copy      api.ID // the new copy, named tempLeaf until it is renamed
	tempLeaf  string
	old       *api.File // the file in the way, if any, moved to asideLeaf
	asideLeaf string
}

// run moves the old file aside, the copy into place and deletes the old
// file, unless another client has moved it meanwhile (deleteReplaced).
// The copy is in place once the rename succeeds, so a failing delete is
// logged and counted, not returned: an error would have rclone redo it.
func (r *replacement) run(ctx context.Context) error {
	if r.old != nil {
		if err := r.f.rename(ctx, r.old.ID, r.dirID, r.asideLeaf); err != nil {
			return r.abandon(ctx, err)
		}
	}
	if err := r.f.rename(ctx, r.copy, r.dirID, r.leaf); err != nil {
		return r.abandon(ctx, err)
	}
	if r.old == nil {
		return nil
	}
	if err := r.f.deleteReplaced(ctx, r.old.ID, r.dirID, r.f.serverName(r.asideLeaf)); err != nil {
		fs.Errorf(r.f, "copied %q, but the file it replaced is still there as %q: %v", r.leaf, r.asideLeaf, err)
		_ = fs.CountError(ctx, err)
	}
	return nil
}

// abandon undoes a replacement after cause. It looks at leaf: the old
// file goes back there if it was moved aside, and the temporary copy is
// deleted, past the trash, only once leaf is proven to hold something
// else. When that can't be proven, nothing is deleted and the error names
// where each file is.
func (r *replacement) abandon(ctx context.Context, cause error) error {
	at, err := r.f.find(ctx, itemSpec{dirID: r.dirID, leaf: r.leaf})
	switch {
	case err != nil:
		return r.kept(cause, fmt.Sprintf("checking %q failed (%v)", r.leaf, err))
	case at != nil && at.ID == r.copy:
		return r.kept(cause, "the copy is in place")
	case at != nil && r.old != nil && at.ID != r.old.ID:
		return r.kept(cause, "another file has taken the name")
	case at == nil && r.old != nil:
		if err := r.restoreOld(ctx); err != nil {
			return r.kept(cause, fmt.Sprintf("putting the old file back failed (%v)", err))
		}
	}
	reportLeftover(ctx, "removing the temporary copy "+r.tempLeaf, r.f.discardTemp(ctx, r.copy.String()))
	return cause
}

// restoreOld renames the old file back to leaf, with its modification
// time, which a rename may reset.
func (r *replacement) restoreOld(ctx context.Context) error {
	if err := r.f.rename(ctx, r.old.ID, r.dirID, r.leaf); err != nil {
		return err
	}
	if t := r.old.ModTime(); !t.IsZero() {
		reportLeftover(ctx, "restoring the modification time of "+r.leaf, r.f.touch(ctx, r.old.ID.String(), t))
	}
	return nil
}

// kept is the error for a replacement that stopped with both files kept.
func (r *replacement) kept(cause error, state string) error {
	where := fmt.Sprintf("the new copy is id %s (named %q unless in place)", r.copy, r.tempLeaf)
	if r.old != nil {
		where += fmt.Sprintf(", the old file id %s (named %q)", r.old.ID, r.asideLeaf)
	}
	// Not tried again by rclone: another copy would only add to what the
	// user has to sort out.
	return &unsettledError{fmt.Errorf("putio: copying to %q stopped with nothing deleted, as %s; %s; check the folder and remove what you don't want: %w", r.leaf, state, where, cause)}
}

// tempName is leaf with suffix, leaf shortened so that put.io's name limit
// holds for the name sent.
func (f *Fs) tempName(leaf, suffix string) string {
	runes := []rune(leaf)
	for len(runes) > 0 && len(f.serverName(string(runes)+suffix)) > maxNameBytes {
		runes = runes[:len(runes)-1]
	}
	return string(runes) + suffix
}
