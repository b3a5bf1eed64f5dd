package putiotest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestSearch(t *testing.T) {
	srv, api := newAPI(t)
	dir := api.mkdir(0, "Movies")
	video := api.upload(dir, "Big Movie.mp4", []byte("v"), nil)
	text := api.upload(0, "movie notes.txt", []byte("t"), nil)
	trashed := api.upload(0, "old movie.mp4", []byte("o"), nil)
	mustStatus(t, api.post("/v2/files/delete", url.Values{"file_ids": {itoa(trashed)}}), 200)
	mustPut(t, srv.Account("other"), "movie of another account.mp4", []byte("x"))
	for _, c := range []struct {
		name  string
		query url.Values
		want  []int64
	}{
		{"case-insensitive, folders too, no trash, no other accounts", url.Values{"query": {"MOVIE"}}, []int64{dir, video, text}},
		{"type filter", url.Values{"query": {"movie"}, "type": {"VIDEO"}}, []int64{video}},
		{"two types", url.Values{"query": {"movie"}, "type": {"VIDEO,TEXT"}}, []int64{video, text}},
		{"no hit", url.Values{"query": {"nothing"}}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			var res wireSearch
			strict(t, api.get("/v2/files/search", c.query), 200, &res)
			if len(res.Files) != len(c.want) || res.Total != len(c.want) || res.Cursor != nil {
				t.Fatalf("got %+v, want ids %v", res, c.want)
			}
			for i, f := range res.Files {
				if f.ID != c.want[i] {
					t.Fatalf("hit %d is %d, want %v", i, f.ID, c.want)
				}
			}
		})
	}
	// Paging keeps the query and the type filter.
	var page wireSearch
	strict(t, api.get("/v2/files/search", url.Values{"query": {"movie"}, "type": {"VIDEO,TEXT"}, "per_page": {"1"}}), 200, &page)
	strict(t, api.post("/v2/files/search/continue", url.Values{"cursor": {*page.Cursor}}), 200, &page)
	if len(page.Files) != 1 || page.Files[0].ID != text || page.Cursor != nil {
		t.Fatalf("second page %+v", page)
	}
	for name, r := range map[string]reply{
		"too long":     api.get("/v2/files/search", url.Values{"query": {strings.Repeat("a", 300)}}),
		"no query":     api.get("/v2/files/search", nil),
		"bad per_page": api.get("/v2/files/search", url.Values{"query": {"a"}, "per_page": {"0"}}),
		"bad cursor":   api.post("/v2/files/search/continue", url.Values{"cursor": {"garbage"}}),
		"list cursor":  api.post("/v2/files/search/continue", url.Values{"cursor": {listCursor(t, api)}}),
	} {
		want := map[string]string{"too long": "SEARCH_TOO_LONG_QUERY", "bad cursor": "INVALID_CURSOR", "list cursor": "INVALID_CURSOR"}[name]
		if want == "" {
			want = "BadRequest"
		}
		t.Run(name, func(t *testing.T) { strictError(t, r, 400, want) })
	}
	mustStatus(t, api.get("/v2/files/search", url.Values{"query": {strings.Repeat("é", 255)}}), 200)
}

// listCursor is a files/list cursor, which search/continue must refuse.
func listCursor(t *testing.T, api *apiClient) string {
	t.Helper()
	api.mkdir(0, "c1")
	api.mkdir(0, "c2")
	r := api.get("/v2/files/list", url.Values{"per_page": {"1"}})
	return r.body["cursor"].(string)
}

func TestEvents(t *testing.T) {
	srv, api := newAPI(t)
	var ids []int64
	for _, name := range []string{"a", "b", "c"} {
		ids = append(ids, api.upload(0, name, []byte(name), nil))
	}
	api.mkdir(0, "folders are not history")
	mustStatus(t, api.post("/v2/files/move", url.Values{"file_id": {itoa(ids[0])}, "parent_id": {"0"}, "name": {"renamed"}}), 200)
	mustPut(t, srv.Account("other"), "x", []byte("x"))
	as(api, "other").upload(0, "theirs", []byte("x"), nil)

	var first wireEvents
	strict(t, api.get("/v2/events/list", url.Values{"per_page": {"2"}}), 200, &first)
	if len(first.Events) != 2 || !first.HasMore || first.Events[0].FileID != ids[2] || first.Events[1].FileID != ids[1] {
		t.Fatalf("newest first: %+v", first)
	}
	var rest wireEvents
	strict(t, api.get("/v2/events/list", url.Values{"before": {itoa(first.Events[1].ID)}}), 200, &rest)
	if len(rest.Events) != 1 || rest.HasMore || rest.Events[0].FileID != ids[0] || rest.Events[0].FileName != "a" {
		t.Fatalf("before: %+v", rest)
	}
	for name, r := range map[string]reply{
		"per_page 0":   api.get("/v2/events/list", url.Values{"per_page": {"0"}}),
		"per_page -1":  api.get("/v2/events/list", url.Values{"per_page": {"-1"}}),
		"per_page abc": api.get("/v2/events/list", url.Values{"per_page": {"abc"}}),
	} {
		t.Run(name, func(t *testing.T) { strictError(t, r, 400, "INVALID_PER_PAGE") })
	}
	strictError(t, api.get("/v2/events/list", url.Values{"before": {"x"}}), 400, "BadRequest")

	strict(t, api.post("/v2/events/delete/"+itoa(first.Events[0].ID), nil), 200, &wireOK{})
	// Deleting it again is harmless, as put.io's SDK live suite finds
	// ('events delete missing id is harmless with auth token').
	strict(t, api.post("/v2/events/delete/"+itoa(first.Events[0].ID), nil), 200, &wireOK{})
	var after wireEvents
	strict(t, api.get("/v2/events/list", nil), 200, &after)
	if len(after.Events) != 2 {
		t.Fatalf("after deleting one: %+v", after)
	}
	strict(t, api.post("/v2/events/delete", nil), 200, &wireOK{})
	strict(t, api.get("/v2/events/list", nil), 200, &after)
	if len(after.Events) != 0 || after.HasMore {
		t.Fatalf("after clearing: %+v", after)
	}
	// The other account's history is its own.
	strict(t, as(api, "other").get("/v2/events/list", nil), 200, &after)
	if len(after.Events) != 1 || after.Events[0].FileName != "theirs" {
		t.Fatalf("other account: %+v", after)
	}
}

