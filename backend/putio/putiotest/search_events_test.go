package putiotest_test

import (
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
	srv.Account("other").Put("movie of another account.mp4", []byte("x"), t0)
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
	srv.Account("other").Put("x", []byte("x"), t0)
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
	strictError(t, api.post("/v2/events/delete/"+itoa(first.Events[0].ID), nil), 404, "NotFound")
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
