package putiotest_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
)

// FuzzRequests throws arbitrary requests at the handler: whatever comes
// in, the reply is never a 5xx and every API error is put.io's JSON.
func FuzzRequests(f *testing.F) {
	for _, seed := range []struct{ method, target, contentType, body string }{
		{"GET", "/v2/files/list?parent_id=1&per_page=2&file_type=FOLDER", "", ""},
		{"POST", "/v2/files/list/continue", "application/json", `{"cursor":"eyJrIjoiZmlsZXMifQ"}`},
		{"POST", "/v2/files/create-folder", "application/x-www-form-urlencoded", "name=a%00b&parent_id=0"},
		{"POST", "/v2/files/move", "application/x-www-form-urlencoded", "file_ids=1,2,x&parent_id=1"},
		{"POST", "/v2/files/copy", "application/json", `{"file_id":[1,{}],"parent_id":null}`},
		{"POST", "/v2/files/touch?file_id=1&updated_at=2024-13-45T99:00:00Z", "", ""},
		{"POST", "/v2/files/delete", "application/x-www-form-urlencoded", "file_ids=0&skip_trash=1"},
		{"POST", "/files/", "", ""},
		{"PATCH", "/files/abc", "application/offset+octet-stream", "xyz"},
		{"GET", "/download/1?a=1&e=99999999999&u=00", "", ""},
		{"POST", "/v2/public_share/1", "application/x-www-form-urlencoded", "expiration_date=2024-02-30"},
		{"POST", "/v2/trash/restore", "application/json", `[1,2]`},
		{"GET", "/v2/oauth2/authenticate?redirect_uri=%zz", "", ""},
	} {
		f.Add(seed.method, seed.target, seed.contentType, seed.body)
	}
	emu, err := putiotest.New(putiotest.Options{})
	if err != nil {
		f.Fatal(err)
	}
	closeAtEnd(f, emu)
	mustPut(f, emu.Account("fuzz"), "d/f.txt", []byte("x"))
	f.Fuzz(func(t *testing.T, method, target, contentType, body string) {
		req, err := http.NewRequest(method, "http://emulator"+target, strings.NewReader(body))
		if err != nil || !strings.HasPrefix(req.URL.Path, "/") {
			return // not a request a client could send
		}
		req.Header.Set("Authorization", "Bearer fuzz")
		req.Header.Set("Content-Type", contentType)
		w := httptest.NewRecorder()
		emu.ServeHTTP(w, req)
		if w.Code >= 500 {
			t.Fatalf("%s %s: %d %s", method, target, w.Code, w.Body)
		}
		if w.Code >= 400 && method != "HEAD" && w.Header().Get("Content-Type") != "application/json" {
			t.Fatalf("%s %s: error %d with Content-Type %q", method, target, w.Code, w.Header().Get("Content-Type"))
		}
	})
}
