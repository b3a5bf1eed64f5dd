package putiotest_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
)

// probe sends one request and reports a panic or a 5xx.
func probe(emu *putiotest.Emulator, method, target, contentType, body string) (code int, reply string, panicked any) {
	defer func() { panicked = recover() }()
	var rd *strings.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	var req *http.Request
	if rd != nil {
		req = httptest.NewRequest(method, target, rd)
		req.Header.Set("Content-Type", contentType)
	} else {
		req = httptest.NewRequest(method, target, nil)
	}
	req.RemoteAddr = "127.0.0.1:5000"
	req.Header.Set("Authorization", "Bearer prober")
	w := httptest.NewRecorder()
	emu.ServeHTTP(w, req)
	return w.Code, w.Body.String(), nil
}

// Review probe: odd values on the new routes.
func TestReviewProbeNewRoutes(t *testing.T) {
	emu := newEmulator(t, putiotest.Options{TasksDoneAtOnce: true})
	f, err := emu.Account("prober").Put("dir/a.mkv", []byte("video"), time.Unix(1e9, 0))
	if err != nil {
		t.Fatal(err)
	}
	id := fmt.Sprint(f.ID)
	form := "application/x-www-form-urlencoded"
	js := "application/json"
	for _, rq := range []struct{ method, target, ctype, body string }{
		{"POST", "/v2/files/" + id + "/start-from", form, "time=NaN"},
		{"GET", "/v2/files/" + id + "/start-from", "", ""},
		{"POST", "/v2/files/" + id + "/start-from", form, "time=Inf"},
		{"GET", "/v2/files/" + id + "/start-from", "", ""},
		{"POST", "/v2/zips/create", form, "file_ids=0"},
		{"GET", "/v2/zips/1", "", ""},
		{"POST", "/v2/download_links/create", form, "file_ids=0"},
		{"GET", "/v2/download_links/1", "", ""},
		{"POST", "/v2/zips/create", form, "file_ids=" + id + ",,"},
		{"POST", "/v2/zips/create", form, "cursor=%00%00"},
		{"PUT", "/v2/config", js, `{"config":{"a":1e999}}`},
		{"GET", "/v2/config", "", ""},
		{"PUT", "/v2/config/k", js, `{"value":"x"}  trailing`},
		{"PUT", "/v2/config/k", js, `[1,2]`},
		{"POST", "/v2/files/watch-status", form, "file_ids=0&watched=true"},
		{"GET", "/v2/files/0/next-file?file_type=FILE", "", ""},
		{"GET", "/v2/files/0/next-video", "", ""},
		{"GET", "/v2/files/0/mp4", "", ""},
		{"POST", "/v2/files/0/mp4", "", ""},
		{"GET", "/v2/files/0/start-from", "", ""},
		{"POST", "/v2/files/share", form, "file_ids=0&friends=everyone"},
		{"GET", "/v2/files/shared", "", ""},
		{"POST", "/v2/sharing/clone", form, "file_ids=0"},
		{"POST", "/v2/rss/create", form, "title=x&rss_source_url=" + url.QueryEscape("http://127.0.0.1:1/x") + "&parent_dir_id=-5"},
		{"POST", "/v2/rss/create", form, "title=&rss_source_url=%25"},
		{"GET", "/v2/rss/list", "", ""},
		{"POST", "/v2/oauth/apps/register", form, "name=x&website=http%3A%2F%2F%5B%3A%3A1&callback=x"},
		{"GET", "/v2/friends/user-search/%00", "", ""},
		{"POST", "/v2/friends/prober/request", "", ""},
		{"POST", "/v2/family/sub_account", form, "username=" + strings.Repeat("x", 5000)},
		{"POST", "/v2/account/create_friend_invitation", "", ""},
		{"GET", "/v2/registration/friend/%25", "", ""},
		{"POST", "/v2/files/extract", form, "user_file_ids=0"},
		{"GET", "/v2/podcast/links", "", ""},
		{"GET", "/v2/tunnel/routes", "", ""},
		{"POST", "/v2/transfers/reannounce", form, "id=-1"},
		{"POST", "/v2/transfers/stop-recording", form, "id=99999999999999999999"},
	} {
		code, body, p := probe(emu, rq.method, rq.target, rq.ctype, rq.body)
		if p != nil || code >= 500 {
			t.Errorf("%s %s %q: %d %.200s panic=%v", rq.method, rq.target, rq.body, code, body, p)
		}
	}
}
