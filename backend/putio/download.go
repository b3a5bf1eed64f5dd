package putio

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/rclone-putio/rclone-putio/backend/putio/api"
	"github.com/rclone/rclone/fs"
)

// fetchDownloadURL asks put.io for a signed URL of the file.
func (o *Object) fetchDownloadURL(ctx context.Context) (string, error) {
	var out api.URLReply
	err := o.fs.callJSON(ctx, apiCall{method: http.MethodGet, path: itemPath(o.id(), "/url")}, &out)
	if err != nil {
		return "", notFoundAs(err, fs.ErrorObjectNotFound)
	}
	return out.URL, nil
}

// signedURL returns the cached signed URL, fetching it on first use or
// when the cached one is stale (refused by the download host). Multi-thread
// downloads open one Object many times, so the cache saves one API call per
// stream, and streams refused together refresh it once.
func (o *Object) signedURL(ctx context.Context, stale string) (string, error) {
	o.urlMu.Lock()
	defer o.urlMu.Unlock()
	if o.downloadURL == "" || o.downloadURL == stale {
		signed, err := o.fetchDownloadURL(ctx)
		if err != nil {
			return "", err
		}
		o.downloadURL = signed
	}
	return o.downloadURL, nil
}

// urlExpired reports a download host refusing a signed URL.
func urlExpired(err error) bool {
	return hasStatus(err, http.StatusForbidden) || hasStatus(err, http.StatusGone) ||
		hasStatus(err, http.StatusUnauthorized) || hasStatus(err, http.StatusNotFound)
}

// Open the file for reading, honouring Range and Seek options.
func (o *Object) Open(ctx context.Context, options ...fs.OpenOption) (io.ReadCloser, error) {
	if o.Size() == 0 {
		return io.NopCloser(strings.NewReader("")), nil // nothing to fetch
	}
	fs.FixRangeOption(options, o.Size())
	signed, err := o.signedURL(ctx, "")
	if err != nil {
		return nil, err
	}
	body, err := o.fs.download(ctx, signed, options)
	if urlExpired(err) {
		fs.Debugf(o, "download URL refused (%v): fetching a new one", err)
		if signed, err = o.signedURL(ctx, signed); err != nil {
			return nil, err
		}
		body, err = o.fs.download(ctx, signed, options)
	}
	return body, goneAs(err, fs.ErrorObjectNotFound)
}

// download GETs a signed URL without our token, with retries.
func (f *Fs) download(ctx context.Context, signed string, options []fs.OpenOption) (io.ReadCloser, error) {
	var body io.ReadCloser
	err := f.retry(ctx, "download", func() error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, signed, nil)
		if err != nil {
			return fmt.Errorf("putio: bad download URL: %w", err)
		}
		fs.OpenOptionAddHTTPHeaders(req.Header, options)
		resp, err := f.downloader.Do(req)
		if err != nil {
			return err
		}
		f.gate.observe(resp, nil)
		if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusPartialContent {
			return statusError(resp)
		}
		body = resp.Body
		return nil
	})
	return body, err
}

// statusError reads and closes a failed reply from a host go-putio does not
// front (downloads, uploads) and turns it into an *api.Error.
func statusError(resp *http.Response) error {
	defer func() { _ = resp.Body.Close() }()
	excerpt, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	apiErr := api.ParseError(resp.StatusCode, excerpt)
	apiErr.Method = resp.Request.Method
	apiErr.Path = resp.Request.URL.Path
	return apiErr
}
