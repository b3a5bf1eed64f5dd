package putiotest_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
)

// Zips, as the TS SDK's live suite (test/live/domains/zips.ts) shows them:
// created from file_ids or a listing cursor less exclude_ids, NEW or
// PROCESSING with a null url until DONE, then url, size and missing_files;
// a missing id is 410 LINK_EXPIRED on get and cancel; app tokens may use
// every zip route.

type wireZipPending struct {
	Status    string  `json:"status"`
	ZipStatus string  `json:"zip_status"`
	URL       *string `json:"url"`
}

type wireZipDone struct {
	Status       string           `json:"status"`
	ZipStatus    string           `json:"zip_status"`
	URL          string           `json:"url"`
	Size         int64            `json:"size"`
	MissingFiles []wireZipMissing `json:"missing_files"`
}

type wireZipMissing struct {
	ID      int64  `json:"id"`
	Name    string `json:"name"`
	Missing bool   `json:"missing"`
}

type wireZipList struct {
	Status string `json:"status"`
	Zips   []struct {
		ID        int64  `json:"id"`
		CreatedAt string `json:"created_at"`
	} `json:"zips"`
}

// createZip creates a zip and returns its id.
func (c *apiClient) createZip(form url.Values) int64 {
	c.t.Helper()
	var created struct {
		Status string `json:"status"`
		ZipID  int64  `json:"zip_id"`
	}
	strict(c.t, c.post("/v2/zips/create", form), 200, &created)
	return created.ZipID
}

// pollZip reads a zip's status until DONE, checking each pending read
// is NEW then PROCESSING with a null url.
func (c *apiClient) pollZip(id int64) wireZipDone {
	c.t.Helper()
	for _, want := range []string{"NEW", "PROCESSING"} {
		var pending wireZipPending
		strict(c.t, c.get("/v2/zips/"+itoa(id), nil), 200, &pending)
		if pending.ZipStatus != want || pending.URL != nil {
			c.t.Fatalf("pending zip %+v, want %s with a null url", pending, want)
		}
	}
	var done wireZipDone
	strict(c.t, c.get("/v2/zips/"+itoa(id), nil), 200, &done)
	if done.ZipStatus != "DONE" {
		c.t.Fatalf("zip %+v, want DONE on the third read", done)
	}
	return done
}

// fetchZip downloads a zip URL without a token and returns its members.
func (c *apiClient) fetchZip(u string, size int64) map[string]string {
	c.t.Helper()
	anon := as(c, "")
	resp := anon.send("GET", u, nil, nil)
	defer closeBody(c.t, resp.Body)
	data, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/zip" {
		c.t.Fatalf("zip download: %v, %d %q", err, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if int64(len(data)) != size {
		c.t.Fatalf("zip of %d bytes, its info says %d", len(data), size)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		c.t.Fatal(err)
	}
	members := map[string]string{}
	for _, f := range zr.File {
		r, err := f.Open()
		if err != nil {
			c.t.Fatal(err)
		}
		body, err := io.ReadAll(r)
		closeBody(c.t, r)
		if err != nil {
			c.t.Fatal(err)
		}
		members[f.Name] = string(body)
	}
	return members
}

func TestZipHoldsTheSelectedFilesBytes(t *testing.T) {
	_, api := newAPI(t)
	dir := api.mkdir(0, "dir")
	api.upload(dir, "a.txt", []byte("alpha"), nil)
	sub := api.mkdir(dir, "sub")
	api.upload(sub, "b.bin", []byte("bravo"), nil)
	c := api.upload(0, "c.txt", []byte("charlie"), nil)
	api.upload(0, "left-out.txt", []byte("x"), nil)

	id := api.createZip(url.Values{"file_ids": {itoa(dir) + "," + itoa(c)}})
	var list wireZipList
	strict(t, api.get("/v2/zips/list", nil), 200, &list)
	if len(list.Zips) != 1 || list.Zips[0].ID != id || list.Zips[0].CreatedAt == "" {
		t.Fatalf("zips list %+v", list)
	}
	done := api.pollZip(id)
	if len(done.MissingFiles) != 0 {
		t.Fatalf("missing files %+v", done.MissingFiles)
	}
	got := api.fetchZip(done.URL, done.Size)
	want := map[string]string{"dir/a.txt": "alpha", "dir/sub/b.bin": "bravo", "c.txt": "charlie"}
	if len(got) != len(want) {
		t.Fatalf("zip members %v, want %v", got, want)
	}
	for name, body := range want {
		if got[name] != body {
			t.Fatalf("zip member %q = %q, want %q (members %v)", name, got[name], body, got)
		}
	}

	strict(t, api.get("/v2/zips/"+itoa(id)+"/cancel", nil), 200, &wireOK{})
	strictError(t, api.get("/v2/zips/"+itoa(id), nil), 410, "LINK_EXPIRED")
	anon := as(api, "")
	strictError(t, anon.read(anon.send("GET", done.URL, nil, nil)), 410, "LINK_EXPIRED")
	strict(t, api.get("/v2/zips/list", nil), 200, &list)
	if len(list.Zips) != 0 {
		t.Fatalf("a cancelled zip is listed: %+v", list)
	}
}

func TestZipListsFilesGoneBeforeItIsBuiltAsMissing(t *testing.T) {
	clock := newClock()
	_, api := newAPI(t, putiotest.Options{Now: clock.Now, URLExpiry: time.Hour})
	keep := api.upload(0, "keep.txt", []byte("kept"), nil)
	gone := api.upload(0, "gone.txt", []byte("gone"), nil)
	id := api.createZip(url.Values{"file_ids": {itoa(keep) + "," + itoa(gone)}})
	mustStatus(t, api.post("/v2/files/delete", url.Values{"file_ids": {itoa(gone)}}), 200)

	done := api.pollZip(id)
	if len(done.MissingFiles) != 1 || done.MissingFiles[0] != (wireZipMissing{gone, "gone.txt", true}) {
		t.Fatalf("missing files %+v, want gone.txt", done.MissingFiles)
	}
	if got := api.fetchZip(done.URL, done.Size); len(got) != 1 || got["keep.txt"] != "kept" {
		t.Fatalf("zip members %v", got)
	}

	clock.Advance(time.Hour + time.Second) // the zip expires with its URL
	strictError(t, api.get("/v2/zips/"+itoa(id), nil), 410, "LINK_EXPIRED")
	anon := as(api, "")
	strictError(t, anon.read(anon.send("GET", done.URL, nil, nil)), 410, "LINK_EXPIRED")
}

func TestZipOfACursorIsTheWholeListingLessExcludeIDs(t *testing.T) {
	_, api := newAPI(t, putiotest.Options{TasksDoneAtOnce: true})
	var ids []int64
	for _, name := range []string{"1.txt", "2.txt", "3.txt", "4.txt"} {
		ids = append(ids, api.upload(0, name, []byte(name), nil))
	}
	first := api.get("/v2/files/list", url.Values{"per_page": {"1"}})
	cursor, _ := first.body["cursor"].(string)
	if cursor == "" || num(first.files()[0], "id") != ids[0] {
		t.Fatalf("first page %s", first.raw)
	}
	id := api.createZip(url.Values{"cursor": {cursor}, "exclude_ids": {itoa(ids[0])}})
	var done wireZipDone
	strict(t, api.get("/v2/zips/"+itoa(id), nil), 200, &done) // DONE at once
	got := api.fetchZip(done.URL, done.Size)
	var names []string
	for name := range got {
		names = append(names, name)
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"2.txt", "3.txt", "4.txt"}) {
		t.Fatalf("zip of the cursor holds %v, want every file but the excluded first", names)
	}
}

