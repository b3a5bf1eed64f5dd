package putiotest_test

import (
	"fmt"
	"net/url"
	"slices"
	"testing"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
)

// listAll pages through a folder and returns the ids in order and the
// number of pages.
func listAll(t *testing.T, api *apiClient, query url.Values, useJSON bool) (ids []int64, pages int) {
	t.Helper()
	r := api.get("/v2/files/list", query)
	for {
		mustStatus(t, r, 200)
		pages++
		for _, f := range r.files() {
			ids = append(ids, num(f, "id"))
		}
		cur, _ := r.body["cursor"].(string)
		if r.body["cursor"] == nil {
			return ids, pages
		}
		if useJSON {
			r = api.postJSON("/v2/files/list/continue", map[string]string{"cursor": cur})
		} else {
			r = api.post("/v2/files/list/continue", url.Values{"cursor": {cur}})
		}
	}
}

// pagedFolder is a folder d of 1005 files, with their ids in order.
func pagedFolder(t *testing.T, srv *putiotest.Server, token string) (dirID int64, want []int64) {
	acct := srv.Account(token)
	for i := range 1005 {
		f, _ := acct.Put(fmt.Sprintf("d/f%04d.txt", i), []byte("x"), t0)
		want = append(want, f.ID)
	}
	dir, _ := acct.Stat("d")
	return dir.ID, want
}

func TestListingPages(t *testing.T) {
	srv, api := newAPI(t)
	dirID, want := pagedFolder(t, srv, api.token)
	for _, tc := range []struct {
		perPage string
		pages   int
		json    bool
	}{
		{"", 11, false},    // default 100
		{"7", 144, true},   // small pages, JSON continue (go-putio's form)
		{"1000", 2, false}, // go-putio's size, the largest
	} {
		q := url.Values{"parent_id": {itoa(dirID)}}
		if tc.perPage != "" {
			q.Set("per_page", tc.perPage)
		}
		ids, pages := listAll(t, api, q, tc.json)
		if !slices.Equal(ids, want) || pages != tc.pages {
			t.Errorf("per_page %q: %d ids in %d pages, want %d in %d", tc.perPage, len(ids), pages, len(want), tc.pages)
		}
	}
	r := api.get("/v2/files/list", url.Values{"parent_id": {itoa(dirID)}, "per_page": {"0"}})
	mustError(t, r, 400, "BadRequest")
}

// A page over 1000 is refused, as put.io refuses transfers/list?per_page=
// 1001 (SDK live suite), on every listing and its continuation; with
// ClampPerPage it is cut to 1000.
func TestListingPageOverTheLargest(t *testing.T) {
	srv, api := newAPI(t)
	dirID, _ := pagedFolder(t, srv, api.token)
	tooLarge := url.Values{"per_page": {"1001"}}
	for route, r := range map[string]reply{
		"files":     api.get("/v2/files/list", url.Values{"parent_id": {itoa(dirID)}, "per_page": {"1001"}}),
		"transfers": api.get("/v2/transfers/list", tooLarge),
		"trash":     api.get("/v2/trash/list", tooLarge),
		"search":    api.get("/v2/files/search", url.Values{"query": {"f0"}, "per_page": {"1001"}}),
		"events":    api.get("/v2/events/list", tooLarge),
		"continue": api.post("/v2/files/list/continue", url.Values{"per_page": {"1001"},
			"cursor": {api.get("/v2/files/list", url.Values{"parent_id": {itoa(dirID)}, "per_page": {"1"}}).body["cursor"].(string)}}),
	} {
		t.Run(route, func(t *testing.T) { strictError(t, r, 400, "INVALID_PER_PAGE") })
	}

	clamped, capi := newAPI(t, putiotest.Options{ClampPerPage: true})
	cdir, cwant := pagedFolder(t, clamped, capi.token)
	ids, pages := listAll(t, capi, url.Values{"parent_id": {itoa(cdir)}, "per_page": {"5000"}}, false)
	if !slices.Equal(ids, cwant) || pages != 2 {
		t.Errorf("ClampPerPage, per_page 5000: %d ids in %d pages, want %d in 2", len(ids), pages, len(cwant))
	}
}

