package putio

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/api"
	"github.com/rclone/rclone/fs"
)

// deleteItems removes items by id, to the trash unless hard_delete is set.
func (f *Fs) deleteItems(ctx context.Context, ids ...string) error {
	call := apiCall{method: http.MethodPost, path: "/v2/files/delete", form: url.Values{"file_ids": {strings.Join(ids, ",")}}}
	if f.opt.HardDelete {
		// A query flag, as the official SDK sends it.
		call.query = url.Values{"skip_trash": {"1"}}
	}
	return f.callJSON(ctx, call, &api.Empty{})
}

// purgeCheck removes dir, refusing a non-empty one when check is set.
func (f *Fs) purgeCheck(ctx context.Context, dir string, check bool) error {
	dirID, err := f.dirCache.FindDir(ctx, dir, false)
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
	if err := f.deleteItems(ctx, dirID); err != nil {
		return notFoundAs(err, fs.ErrorDirNotFound)
	}
	f.dirCache.FlushDir(dir)
	return nil
}

// checkEmpty fails unless dirID has no children; one item is enough to tell.
func (f *Fs) checkEmpty(ctx context.Context, dirID string) error {
	errStop := errors.New("stop")
	err := f.listPages(ctx, dirID, 1, func(items []api.File) error {
		if len(items) > 0 {
			return fs.ErrorDirectoryNotEmpty
		}
		return errStop
	})
	if errors.Is(err, errStop) {
		return nil
	}
	return err
}

// Rmdir removes the empty folder dir.
func (f *Fs) Rmdir(ctx context.Context, dir string) error {
	return f.purgeCheck(ctx, dir, true)
}

// Purge removes dir and everything in it with one call.
func (f *Fs) Purge(ctx context.Context, dir string) error {
	return f.purgeCheck(ctx, dir, false)
}

// serverSideTarget checks src is one of our Objects on the same server
// (else notOurs) and finds, creating it if needed, the folder of remote.
func (f *Fs) serverSideTarget(ctx context.Context, src fs.Object, remote string, notOurs error) (srcObj *Object, leaf, dirID string, err error) {
	srcObj, ok := src.(*Object)
	if !ok || srcObj.fs.opt.APIURL != f.opt.APIURL {
		return nil, "", "", notOurs
	}
	leaf, dirID, err = f.dirCache.FindPath(ctx, remote, true)
	return srcObj, leaf, dirID, err
}

// Copy src to remote server-side: a copy straight to the final name and a
// touch to restore the modification time, which put.io resets.
func (f *Fs) Copy(ctx context.Context, src fs.Object, remote string) (fs.Object, error) {
	srcObj, leaf, dirID, err := f.serverSideTarget(ctx, src, remote, fs.ErrorCantCopy)
	if err != nil {
		return nil, err
	}
	item, err := f.copyItem(ctx, srcObj.id(), dirID, leaf)
	if hasType(err, errTypeNameExists) {
		item, err = f.copyViaTempName(ctx, srcObj.id(), dirID, leaf)
	}
	if err != nil {
		return nil, err
	}
	dst := f.newObject(remote, item)
	return dst, dst.setModTime(ctx, srcObj.ModTime(ctx))
}

// copyItem copies id into dirID as leaf and returns the new item. A reply
// without the item is tolerated, as the copy exists by then: it is looked
// up by name instead.
func (f *Fs) copyItem(ctx context.Context, id, dirID, leaf string) (*api.File, error) {
	out := api.FileReply{AllowMissing: true}
	err := f.callJSON(ctx, apiCall{
		method: http.MethodPost,
		path:   "/v2/files/copy",
		form:   url.Values{"file_id": {id}, "parent_id": {dirID}, "name": {f.opt.Enc.FromStandardName(leaf)}},
	}, &out)
	if err != nil || out.File != nil {
		return out.File, err
	}
	return f.getChild(ctx, dirID, leaf)
}

// copyViaTempName handles a copy refused for a name clash (real or the
// spurious one put.io is known for): copy under a temporary name, and
// only once that copy exists delete the file in the way and rename.
func (f *Fs) copyViaTempName(ctx context.Context, id, dirID, leaf string) (*api.File, error) {
	tempLeaf := leaf + ".rclone-copy-" + strconv.FormatInt(time.Now().UnixNano()%1e8, 36)
	item, err := f.copyItem(ctx, id, dirID, tempLeaf)
	if err != nil {
		return nil, err
	}
	existing, err := f.getChild(ctx, dirID, leaf)
	switch {
	case err == nil && existing.ID.String() == id:
		logIgnored(nil, "removing the temporary copy", f.deleteItems(ctx, item.ID.String()))
		return nil, fmt.Errorf("putio: can't copy %q onto itself", leaf)
	case err == nil && existing.IsDir():
		return nil, fmt.Errorf("putio: can't copy over folder %q; the copy is kept as %q", leaf, tempLeaf)
	case err == nil:
		err = f.deleteItems(ctx, existing.ID.String())
	case hasStatus(err, http.StatusNotFound):
		err = nil
	}
	if err == nil {
		err = f.rename(ctx, item.ID.String(), leaf)
	}
	if err != nil {
		return nil, fmt.Errorf("putio: copy kept as %q: %w", tempLeaf, err)
	}
	item.Name = f.opt.Enc.FromStandardName(leaf)
	return item, nil
}

