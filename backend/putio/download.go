package putio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/rclone-putio/rclone-putio/backend/putio/api"
	"github.com/rclone/rclone/fs"
)

// fetchDownloadURL asks put.io for a signed URL of the file id.
func (f *Fs) fetchDownloadURL(ctx context.Context, id string) (string, error) {
	var out api.URLReply
	err := f.callJSON(ctx, apiCall{method: http.MethodGet, path: itemPath(id, "/url")}, &out)
	if err != nil {
		return "", notFoundAs(err, fs.ErrorObjectNotFound)
	}
	return out.URL, nil
}

// signedURL returns a signed URL of the file: the one the Fs keeps for
// its id (see signedURLs), or a new one when there is none, it is old,
// or it is refused, the URL the download host has just refused. Streams
// refused together fetch one new URL.
func (o *Object) signedURL(ctx context.Context, refused string) (string, error) {
	return o.fs.urls.get(ctx, o.id(), refused, func(ctx context.Context) (string, error) {
		return o.fs.fetchDownloadURL(ctx, o.id())
	})
}

// urlExpired reports a download host refusing a signed URL.
func urlExpired(err error) bool {
	return hasStatus(err, http.StatusForbidden) || hasStatus(err, http.StatusGone) ||
		hasStatus(err, http.StatusUnauthorized) || hasStatus(err, http.StatusNotFound)
}

// Open the file for reading, honouring Range and Seek options.
func (o *Object) Open(ctx context.Context, options ...fs.OpenOption) (io.ReadCloser, error) {
	fs.FixRangeOption(options, o.Size())
	offset, length := requestedRange(options, o.Size())
	if length == 0 {
		// Nothing to fetch: an empty file, or a range at or past its end,
		// which a download host would refuse with 416.
		return io.NopCloser(strings.NewReader("")), nil
	}
	o.fs.readAhead.opened(o.id()) // before this file's own URL: they are fetched together
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
		if urlExpired(err) {
			o.fs.urls.forget(o.id()) // refused twice: the file is likely gone
		}
	}
	if err != nil {
		return nil, goneAs(err, fs.ErrorObjectNotFound)
	}
	return o.checkedBody(resp, offset, length)
}

// checkedBody returns the body of a download reply as exactly the length
// bytes from offset that were asked for, or an error. A 200 that is clearly not the file (a
// proxy's page, a cut reply) is refused. A host or proxy that ignores
// Range sends the whole file with 200: the bytes before the range are
// then read and thrown away, and those after it left unread. A read fails
// with io.ErrUnexpectedEOF if the body ends early, so that rclone opens
// the file again at the offset reached instead of taking a short file for
// the whole.
func (o *Object) checkedBody(resp *http.Response, offset, length int64) (io.ReadCloser, error) {
	start, err := o.replyStart(resp)
	if err == nil && start > offset {
		err = fmt.Errorf("putio: download of %q sent bytes from offset %d when asked from %d", o.remote, start, offset)
	}
	if err != nil {
		_ = resp.Body.Close()
		return nil, err
	}
	if start < offset {
		o.fs.hostIgnoresRange()
		fs.Debugf(o, "the download host ignored Range: skipping the %d bytes before offset %d", offset-start, offset)
	}
	return &exactBody{body: resp.Body, skip: offset - start, left: length}, nil
}

// replyStart is the offset in the file of a reply's first byte: where a
// 206's Content-Range starts, 0 for a 200, which must carry the file.
func (o *Object) replyStart(resp *http.Response) (int64, error) {
	if resp.StatusCode != http.StatusPartialContent {
		return 0, o.checkWhole(resp)
	}
	header := resp.Header.Get("Content-Range")
	start, ok := contentRangeStart(header, o.Size())
	if !ok {
		return 0, fmt.Errorf("putio: download of %q sent part of the %d-byte file with Content-Range %q", o.remote, o.Size(), header)
	}
	return start, nil
}

// contentRangeStart parses a 206's "bytes first-last/total" (total may be
// "*") and returns first, if it is a range of a file of size bytes.
func contentRangeStart(header string, size int64) (int64, bool) {
	span, total, ok := strings.Cut(strings.TrimPrefix(header, "bytes "), "/")
	firstText, lastText, hasDash := strings.Cut(span, "-")
	first, firstErr := strconv.ParseInt(firstText, 10, 64)
	last, lastErr := strconv.ParseInt(lastText, 10, 64)
	switch {
	case !ok || !hasDash || firstErr != nil || lastErr != nil || first < 0 || last < first || last >= size:
		return 0, false
	case total != "*" && total != strconv.FormatInt(size, 10):
		return 0, false
	}
	return first, true
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

// hostIgnoresRange records that the download host answered a ranged
// request with the whole file. Reads that start inside a file then cost
// the bytes before them, so multi-thread downloads, whose every chunk
// would fetch the file from its start, are turned off for this Fs, and
// the user is told once.
func (f *Fs) hostIgnoresRange() {
	if f.rangeless.Swap(true) {
		return
	}
	features := *f.Features()
	features.NoMultiThreading = true
	f.features.Store(&features)
	fs.Logf(f, "the download host ignores Range requests: reads that start inside a file download and discard the bytes before them, and multi-thread downloads are off")
}

// requestedRange is the offset and length of the bytes the Range or Seek
// option asks of a file of size bytes.
func requestedRange(options []fs.OpenOption, size int64) (offset, length int64) {
	limit := int64(-1)
	for _, option := range options {
		switch opt := option.(type) {
		case *fs.RangeOption:
			offset, limit = opt.Decode(size)
		case *fs.SeekOption:
			offset = opt.Offset
		}
	}
	offset = min(max(offset, 0), size)
	if limit < 0 || offset+limit > size {
		return offset, size - offset
	}
	return offset, limit
}

// exactBody reads a download body that must carry skip bytes to throw
// away, then left bytes to hand on; it stops there.
type exactBody struct {
	body io.ReadCloser
	skip int64
	left int64
}

func (b *exactBody) Read(p []byte) (int, error) {
	if b.skip > 0 {
		skipped, err := io.CopyN(io.Discard, b.body, b.skip)
		b.skip -= skipped
		if err != nil {
			return 0, b.short(err)
		}
	}
	if b.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.body.Read(p)
	b.left -= int64(n)
	if err != nil && b.left > 0 {
		err = b.short(err)
	}
	return n, err
}

// short is the error of a body that ended before all its bytes came.
func (b *exactBody) short(err error) error {
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("putio: download ended %d bytes early: %w", b.skip+b.left, io.ErrUnexpectedEOF)
	}
	return err
}

func (b *exactBody) Close() error { return b.body.Close() }

// download GETs a signed URL without our token, with retries, and
// returns the reply with its body open.
func (f *Fs) download(ctx context.Context, signed string, options []fs.OpenOption) (*http.Response, error) {
	var reply *http.Response
	err := f.retry(ctx, "download", func() error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, signed, nil)
		if err != nil {
			return fmt.Errorf("putio: bad download URL: %w", withoutURLQuery(err))
		}
		fs.OpenOptionAddHTTPHeaders(req.Header, options)
		resp, err := f.downloader.Do(req)
		if err != nil {
			return withoutURLQuery(err)
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

// withoutURLQuery drops the query from the URL that net/http's errors
// quote: a signed URL's query is a credential, and the error goes into
// retry lines and the final error.
func withoutURLQuery(err error) error {
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		urlErr.URL = api.RedactURL(urlErr.URL)
	}
	return err
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
