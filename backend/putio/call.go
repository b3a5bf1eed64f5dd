package putio

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/putdotio/go-putio"
	"github.com/rclone-putio/rclone-putio/backend/putio/api"
	"github.com/rclone/rclone/fs/config/configmap"
	"github.com/rclone/rclone/lib/oauthutil"
)

// maxReplySize bounds how much of a JSON reply is read; a listing page of
// 1000 items is far below it.
const maxReplySize = 32 << 20

// reply is a decoded put.io reply that can check itself.
type reply interface {
	Validate() error
}

// apiCall describes one API request. path is under api_url unless it is an
// absolute URL; form, when set, is sent as an urlencoded body.
type apiCall struct {
	method string
	path   string
	query  url.Values
	form   url.Values
}

// what names the call in logs and errors: its method and path.
func (c apiCall) what() string { return c.method + " " + c.path }

// newAPIClient is go-putio's client over rclone's OAuth client for the
// remote name, with its token source.
func newAPIClient(ctx context.Context, name string, m configmap.Mapper, baseURL *url.URL) (*putio.Client, *oauthutil.TokenSource, error) {
	oauthClient, tokens, err := oauthutil.NewClient(ctx, name, m, oauthConfig)
	if err != nil {
		return nil, nil, tokenError(name, err)
	}
	client := putio.NewClient(oauthClient)
	// go-putio's default 30 s deadline covers a whole request including the
	// body, which kills long uploads and downloads; contexts and rclone's
	// fshttp timeouts bound our calls instead.
	client.Timeout = 0
	// Our calls pass absolute URLs; the TransfersService resolves its
	// paths against BaseURL.
	client.BaseURL = baseURL
	return client, tokens, nil
}

// tokenError is a login token in the config that can't be used.
func tokenError(name string, err error) error {
	return fmt.Errorf("putio: no usable login token (%w): %s", err, reconnectAdvice(name))
}

// urlFor resolves the call's path against api_url.
func (f *Fs) urlFor(call apiCall) string {
	target := call.path
	if !strings.HasPrefix(target, "http://") && !strings.HasPrefix(target, "https://") {
		target = f.apiURL + target
	}
	if len(call.query) > 0 {
		target += "?" + call.query.Encode()
	}
	return target
}

// newRequest builds the request for one attempt.
func (f *Fs) newRequest(ctx context.Context, call apiCall) (*http.Request, error) {
	var body io.Reader
	if call.form != nil {
		body = strings.NewReader(call.form.Encode())
	}
	req, err := f.client.NewRequest(ctx, call.method, f.urlFor(call), body)
	if err != nil {
		return nil, fmt.Errorf("putio: building %s %s: %w", call.method, call.path, err)
	}
	if call.form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return req, nil
}

// send does one attempt through go-putio and feeds the gate. On success the
// caller owns the open body; on failure it is already closed.
func (f *Fs) send(req *http.Request) (*http.Response, error) {
	resp, err := f.client.Do(req, nil) // nil: we decode the body ourselves
	if err != nil {
		err = f.translateError(err)
	}
	if resp != nil {
		f.gate.observe(resp, err)
	}
	if err != nil {
		if resp != nil && resp.Body != nil {
			_ = resp.Body.Close()
		}
		return nil, err
	}
	return resp, nil
}

// callJSON does an API call with retries and decodes the reply into out.
func (f *Fs) callJSON(ctx context.Context, call apiCall, out reply) error {
	return f.retry(ctx, call.what(), func() error {
		return f.attemptJSON(ctx, call, out)
	})
}

// attemptJSON does one try of an API call.
func (f *Fs) attemptJSON(ctx context.Context, call apiCall, out reply) error {
	req, err := f.newRequest(ctx, call)
	if err != nil {
		return err
	}
	resp, err := f.send(req)
	if err != nil {
		return err
	}
	f.gate.observeAPIDate(resp.Header)
	return decodeReply(resp, out)
}

// decodeReply reads, closes and decodes a JSON reply, telling a truncated
// body (retried) from a malformed one (not retried).
func decodeReply(resp *http.Response, out reply) error {
	defer func() { _ = resp.Body.Close() }()
	where := resp.Request.Method + " " + resp.Request.URL.Path
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxReplySize))
	if err != nil {
		return fmt.Errorf("putio: %s: %w: %v", where, errTruncated, err)
	}
	if err := json.Unmarshal(body, out); err != nil {
		var syntaxErr *json.SyntaxError
		if errors.As(err, &syntaxErr) && syntaxErr.Offset >= int64(len(body)) || len(body) == 0 {
			return fmt.Errorf("putio: %s: %w (got %d bytes)", where, errTruncated, len(body))
		}
		return fmt.Errorf("putio: %s: malformed reply (%v); body starts %q", where, err, api.Excerpt(body))
	}
	if err := out.Validate(); err != nil {
		return fmt.Errorf("putio: %s: unusable reply: %w", where, err)
	}
	return nil
}
