package putiotest_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
)

// stream and download answer GET and HEAD with a 302 to the signed URL.
func TestStreamAndDownloadRedirect(t *testing.T) {
	_, api := newAPI(t)
	file := api.upload(0, "song.mp3", []byte("la la"), nil)
	dir := api.mkdir(0, "d")
	for _, c := range []struct{ method, route string }{
		{"GET", "stream"}, {"HEAD", "stream"}, {"HEAD", "download"}, {"GET", "download"},
	} {
		t.Run(c.method+" "+c.route, func(t *testing.T) {
			resp := api.send(c.method, "/v2/files/"+itoa(file)+"/"+c.route, nil, nil)
			closeBody(t, resp.Body)
			loc, err := resp.Location()
			if resp.StatusCode != 302 || err != nil || !strings.Contains(loc.Path, "/download/"+itoa(file)) {
				t.Fatalf("%d %v", resp.StatusCode, loc)
			}
			got, body := api.download(file, nil)
			if got.StatusCode != 200 || string(body) != "la la" {
				t.Fatalf("the redirect target serves %d %q", got.StatusCode, body)
			}
		})
	}
	strictError(t, api.get("/v2/files/999999/stream", nil), 404, "NotFound")
	strictError(t, api.get("/v2/files/"+itoa(dir)+"/stream", nil), 400, "NotFile")
	strictError(t, as(api, "").get("/v2/files/"+itoa(file)+"/stream", nil), 401, "Unauthorized")
}

// multipartBody builds a legacy upload form; fields come before the file
// unless late is set.
func multipartBody(t *testing.T, fields map[string]string, fileName string, data []byte, late bool) (*bytes.Buffer, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	writeFields := func() {
		for k, v := range fields {
			_ = w.WriteField(k, v)
		}
	}
	if !late {
		writeFields()
	}
	if fileName != "-" {
		part, _ := w.CreateFormFile("file", fileName)
		_, _ = part.Write(data)
	}
	if late {
		writeFields()
	}
	_ = w.Close()
	return &buf, w.FormDataContentType()
}

func (c *apiClient) legacyUpload(fields map[string]string, fileName string, data []byte, late bool) reply {
	c.t.Helper()
	body, ctype := multipartBody(c.t.(*testing.T), fields, fileName, data, late)
	return c.read(c.send("POST", "/v2/files/upload", body, http.Header{"Content-Type": {ctype}}))
}

func TestLegacyMultipartUpload(t *testing.T) {
	srv, api := newAPI(t, putiotest.Options{Quota: 100})
	dir := api.mkdir(0, "in")
	dl := api.mkdir(0, "downloads")
	var got wireFileReply
	strict(t, api.legacyUpload(map[string]string{"parent_id": itoa(dir)}, "a.txt", []byte("abc"), false), 200, &got)
	if got.File.Name != "a.txt" || got.File.Size != 3 || *got.File.ParentID != dir || *got.File.CRC32 != "352441c2" {
		t.Fatalf("upload %+v", got.File)
	}
	if body, _ := srv.Account(srv.Token).ReadFile("in/a.txt"); string(body) != "abc" {
		t.Fatalf("stored %q", body)
	}
	// filename overrides the part's name, even after the file part.
	strict(t, api.legacyUpload(map[string]string{"filename": "renamed.txt", "parent_id": "0"}, "orig.txt", []byte("x"), true), 200, &got)
	if got.File.Name != "renamed.txt" || *got.File.ParentID != 0 {
		t.Fatalf("filename field %+v", got.File)
	}
	// Without parent_id: the default download folder of the settings.
	mustStatus(t, api.post("/v2/account/settings", url.Values{"default_download_folder": {itoa(dl)}}), 200)
	strict(t, api.legacyUpload(nil, "d.txt", nil, false), 200, &got)
	if *got.File.ParentID != dl || got.File.Size != 0 {
		t.Fatalf("default folder %+v", got.File)
	}
	// The token may come as oauth_token, as put.io's docs show.
	body, ctype := multipartBody(t, nil, "q.txt", []byte("q"), false)
	anon := as(api, "")
	mustStatus(t, anon.read(anon.send("POST", "/v2/files/upload?oauth_token="+srv.Token, body, http.Header{"Content-Type": {ctype}})), 200)
	// An upload is history.
	var events wireEvents
	strict(t, api.get("/v2/events/list", url.Values{"per_page": {"1"}}), 200, &events)
	if events.Events[0].FileName != "q.txt" {
		t.Fatalf("events %+v", events)
	}

	for name, c := range map[string]struct {
		r         reply
		status    int
		errorType string
	}{
		"no file part":   {api.legacyUpload(map[string]string{"parent_id": "0"}, "-", nil, false), 400, "BadRequest"},
		"missing parent": {api.legacyUpload(map[string]string{"parent_id": "999999"}, "x", []byte("x"), false), 404, "NotFound"},
		"bad name":       {api.legacyUpload(map[string]string{"filename": "a/b"}, "x", []byte("x"), false), 400, "SLASH_IN_NAME"},
		"over quota":     {api.legacyUpload(nil, "big", bytes.Repeat([]byte("x"), 200), false), 413, "QUOTA_EXCEEDED"},
		"not multipart":  {api.post("/v2/files/upload", url.Values{"file": {"x"}}), 400, "BadRequest"},
		"no token":       {anon.legacyUpload(nil, "x", []byte("x"), false), 401, "Unauthorized"},
	} {
		t.Run(name, func(t *testing.T) { strictError(t, c.r, c.status, c.errorType) })
	}
	if used, _ := srv.Account(srv.Token).Usage(); used != 5 {
		t.Fatalf("used %d: a refused upload kept bytes", used)
	}
}

