package putiotest_test

import (
	"net/url"
	"slices"
	"testing"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
)

// listNames lists folder 0 one item a page, following the cursor, with
// query, and returns the names and is_hidden flags in order.
func listNames(api *apiClient, query url.Values) (names []string, hidden []bool) {
	query.Set("parent_id", "0")
	query.Set("per_page", "1")
	r := api.get("/v2/files/list", query)
	for {
		mustStatus(api.t, r, 200)
		for _, f := range r.files() {
			names = append(names, f["name"].(string))
			hidden = append(hidden, f["is_hidden"].(bool))
		}
		cur, _ := r.body["cursor"].(string)
		if cur == "" {
			return names, hidden
		}
		r = api.post("/v2/files/list/continue", url.Values{"cursor": {cur}})
	}
}

// A hidden item says so in is_hidden. With HideHiddenItems it is left out
// of listings (continuation pages and total included) and child lookups
// unless the request asks hidden=1 or hidden=true; by default it is
// always there.
func TestHiddenItems(t *testing.T) {
	for _, hide := range []bool{false, true} {
		srv, api := newAPI(t, putiotest.Options{HideHiddenItems: hide})
		acct := srv.Account(srv.Token)
		for _, name := range []string{"a.txt", "h.txt", "z.txt"} {
			mustPut(t, acct, name, []byte(name))
		}
		if err := acct.SetHidden("h.txt", true); err != nil {
			t.Fatal(err)
		}
		if f, err := acct.Stat("h.txt"); err != nil || !f.Hidden {
			t.Fatalf("Stat: %+v %v", f, err)
		}
		if err := acct.SetHidden("missing", true); err == nil {
			t.Error("SetHidden of nothing succeeded")
		}
		all := []string{"a.txt", "h.txt", "z.txt"}
		shown := all
		if hide {
			shown = []string{"a.txt", "z.txt"}
		}
		for query, want := range map[string][]string{"": shown, "hidden=1": all, "hidden=true": all} {
			values, _ := url.ParseQuery(query)
			names, flags := listNames(api, values)
			if !slices.Equal(names, want) || slices.Contains(flags, true) != slices.Contains(want, "h.txt") {
				t.Errorf("hide=%v %q: %v %v, want %v", hide, query, names, flags, want)
			}
			values.Set("parent_id", "0")
			values.Set("total", "1")
			if total := num(api.get("/v2/files/list", values).body, "total"); total != int64(len(want)) {
				t.Errorf("hide=%v %q: total %d, want %d", hide, query, total, len(want))
			}
			childQuery, _ := url.ParseQuery(query)
			childQuery.Set("name", "h.txt")
			child := api.get("/v2/files/0/child", childQuery)
			if found := child.status == 200; found != slices.Contains(want, "h.txt") {
				t.Errorf("hide=%v %q: child h.txt status %d", hide, query, child.status)
			}
		}
	}
}
