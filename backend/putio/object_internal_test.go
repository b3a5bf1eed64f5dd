package putio

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/api"
	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
	"github.com/rclone/rclone/fs"
	"github.com/rclone/rclone/fs/accounting"
	"github.com/rclone/rclone/fs/config/configmap"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMetadata(t *testing.T) {
	ctx := context.Background()
	f, _, acct := newTestFs(t, nil)
	stat, err := acct.Put("movie.mp4", []byte("not really"), testModTime)
	require.NoError(t, err)
	o, err := f.NewObject(ctx, "movie.mp4")
	require.NoError(t, err)
	meta, err := o.(fs.Metadataer).Metadata(ctx)
	require.NoError(t, err)
	assert.Equal(t, testModTime.Format(time.RFC3339), meta["mtime"])
	assert.Equal(t, stat.CRC32, meta["crc32"])
	assert.Equal(t, stat.ContentType, meta["content-type"])
	assert.Equal(t, stat.CreatedAt.UTC().Format(time.RFC3339), meta["btime"])
	assert.NotEmpty(t, meta["file-type"])
	for key := range meta {
		assert.Contains(t, metadataInfo.System, key, "documented in MetadataInfo")
	}
	assert.Equal(t, "0", o.(fs.ParentIDer).ParentID())

	uploaded := put(ctx, t, f, "new.bin", []byte("fresh"))
	meta, err = uploaded.(fs.Metadataer).Metadata(ctx)
	require.NoError(t, err)
	for key, value := range meta {
		assert.NotEmpty(t, value, "key %s of a just-uploaded object", key)
	}
	assert.Equal(t, testModTime.Format(time.RFC3339), meta["mtime"])
}

// Once the new version is in place, an old version that can't be deleted
// is logged and counted, not returned: an error would have rclone upload
// again, adding a third file of the name. Both versions stay; a later
// lookup of the name finds the new one.
func TestUpdateKeepsOldVersionItCantDelete(t *testing.T) {
	ctx := accounting.WithStatsGroup(context.Background(), "update-delete-refused")
	accounting.Start(ctx) // installs the error counter
	f, srv, acct := newTestFs(t, nil)
	o := seedObject(t, f, acct, "a.txt", []byte("old"))
	require.NoError(t, srv.Inject(putiotest.Fault{Route: deleteRoute, Status: http.StatusBadRequest, ErrorType: errTypeTrashLock}))
	fewRetries(f, 2)

	require.NoError(t, o.Update(ctx, bytesReader([]byte("new")), srcInfo("a.txt", 3)))

	assert.Equal(t, int64(1), accounting.Stats(ctx).GetErrors())
	assert.Equal(t, []string{"a.txt", "a.txt"}, names(t, acct, ""), "both versions kept")
	assert.Empty(t, acct.Trash())
	assert.Equal(t, "new", string(readAll(ctx, t, o)))
	found, err := f.NewObject(ctx, "a.txt")
	require.NoError(t, err)
	assert.Equal(t, "new", string(readAll(ctx, t, found)), "a lookup of the name finds the newest")
}

// A caller that gives up once the new version is in place (rclone's
// transfer cancelled between the upload and the delete) still gets the
// old version deleted: the delete is not cut short with it.
func TestUpdateDeletesOldVersionAfterCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	opts := putiotest.Options{OnRequest: func(entry putiotest.LogEntry) {
		if entry.Route == deleteRoute {
			cancel() // before the reply to the delete's first try leaves
		}
	}}
	f, srv, acct := newTestFs(t, nil, opts)
	o := seedObject(t, f, acct, "a.txt", []byte("old"))
	old, err := acct.Stat("a.txt")
	require.NoError(t, err)
	require.NoError(t, srv.Inject(putiotest.Fault{Route: deleteRoute, Status: http.StatusServiceUnavailable, Times: 1}))

	require.NoError(t, o.Update(ctx, bytesReader([]byte("new")), srcInfo("a.txt", 3)))

	require.Error(t, ctx.Err(), "cancelled during the delete")
	assertHoldsOnly(t, acct, "a.txt", "new")
	trash := acct.Trash()
	require.Len(t, trash, 1)
	assert.Equal(t, old.ID, trash[0].ID)
}

// asOtherClient makes an API call on srv's account as another client (the
// web app, say) would, outside the Fs under test.
func asOtherClient(srv *putiotest.Server, path string, form url.Values) error {
	req, err := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+srv.Token)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: HTTP %d", path, resp.StatusCode)
	}
	return nil
}