func TestZipRefusals(t *testing.T) {
	_, api := newAPI(t)
	file := api.upload(0, "f.txt", []byte("f"), nil)
	strictError(t, api.get("/v2/zips/2147483647", nil), 410, "LINK_EXPIRED")
	strictError(t, api.get("/v2/zips/2147483647/cancel", nil), 410, "LINK_EXPIRED")
	strictError(t, api.post("/v2/zips/create", nil), 400, "BadRequest")
	strictError(t, api.post("/v2/zips/create", url.Values{"file_ids": {"2147483647"}}), 400, "BadRequest")
	strictError(t, api.post("/v2/zips/create", url.Values{"cursor": {"garbage"}}), 400, "INVALID_CURSOR")

	app := appTokenClient(t, api)
	id := app.createZip(url.Values{"file_ids": {itoa(file)}})
	strict(t, app.get("/v2/zips/list", nil), 200, &wireZipList{})
	strict(t, app.get("/v2/zips/"+itoa(id), nil), 200, &wireZipPending{})

	other := as(api, "another-account")
	strictError(t, other.get("/v2/zips/"+itoa(id), nil), 410, "LINK_EXPIRED")
	strictError(t, other.get("/v2/zips/"+itoa(id)+"/cancel", nil), 410, "LINK_EXPIRED")
	strict(t, app.get("/v2/zips/"+itoa(id)+"/cancel", nil), 200, &wireOK{})
}

func TestZipURLIsSignedApartFromFileURLs(t *testing.T) {
	_, api := newAPI(t, putiotest.Options{TasksDoneAtOnce: true})
	file := api.upload(0, "f.txt", []byte("f"), nil)
	id := api.createZip(url.Values{"file_ids": {itoa(file)}})
	var done wireZipDone
	strict(t, api.get("/v2/zips/"+itoa(id), nil), 200, &done)
	u, err := url.Parse(done.URL)
	if err != nil {
		t.Fatal(err)
	}
	anon := as(api, "")
	// The zip's signature on the file of the same id opens nothing.
	asFile := *u
	asFile.Path = "/download/" + itoa(id)
	strictError(t, anon.read(anon.send("GET", asFile.String(), nil, nil)), 403, "InvalidSignature")
	q := u.Query()
	q.Set("e", itoa(time.Now().Add(1000*time.Hour).Unix()))
	u.RawQuery = q.Encode()
	strictError(t, anon.read(anon.send("GET", u.String(), nil, nil)), 403, "InvalidSignature")
}

func TestZipReadConcurrentlyIsBuiltOnce(t *testing.T) {
	_, api := newAPI(t, putiotest.Options{TasksDoneAtOnce: true})
	file := api.upload(0, "f.txt", []byte("payload"), nil)
	id := api.createZip(url.Values{"file_ids": {itoa(file)}})
	urls := make(chan string, 8)
	var wg sync.WaitGroup
	for range cap(urls) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("GET", api.srv.URL+"/v2/zips/"+itoa(id), nil)
			req.Header.Set("Authorization", "Bearer "+api.token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				urls <- err.Error()
				return
			}
			defer func() { _ = resp.Body.Close() }()
			var done wireZipDone
			if err := json.NewDecoder(resp.Body).Decode(&done); err != nil {
				urls <- err.Error()
				return
			}
			urls <- done.URL
		}()
	}
	wg.Wait()
	close(urls)
	first := <-urls
	for u := range urls {
		if u != first {
			t.Fatalf("concurrent reads saw %q and %q", first, u)
		}
	}
	var done wireZipDone
	strict(t, api.get("/v2/zips/"+itoa(id), nil), 200, &done)
	if got := api.fetchZip(first, done.Size); done.URL != first || got["f.txt"] != "payload" {
		t.Fatalf("zip members %v", got)
	}
}
