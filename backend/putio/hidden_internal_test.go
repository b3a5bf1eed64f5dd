package putio

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
	"github.com/rclone/rclone/backend/local"
	"github.com/rclone/rclone/fs"
	"github.com/rclone/rclone/fs/accounting"
	"github.com/rclone/rclone/fs/config/configmap"
	"github.com/rclone/rclone/fs/sync"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// seedHidden stores d/h.txt on the emulator and marks it hidden.
func seedHidden(t *testing.T, acct *putiotest.Account, data []byte) putiotest.File {
	t.Helper()
	item, err := acct.Put("d/h.txt", data, testModTime)
	require.NoError(t, err)
	require.NoError(t, acct.SetHidden("d/h.txt", true))
	return item
}

// hiddenModes are the two plausible put.io behaviours: hidden items
// listed like any other, or only when asked for with hidden=1.
var hiddenModes = []bool{false, true}

// A folder holding only a hidden file is not empty: Rmdir keeps it, and
// List shows the file, whether or not put.io leaves hidden items out of
// listings that do not ask for them.
func TestHiddenFileIsListedAndKeepsItsFolder(t *testing.T) {
	for _, hide := range hiddenModes {
		t.Run(fmt.Sprintf("HideHiddenItems=%v", hide), func(t *testing.T) {
			ctx := context.Background()
			f, _, acct := newTestFs(t, nil, putiotest.Options{HideHiddenItems: hide})
			item := seedHidden(t, acct, []byte("hidden"))

			assert.ErrorIs(t, f.Rmdir(ctx, "d"), fs.ErrorDirectoryNotEmpty)
			_, err := acct.Stat("d/h.txt")
			assert.NoError(t, err, "the hidden file is still there")
			assert.Empty(t, acct.Trash())

			entries, err := f.List(ctx, "d")
			require.NoError(t, err)
			require.Len(t, entries, 1)
			assert.Equal(t, "d/h.txt", entries[0].Remote())
			assert.Equal(t, fmt.Sprint(item.ID), entries[0].(fs.IDer).ID())
		})
	}
}

// A sync from a local copy of a hidden file neither uploads it again nor
// deletes it; one of a folder without it deletes it, as for any file.
func TestSyncSeesHiddenFiles(t *testing.T) {
	for _, hide := range hiddenModes {
		t.Run(fmt.Sprintf("HideHiddenItems=%v", hide), func(t *testing.T) {
			// Its own stats: errors other tests counted would stop the sync's deletions.
			ctx := accounting.WithStatsGroup(context.Background(), t.Name())
			f, srv, acct := newTestFs(t, nil, putiotest.Options{HideHiddenItems: hide})
			data := []byte("hidden")
			item := seedHidden(t, acct, data)

			src := localTree(t, map[string][]byte{"d/h.txt": data, "d/new.txt": []byte("new")})
			require.NoError(t, sync.Sync(ctx, f, src, false))
			assert.Equal(t, []string{"h.txt", "new.txt"}, names(t, acct, "d"), "no second h.txt")
			kept, err := acct.Stat("d/h.txt")
			require.NoError(t, err)
			assert.Equal(t, item.ID, kept.ID, "the hidden file is the same item")
			assert.Equal(t, 1, srv.Calls("POST /files/"), "only new.txt was uploaded")

			require.NoError(t, sync.Sync(ctx, f, localTree(t, map[string][]byte{"d/new.txt": []byte("new")}), false))
			assert.Equal(t, []string{"new.txt"}, names(t, acct, "d"), "the hidden file was synced away like any other")
		})
	}
}

// localTree writes files (slash-separated paths) into a fresh folder with
// testModTime and returns rclone's local Fs on it.
func localTree(t *testing.T, files map[string][]byte) fs.Fs {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o700))
		require.NoError(t, os.WriteFile(path, data, 0o600))
		require.NoError(t, os.Chtimes(path, testModTime, testModTime))
	}
	lfs, err := local.NewFs(context.Background(), "local", dir, configmap.Simple{})
	require.NoError(t, err)
	return lfs
}
