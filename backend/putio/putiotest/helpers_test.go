package putiotest_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
)

// apiClient drives an emulator over HTTP the way a put.io client would.
type apiClient struct {
	t     testing.TB
	srv   *putiotest.Server
	token string
}

func newAPI(t testing.TB, opts ...putiotest.Options) (*putiotest.Server, *apiClient) {
	t.Helper()
	srv := putiotest.NewServer(t, opts...)
	return srv, &apiClient{t: t, srv: srv, token: srv.Token}
}

// reply is a decoded JSON reply with its status and headers.
type reply struct {
	status int
	header http.Header
	body   map[string]any
	raw    []byte
}

func (r reply) errorType() string { s, _ := r.body["error_type"].(string); return s }

func (r reply) file() map[string]any { f, _ := r.body["file"].(map[string]any); return f }

func (r reply) files() []map[string]any {
	list, _ := r.body["files"].([]any)
	out := make([]map[string]any, len(list))
	for i, f := range list {
		out[i] = f.(map[string]any)
	}
	return out
}

// num reads a JSON number field as int64.
func num(m map[string]any, key string) int64 {
	f, _ := m[key].(float64)
	return int64(f)
}

// send makes a request; target is a path under the server or an absolute URL.
func (c *apiClient) send(method, target string, body io.Reader, header http.Header) *http.Response {
	c.t.Helper()
	if !strings.HasPrefix(target, "http") {
		target = c.srv.URL + target
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		c.t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if c.token != "" && req.Header.Get("Authorization") == "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, target, err)
	}
	return resp
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// read decodes a JSON reply and checks its Content-Type is exactly
// application/json.
func (c *apiClient) read(resp *http.Response) reply {
	c.t.Helper()
	defer closeBody(c.t, resp.Body)
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	r := reply{status: resp.StatusCode, header: resp.Header, raw: raw}
	if len(raw) == 0 {
		return r
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		c.t.Fatalf("Content-Type %q, want exactly application/json (body %s)", ct, raw)
	}
	if err := json.Unmarshal(raw, &r.body); err != nil {
		c.t.Fatalf("reply is not a JSON object: %v: %s", err, raw)
	}
	return r
}

// get sends a GET with query parameters.
func (c *apiClient) get(path string, query url.Values) reply {
	c.t.Helper()
	if len(query) > 0 {
		path += "?" + query.Encode()
	}
	return c.read(c.send("GET", path, nil, nil))
}

// post sends a form POST.
func (c *apiClient) post(path string, form url.Values) reply {
	c.t.Helper()
	h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	return c.read(c.send("POST", path, strings.NewReader(form.Encode()), h))
}

// postJSON sends a JSON body POST.
func (c *apiClient) postJSON(path string, body any) reply {
	c.t.Helper()
	data, _ := json.Marshal(body)
	return c.read(c.send("POST", path, bytes.NewReader(data), http.Header{"Content-Type": {"application/json"}}))
}

func (c *apiClient) mkdir(parent int64, name string) int64 {
	c.t.Helper()
	r := c.post("/v2/files/create-folder", url.Values{"name": {name}, "parent_id": {itoa(parent)}})
	mustStatus(c.t, r, 200)
	return num(r.file(), "id")
}

func itoa(i int64) string { return strconv.FormatInt(i, 10) }

func mustStatus(t testing.TB, r reply, want int) {
	t.Helper()
	if r.status != want {
		t.Fatalf("status %d, want %d; body %s", r.status, want, r.raw)
	}
}

func mustError(t testing.TB, r reply, status int, errorType string) {
	t.Helper()
	mustStatus(t, r, status)
	if r.errorType() != errorType {
		t.Fatalf("error_type %q, want %q; body %s", r.errorType(), errorType, r.raw)
	}
	for _, key := range []string{"status", "status_code", "error_message", "error_uri", "error_id", "extra"} {
		if _, ok := r.body[key]; !ok {
			t.Fatalf("error body lacks %q: %s", key, r.raw)
		}
	}
	if r.body["status"] != "ERROR" || num(r.body, "status_code") != int64(status) {
		t.Fatalf("error body status fields wrong: %s", r.raw)
	}
}

// tusMeta encodes Upload-Metadata.
func tusMeta(meta map[string]string) string {
	var parts []string
	for k, v := range meta {
		parts = append(parts, k+" "+base64.StdEncoding.EncodeToString([]byte(v)))
	}
	return strings.Join(parts, ",")
}

// tusCreate starts an upload and returns its Location.
func (c *apiClient) tusCreate(length int, meta map[string]string) string {
	c.t.Helper()
	h := http.Header{"Tus-Resumable": {"1.0.0"}, "Upload-Length": {strconv.Itoa(length)}, "Upload-Metadata": {tusMeta(meta)}}
	resp := c.send("POST", c.srv.UploadURL(), nil, h)
	r := c.read(resp)
	mustStatus(c.t, r, 201)
	loc := r.header.Get("Location")
	if !strings.HasPrefix(loc, "http://") {
		c.t.Fatalf("Location %q is not absolute", loc)
	}
	return loc
}

// tusPatch sends one PATCH.
func (c *apiClient) tusPatch(loc string, offset int, data []byte) reply {
	c.t.Helper()
	h := http.Header{"Tus-Resumable": {"1.0.0"}, "Upload-Offset": {strconv.Itoa(offset)}, "Content-Type": {"application/offset+octet-stream"}}
	return c.read(c.send("PATCH", loc, bytes.NewReader(data), h))
}

// upload creates a file through tus in one PATCH and returns its id.
func (c *apiClient) upload(parent int64, name string, data []byte, extra map[string]string) int64 {
	c.t.Helper()
	meta := map[string]string{"name": name, "parent_id": itoa(parent), "no-torrent": "true"}
	for k, v := range extra {
		meta[k] = v
	}
	loc := c.tusCreate(len(data), meta)
	r := c.tusPatch(loc, 0, data)
	mustStatus(c.t, r, 204)
	id, err := strconv.ParseInt(r.header.Get("Putio-File-Id"), 10, 64)
	if err != nil {
		c.t.Fatalf("no putio-file-id on the last PATCH: %v", r.header)
	}
	return id
}

// appTokenClient is a third-party app token on c's account.
func appTokenClient(t *testing.T, c *apiClient) *apiClient {
	t.Helper()
	token, err := c.srv.Account(c.token).NewToken(putiotest.ScopeApp)
	if err != nil {
		t.Fatal(err)
	}
	return &apiClient{t: t, srv: c.srv, token: token}
}

// download fetches a file's signed URL and its body.
func (c *apiClient) download(id int64, header http.Header) (*http.Response, []byte) {
	c.t.Helper()
	r := c.get("/v2/files/"+itoa(id)+"/url", nil)
	mustStatus(c.t, r, 200)
	u, _ := r.body["url"].(string)
	anon := as(c, "")
	resp := anon.send("GET", u, nil, header)
	defer closeBody(c.t, resp.Body)
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp, body
}

var t0 = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

func stringsReader(s string) io.Reader { return strings.NewReader(s) }

// closeBody closes a reply body, failing the test if that fails.
func closeBody(t testing.TB, body io.Closer) {
	t.Helper()
	if err := body.Close(); err != nil {
		t.Errorf("closing a reply body: %v", err)
	}
}

// closeAtEnd closes c when the test ends, failing it if that fails.
func closeAtEnd(t testing.TB, c io.Closer) {
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
}

// mustPut seeds a file, failing the test if that fails.
func mustPut(t testing.TB, acct *putiotest.Account, path string, data []byte) putiotest.File {
	t.Helper()
	f, err := acct.Put(path, data, t0)
	if err != nil {
		t.Fatalf("Put %q: %v", path, err)
	}
	return f
}

// hangGuard bounds waits only so that a hang fails the test: each wait
// ends on the event it waits for, however slow the machine.
const hangGuard = 2 * time.Minute

// waitUntil polls cond until it holds, failing the test with what only
// after hangGuard.
func waitUntil(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(hangGuard); !cond(); time.Sleep(2 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
	}
}
