package putio

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
	"github.com/rclone/rclone/fs"
	"github.com/rclone/rclone/fs/config/configmap"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBadOptions(t *testing.T) {
	for option, value := range map[string]string{
		"chunk_size":     "-1",
		"url_read_ahead": "-1",
		"api_url":        "::not a url",
		"upload_url":     "ftp://upload.example/files/",
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
		"chunk_size", "upload_window", "resume_uploads", "url_read_ahead", "hard_delete", "api_url", "upload_url", "feed_url", "encoding", "description"}, got)
	assert.Equal(t, "0", regInfo.Options.Get("chunk_size").Default.(fs.SizeSuffix).String(), "no PATCH size limit")
	assert.Equal(t, "4Mi", regInfo.Options.Get("upload_window").Default.(fs.SizeSuffix).String())
	assert.Equal(t, 4, regInfo.Options.Get("url_read_ahead").Default, "a scan's next files while one is read")
}

// A remote whose api_url leaves put.io while upload_url or feed_url stay
// there is warned, once, naming the options still at put.io; so is one
// whose api_url is put.io's while upload_url or feed_url point elsewhere,
// which would get put.io's token; a remote pointed wholly at put.io or
// wholly elsewhere is not.
func TestWarnsOfEndpointsLeftAtPutio(t *testing.T) {
	srv := putiotest.NewServer(t)
	const leftAtPutio, sentElsewhere = "still point at put.io", "login token would be sent there"
	for _, c := range []struct {
		name    string
		options configmap.Simple
		want    []string // options named in the warning; nil: no warning
		warning string
	}{
		{"api_url alone", configmap.Simple{"api_url": srv.URL}, []string{"upload_url", "feed_url"}, leftAtPutio},
		{"feed_url left", configmap.Simple{"api_url": srv.URL, "upload_url": srv.UploadURL()}, []string{"feed_url"}, leftAtPutio},
		{"upload_url left", configmap.Simple{"api_url": srv.URL + "/", "feed_url": srv.FeedURL(), "upload_url": "https://UPLOAD.put.io/files"}, []string{"upload_url"}, leftAtPutio},
		{"all three", configmap.Simple{"api_url": srv.URL, "upload_url": srv.UploadURL(), "feed_url": srv.FeedURL()}, nil, ""},
		{"none", configmap.Simple{}, nil, ""},
		{"put.io spelt out", configmap.Simple{"api_url": "https://api.put.io/", "upload_url": "https://upload.put.io/files/", "feed_url": ""}, nil, ""},
		{"upload_url elsewhere", configmap.Simple{"api_url": "https://api.put.io/", "upload_url": srv.UploadURL()}, []string{"upload_url"}, sentElsewhere},
		{"feed_url elsewhere", configmap.Simple{"feed_url": srv.FeedURL()}, []string{"feed_url"}, sentElsewhere},
		{"both elsewhere", configmap.Simple{"upload_url": srv.UploadURL(), "feed_url": srv.FeedURL()}, []string{"upload_url", "feed_url"}, sentElsewhere},
	} {
		t.Run(c.name, func(t *testing.T) {
			logs := captureLog(t)
			m := configmap.Simple{"token": `{"access_token":"` + srv.Token + `","expiry":"0001-01-01T00:00:00Z"}`}
			for k, v := range c.options {
				m[k] = v
			}
			_, err := NewFs(context.Background(), "warned", "", fs.ConfigMap(regInfo.Prefix, regInfo.Options, "", m))
			require.NoError(t, err)
			got := logs.String()
			if c.want == nil {
				assert.NotContains(t, got, leftAtPutio)
				assert.NotContains(t, got, sentElsewhere)
				return
			}
			assert.Equal(t, 1, strings.Count(got, c.warning), "one warning per Fs: %s", got)
			assert.NotContains(t, got, srv.Token)
			for _, option := range []string{"upload_url", "feed_url"} {
				assert.Equal(t, slices.Contains(c.want, option), strings.Contains(got, option), "%s named: %s", option, got)
			}
		})
	}
}