// rename gives the item id a new name in place.
func (f *Fs) rename(ctx context.Context, id, leaf string) error {
	return f.callJSON(ctx, apiCall{
		method: http.MethodPost,
		path:   "/v2/files/rename",
		form:   url.Values{"file_id": {id}, "name": {f.opt.Enc.FromStandardName(leaf)}},
	}, &api.Empty{})
}

// moveItem moves and renames one item.
func (f *Fs) moveItem(ctx context.Context, id, dirID, leaf string) error {
	return f.move(ctx, url.Values{"file_id": {id}, "parent_id": {dirID}, "name": {f.opt.Enc.FromStandardName(leaf)}})
}

// move calls files/move. Its per-item failures can come back with HTTP
// 200, so the body is checked too.
func (f *Fs) move(ctx context.Context, form url.Values) error {
	var out api.MoveReply
	err := f.callJSON(ctx, apiCall{method: http.MethodPost, path: "/v2/files/move", form: form}, &out)
	if err != nil {
		return err
	}
	return out.Err()
}

// Move src to remote server-side: one move and a touch, as put.io resets
// the modification time. The item keeps its id.
func (f *Fs) Move(ctx context.Context, src fs.Object, remote string) (fs.Object, error) {
	srcObj, leaf, dirID, err := f.serverSideTarget(ctx, src, remote, fs.ErrorCantMove)
	if err != nil {
		return nil, err
	}
	if err := f.moveItem(ctx, srcObj.id(), dirID, leaf); err != nil {
		return nil, err
	}
	item := srcObj.info
	item.Name = f.opt.Enc.FromStandardName(leaf)
	item.ParentID = parseID(dirID)
	dst := f.newObject(remote, &item)
	return dst, dst.setModTime(ctx, srcObj.ModTime(ctx))
}

// parseID turns a dircache id back into an api.ID.
func parseID(id string) api.ID {
	n, _ := strconv.ParseInt(id, 10, 64)
	return api.ID(n)
}

// DirMove moves the folder srcRemote of src to dstRemote in one call.
func (f *Fs) DirMove(ctx context.Context, src fs.Fs, srcRemote, dstRemote string) error {
	srcFs, ok := src.(*Fs)
	if !ok || srcFs.opt.APIURL != f.opt.APIURL {
		return fs.ErrorCantDirMove
	}
	srcID, _, _, dstDirID, dstLeaf, err := f.dirCache.DirMove(ctx, srcFs.dirCache, srcFs.root, srcRemote, f.root, dstRemote)
	if err != nil {
		return err
	}
	if err := f.moveItem(ctx, srcID, dstDirID, dstLeaf); err != nil {
		return err
	}
	srcFs.dirCache.FlushDir(srcRemote)
	return nil
}

// MergeDirs moves the contents of dirs[1:] into dirs[0], one bulk move per
// page of ids, then deletes the emptied folders.
func (f *Fs) MergeDirs(ctx context.Context, dirs []fs.Directory) error {
	if len(dirs) < 2 {
		return nil
	}
	dstID := dirs[0].ID()
	for _, dir := range dirs[1:] {
		// Collect first: moving items out would shift a listing cursor.
		var ids []string
		err := f.listPages(ctx, dir.ID(), f.pageSize, func(items []api.File) error {
			for i := range items {
				ids = append(ids, items[i].ID.String())
			}
			return nil
		})
		if err == nil {
			err = f.bulkMove(ctx, ids, dstID)
		}
		if err != nil {
			return fmt.Errorf("putio: merging %q into %q: %w", dir, dirs[0], err)
		}
		if err := f.deleteItems(ctx, dir.ID()); err != nil {
			return fmt.Errorf("putio: removing merged folder %q: %w", dir, err)
		}
	}
	f.DirCacheFlush()
	return nil
}

// bulkMove moves the items ids into dirID, listPageSize per call.
func (f *Fs) bulkMove(ctx context.Context, ids []string, dirID string) error {
	for len(ids) > 0 {
		batch := ids[:min(len(ids), listPageSize)]
		ids = ids[len(batch):]
		if err := f.move(ctx, url.Values{"file_ids": {strings.Join(batch, ",")}, "parent_id": {dirID}}); err != nil {
			return err
		}
	}
	return nil
}
