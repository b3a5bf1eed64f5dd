package putiotest_test

import (
	"net/url"
	"slices"
	"testing"
)

// Contract tests per area: every reply decodes strictly (no field missing,
// none extra, nulls only where the record allows) into the record's shapes
// of strict_test.go.

func TestContractFilesShapes(t *testing.T) {
	_, api := newAPI(t)
	dir := api.mkdir(0, "dir")
	file := api.upload(dir, "a.txt", []byte("abc"), nil)
	api.upload(dir, "b", []byte("b"), nil)

	var list wireList
	strict(t, api.get("/v2/files/list", url.Values{"parent_id": {itoa(dir)}, "per_page": {"1"}, "total": {"1"}}), 200, &list)
	if len(list.Files) != 1 || list.Cursor == nil || list.Total != 2 || list.Parent == nil || list.Parent.ID != dir || list.Parent.FileType != "FOLDER" {
		t.Fatalf("list %+v", list)
	}
	var page wirePage
	strict(t, api.post("/v2/files/list/continue", url.Values{"cursor": {*list.Cursor}}), 200, &page)
	if len(page.Files) != 1 || page.Cursor != nil || page.Files[0].Extension != nil || page.Files[0].CRC32 == nil {
		t.Fatalf("continue %+v", page)
	}
	var root wireList
	strict(t, api.get("/v2/files/list", nil), 200, &root)
	if root.Parent.ParentID != nil || root.Parent.ID != 0 {
		t.Fatalf("root as parent %+v", root.Parent)
	}
	var got wireFileReply
	strict(t, api.get("/v2/files/"+itoa(file), nil), 200, &got)
	if got.File.Name != "a.txt" || *got.File.CRC32 != "352441c2" || *got.File.Extension != "txt" || *got.File.ParentID != dir {
		t.Fatalf("get %+v", got.File)
	}
	strict(t, api.get("/v2/files/"+itoa(dir)+"/child", url.Values{"name": {"a.txt"}}), 200, &got)
	strict(t, api.post("/v2/files/create-folder", url.Values{"name": {"new"}, "parent_id": {"0"}}), 200, &got)
	strict(t, api.post("/v2/files/copy", url.Values{"file_id": {itoa(file)}, "parent_id": {"0"}}), 200, &got)
	strict(t, api.post("/v2/files/rename", url.Values{"file_id": {itoa(got.File.ID)}, "name": {"c.txt"}}), 200, &wireOK{})
	strict(t, api.post("/v2/files/touch", url.Values{"file_id": {itoa(file)}, "updated_at": {"2024-01-01T00:00:00Z"}}), 200, &wireOK{})
	var u wireURL
	strict(t, api.get("/v2/files/"+itoa(file)+"/url", nil), 200, &u)
	var del wireDelete
	strict(t, api.post("/v2/files/delete", url.Values{"file_ids": {itoa(got.File.ID)}}), 200, &del)
	strictError(t, api.get("/v2/files/999999", nil), 404, "NotFound")
	strictError(t, api.get("/v2/files/nosuchword", nil), 404, "NotFound")
	strict(t, api.post("/v2/files/set-sort-by", url.Values{"file_id": {itoa(dir)}, "sort_by": {"NAME_DESC"}}), 200, &wireOK{})
	strict(t, api.get("/v2/files/"+itoa(dir), nil), 200, &got)
	strict(t, api.post("/v2/files/remove-sort-by-settings", nil), 200, &wireOK{})
	strictError(t, api.post("/v2/files/copy-to-disk", url.Values{"file_ids": {itoa(dir)}}), 400, "NAME_ALREADY_EXIST") // the root holds "dir"
	strict(t, api.get("/v2/files/list/items-shared-with-you", nil), 200, &wireList{})
	zip := api.upload(dir, "c.zip", []byte("PK"), nil)
	strict(t, api.post("/v2/files/extract", url.Values{"user_file_ids": {itoa(zip)}}), 200, &wireExtractions{})
	strict(t, api.get("/v2/files/extract", nil), 200, &wireExtractions{})
	strictError(t, api.read(api.send("DELETE", "/v2/files/extract/999", nil, nil)), 404, "NotFound")
}