// A .torrent sent through the legacy form becomes a transfer, not a file.
func TestLegacyUploadOfTorrent(t *testing.T) {
	srv, api := newAPI(t)
	dir := api.mkdir(0, "in")
	r := api.legacyUpload(map[string]string{"parent_id": itoa(dir)}, "linux.torrent", []byte("d8:announce"), false)
	var got struct {
		Transfer map[string]any `json:"transfer"`
		Status   string         `json:"status"`
	}
	strict(t, r, 200, &got)
	if got.Transfer["name"] != "linux" || got.Transfer["type"] != "TORRENT" || got.Transfer["source"] != "linux.torrent" ||
		num(got.Transfer, "save_parent_id") != dir || got.Transfer["status"] != "WAITING" {
		t.Fatalf("transfer %s", r.raw)
	}
	transfers := srv.Account(srv.Token).Transfers()
	if len(transfers) != 1 || transfers[0].ID != num(got.Transfer, "id") {
		t.Fatalf("transfers %+v", transfers)
	}
	if files, _ := srv.Account(srv.Token).List("in"); len(files) != 0 {
		t.Fatalf("a torrent became a file: %+v", files)
	}
	if used, _ := srv.Account(srv.Token).Usage(); used != 0 {
		t.Fatalf("used %d", used)
	}
}

// Ids are numbers: an unknown word under /v2/files/ is an unknown route,
// counted as such, not a missing item.
func TestUnknownWordsAreNotIDs(t *testing.T) {
	srv, api := newAPI(t)
	for _, path := range []string{"/v2/files/nosuch", "/v2/files/-1", "/v2/files/1x/url", "/v2/files/zips", "/v2/public_share/abc"} {
		t.Run(path, func(t *testing.T) {
			r := api.get(path, nil)
			strictError(t, r, 404, "NotFound")
			if msg := r.body["error_message"].(string); !strings.Contains(msg, "no such API route") {
				t.Fatalf("message %q", msg)
			}
		})
	}
	if n := srv.Calls("GET /v2/files/{id}"); n != 0 {
		t.Fatalf("GET /v2/files/{id} counted %d", n)
	}
	if n := srv.Calls("unknown"); n != 5 {
		t.Fatalf("unknown counted %d", n)
	}
	strict(t, api.get("/v2/files/0", nil), 200, &wireFileReply{})
}

