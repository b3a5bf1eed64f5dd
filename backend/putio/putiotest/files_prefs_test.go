package putiotest_test

import (
	"net/url"
	"testing"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
)

func TestSetSortBy(t *testing.T) {
	_, api := newAPI(t)
	dir := api.mkdir(0, "dir")
	file := api.upload(0, "f.txt", []byte("x"), nil)
	for _, tc := range []struct {
		name      string
		form      url.Values
		status    int
		errorType string
	}{
		{"folder", url.Values{"file_id": {itoa(dir)}, "sort_by": {"SIZE_DESC"}}, 200, ""},
		{"root", url.Values{"file_id": {"0"}, "sort_by": {"DATE_ASC"}}, 200, ""},
		{"no file_id", url.Values{"sort_by": {"NAME_ASC"}}, 400, "BadRequest"},
		{"missing folder", url.Values{"file_id": {"999999"}, "sort_by": {"NAME_ASC"}}, 404, "NotFound"},
		{"a file", url.Values{"file_id": {itoa(file)}, "sort_by": {"NAME_ASC"}}, 400, "BadRequest"},
		{"bad value", url.Values{"file_id": {itoa(dir)}, "sort_by": {"NAME_UP"}}, 400, "INVALID_VALUE"},
		{"no value", url.Values{"file_id": {itoa(dir)}}, 400, "INVALID_VALUE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := api.post("/v2/files/set-sort-by", tc.form)
			if tc.errorType != "" {
				strictError(t, r, tc.status, tc.errorType)
				return
			}
			strict(t, r, 200, &wireOK{})
		})
	}
	var got wireFileReply
	strict(t, api.get("/v2/files/"+itoa(dir), nil), 200, &got)
	if got.File.SortBy != "SIZE_DESC" {
		t.Fatalf("sort_by after set: %q", got.File.SortBy)
	}
	var list wireList
	strict(t, api.get("/v2/files/list", nil), 200, &list)
	if list.Parent.SortBy != "DATE_ASC" {
		t.Fatalf("root sort_by %q", list.Parent.SortBy)
	}
	for _, f := range list.Files {
		if f.ID == file && f.SortBy != "" {
			t.Fatalf("a file shows sort_by %q", f.SortBy)
		}
	}

	strict(t, api.post("/v2/files/remove-sort-by-settings", nil), 200, &wireOK{})
	for _, id := range []int64{dir, 0} {
		r := api.get("/v2/files/"+itoa(id), nil)
		mustStatus(t, r, 200)
		if _, ok := r.file()["sort_by"]; ok {
			t.Fatalf("folder %d keeps sort_by after remove: %s", id, r.raw)
		}
	}
}

// copy-to-disk copies into the default download folder, all or nothing.
func TestCopyToDisk(t *testing.T) {
	srv, api := newAPI(t)
	acct := srv.Account(srv.Token)
	src := api.mkdir(0, "src")
	a := api.upload(src, "a.txt", []byte("aaa"), nil)
	sub := api.mkdir(src, "sub")
	api.upload(sub, "b.txt", []byte("bb"), nil)
	dest := api.mkdir(0, "downloads")
	mustStatus(t, api.post("/v2/account/settings", url.Values{"default_download_folder": {itoa(dest)}}), 200)

	strict(t, api.post("/v2/files/copy-to-disk", url.Values{"file_ids": {itoa(a) + "," + itoa(sub)}}), 200, &wireOK{})
	got, err := acct.Walk("downloads")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a.txt", "sub", "sub/b.txt"}
	if len(got) != len(want) {
		t.Fatalf("downloads holds %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("downloads holds %q, want %q", got, want)
		}
	}
	if data, _ := acct.ReadFile("downloads/sub/b.txt"); string(data) != "bb" {
		t.Fatalf("copied bytes %q", data)
	}
	if data, _ := acct.ReadFile("src/a.txt"); string(data) != "aaa" {
		t.Fatalf("source changed: %q", data)
	}

	other := api.upload(0, "other.txt", []byte("o"), nil)
	for _, tc := range []struct {
		name, ids string
		status    int
		errorType string
	}{
		{"no ids", "", 400, "BadRequest"},
		{"garbage", "1,x", 400, "BadRequest"},
		{"missing id", itoa(other) + ",999999", 404, "NotFound"},
		{"root", "0", 400, "BadRequest"},
		{"name taken", itoa(other) + "," + itoa(a), 400, "NAME_ALREADY_EXIST"},
		{"into itself", itoa(dest), 400, "BadRequest"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			strictError(t, api.post("/v2/files/copy-to-disk", url.Values{"file_ids": {tc.ids}}), tc.status, tc.errorType)
			if _, err := acct.Stat("downloads/other.txt"); err == nil {
				t.Fatal("a refused copy-to-disk copied other.txt")
			}
		})
	}
}

func TestCopyToDiskQuota(t *testing.T) {
	srv, api := newAPI(t, putiotest.Options{Quota: 10})
	a := api.upload(0, "a", []byte("123456"), nil)
	dest := api.mkdir(0, "downloads")
	mustStatus(t, api.post("/v2/account/settings", url.Values{"default_download_folder": {itoa(dest)}}), 200)
	strictError(t, api.post("/v2/files/copy-to-disk", url.Values{"file_ids": {itoa(a)}}), 413, "QUOTA_EXCEEDED")
	if files, _ := srv.Account(srv.Token).List("downloads"); len(files) != 0 {
		t.Fatalf("downloads holds %d items after a refused copy", len(files))
	}
}

func TestItemsSharedWithYou(t *testing.T) {
	_, api := newAPI(t)
	api.upload(0, "mine", []byte("x"), nil)
	var list wireList
	strict(t, api.get("/v2/files/list/items-shared-with-you", url.Values{"total": {"1"}}), 200, &list)
	if len(list.Files) != 0 || list.Cursor != nil || list.Parent == nil || list.Parent.ID != -2 ||
		list.Parent.FolderType != "SHARED_ROOT" || list.Parent.FileType != "FOLDER" || *list.Parent.ParentID != 0 {
		t.Fatalf("shared-with-you %+v", list)
	}
	r := api.get("/v2/files/list/items-shared-with-you", nil)
	if _, ok := r.body["total"]; ok {
		t.Fatalf("total without total=1: %s", r.raw)
	}
	strictError(t, api.get("/v2/files/list/items-shared-with-you", url.Values{"per_page": {"0"}}), 400, "BadRequest")
}
