package putio

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/api"
	"github.com/rclone/rclone/fs"
)

// MergeDirs moves the contents of dirs[1:] into dirs[0] and removes them.
// A subfolder whose name dirs[0] already has is merged into that folder in
// turn. Files keep their modification times, which put.io resets on a
// move. A merged folder is removed only once a listing proves it empty
// (files/delete is recursive): a file whose name is taken where it should
// go, which put.io refuses to move, stays in place with its folder.
func (f *Fs) MergeDirs(ctx context.Context, dirs []fs.Directory) error {
	if len(dirs) < 2 {
		return nil
	}
	var errs []error
	for _, dir := range dirs[1:] {
		if err := f.mergeInto(ctx, dirs[0].ID(), dir.ID()); err != nil {
			errs = append(errs, fmt.Errorf("putio: merging %q into %q: %w", dir, dirs[0], err))
		}
	}
	return errors.Join(errs...)
}

// mergeInto moves everything in srcID into dstID, merging clashing
// folders recursively, and removes srcID once it is empty.
func (f *Fs) mergeInto(ctx context.Context, dstID, srcID string) error {
	// Collect first: moving items out would shift a listing cursor.
	var items []api.File
	err := f.listPages(ctx, srcID, f.pageSize, func(page []api.File, _ int) error {
		items = append(items, page...)
		return nil
	})
	if err != nil {
		return err
	}
	refused, done, err := f.bulkMove(ctx, items, srcID, dstID)
	moved, folders, kept := sortMoved(items[:done], refused)
	// Restore times first, whatever else fails.
	if err := errors.Join(err, f.restoreModTimes(ctx, moved)); err != nil {
		return err
	}
	var errs []error
	for _, folder := range folders {
		errs = append(errs, f.mergeFolder(ctx, dstID, folder))
	}
	if len(kept) > 0 {
		errs = append(errs, fmt.Errorf("%d files stay where they are, as their names are taken in the destination and put.io refuses to move them there: %s", len(kept), f.itemNames(kept)))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if err := f.checkEmpty(ctx, srcID); err != nil {
		return fmt.Errorf("not removing the merged folder (id %s): %w", srcID, err)
	}
	return f.delete(ctx, []string{srcID}, f.opt.HardDelete, movesAwayID(srcID))
}

// sortMoved splits the items a bulk move went through into those it moved,
// and the folders and files it refused as their names are taken. Items
// refused for other reasons are left out: the move's error says why.
func sortMoved(items []api.File, refused map[api.ID]string) (moved, folders, kept []api.File) {
	for _, item := range items {
		switch reason, isRefused := refused[item.ID]; {
		case !isRefused:
			moved = append(moved, item)
		case reason != errTypeNameExists:
		case item.IsDir():
			folders = append(folders, item)
		default:
			kept = append(kept, item)
		}
	}
	return moved, folders, kept
}

// mergeFolder merges the folder src into dstID's folder of the same name.
func (f *Fs) mergeFolder(ctx context.Context, dstID string, src api.File) error {
	target, err := f.find(ctx, itemSpec{dirID: dstID, name: src.Name, kind: folderKind, notID: src.ID})
	if err != nil {
		return err
	}
	if target == nil {
		return fmt.Errorf("folder %q can't be moved: a file has its name in the destination", f.standardName(src.Name))
	}
	return f.mergeInto(ctx, target.ID.String(), src.ID.String())
}

// bulkMove moves items of the folder srcID into dstID, listPageSize per
// call. It returns the error types of the items put.io refused and how
// many items the calls made covered; a refusal other than a name clash is
// also an error.
func (f *Fs) bulkMove(ctx context.Context, items []api.File, srcID, dstID string) (refused map[api.ID]string, done int, err error) {
	refused = map[api.ID]string{}
	for ; done < len(items); done += listPageSize {
		out, err := f.moveBatch(ctx, items[done:min(done+listPageSize, len(items))], srcID, dstID)
		if err != nil {
			return refused, done, err
		}
		for _, failure := range out.Errors {
			refused[failure.ID] = failure.ErrorType
			if failure.ErrorType != errTypeNameExists && err == nil {
				err = (&api.MoveReply{Errors: []api.MoveError{failure}}).Err()
			}
		}
		if err != nil {
			return refused, min(done+listPageSize, len(items)), err
		}
	}
	return refused, len(items), nil
}

// moveBatch moves batch, items of the folder srcID, into dstID with one
// call and returns put.io's reply. Once a try may have worked, the source
// is listed before the next: what is no longer there has been moved, and
// only what is still there is sent again, so the reply's refusals are
// never the echo of a lost success. The move adds names this Fs does not
// track to dstID, and the paths of the folders in batch change.
func (f *Fs) moveBatch(ctx context.Context, batch []api.File, srcID, dstID string) (api.MoveReply, error) {
	changes := []folderChange{addsUntracked(dstID)}
	for _, item := range batch {
		if item.IsDir() {
			changes = append(changes, movesAwayID(item.ID.String()))
		}
	}
	pending := batch
	var out api.MoveReply
	err := f.mutate(ctx, mutation{what: "POST /v2/files/move", changes: changes, done: func() (bool, error) {
		left, err := f.idsIn(ctx, srcID)
		if err != nil {
			return false, err
		}
		pending = slices.DeleteFunc(slices.Clone(pending), func(item api.File) bool { return !left[item.ID] })
		return len(pending) == 0, nil
	}, attempt: func() error {
		ids := make([]string, len(pending))
		for i := range pending {
			ids[i] = pending[i].ID.String()
		}
		out = api.MoveReply{}
		return f.attemptJSON(ctx, apiCall{method: http.MethodPost, path: "/v2/files/move",
			form: url.Values{"file_ids": {strings.Join(ids, ",")}, "parent_id": {dstID}}}, &out)
	}})
	return out, err
}

// idsIn is the ids of the items the folder dirID holds now.
func (f *Fs) idsIn(ctx context.Context, dirID string) (map[api.ID]bool, error) {
	ids := map[api.ID]bool{}
	err := f.listPages(ctx, dirID, f.pageSize, func(items []api.File, _ int) error {
		for i := range items {
			ids[items[i].ID] = true
		}
		return nil
	})
	return ids, err
}

// restoreModTimes gives moved files back the modification times they had,
// one touch per distinct time.
func (f *Fs) restoreModTimes(ctx context.Context, moved []api.File) error {
	byTime := map[time.Time][]string{}
	var order []time.Time
	for _, item := range moved {
		t := item.ModTime()
		if item.IsDir() || t.IsZero() {
			continue // no folder times; no year 1 for an item put.io gave no time
		}
		if byTime[t] == nil {
			order = append(order, t)
		}
		byTime[t] = append(byTime[t], item.ID.String())
	}
	for _, t := range order {
		ids := byTime[t]
		for start := 0; start < len(ids); start += listPageSize {
			batch := ids[start:min(start+listPageSize, len(ids))]
			// The form put.io's own SDK sends for several files.
			err := f.callJSON(ctx, apiCall{method: http.MethodPost, path: "/v2/files/touch",
				form: url.Values{"file_ids": {strings.Join(batch, ",")}, "updated_at": {formatTime(t)}}}, &api.Empty{})
			if err != nil {
				return fmt.Errorf("files moved, but their modification times could not be restored: %w", err)
			}
		}
	}
	return nil
}

// itemNames lists the rclone names of items, for messages.
func (f *Fs) itemNames(items []api.File) string {
	names := make([]string, len(items))
	for i := range items {
		names[i] = fmt.Sprintf("%q", f.standardName(items[i].Name))
	}
	return strings.Join(names, ", ")
}
