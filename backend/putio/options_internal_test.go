package putio

import (
	"context"
	"testing"

	"github.com/rclone/rclone/fs"
	"github.com/rclone/rclone/fs/config/configmap"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBadOptions(t *testing.T) {
	for option, value := range map[string]string{
		"chunk_size": "-1",
		"api_url":    "::not a url",
		"upload_url": "ftp://upload.example/files/",
	} {
		t.Run(option, func(t *testing.T) {
			m := configmap.Simple{"token": `{"access_token":"x"}`, option: value}
			_, err := NewFs(context.Background(), "bad", "", fs.ConfigMap(regInfo.Prefix, regInfo.Options, "", m))
			require.Error(t, err)
			assert.Contains(t, err.Error(), option)
		})
	}
}

// The options are the OAuth ones users know plus ours, by these names.
func TestOptionNames(t *testing.T) {
	var got []string
	for _, o := range regInfo.Options {
		got = append(got, o.Name)
	}
	assert.ElementsMatch(t, []string{"client_id", "client_secret", "token", "auth_url", "token_url",
		"chunk_size", "upload_window", "resume_uploads", "hard_delete", "api_url", "upload_url", "feed_url", "encoding", "description"}, got)
	assert.Equal(t, "0", regInfo.Options.Get("chunk_size").Default.(fs.SizeSuffix).String(), "no PATCH size limit")
	assert.Equal(t, "4Mi", regInfo.Options.Get("upload_window").Default.(fs.SizeSuffix).String())
}
