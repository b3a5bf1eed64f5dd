package putio

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/api"
	"github.com/rclone/rclone/fs"
)

// deleteItems removes items by id, to the trash unless hard_delete is set.
func (f *Fs) deleteItems(ctx context.Context, ids ...string) error {
	return f.delete(ctx, ids, f.opt.HardDelete)
}

// discardTemp deletes for good a temporary copy the backend made itself,
// so that it does not linger in the trash either.
func (f *Fs) discardTemp(ctx context.Context, id string) error {
	return f.delete(ctx, []string{id}, true)
}

// delete removes items by id, past the trash if skipTrash, and has the
// caches follow changes. An item put.io no longer has is deleted: once a
// try may have worked, the next deletes only the items still there, if
// any.
func (f *Fs) delete(ctx context.Context, ids []string, skipTrash bool, changes ...folderChange) error {
	call := apiCall{method: http.MethodPost, path: "/v2/files/delete"}
	if skipTrash {
		// A query flag, as the official SDK sends it.
		call.query = url.Values{"skip_trash": {"1"}}
	}
	return f.mutateItems(ctx, call, ids, func(id string) (bool, error) {
		item, err := f.probe(ctx, itemSpec{id: parseID(id)})
		return item == nil, err
	}, changes...)
}

// purgeCheck removes dir, refusing a non-empty one when check is set. The
// folder is looked up afresh first (one lookup per level of dir): an id
// remembered for dir may be of a folder another device has since moved or
// renamed, and files/delete would remove it wherever it is now.
func (f *Fs) purgeCheck(ctx context.Context, dir string, check bool) error {
	dirID, err := f.resolveAfresh(ctx, dir)
	if err != nil {
		return err
	}
	if dirID == rootID {
		return errors.New("putio: can't remove the root folder")
	}
	if check {
		if err := f.checkEmpty(ctx, dirID); err != nil {
			return err
		}
	}
	return notFoundAs(f.delete(ctx, []string{dirID}, f.opt.HardDelete, movesAway(f, dir)), fs.ErrorDirNotFound)
}

// checkEmpty fails unless dirID is proven to have no children, reading one
// item per page. files/delete is recursive, so anything short of proof
// keeps the folder: a malformed item is still an item, and an empty page
// that carries a cursor is not the end of the listing.
func (f *Fs) checkEmpty(ctx context.Context, dirID string) error {
	return f.listPages(ctx, dirID, 1, func(items []api.File, skipped int) error {
		if len(items)+skipped > 0 {
			return fs.ErrorDirectoryNotEmpty
		}
		return nil
	})
}

// Rmdir removes the empty folder dir.
func (f *Fs) Rmdir(ctx context.Context, dir string) error {
	return f.purgeCheck(ctx, dir, true)
}

// Purge removes dir and everything in it with one call.
func (f *Fs) Purge(ctx context.Context, dir string) error {
	return f.purgeCheck(ctx, dir, false)
}

// serverSideTarget checks src is one of our Objects in the same put.io
// account (else notOurs) and finds, creating it if needed, the folder of
// remote.
func (f *Fs) serverSideTarget(ctx context.Context, src fs.Object, remote string, notOurs error) (srcObj *Object, leaf, dirID string, err error) {
	srcObj, ok := src.(*Object)
	if !ok {
		return nil, "", "", notOurs
	}
	if !f.sameAccount(ctx, srcObj.fs) {
		return nil, "", "", notOurs
	}
	leaf, dirID, err = f.dirCache.FindPath(ctx, remote, true)
	return srcObj, leaf, dirID, err
}

// Copy src to remote server-side: a copy straight to the final name and a
// touch to restore the modification time, which put.io resets.
func (f *Fs) Copy(ctx context.Context, src fs.Object, remote string) (fs.Object, error) {
	remembered := f.remembersPathTo(remote)
	srcObj, leaf, dirID, err := f.serverSideTarget(ctx, src, remote, fs.ErrorCantCopy)
	if err != nil {
		return nil, err
	}
	item, err := f.copyItem(ctx, srcObj, dirID, leaf)
	if hasType(err, errTypeNameExists) {
		item, err = f.copyOver(ctx, srcObj, remote, dirID, leaf, remembered)
	}
	if err != nil {
		return nil, goneAs(err, fs.ErrorObjectNotFound)
	}
	dst := f.newObject(remote, item)
	dst.restoreModTime(ctx, "copied", srcObj.ModTime(ctx))
	return dst, nil
}

// copyOver copies src over the file leaf already has in dirID, the folder
// of remote, which the copy replaces (deletes). If dirID was found through
// a remembered id, remote's folder is looked up afresh first: a folder
// another device moved away from the path keeps its files.
func (f *Fs) copyOver(ctx context.Context, src *Object, remote, dirID, leaf string, remembered bool) (*api.File, error) {
	if !remembered {
		return f.copyViaTempName(ctx, src, dirID, leaf)
	}
	there, err := f.stillAt(ctx, parentOf(remote), dirID)
	switch {
	case err != nil:
		return nil, err
	case !there:
		return nil, fmt.Errorf("putio: not copying over %q: another device has moved or replaced its folder since it was found; try again", remote)
	}
	return f.copyViaTempName(ctx, src, dirID, leaf)
}