func TestContractTrashShapes(t *testing.T) {
	_, api := newAPI(t)
	for _, name := range []string{"a", "b"} {
		id := api.upload(0, name, []byte(name), nil)
		mustStatus(t, api.post("/v2/files/delete", url.Values{"file_ids": {itoa(id)}}), 200)
	}
	var list wireTrashList
	strict(t, api.get("/v2/trash/list", url.Values{"per_page": {"1"}}), 200, &list)
	if len(list.Files) != 1 || list.Cursor == nil || list.Total != 2 || list.TrashSize != 2 || list.Files[0].DeletedAt == "" {
		t.Fatalf("trash list %+v", list)
	}
	var page wireTrashPage
	strict(t, api.post("/v2/trash/list/continue", url.Values{"cursor": {*list.Cursor}}), 200, &page)
	strict(t, api.post("/v2/trash/restore", url.Values{"file_ids": {itoa(page.Files[0].ID)}}), 200, &wireOK{})
	strictError(t, api.post("/v2/trash/delete", url.Values{"file_ids": {"999999"}}), 404, "TRASH_FILE_NOT_FOUND")
	strict(t, api.post("/v2/trash/empty", nil), 200, &wireOK{})
}

func TestContractAccountShapes(t *testing.T) {
	_, api := newAPI(t)
	var plain struct {
		Info   wireInfo `json:"info"`
		Status string   `json:"status"`
	}
	strict(t, api.get("/v2/account/info", nil), 200, &plain)
	if plain.Info.DownloadToken != "" || plain.Info.Pas != nil || plain.Info.Features != nil || plain.Info.Settings.Theme == "" {
		t.Fatalf("extras without flags: %+v", plain.Info)
	}
	// Each flag adds its field; strict decoding and the key check below
	// prove nothing else comes with it.
	for flag, key := range map[string]string{"download_token": "download_token", "push_token": "push_token",
		"features": "features", "pas": "pas", "profitwell": "paddle_user_id"} {
		t.Run(flag, func(t *testing.T) {
			r := api.get("/v2/account/info", url.Values{flag: {"1"}})
			var withFlag struct {
				Info   wireInfo `json:"info"`
				Status string   `json:"status"`
			}
			strict(t, r, 200, &withFlag)
			info := r.body["info"].(map[string]any)
			if _, ok := info[key]; !ok {
				t.Fatalf("%s=1 but no %s: %s", flag, key, r.raw)
			}
		})
	}
	var settings struct {
		Settings wireSettings `json:"settings"`
		Status   string       `json:"status"`
	}
	strict(t, api.get("/v2/account/settings", nil), 200, &settings)
	strict(t, api.post("/v2/account/settings", url.Values{"theme": {"dark"}}), 200, &wireOK{})
	strictError(t, api.post("/v2/account/settings", url.Values{"callback_url": {"not a url"}}), 400, "INVALID_CALLBACK_URL")
}

func TestContractAuthShapes(t *testing.T) {
	_, api := newAPI(t)
	var v wireValidate
	strict(t, api.get("/v2/oauth2/validate", nil), 200, &v)
	if !v.Result || v.TokenID == nil || v.UserID == nil || v.TokenScope == nil ||
		!slices.Contains([]string{"default", "two_factor", "files_public_access", "files_download", "token_validate"}, *v.TokenScope) {
		t.Fatalf("validate %+v", v)
	}
	anon := *api
	anon.token = ""
	strict(t, anon.get("/v2/oauth2/validate", nil), 200, &v)
	if v.Result || v.TokenID != nil || v.TokenScope != nil || v.UserID != nil {
		t.Fatalf("validate without token %+v", v)
	}
	var apps wireApps
	strict(t, api.get("/v2/oauth/grants", nil), 200, &apps)
	strictError(t, api.post("/v2/oauth/grants/77/delete", nil), 404, "NotFound")
	strict(t, api.post("/v2/oauth/grants/logout", nil), 200, &wireOK{})
}