// An Object seen before another client moved, renamed or deleted its file
// is updated at its path, and the file it was is left alone: it is no
// longer the version being replaced. Nothing goes to the trash, or is lost
// for good with hard_delete.
func TestUpdateLeavesAFileAnotherClientMoved(t *testing.T) {
	for name, test := range map[string]struct {
		path       string
		form       func(id, archiveID int64) url.Values
		keptAt     string
		hardDelete bool
	}{
		"moved to archive/": {path: "/v2/files/move", keptAt: "archive/a.txt",
			form: func(id, archiveID int64) url.Values {
				return url.Values{"file_id": {itoa(id)}, "parent_id": {itoa(archiveID)}}
			}},
		"moved to archive/, hard_delete": {path: "/v2/files/move", keptAt: "archive/a.txt", hardDelete: true,
			form: func(id, archiveID int64) url.Values {
				return url.Values{"file_id": {itoa(id)}, "parent_id": {itoa(archiveID)}}
			}},
		"renamed": {path: "/v2/files/rename", keptAt: "b.txt",
			form: func(id, _ int64) url.Values { return url.Values{"file_id": {itoa(id)}, "name": {"b.txt"}} }},
		"deleted": {path: "/v2/files/delete",
			form: func(id, _ int64) url.Values { return url.Values{"file_ids": {itoa(id)}} }},
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			f, srv, acct := newTestFs(t, configmap.Simple{"hard_delete": fmt.Sprint(test.hardDelete)})
			o := seedObject(t, f, acct, "a.txt", []byte("old"))
			old, err := acct.Stat("a.txt")
			require.NoError(t, err)
			archive, err := acct.Mkdir("archive")
			require.NoError(t, err)
			require.NoError(t, asOtherClient(srv, test.path, test.form(old.ID, archive.ID)))
			srv.ResetCounters()

			require.NoError(t, o.Update(ctx, bytesReader([]byte("new")), srcInfo("a.txt", 3)))

			assert.Zero(t, srv.Calls(deleteRoute), "nothing deleted")
			data, err := acct.ReadFile("a.txt")
			require.NoError(t, err)
			assert.Equal(t, "new", string(data))
			if test.keptAt == "" {
				require.Len(t, acct.Trash(), 1, "only the other client's delete")
				return
			}
			assert.Empty(t, acct.Trash())
			kept, err := acct.Stat(test.keptAt)
			require.NoError(t, err)
			assert.Equal(t, old.ID, kept.ID)
			data, err = acct.ReadFile(test.keptAt)
			require.NoError(t, err)
			assert.Equal(t, "old", string(data))
		})
	}
}

// TestDeleteReplacedLeavesWhatAnotherDeviceMoved: the version an upload
// replaced is deleted only while it is still the file of its name in its
// folder. Another device may have renamed or moved it away and put a new
// file at the name before the delete; neither may be deleted then.
func TestDeleteReplacedLeavesWhatAnotherDeviceMoved(t *testing.T) {
	for _, tc := range []struct {
		name, movedTo string
	}{
		{"renamed", "dir/kept.txt"},
		{"moved to another folder", "other/file.txt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			f, srv, acct := newTestFs(t, nil)
			_, err := acct.Mkdir("other")
			require.NoError(t, err)
			old, err := acct.Put("dir/file.txt", []byte("old version"), testModTime)
			require.NoError(t, err)
			_, err = acct.Move("dir/file.txt", tc.movedTo)
			require.NoError(t, err)
			_, err = acct.Put("dir/file.txt", []byte("another device's file"), testModTime)
			require.NoError(t, err)

			require.NoError(t, f.deleteReplaced(ctx, api.ID(old.ID), fmt.Sprint(old.ParentID), "file.txt"))

			assert.Zero(t, srv.Calls("POST /v2/files/delete"))
			assert.Empty(t, acct.Trash())
			kept, err := acct.ReadFile(tc.movedTo)
			require.NoError(t, err)
			assert.Equal(t, "old version", string(kept))
			current, err := acct.ReadFile("dir/file.txt")
			require.NoError(t, err)
			assert.Equal(t, "another device's file", string(current))
		})
	}
}

// TestDeleteReplacedDeletesTheOldVersion: a version still in place under
// its name is the replaced one, and is deleted.
func TestDeleteReplacedDeletesTheOldVersion(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, nil)
	old, err := acct.Put("dir/file.aside", []byte("old version"), testModTime)
	require.NoError(t, err)

	require.NoError(t, f.deleteReplaced(ctx, api.ID(old.ID), fmt.Sprint(old.ParentID), "file.aside"))

	assert.Equal(t, 1, srv.Calls("POST /v2/files/delete"))
	_, err = acct.Stat("dir/file.aside")
	assert.Error(t, err)
	require.Len(t, acct.Trash(), 1)
	assert.Equal(t, old.ID, acct.Trash()[0].ID)
}
