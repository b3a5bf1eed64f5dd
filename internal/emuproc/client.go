package emuproc

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Client talks to one emulator over HTTP: the put.io API and tus as the
// account of Token, and the admin API, which needs no token.
type Client struct {
	// URL is the emulator's base, as in Process.URL.
	URL string
	// Token is the account's OAuth token.
	Token string
	// HTTP sends every request; its timeout is the caller's guard against
	// a hung emulator. Nil means http.DefaultClient.
	HTTP *http.Client
}

// API sends a put.io API request to pathQuery ("/v2/files/list?..."), as
// a form when form is not nil, and decodes the JSON reply into reply
// unless that is nil. A status other than 2xx is an error.
func (c *Client) API(ctx context.Context, method, pathQuery string, form url.Values, reply any) error {
	var body io.Reader
	contentType := ""
	if form != nil {
		body, contentType = strings.NewReader(form.Encode()), "application/x-www-form-urlencoded"
	}
	return c.do(ctx, method, pathQuery, body, contentType, reply)
}

// Admin calls the admin route ("calls", "faults", ...) with body, unless
// nil, marshalled as JSON, and decodes the JSON reply into reply unless
// that is nil.
func (c *Client) Admin(ctx context.Context, method, route string, body, reply any) error {
	var payload io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("admin %s: %w", route, err)
		}
		payload = bytes.NewReader(data)
	}
	return c.do(ctx, method, "/_emulator/"+route, payload, "application/json", reply)
}

// Calls is a snapshot of the emulator's request counters.
type Calls struct {
	// Routes counts requests by route name, "PATCH /files/{upload}".
	Routes map[string]int `json:"calls"`
	Total  int            `json:"total"`
}

// Calls reads the request counters.
func (c *Client) Calls(ctx context.Context) (Calls, error) {
	var calls Calls
	err := c.Admin(ctx, http.MethodGet, "calls", nil, &calls)
	return calls, err
}

// ResetCounters zeroes the request counters and the log, e.g. after
// seeding.
func (c *Client) ResetCounters(ctx context.Context) error {
	return c.Admin(ctx, http.MethodPost, "reset", nil, nil)
}

func (c *Client) do(ctx context.Context, method, pathQuery string, body io.Reader, contentType string, reply any) (err error) {
	req, err := newRequest(ctx, c.Token, method, c.URL+pathQuery, body)
	if err != nil {
		return err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return err
	}
	defer closeBody(resp, &err)
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s %s: reading reply: %w", method, pathQuery, err)
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s: %s", method, pathQuery, resp.Status, data)
	}
	if reply == nil {
		return nil
	}
	if err := json.Unmarshal(data, reply); err != nil {
		return fmt.Errorf("%s %s: decoding reply: %w: %s", method, pathQuery, err, data)
	}
	return nil
}

func (c *Client) httpClient() *http.Client {
	if c.HTTP == nil {
		return http.DefaultClient
	}
	return c.HTTP
}

// newRequest is a request with the bearer token, when there is one.
func newRequest(ctx context.Context, token, method, target string, body io.Reader) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return req, nil
}

// closeBody closes a reply's body and reports a failure to close through
// err, unless an earlier error is already there.
func closeBody(resp *http.Response, err *error) {
	if closeErr := resp.Body.Close(); closeErr != nil && *err == nil {
		*err = fmt.Errorf("closing the reply to %s %s: %w", resp.Request.Method, resp.Request.URL.Path, closeErr)
	}
}
