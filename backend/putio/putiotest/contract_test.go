package putiotest_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	putio "github.com/putdotio/go-putio"
	"golang.org/x/oauth2"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
)

// goPutio is go-putio's own client pointed at the emulator: if our JSON
// does not decode into their types, these tests fail.
func goPutio(t *testing.T, srv *putiotest.Server) *putio.Client {
	t.Helper()
	httpClient := oauth2.NewClient(context.Background(), oauth2.StaticTokenSource(&oauth2.Token{AccessToken: srv.Token}))
	c := putio.NewClient(httpClient)
	base, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	c.BaseURL = base
	c.Timeout = 0
	return c
}

func TestContractGoPutioFiles(t *testing.T) {
	srv, _ := newAPI(t)
	ctx := context.Background()
	c := goPutio(t, srv)
	acct := srv.Account(srv.Token)

	dir, err := c.Files.CreateFolder(ctx, "dir", 0)
	if err != nil || !dir.IsDir() || dir.ID == 0 || dir.Name != "dir" || dir.FileType != putio.FileTypeFolder || dir.UpdatedAt == nil {
		t.Fatalf("CreateFolder: %+v %v", dir, err)
	}
	// 1500 children: go-putio lists 1000 per page, then continues with JSON.
	for i := range 1500 {
		if _, err := acct.Put(fmt.Sprintf("dir/f%04d.txt", i), []byte("x"), t0); err != nil {
			t.Fatal(err)
		}
	}
	srv.ResetCounters()
	children, parent, err := c.Files.List(ctx, dir.ID)
	if err != nil || len(children) != 1500 || parent.ID != dir.ID || children[0].Name != "f0000.txt" ||
		children[0].CRC32 != "8cdc1683" || !children[0].UpdatedAt.Equal(t0) || children[0].ParentID != dir.ID {
		t.Fatalf("List: %d children, parent %+v, first %+v, %v", len(children), parent, children[0], err)
	}
	if srv.Calls("GET /v2/files/list") != 1 || srv.Calls("POST /v2/files/list/continue") != 1 {
		t.Fatalf("calls %v", srv.AllCalls())
	}

	f, err := c.Files.Get(ctx, children[0].ID)
	if err != nil || f.Size != 1 || f.ContentType != "text/plain" || f.IsDir() {
		t.Fatalf("Get: %+v %v", f, err)
	}
	root, err := c.Files.Get(ctx, 0)
	if err != nil || !root.IsDir() || root.ID != 0 {
		t.Fatalf("Get root: %+v %v", root, err)
	}
	if err := c.Files.Rename(ctx, f.ID, "renamed.txt"); err != nil {
		t.Fatal(err)
	}
	other, _ := c.Files.CreateFolder(ctx, "other", 0)
	if err := c.Files.Move(ctx, other.ID, f.ID, children[1].ID); err != nil {
		t.Fatal(err)
	}
	if list, _ := acct.List("other"); len(list) != 2 || list[0].Name != "renamed.txt" {
		t.Fatalf("after move: %+v", list)
	}
	u, err := c.Files.URL(ctx, f.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	closeBody(t, resp.Body)
	if string(body) != "x" {
		t.Fatalf("download %q", body)
	}
	if err := c.Files.Delete(ctx, other.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Files.Get(ctx, f.ID); !isPutioError(err, 404, "NotFound") {
		t.Fatalf("Get after delete: %v", err)
	}
	_, err = c.Files.CreateFolder(ctx, "dir", 0)
	if !isPutioError(err, 400, "NAME_ALREADY_EXIST") {
		t.Fatalf("duplicate CreateFolder: %v", err)
	}

	info, err := c.Account.Info(ctx)
	if err != nil || info.Disk.Size == 0 || info.Disk.Used != 1500 || info.Disk.Avail != info.Disk.Size-1500 || info.UserID == 0 {
		t.Fatalf("Info: %+v %v", info, err)
	}
	userID, err := c.ValidateToken(ctx)
	if err != nil || userID == nil || *userID != info.UserID {
		t.Fatalf("ValidateToken: %v %v", userID, err)
	}
}

// isPutioError reports whether err is go-putio's decoded error reply. It
// does not call Error(), which panics on short unparsed bodies.
func isPutioError(err error, status int, errorType string) bool {
	var er *putio.ErrorResponse
	return errors.As(err, &er) && er.ParseError == nil && er.Response.StatusCode == status && er.Type == errorType
}

// go-putio's CreateUpload posts to upload.put.io, so the creation is built
// with NewRequest and an absolute URL; the rest is its UploadService.
func TestContractGoPutioTus(t *testing.T) {
	srv, _ := newAPI(t)
	ctx := context.Background()
	c := goPutio(t, srv)
	data := bytes.Repeat([]byte("0123456789"), 10000)

	req, err := c.NewRequest(ctx, http.MethodPost, srv.UploadURL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Upload-Length", strconv.Itoa(len(data)))
	req.Header.Set("Upload-Metadata", tusMeta(map[string]string{"name": "big.bin", "parent_id": "0", "no-torrent": "true", "overwrite": "false"}))
	resp, err := c.Do(req, nil)
	if err != nil {
		t.Fatal(err)
	}
	closeBody(t, resp.Body)
	location := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusCreated || location == "" {
		t.Fatalf("create: %d %q", resp.StatusCode, location)
	}

	// Send part, lose it, resume from the server's offset.
	if _, _, err := c.Upload.SendFile(ctx, bytes.NewReader(data[:30000]), location, 0); err == nil {
		t.Fatal("partial SendFile reported a finished file")
	}
	// GetOffset wraps a nil error into a non-nil one, so only the offset
	// tells.
	offset, _ := c.Upload.GetOffset(ctx, location)
	if offset != 30000 {
		t.Fatalf("GetOffset %d", offset)
	}
	id, crc, err := c.Upload.SendFile(ctx, bytes.NewReader(data[offset:]), location, offset)
	if err != nil || crc != fmt.Sprintf("%08x", crc32.ChecksumIEEE(data)) {
		t.Fatalf("SendFile: %d %q %v", id, crc, err)
	}
	f, err := c.Files.Get(ctx, id)
	if err != nil || f.Name != "big.bin" || f.Size != int64(len(data)) || f.CRC32 != crc {
		t.Fatalf("uploaded file %+v %v", f, err)
	}

	// Termination.
	req, _ = c.NewRequest(ctx, http.MethodPost, srv.UploadURL(), nil)
	req.Header.Set("Upload-Length", "10")
	req.Header.Set("Upload-Metadata", tusMeta(map[string]string{"name": "gone"}))
	resp, err = c.Do(req, nil)
	if err != nil {
		t.Fatal(err)
	}
	closeBody(t, resp.Body)
	if err := c.Upload.TerminateUpload(ctx, resp.Header.Get("Location")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Upload.GetOffset(ctx, resp.Header.Get("Location")); !errors.Is(err, putio.ErrUnexpected) {
		t.Fatalf("GetOffset after termination: %v", err)
	}
}

// go-putio's events, settings and (legacy) search services.
func TestContractGoPutioEventsSettingsSearch(t *testing.T) {
	srv, api := newAPI(t)
	ctx := context.Background()
	c := goPutio(t, srv)
	dir := api.mkdir(0, "dir")
	for i := range 60 {
		api.upload(dir, fmt.Sprintf("match-%02d.txt", i), []byte("x"), nil)
	}

	events, err := c.Events.List(ctx)
	if err != nil || len(events) != 60 || events[0].Type != "upload" || events[0].FileID == 0 || events[0].CreatedAt == nil || events[0].CreatedAt.IsZero() {
		t.Fatalf("Events.List: %d %+v %v", len(events), events, err)
	}
	if err := c.Events.Delete(ctx); err != nil {
		t.Fatal(err)
	}
	if events, err := c.Events.List(ctx); err != nil || len(events) != 0 {
		t.Fatalf("after Delete: %d %v", len(events), err)
	}

	mustStatus(t, api.post("/v2/account/settings", url.Values{"callback_url": {"https://example.com/cb"}, "default_download_folder": {itoa(dir)}}), 200)
	settings, err := c.Account.Settings(ctx)
	if err != nil || settings.CallbackURL != "https://example.com/cb" || settings.DefaultDownloadFolder != dir {
		t.Fatalf("Account.Settings: %+v %v", settings, err)
	}

	all, err := c.Files.Search(ctx, "match", -1)
	if err != nil || len(all.Files) != 60 || all.Next != "" {
		t.Fatalf("Search all: %d %q %v", len(all.Files), all.Next, err)
	}
	first, err := c.Files.Search(ctx, "match", 1)
	if err != nil || len(first.Files) != 50 || first.Next == "" {
		t.Fatalf("Search page 1: %d %q %v", len(first.Files), first.Next, err)
	}
	second, err := c.Files.Search(ctx, "match", 2)
	if err != nil || len(second.Files) != 10 || second.Next != "" || second.Files[9].Name != "match-59.txt" {
		t.Fatalf("Search page 2: %d %q %v", len(second.Files), second.Next, err)
	}
	resp := api.send("GET", first.Next, nil, nil)
	closeBody(t, resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("next URL %s: %d", first.Next, resp.StatusCode)
	}
	if _, err := c.Files.Search(ctx, strings.Repeat("q", 300), 1); !isPutioError(err, 400, "SEARCH_TOO_LONG_QUERY") {
		t.Fatalf("long query: %v", err)
	}
	mustError(t, api.get("/v2/files/search/match/page/0", nil), 400, "BadRequest")
}