// The new read routes run against concurrent writes without races (run
// with -race). Reads go in the background with plain HTTP, as the
// helpers may only fail the test from its own goroutine.
func TestReadsDuringWrites(t *testing.T) {
	srv, api := newAPI(t)
	dir := api.mkdir(0, "d")
	visitor := share(t, api, dir, nil)
	reads := []struct{ path, token string }{
		{"/v2/files/search?query=f", srv.Token}, {"/v2/files/search/g/page/-1", srv.Token},
		{"/v2/events/list", srv.Token}, {"/v2/account/info", srv.Token}, {"/v2/public_share/files/list", visitor.token},
	}
	statuses := make(chan int, 20*len(reads))
	go func() {
		defer close(statuses)
		for range 20 {
			for _, r := range reads {
				req, _ := http.NewRequest("GET", srv.URL+r.path, nil)
				req.Header.Set("Authorization", "Bearer "+r.token)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					statuses <- 0
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				closeBody(t, resp.Body)
				statuses <- resp.StatusCode
			}
		}
	}()
	for i := range 20 {
		id := api.upload(dir, "f"+itoa(int64(i)), []byte("x"), nil)
		mustStatus(t, api.post("/v2/files/rename", url.Values{"file_id": {itoa(id)}, "name": {"g" + itoa(int64(i))}}), 200)
		mustStatus(t, api.post("/v2/account/settings", url.Values{"subtitle_languages": {"eng"}, "theme": {"dark"}}), 200)
	}
	for status := range statuses {
		if status != 200 {
			t.Fatalf("a read during writes answered %d", status)
		}
	}
}

type wireTransferCompletedEvent struct {
	CreatedAt    string `json:"created_at"`
	ID           int64  `json:"id"`
	Type         string `json:"type"`
	UserID       int64  `json:"user_id"`
	Source       string `json:"source"`
	TransferName string `json:"transfer_name"`
	FileID       int64  `json:"file_id"`
	TransferSize int64  `json:"transfer_size"`
}

type wireTransferErrorEvent struct {
	CreatedAt    string `json:"created_at"`
	ID           int64  `json:"id"`
	Type         string `json:"type"`
	UserID       int64  `json:"user_id"`
	Source       string `json:"source"`
	TransferName string `json:"transfer_name"`
}

// Transfers that complete or fail are history too, in the TS SDK's shapes.
func TestTransferEvents(t *testing.T) {
	srv, api := newAPI(t)
	acct := srv.Account(srv.Token)
	add := func(u string) int64 {
		r := api.post("/v2/transfers/add", url.Values{"url": {u}})
		mustStatus(t, r, 200)
		return num(r.body["transfer"].(map[string]any), "id")
	}
	done := add("magnet:?xt=urn:btih:aaaa&dn=good")
	failed := add("magnet:?xt=urn:btih:bbbb&dn=bad")
	add("magnet:?xt=urn:btih:cccc&dn=pending")
	file, err := acct.CompleteTransfer(done, []byte("12345"))
	if err != nil {
		t.Fatal(err)
	}
	if err := acct.FailTransfer(failed, "no peers"); err != nil {
		t.Fatal(err)
	}
	r := api.get("/v2/events/list", nil)
	var list struct {
		Events  []json.RawMessage `json:"events"`
		HasMore bool              `json:"has_more"`
		Status  string            `json:"status"`
	}
	strict(t, r, 200, &list)
	if len(list.Events) != 2 {
		t.Fatalf("events %s", r.raw)
	}
	var failedEvent wireTransferErrorEvent
	decodeStrict(t, list.Events[0], &failedEvent)
	var doneEvent wireTransferCompletedEvent
	decodeStrict(t, list.Events[1], &doneEvent)
	if failedEvent.Type != "transfer_error" || failedEvent.TransferName != "bad" || failedEvent.Source != "magnet:?xt=urn:btih:bbbb&dn=bad" ||
		doneEvent.Type != "transfer_completed" || doneEvent.FileID != file.ID || doneEvent.TransferSize != 5 || doneEvent.TransferName != "good" {
		t.Fatalf("events %+v %+v", failedEvent, doneEvent)
	}
}
