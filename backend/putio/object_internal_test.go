package putio

import (
	"context"
	"testing"
	"time"

	"github.com/rclone/rclone/fs"
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