// copyItem copies src into dirID as leaf and returns the new item. The
// copy adds a name this Fs does not track to dirID. A reply
// without the item is tolerated, as the copy exists by then: it is looked
// up as a copy of src, not by name alone, as another device may have put
// a newer file of the name there. Once a try may have worked, the copy is
// looked for before the next is sent.
func (f *Fs) copyItem(ctx context.Context, src *Object, dirID, leaf string) (*api.File, error) {
	name := f.serverName(leaf)
	out := api.FileReply{AllowMissing: true}
	err := f.mutateJSON(ctx, apiCall{
		method: http.MethodPost,
		path:   "/v2/files/copy",
		form:   url.Values{"file_id": {src.id()}, "parent_id": {dirID}, "name": {name}},
	}, &out, func() (bool, error) {
		if src.info.CRC32 == "" {
			return false, nil // without a CRC-32 nothing is taken for a copy
		}
		item, err := f.probe(ctx, copySpec(src, dirID, leaf))
		out.File = item
		return item != nil, err
	}, addsUntracked(dirID))
	if err != nil || out.File != nil {
		return out.File, err
	}
	item, err := f.find(ctx, copySpec(src, dirID, leaf))
	if err == nil && item == nil {
		err = fmt.Errorf("putio: the copy of %q was reported made, but no copy of it is called %q in its folder", src.remote, leaf)
	}
	return item, err
}

// copySpec seeks a copy of src called leaf in dirID: a file of its size
// and CRC-32 with another id.
func copySpec(src *Object, dirID, leaf string) itemSpec {
	return itemSpec{dirID: dirID, leaf: leaf, kind: fileKind, notID: src.info.ID, sized: true, size: src.info.Size, crc32: src.info.CRC32}
}

// rename gives the item id in dirID the name leaf.
func (f *Fs) rename(ctx context.Context, id api.ID, dirID, leaf string) error {
	name := f.serverName(leaf)
	return f.mutateJSON(ctx, apiCall{
		method: http.MethodPost,
		path:   "/v2/files/rename",
		form:   url.Values{"file_id": {id.String()}, "name": {name}},
	}, &api.Empty{}, f.placedProbe(ctx, id, dirID, leaf))
}

// moveItem moves and renames one item, and has the caches follow
// changes: the move adds a name this Fs does not track to dirID, and
// whatever else the caller names. files/move can report a failure with
// HTTP 200, so the body is checked too.
func (f *Fs) moveItem(ctx context.Context, id, dirID, leaf string, changes ...folderChange) error {
	name := f.serverName(leaf)
	call := apiCall{
		method: http.MethodPost,
		path:   "/v2/files/move",
		form:   url.Values{"file_id": {id}, "parent_id": {dirID}, "name": {name}},
	}
	return f.mutate(ctx, mutation{what: call.what(), done: f.placedProbe(ctx, parseID(id), dirID, leaf), changes: append(changes, addsUntracked(dirID)), attempt: func() error {
		var out api.MoveReply
		if err := f.attemptJSON(ctx, call, &out); err != nil {
			return err
		}
		return out.Err()
	}})
}

// Move src to remote server-side: one move and a touch, as put.io resets
// the modification time. The item keeps its id.
func (f *Fs) Move(ctx context.Context, src fs.Object, remote string) (fs.Object, error) {
	srcObj, leaf, dirID, err := f.serverSideTarget(ctx, src, remote, fs.ErrorCantMove)
	if err != nil {
		return nil, err
	}
	if err := f.moveItem(ctx, srcObj.id(), dirID, leaf); err != nil {
		return nil, goneAs(err, fs.ErrorObjectNotFound)
	}
	item := srcObj.info
	item.Name = f.serverName(leaf)
	item.ParentID = parseID(dirID)
	dst := f.newObject(remote, &item)
	dst.restoreModTime(ctx, "moved", srcObj.ModTime(ctx))
	return dst, nil
}

// restoreModTime puts back the modification time put.io reset on a copy
// or move. The file is in place by then, so a failure is logged and
// counted, not returned: an error would have rclone redo a finished move
// or copy, with the source gone or a second copy made.
func (o *Object) restoreModTime(ctx context.Context, done string, modTime time.Time) {
	if modTime.IsZero() {
		return // put.io gave the source no time: writing year 1 would be worse than its reset
	}
	err := o.SetModTime(ctx, modTime)
	if err == nil {
		return
	}
	o.info.UpdatedAt = api.Time{Time: time.Now().UTC().Truncate(time.Second)} // what put.io set
	fs.Errorf(o, "%s, but its modification time could not be restored: %v", done, err)
	_ = fs.CountError(ctx, err)
}

// parseID turns a dircache id back into an api.ID.
func parseID(id string) api.ID {
	n, _ := strconv.ParseInt(id, 10, 64)
	return api.ID(n)
}

// DirMove moves the folder srcRemote of src to dstRemote in one call,
// after a fresh lookup of the source.
func (f *Fs) DirMove(ctx context.Context, src fs.Fs, srcRemote, dstRemote string) error {
	srcFs, ok := src.(*Fs)
	if !ok || !f.sameAccount(ctx, srcFs) {
		return fs.ErrorCantDirMove
	}
	// The source is moved by id: look it up afresh, as purgeCheck does, so
	// that a folder another device moved away from srcRemote stays put.
	if _, err := srcFs.resolveAfresh(ctx, srcRemote); err != nil {
		return err
	}
	srcID, _, _, dstDirID, dstLeaf, err := f.dirCache.DirMove(ctx, srcFs.dirCache, srcFs.root, srcRemote, f.root, dstRemote)
	if err != nil {
		return err
	}
	return goneAs(f.moveItem(ctx, srcID, dstDirID, dstLeaf, movesAway(srcFs, srcRemote)), fs.ErrorDirNotFound)
}
