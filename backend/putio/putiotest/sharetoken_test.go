package putiotest_test

import (
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
)

// share creates a public share of id and returns a client holding its token.
func share(t *testing.T, api *apiClient, id int64, form url.Values) *apiClient {
	t.Helper()
	r := api.post("/v2/public_share/"+itoa(id), form)
	mustStatus(t, r, 200)
	return as(api, r.body["public_share"].(map[string]any)["token"].(string))
}

func TestShareTokenSide(t *testing.T) {
	_, api := newAPI(t)
	dir := api.mkdir(0, "album")
	sub := api.mkdir(dir, "sub")
	a := api.upload(dir, "a.jpg", []byte("aaa"), nil)
	api.upload(dir, "b.jpg", []byte("b"), nil)
	deep := api.upload(sub, "deep.txt", []byte("deep"), nil)
	outside := api.upload(0, "private.txt", []byte("secret"), nil)
	visitor := share(t, api, dir, nil)

	var info struct {
		PublicShare wirePublicShare `json:"public_share"`
		Status      string          `json:"status,omitempty"`
	}
	strict(t, visitor.get("/v2/public_share", nil), 200, &info)
	if info.PublicShare.UserFile.ID != dir || info.PublicShare.UserFile.Name != "album" {
		t.Fatalf("share %+v", info)
	}
	var page wireList
	strict(t, visitor.get("/v2/public_share/files/list", url.Values{"per_page": {"2"}, "total": {"1"}}), 200, &page)
	if len(page.Files) != 2 || page.Files[0].ID != sub || page.Total != 3 || page.Cursor == nil {
		t.Fatalf("first page %+v", page)
	}
	firstCursor := *page.Cursor
	var next wirePage
	strict(t, visitor.post("/v2/public_share/files/list/continue", url.Values{"cursor": {firstCursor}}), 200, &next)
	if len(next.Files) != 1 || next.Cursor != nil {
		t.Fatalf("next page %+v", next)
	}
	strict(t, visitor.get("/v2/public_share/files/list", url.Values{"parent_id": {itoa(sub)}}), 200, &page)
	if len(page.Files) != 1 || page.Files[0].ID != deep {
		t.Fatalf("sub folder %+v", page)
	}
	var u wireURL
	strict(t, visitor.get("/v2/public_share/files/"+itoa(a)+"/url", nil), 200, &u)
	resp, err := http.Get(u.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	closeBody(t, resp.Body)
	if string(body) != "aaa" {
		t.Fatalf("download via share %q", body)
	}

	// Nothing outside the share, and no account access with a share token.
	other := share(t, api, a, nil)
	for name, c := range map[string]struct {
		r         reply
		status    int
		errorType string
	}{
		"outside item url":    {visitor.get("/v2/public_share/files/"+itoa(outside)+"/url", nil), 404, "NotFound"},
		"outside folder":      {visitor.get("/v2/public_share/files/list", url.Values{"parent_id": {"0"}}), 404, "NotFound"},
		"folder url":          {visitor.get("/v2/public_share/files/"+itoa(sub)+"/url", nil), 400, "NotFile"},
		"bad cursor":          {visitor.post("/v2/public_share/files/list/continue", url.Values{"cursor": {"junk"}}), 400, "INVALID_CURSOR"},
		"other share cursor":  {other.post("/v2/public_share/files/list/continue", url.Values{"cursor": {firstCursor}}), 400, "INVALID_CURSOR"},
		"no token":            {as(api, "").get("/v2/public_share", nil), 401, "Unauthorized"},
		"account token":       {api.get("/v2/public_share", nil), 401, "Unauthorized"},
		"unknown share token": {as(api, "nope").get("/v2/public_share/files/list", nil), 401, "Unauthorized"},
	} {
		t.Run(name, func(t *testing.T) { strictError(t, c.r, c.status, c.errorType) })
	}
}

func TestShareTokenExpiryAndDeletion(t *testing.T) {
	clock := newClock()
	_, api := newAPI(t, putiotest.Options{Now: clock.Now})
	file := api.upload(0, "f.txt", []byte("x"), nil)
	visitor := share(t, api, file, url.Values{"expiration_date": {clock.Now().Add(time.Hour).UTC().Format(time.RFC3339)}})
	strict(t, visitor.get("/v2/public_share/files/list", nil), 200, &wireList{})
	clock.Advance(2 * time.Hour)
	strictError(t, visitor.get("/v2/public_share", nil), 401, "Unauthorized")

	again := share(t, api, file, nil)
	mustStatus(t, api.post("/v2/files/delete", url.Values{"file_ids": {itoa(file)}}), 200)
	strictError(t, again.get("/v2/public_share", nil), 404, "NotFound")
}