func TestListingCursorNamesAPosition(t *testing.T) {
	_, api := newAPI(t)
	var ids []int64
	for i := range 4 {
		ids = append(ids, api.upload(0, fmt.Sprint("f", i), []byte("x"), nil))
	}
	r := api.get("/v2/files/list", url.Values{"per_page": {"2"}})
	cur := r.body["cursor"].(string)
	// Changes behind the cursor do not matter; new items after it show.
	api.post("/v2/files/delete", url.Values{"file_ids": {itoa(ids[0])}})
	late := api.upload(0, "late", []byte("x"), nil)
	r = api.post("/v2/files/list/continue", url.Values{"cursor": {cur}, "per_page": {"10"}})
	mustStatus(t, r, 200)
	var got []int64
	for _, f := range r.files() {
		got = append(got, num(f, "id"))
	}
	if !slices.Equal(got, []int64{ids[2], ids[3], late}) || r.body["cursor"] != nil {
		t.Fatalf("continued with %v cursor %v", got, r.body["cursor"])
	}
}

func TestListingCursorErrors(t *testing.T) {
	_, api := newAPI(t)
	for i := range 3 {
		api.upload(0, fmt.Sprint("f", i), []byte("x"), nil)
	}
	cur := api.get("/v2/files/list", url.Values{"per_page": {"1"}}).body["cursor"].(string)
	other := *api
	other.token = "other-account"
	for name, r := range map[string]reply{
		"garbage":       api.post("/v2/files/list/continue", url.Values{"cursor": {"not-a-cursor"}}),
		"empty":         api.post("/v2/files/list/continue", nil),
		"other account": other.post("/v2/files/list/continue", url.Values{"cursor": {cur}}),
		"trash kind":    api.post("/v2/trash/list/continue", url.Values{"cursor": {cur}}),
		"bad JSON":      api.read(api.send("POST", "/v2/files/list/continue", nil, map[string][]string{"Content-Type": {"application/json"}})),
	} {
		t.Run(name, func(t *testing.T) { mustError(t, r, 400, "INVALID_CURSOR") })
	}
	r := api.read(api.send("POST", "/v2/files/list/continue", stringsReader("{"), map[string][]string{"Content-Type": {"application/json"}}))
	mustError(t, r, 400, "BadRequest")
}

func TestListingFilters(t *testing.T) {
	_, api := newAPI(t)
	dir := api.mkdir(0, "d")
	video := api.upload(0, "a.mp4", []byte("x"), nil)
	text := api.upload(0, "b.txt", []byte("x"), nil)
	for _, tc := range []struct {
		types string
		want  []int64
	}{
		{"FOLDER", []int64{dir}},
		{"VIDEO,TEXT", []int64{video, text}},
		{"AUDIO", nil},
	} {
		ids, _ := listAll(t, api, url.Values{"file_type": {tc.types}, "per_page": {"1"}}, false)
		if !slices.Equal(ids, tc.want) {
			t.Errorf("file_type %s: %v, want %v", tc.types, ids, tc.want)
		}
	}
	r := api.get("/v2/files/list", url.Values{"total": {"1"}, "file_type": {"VIDEO,TEXT"}})
	if num(r.body, "total") != 2 {
		t.Errorf("total %v", r.body["total"])
	}
	// Listing a file answers with the file as parent and no children.
	r = api.get("/v2/files/list", url.Values{"parent_id": {itoa(text)}})
	mustStatus(t, r, 200)
	if num(r.body["parent"].(map[string]any), "id") != text || len(r.files()) != 0 {
		t.Fatalf("listing a file: %s", r.raw)
	}
}

func TestListingShuffle(t *testing.T) {
	_, api := newAPI(t, putiotest.Options{ShuffleListing: true, Seed: 7})
	var want []int64
	for i := range 20 {
		want = append(want, api.upload(0, fmt.Sprint("f", i), []byte("x"), nil))
	}
	ids, _ := listAll(t, api, url.Values{"per_page": {"10"}}, false)
	if slices.Equal(ids, want) {
		t.Fatal("shuffled listing came back in id order")
	}
	slices.Sort(ids)
	if !slices.Equal(ids, want) {
		t.Fatalf("shuffled listing lost or repeated items: %v", ids)
	}
}
