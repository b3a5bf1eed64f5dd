package putio

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/api"
	"github.com/rclone/rclone/fs"
)

// commandHelp describes the `rclone backend` commands.
var commandHelp = append([]fs.CommandHelp{{
	Name:  "trash",
	Short: "List the put.io trash.",
	Long: `Lists the items in the put.io trash with their ids, which "restore" takes.

    rclone backend trash putio:
`,
}, {
	Name:  "restore",
	Short: "Restore items from the put.io trash by id.",
	Long: `Restores trashed items to where they were deleted from. Give the ids
listed by "trash"; restoring is asynchronous on put.io's side.

    rclone backend restore putio: 123 456
`,
}, uploadsHelp, changesHelp, extractHelp}, transferCommandHelp...)

// TrashItem is one line of the trash listing.
type TrashItem struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Size      int64     `json:"size"`
	IsDir     bool      `json:"is_dir"`
	DeletedAt time.Time `json:"deleted_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Command runs a backend-specific command.
func (f *Fs) Command(ctx context.Context, name string, arg []string, opt map[string]string) (any, error) {
	switch name {
	case "trash":
		return f.listTrash(ctx)
	case "restore":
		return nil, f.restoreTrash(ctx, arg)
	case "transfer", "transfers", "transfer-cancel", "transfer-retry", "transfer-clean":
		return f.transferCommand(ctx, name, arg, opt)
	case "uploads":
		return f.uploadsCommand(ctx, arg, opt)
	case "changes":
		return nil, f.changesCommand(ctx, opt, os.Stdout)
	case "extract":
		return f.extractCommand(ctx, arg, opt)
	default:
		return nil, fs.ErrorCommandNotFound
	}
}

// listTrash reads the whole trash, page by page.
func (f *Fs) listTrash(ctx context.Context) ([]TrashItem, error) {
	items := []TrashItem{}
	err := f.walkTrash(ctx, func(files []api.TrashFile) error {
		for _, file := range files {
			items = append(items, TrashItem{
				ID: int64(file.ID), Name: f.standardName(file.Name), Size: file.Size,
				IsDir: file.IsDir(), DeletedAt: file.DeletedAt.Time, ExpiresAt: file.ExpirationDate.Time,
			})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return items, nil
}

// walkTrash reads the whole trash, page by page, handing each to each.
func (f *Fs) walkTrash(ctx context.Context, each func([]api.TrashFile) error) error {
	first := apiCall{method: http.MethodGet, path: "/v2/trash/list", query: url.Values{"per_page": {strconv.Itoa(f.pageSize)}}}
	return walkPages[api.TrashFile](ctx, f, first, "/v2/trash/list/continue", f.pageSize, nil, func(files []api.TrashFile, _ int) error {
		return each(files)
	})
}

// restoreTrash restores the trashed items whose ids are given.
func (f *Fs) restoreTrash(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return fmt.Errorf("putio: restore needs the ids of trashed items (see \"rclone backend trash %s:\")", f.name)
	}
	for _, id := range ids {
		if n, err := strconv.ParseInt(id, 10, 64); err != nil || n <= 0 {
			return fmt.Errorf("putio: restore: %q is not an item id (see \"rclone backend trash %s:\")", id, f.name)
		}
	}
	// Even a call that failed may have put items back: forget the folder
	// ids and the names known absent either way.
	defer f.DirCacheFlush()
	// An item put.io has live again is restored (put.io's own live tests
	// find it right after a restore): once a try may have worked, only the
	// items still not back are sent again.
	return f.mutateItems(ctx, apiCall{method: http.MethodPost, path: "/v2/trash/restore"}, ids, func(id string) (bool, error) {
		item, err := f.probe(ctx, itemSpec{id: parseID(id)})
		return item != nil, err
	})
}