func TestSharedWith(t *testing.T) {
	_, api := newAPI(t)
	file := api.upload(0, "f", []byte("x"), nil)
	r := api.get("/v2/files/"+itoa(file)+"/shared-with-v2", nil)
	mustStatus(t, r, 200)
	if r.body["share_type"] != "friends" || len(r.body["shares"].([]any)) != 0 {
		t.Fatalf("shared-with %s", r.raw)
	}
	// put.io answers 500, not 404, for a missing id (TS SDK live test).
	strictError(t, api.get("/v2/files/999999/shared-with-v2", nil), 500, "InternalServerError")
}

func TestCanWrite(t *testing.T) {
	srv, api := newAPI(t)
	file := api.upload(0, "f", []byte("x"), nil)
	foreign, _ := srv.Account("other").Put("theirs", []byte("x"), t0)
	var got struct {
		UserID int64  `json:"user_id"`
		Status string `json:"status"`
	}
	strict(t, api.get("/v2/files/"+itoa(file)+"/can-write", nil), 200, &got)
	if got.UserID != srv.Account(srv.Token).UserID() {
		t.Fatalf("user_id %d", got.UserID)
	}
	strict(t, api.get("/v2/files/0/can-write", nil), 200, &got)
	strictError(t, api.get("/v2/files/"+itoa(foreign.ID)+"/can-write", nil), 404, "NotFound")
}

// What ServeMux would answer differently (a 405, a redirect, GET serving
// HEAD, a tree under a trailing slash) is an unknown route, as before.
func TestRouterAnswersLikePutio(t *testing.T) {
	srv, api := newAPI(t)
	file := api.upload(0, "f", []byte("x"), nil)
	for _, c := range []struct{ method, path, hint string }{
		{"HEAD", "/v2/files/" + itoa(file), ""},
		{"POST", "/v2/files/" + itoa(file), "use GET"},
		{"GET", "/v2/files/extract/1", "use DELETE"},
		{"POST", "/files", "see the put.io API"},
		{"POST", "/files/u/more", "see the put.io API"},
		{"GET", "/files/u", "use PATCH or HEAD or DELETE"},
		{"GET", "/v2//files/list", "see the put.io API"},
		{"GET", "/v2/files/list/", "see the put.io API"},
		{"GET", "/v2/files/../files/list", "see the put.io API"},
		{"GET", "/v2/public_share/5", "use POST or DELETE"},
	} {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			r := api.read(api.send(c.method, c.path, nil, nil))
			if r.status != 404 || r.header.Get("Location") != "" {
				t.Fatalf("%d, Location %q", r.status, r.header.Get("Location"))
			}
			if c.method == "HEAD" {
				return
			}
			strictError(t, r, 404, "NotFound")
			if msg := r.body["error_message"].(string); !strings.Contains(msg, "no such API route") || !strings.Contains(msg, c.hint) {
				t.Fatalf("message %q, want the hint %q", msg, c.hint)
			}
		})
	}
	if n := srv.Calls("unknown"); n != 10 {
		t.Fatalf("unknown counted %d", n)
	}
	if n := srv.Calls("GET /v2/files/{id}"); n != 0 {
		t.Fatalf("GET /v2/files/{id} counted %d", n)
	}
}

// Routes match the escaped path, as ServeMux does: an escaped slash is
// part of its segment. So a {query} may hold one (the legacy search's next
// link escapes its query so), and an {id} with one is no id. The
// hand-written router split the decoded path and did the opposite; the
// record says nothing either way.
func TestEscapedSlashStaysInItsSegment(t *testing.T) {
	srv, api := newAPI(t)
	mustStatus(t, api.get("/v2/files/search/a%2Fb/page/1", nil), 200)
	if n := srv.Calls("GET /v2/files/search/{query}/page/{n}"); n != 1 {
		t.Fatalf("a query with an escaped slash routed to the search %d times", n)
	}
	child := api.read(api.send("GET", "/v2/files/0%2Fchild?name=x", nil, nil))
	strictError(t, child, 404, "NotFound")
	if msg, _ := child.body["error_message"].(string); !strings.Contains(msg, "no such API route") {
		t.Fatalf("an {id} with an escaped slash: %q", msg)
	}
}
