package putiotest_test

import (
	"io"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
)

// download_links, as the TS SDK's live suite (test/live/domains/
// download-links.ts) shows it: create gives a task id, an identical create
// the same id; the task is NEW or PROCESSING with null links, then DONE
// with download_links, media_links and mp4_links (arrays of strings);
// an unknown file id is 400 BadRequest, an unknown task 404
// LINKS_NOT_FOUND; an app token may use both routes.

type wireLinksPending struct {
	Status      string  `json:"status"`
	LinksStatus string  `json:"links_status"`
	Links       *string `json:"links"`
	ErrorMsg    *string `json:"error_msg"`
}

type wireLinksDone struct {
	Status      string  `json:"status"`
	LinksStatus string  `json:"links_status"`
	ErrorMsg    *string `json:"error_msg"`
	Links       struct {
		DownloadLinks []string `json:"download_links"`
		MediaLinks    []string `json:"media_links"`
		MP4Links      []string `json:"mp4_links"`
	} `json:"links"`
}

func (c *apiClient) createLinks(form url.Values) int64 {
	c.t.Helper()
	var created struct {
		Status string `json:"status"`
		ID     int64  `json:"id"`
	}
	strict(c.t, c.post("/v2/download_links/create", form), 200, &created)
	return created.ID
}

func (c *apiClient) pollLinks(id int64) wireLinksDone {
	c.t.Helper()
	for _, want := range []string{"NEW", "PROCESSING"} {
		var pending wireLinksPending
		strict(c.t, c.get("/v2/download_links/"+itoa(id), nil), 200, &pending)
		if pending.LinksStatus != want {
			c.t.Fatalf("pending task %+v, want %s", pending, want)
		}
	}
	var done wireLinksDone
	strict(c.t, c.get("/v2/download_links/"+itoa(id), nil), 200, &done)
	if done.LinksStatus != "DONE" {
		c.t.Fatalf("task %+v, want DONE on the third read", done)
	}
	return done
}

// fetchAll gets each URL without a token and returns the bodies.
func (c *apiClient) fetchAll(urls []string) []string {
	c.t.Helper()
	anon := as(c, "")
	var bodies []string
	for _, u := range urls {
		resp := anon.send("GET", u, nil, nil)
		data, err := io.ReadAll(resp.Body)
		closeBody(c.t, resp.Body)
		if err != nil || resp.StatusCode != 200 {
			c.t.Fatalf("GET %s: %v %d", u, err, resp.StatusCode)
		}
		bodies = append(bodies, string(data))
	}
	slices.Sort(bodies)
	return bodies
}

func TestDownloadLinksAreSignedURLsOfEachFilesBytes(t *testing.T) {
	_, api := newAPI(t)
	app := appTokenClient(t, api)
	dir := api.mkdir(0, "dir")
	api.upload(dir, "a.txt", []byte("alpha"), nil)
	api.upload(dir, "movie.mp4", []byte("frames"), nil)
	c := api.upload(0, "c.txt", []byte("charlie"), nil)

	form := url.Values{"file_ids": {itoa(dir) + "," + itoa(c)}}
	id := app.createLinks(form)
	if again := app.createLinks(form); again != id {
		t.Fatalf("an identical create gave task %d, the first %d", again, id)
	}
	done := app.pollLinks(id)
	if got := api.fetchAll(done.Links.DownloadLinks); !slices.Equal(got, []string{"alpha", "charlie", "frames"}) {
		t.Fatalf("download links serve %q", got)
	}
	if len(done.Links.MediaLinks) != 1 || !strings.Contains(done.Links.MediaLinks[0], "stream=1") {
		t.Fatalf("media links %q, want the video's", done.Links.MediaLinks)
	}
	if got := api.fetchAll(done.Links.MediaLinks); got[0] != "frames" {
		t.Fatalf("media link serves %q", got)
	}
	if len(done.Links.MP4Links) != 0 {
		t.Fatalf("mp4 links %q, with no MP4 conversion", done.Links.MP4Links)
	}
	if other := app.createLinks(url.Values{"file_ids": {itoa(c)}}); other == id {
		t.Fatal("another selection reused the task")
	}
}

func TestDownloadLinksTaskExpiresWithItsLinks(t *testing.T) {
	clock := newClock()
	_, api := newAPI(t, putiotest.Options{Now: clock.Now, URLExpiry: time.Hour, TasksDoneAtOnce: true})
	c := api.upload(0, "c.txt", []byte("charlie"), nil)
	form := url.Values{"file_ids": {itoa(c)}}
	id := api.createLinks(form)
	var done wireLinksDone
	strict(t, api.get("/v2/download_links/"+itoa(id), nil), 200, &done)

	clock.Advance(time.Hour + time.Second)
	strictError(t, api.get("/v2/download_links/"+itoa(id), nil), 404, "LINKS_NOT_FOUND")
	if again := api.createLinks(form); again == id {
		t.Fatal("an expired task was reused")
	}
	anon := as(api, "")
	strictError(t, anon.read(anon.send("GET", done.Links.DownloadLinks[0], nil, nil)), 410, "LINK_EXPIRED")
}

func TestDownloadLinksOfACursorLessExcludeIDs(t *testing.T) {
	_, api := newAPI(t, putiotest.Options{TasksDoneAtOnce: true})
	first := api.upload(0, "1.txt", []byte("one"), nil)
	api.upload(0, "2.txt", []byte("two"), nil)
	list := api.get("/v2/files/list", url.Values{"per_page": {"1"}})
	cursor, _ := list.body["cursor"].(string)
	id := api.createLinks(url.Values{"cursor": {cursor}, "exclude_ids": {itoa(first)}})
	var done wireLinksDone
	strict(t, api.get("/v2/download_links/"+itoa(id), nil), 200, &done)
	if got := api.fetchAll(done.Links.DownloadLinks); !slices.Equal(got, []string{"two"}) {
		t.Fatalf("cursor links serve %q", got)
	}
}

func TestDownloadLinksRefusals(t *testing.T) {
	_, api := newAPI(t)
	strictError(t, api.post("/v2/download_links/create", url.Values{"file_ids": {"2147483647"}}), 400, "BadRequest")
	strictError(t, api.post("/v2/download_links/create", nil), 400, "BadRequest")
	strictError(t, api.get("/v2/download_links/2147483647", nil), 404, "LINKS_NOT_FOUND")
	c := api.upload(0, "c.txt", []byte("c"), nil)
	id := api.createLinks(url.Values{"file_ids": {itoa(c)}})
	other := as(api, "another-account")
	strictError(t, other.get("/v2/download_links/"+itoa(id), nil), 404, "LINKS_NOT_FOUND")
}