func TestContractSharesShapes(t *testing.T) {
	_, api := newAPI(t)
	dir := api.mkdir(0, "shared")
	file := api.upload(dir, "in.txt", []byte("x"), nil)
	var created struct {
		PublicShare wirePublicShare `json:"public_share"`
		Status      string          `json:"status,omitempty"`
	}
	strict(t, api.post("/v2/public_share/"+itoa(dir), nil), 200, &created)
	var list struct {
		PublicShares []wirePublicShare `json:"public_shares"`
		Status       string            `json:"status,omitempty"`
	}
	strict(t, api.get("/v2/public_share/list", nil), 200, &list)
	if len(list.PublicShares) != 1 || list.PublicShares[0].UserFile.FileType != "FOLDER" {
		t.Fatalf("list %+v", list)
	}
	visitor := *api
	visitor.token = created.PublicShare.Token
	strict(t, visitor.get("/v2/public_share", nil), 200, &created)
	var files struct {
		wireList
		Breadcrumbs [][]any `json:"breadcrumbs,omitempty"`
	}
	strict(t, visitor.get("/v2/public_share/files/list", url.Values{"per_page": {"1"}}), 200, &files)
	if len(files.Files) != 1 || files.Files[0].ID != file || files.Parent.ID != dir {
		t.Fatalf("share files %+v", files)
	}
	var u struct {
		URL    string `json:"url"`
		Status string `json:"status,omitempty"`
	}
	strict(t, visitor.get("/v2/public_share/files/"+itoa(file)+"/url", nil), 200, &u)
	var with struct {
		ShareType string `json:"share_type"`
		Shares    []struct {
			ShareID       int64  `json:"share_id"`
			UserAvatarURL string `json:"user_avatar_url"`
			UserName      string `json:"user_name"`
		} `json:"shares"`
		Status string `json:"status,omitempty"`
	}
	strict(t, api.get("/v2/files/"+itoa(file)+"/shared-with-v2", nil), 200, &with)
	strictError(t, api.get("/v2/files/999999/shared-with-v2", nil), 500, "InternalServerError")
	strict(t, api.read(api.send("DELETE", "/v2/public_share/"+itoa(created.PublicShare.ID), nil, nil)), 200, &wireOK{})
}

func TestContractSearchShapes(t *testing.T) {
	_, api := newAPI(t)
	api.upload(0, "holiday 1.jpg", []byte("1"), nil)
	api.upload(api.mkdir(0, "photos"), "Holiday 2.jpg", []byte("2"), nil)
	var first wireSearch
	strict(t, api.get("/v2/files/search", url.Values{"query": {"holiday"}, "per_page": {"1"}}), 200, &first)
	if len(first.Files) != 1 || first.Total != 2 || first.Cursor == nil {
		t.Fatalf("search %+v", first)
	}
	var next wireSearch
	strict(t, api.post("/v2/files/search/continue", url.Values{"cursor": {*first.Cursor}}), 200, &next)
	if len(next.Files) != 1 || next.Cursor != nil || next.Files[0].Name != "Holiday 2.jpg" {
		t.Fatalf("continue %+v", next)
	}
}

func TestContractEventsShapes(t *testing.T) {
	_, api := newAPI(t)
	id := api.upload(0, "up.bin", []byte("12345"), nil)
	var events wireEvents
	strict(t, api.get("/v2/events/list", nil), 200, &events)
	if len(events.Events) != 1 || events.HasMore || events.Events[0].Type != "upload" || events.Events[0].FileID != id ||
		events.Events[0].FileSize != 5 || events.Events[0].FileName != "up.bin" || len(events.Events[0].CreatedAt) != len("2006-01-02 15:04:05") {
		t.Fatalf("events %+v", events)
	}
	strict(t, api.post("/v2/events/delete/"+itoa(events.Events[0].ID), nil), 200, &wireOK{})
	strict(t, api.post("/v2/events/delete", nil), 200, &wireOK{})
	strictError(t, api.get("/v2/events/list", url.Values{"per_page": {"0"}}), 400, "INVALID_PER_PAGE")
}
