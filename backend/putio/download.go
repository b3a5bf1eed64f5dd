package putio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
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
	resp, err := o.fs.download(ctx, signed, options)
	if urlExpired(err) {
		fs.Debugf(o, "download URL refused (%v): fetching a new one", err)
		if signed, err = o.signedURL(ctx, signed); err != nil {
			return nil, err
		}
		resp, err = o.fs.download(ctx, signed, options)
	}
	if err != nil {
		return nil, goneAs(err, fs.ErrorObjectNotFound)
	}
	return o.checkedBody(resp, options)
}

// checkedBody returns the body of a download reply, refusing a 200 that
// is clearly not the file (a proxy's page, a cut reply), and failing the
// read with io.ErrUnexpectedEOF if fewer bytes arrive than expected, so
// that rclone opens the file again at the offset reached instead of taking
// a short file for the whole.
func (o *Object) checkedBody(resp *http.Response, options []fs.OpenOption) (io.ReadCloser, error) {
	want := o.Size()
	if resp.StatusCode == http.StatusPartialContent {
		want = rangeLength(options, o.Size())
	} else if err := o.checkWhole(resp); err != nil {
		_ = resp.Body.Close()
		return nil, err
	}
	if resp.ContentLength >= 0 && resp.ContentLength < want {
		want = resp.ContentLength // net/http fails the read itself if fewer arrive
	}
	return &exactBody{body: resp.Body, left: want}, nil
}

// checkWhole checks a 200 reply against the object it should carry.
func (o *Object) checkWhole(resp *http.Response) error {
	replyType, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	switch {
	case resp.ContentLength >= 0 && resp.ContentLength != o.Size():
		return fmt.Errorf("putio: download of %q sent %d bytes for a %d-byte file: %w", o.remote, resp.ContentLength, o.Size(), io.ErrUnexpectedEOF)
	case replyType == "text/html" && !strings.HasPrefix(o.info.ContentType, "text/html"):
		return fmt.Errorf("putio: download of %q sent a web page (%s) instead of the file (%s): %w", o.remote, replyType, o.info.ContentType, io.ErrUnexpectedEOF)
	}
	return nil
}

// rangeLength is how many bytes the Range or Seek option asks of a file
// of size bytes.
func rangeLength(options []fs.OpenOption, size int64) int64 {
	for _, option := range options {
		switch opt := option.(type) {
		case *fs.RangeOption:
			offset, limit := opt.Decode(size)
			if limit < 0 || offset+limit > size {
				return size - offset
			}
			return limit
		case *fs.SeekOption:
			return size - opt.Offset
		}
	}
	return size
}

// exactBody reads a download body that must carry left more bytes.
type exactBody struct {
	body io.ReadCloser
	left int64
}

func (b *exactBody) Read(p []byte) (int, error) {
	n, err := b.body.Read(p)
	b.left -= int64(n)
	if errors.Is(err, io.EOF) && b.left > 0 {
		err = fmt.Errorf("putio: download ended %d bytes early: %w", b.left, io.ErrUnexpectedEOF)
	}
	return n, err
}

func (b *exactBody) Close() error { return b.body.Close() }

// download GETs a signed URL without our token, with retries, and
// returns the reply with its body open.
func (f *Fs) download(ctx context.Context, signed string, options []fs.OpenOption) (*http.Response, error) {
	var reply *http.Response
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
		reply = resp
		return nil
	})
	return reply, err
}

// statusError reads and closes a failed reply from the download host,
// which go-putio does not front, and turns it into an *api.Error.
func statusError(resp *http.Response) error {
	defer func() { _ = resp.Body.Close() }()
	excerpt, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	apiErr := api.ParseError(resp.StatusCode, excerpt)
	apiErr.Method = resp.Request.Method
	apiErr.Path = resp.Request.URL.Path
	return apiErr
}
