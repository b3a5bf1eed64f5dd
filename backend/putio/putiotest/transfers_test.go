package putiotest_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
	"github.com/stretchr/testify/assert"
)

const testMagnet = "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567&dn=Big+Buck+Bunny"

// transfer reads a transfer object from a reply.
func (r reply) transfer() map[string]any { t, _ := r.body["transfer"].(map[string]any); return t }

func (c *apiClient) addTransfer(source string, parent int64) map[string]any {
	c.t.Helper()
	r := c.post("/v2/transfers/add", url.Values{"url": {source}, "save_parent_id": {itoa(parent)}})
	mustStatus(c.t, r, 200)
	return r.transfer()
}

func (c *apiClient) getTransfer(id int64) map[string]any {
	c.t.Helper()
	r := c.get("/v2/transfers/"+itoa(id), nil)
	mustStatus(c.t, r, 200)
	return r.transfer()
}

// waitTransfer polls until the transfer leaves the fetch statuses.
func (c *apiClient) waitTransfer(id int64) map[string]any {
	c.t.Helper()
	var tr map[string]any
	waitUntil(c.t, "the transfer finishes", func() bool {
		tr = c.getTransfer(id)
		return tr["status"] == putiotest.StatusCompleted || tr["status"] == putiotest.StatusError
	})
	return tr
}

// contentServer serves body at /files/<name> once ready is set, 404 before.
func contentServer(t *testing.T, body []byte, ready *atomic.Bool) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !ready.Load() {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestTransferOfLoopbackURLFetchesIntoFolder(t *testing.T) {
	srv, api := newAPI(t)
	body := bytes.Repeat([]byte("transfer body "), 5000)
	var ready atomic.Bool
	ready.Store(true)
	source := contentServer(t, body, &ready).URL + "/files/movie.mkv"
	folder := api.mkdir(0, "incoming")

	added := api.addTransfer(source, folder)
	if added["status"] != putiotest.StatusWaiting && added["status"] != putiotest.StatusDownloading || added["type"] != "URL" {
		t.Fatalf("added transfer %v", added)
	}
	done := api.waitTransfer(num(added, "id"))

	if done["status"] != putiotest.StatusCompleted || num(done, "percent_done") != 100 || num(done, "size") != int64(len(body)) || done["error_message"] != nil {
		t.Fatalf("finished transfer %v", done)
	}
	got, err := srv.Account(srv.Token).ReadFile("incoming/movie.mkv")
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("fetched file: %v, %d bytes, want %d", err, len(got), len(body))
	}
	file := api.get("/v2/files/"+itoa(num(done, "file_id")), nil).file()
	if file["name"] != "movie.mkv" || num(file, "parent_id") != folder {
		t.Fatalf("file_id names %v", file)
	}
}

func TestTransferFetchFailureAndRetry(t *testing.T) {
	_, api := newAPI(t)
	var ready atomic.Bool
	source := contentServer(t, []byte("late"), &ready).URL + "/late.txt"

	failed := api.waitTransfer(num(api.addTransfer(source, 0), "id"))
	if failed["status"] != putiotest.StatusError || !strings.Contains(failed["error_message"].(string), "404") {
		t.Fatalf("failed transfer %v", failed)
	}
	ready.Store(true)
	r := api.post("/v2/transfers/retry", url.Values{"id": {itoa(num(failed, "id"))}})
	mustStatus(t, r, 200)
	done := api.waitTransfer(num(failed, "id"))
	if done["status"] != putiotest.StatusCompleted || done["error_message"] != nil {
		t.Fatalf("retried transfer %v", done)
	}
	mustError(t, api.post("/v2/transfers/retry", url.Values{"id": {itoa(num(done, "id"))}}), 400, "TRANSFER_INVALID")
}

func TestHeldTransferFollowsTheClock(t *testing.T) {
	clock := newClock()
	srv, api := newAPI(t, putiotest.Options{Now: clock.Now})
	acct := srv.Account(srv.Token)
	folder := api.mkdir(0, "tv")
	id := num(api.addTransfer(testMagnet, folder), "id")

	for _, step := range []struct {
		advance time.Duration
		status  string
		percent int64
	}{
		{0, putiotest.StatusWaiting, 0},
		{3 * time.Second, putiotest.StatusPreparing, 0},
		{3 * time.Second, putiotest.StatusDownloading, 1},
		{time.Hour, putiotest.StatusDownloading, 99},
	} {
		clock.Advance(step.advance)
		tr := api.getTransfer(id)
		if tr["status"] != step.status || num(tr, "percent_done") != step.percent || tr["type"] != "TORRENT" {
			t.Fatalf("after %v: %v", step.advance, tr)
		}
	}
	file, err := acct.CompleteTransfer(id, []byte("episode"))
	if err != nil {
		t.Fatal(err)
	}
	tr := api.getTransfer(id)
	if tr["status"] != putiotest.StatusCompleted || num(tr, "file_id") != file.ID || file.Name != "Big Buck Bunny" || file.ParentID != folder {
		t.Fatalf("completed: %v, file %+v", tr, file)
	}
	if _, err := acct.CompleteTransfer(id, nil); err == nil {
		t.Fatal("a finished transfer completed twice")
	}
}

func TestNonLoopbackURLIsNeverFetched(t *testing.T) {
	clock := newClock()
	srv, api := newAPI(t, putiotest.Options{Now: clock.Now})
	// A routable address: were it dialled, the transfer would end in ERROR.
	id := num(api.addTransfer("http://192.0.2.1/file.bin", 0), "id")
	clock.Advance(time.Minute)
	time.Sleep(50 * time.Millisecond)
	if tr := api.getTransfer(id); tr["status"] != putiotest.StatusDownloading {
		t.Fatalf("non-loopback transfer %v", tr)
	}
	acct := srv.Account(srv.Token)
	if err := acct.FailTransfer(id, "Could not download the file"); err != nil {
		t.Fatal(err)
	}
	if tr := api.getTransfer(id); tr["status"] != putiotest.StatusError || tr["error_message"] != "Could not download the file" {
		t.Fatalf("failed transfer %v", tr)
	}
}

func TestTransferAddRefusals(t *testing.T) {
	_, api := newAPI(t)
	mustError(t, api.post("/v2/transfers/add", url.Values{"url": {""}}), 400, "EMPTY_URL")
	mustError(t, api.post("/v2/transfers/add", url.Values{"url": {"ftp://example.com/a"}}), 400, "BadRequest")
	mustError(t, api.post("/v2/transfers/add", url.Values{"url": {"magnet:?dn=x"}}), 400, "NOT_TORRENT")
	mustError(t, api.post("/v2/transfers/add", url.Values{"url": {testMagnet}, "save_parent_id": {"999"}}), 404, "NotFound")
	api.addTransfer(testMagnet, 0)
	mustError(t, api.post("/v2/transfers/add", url.Values{"url": {testMagnet}}), 400, "TRANSFER_ALREADY_ADDED")
	mustError(t, api.get("/v2/transfers/999", nil), 404, "TRANSFER_NOT_FOUND")

	r := api.post("/v2/transfers/add-multi", url.Values{"urls": {`[{"url":"magnet:?xt=urn:btih:aa"},{"url":""}]`}})
	mustStatus(t, r, 200)
	added, _ := r.body["transfers"].([]any)
	failures, _ := r.body["errors"].([]any)
	if len(added) != 1 || len(failures) != 1 || failures[0].(map[string]any)["error_type"] != "EMPTY_URL" {
		t.Fatalf("add-multi %s", r.raw)
	}
}

func TestTransferListPagingCountCancelClean(t *testing.T) {
	srv, api := newAPI(t)
	acct := srv.Account(srv.Token)
	var ids []int64
	for _, hash := range []string{"aa", "bb", "cc"} {
		ids = append(ids, num(api.addTransfer("magnet:?xt=urn:btih:"+hash, 0), "id"))
	}
	if _, err := acct.CompleteTransfer(ids[0], []byte("x")); err != nil {
		t.Fatal(err)
	}
	var listed []int64
	r := api.get("/v2/transfers/list", url.Values{"per_page": {"2"}})
	for {
		mustStatus(t, r, 200)
		for _, tr := range r.body["transfers"].([]any) {
			listed = append(listed, num(tr.(map[string]any), "id"))
		}
		cursor, _ := r.body["cursor"].(string)
		if cursor == "" {
			break
		}
		r = api.post("/v2/transfers/list/continue", url.Values{"cursor": {cursor}})
	}
	if len(listed) != 3 || listed[0] != ids[0] || listed[2] != ids[2] {
		t.Fatalf("listed %v, want %v", listed, ids)
	}
	mustError(t, api.post("/v2/transfers/list/continue", url.Values{"cursor": {"garbage"}}), 400, "INVALID_CURSOR")

	mustStatus(t, api.post("/v2/transfers/cancel", url.Values{"transfer_ids": {itoa(ids[1]) + ",999"}}), 200)
	mustStatus(t, api.post("/v2/transfers/cancel", url.Values{"transfer_ids": {itoa(ids[1])}}), 200)
	r = api.post("/v2/transfers/clean", nil)
	mustStatus(t, r, 200)
	if deleted := r.body["deleted_ids"].([]any); len(deleted) != 1 || int64(deleted[0].(float64)) != ids[0] {
		t.Fatalf("clean deleted %s", r.raw)
	}
	if count := api.get("/v2/transfers/count", nil); num(count.body, "count") != 1 {
		t.Fatalf("count %s", count.raw)
	}
	if left := acct.Transfers(); len(left) != 1 || left[0].ID != ids[2] {
		t.Fatalf("left %+v", left)
	}
	if names := len(mustList(t, acct, "")); names != 1 {
		t.Fatalf("the completed transfer's file should stay after clean; root has %d items", names)
	}
	mustStatus(t, api.post("/v2/transfers/remove", url.Values{"filter": {"all"}}), 200)
	if left := acct.Transfers(); len(left) != 0 {
		t.Fatalf("after remove all: %+v", left)
	}
}

// By default cancelling is idempotent, as put.io's SDK live tests find:
// an id with no transfer is ignored. CancelMissingTransferNotFound
// refuses it instead, cancelling nothing.
func TestTransferCancelMissing(t *testing.T) {
	for _, strict := range []bool{false, true} {
		t.Run(fmt.Sprintf("CancelMissingTransferNotFound=%v", strict), func(t *testing.T) {
			srv, api := newAPI(t, putiotest.Options{CancelMissingTransferNotFound: strict})
			acct := srv.Account(srv.Token)
			id := num(api.addTransfer(testMagnet, 0), "id")

			r := api.post("/v2/transfers/cancel", url.Values{"transfer_ids": {itoa(id) + ",999"}})

			left := acct.Transfers()
			if strict {
				mustError(t, r, 404, "TRANSFER_NOT_FOUND")
				if len(left) != 1 || left[0].ID != id {
					t.Fatalf("a refused cancel changed the transfers: %+v", left)
				}
				return
			}
			mustStatus(t, r, 200)
			if len(left) != 0 {
				t.Fatalf("not cancelled: %+v", left)
			}
			mustStatus(t, api.post("/v2/transfers/cancel", url.Values{"transfer_ids": {itoa(id)}}), 200)
		})
	}
}

func mustList(t *testing.T, acct *putiotest.Account, dir string) []putiotest.File {
	t.Helper()
	items, err := acct.List(dir)
	if err != nil {
		t.Fatal(err)
	}
	return items
}

func TestCursorExpiry(t *testing.T) {
	clock := newClock()
	_, api := newAPI(t, putiotest.Options{Now: clock.Now, CursorExpiry: time.Minute})
	api.mkdir(0, "a")
	api.mkdir(0, "b")
	r := api.get("/v2/files/list", url.Values{"per_page": {"1"}})
	cursor := r.body["cursor"].(string)
	mustStatus(t, api.post("/v2/files/list/continue", url.Values{"cursor": {cursor}}), 200)
	clock.Advance(2 * time.Minute)
	mustError(t, api.post("/v2/files/list/continue", url.Values{"cursor": {cursor}}), 400, "INVALID_CURSOR")
}

func TestRateLimitCaptchaAndRetryAfterBody(t *testing.T) {
	_, api := newAPI(t, putiotest.Options{RateLimit: putiotest.RateLimit{Requests: 1}})
	api.get("/v2/files/0", nil)
	r := api.get("/v2/files/0", nil)
	mustError(t, r, 429, "TooManyRequests")
	if num(r.body, "retry_after") < 1 || r.header.Get("Retry-After") != itoa(num(r.body, "retry_after")) {
		t.Fatalf("retry_after %s, header %v", r.raw, r.header)
	}

	_, captcha := newAPI(t, putiotest.Options{RateLimit: putiotest.RateLimit{Requests: 1, Captcha: true}})
	captcha.get("/v2/files/0", nil)
	r = captcha.get("/v2/files/0", nil)
	mustError(t, r, 429, "RATE_LIMIT_ERROR")
	if r.header.Get("X-Ratelimit-Action") != "captcha-needed" || r.header.Get("X-Ratelimit-Id") == "" || r.header.Get("Retry-After") != "" {
		t.Fatalf("captcha headers %v", r.header)
	}
}

func TestAdminCompletesAndFailsTransfers(t *testing.T) {
	srv, api := newAPI(t)
	first := num(api.addTransfer("magnet:?xt=urn:btih:aa&dn=one.bin", 0), "id")
	second := num(api.addTransfer("magnet:?xt=urn:btih:bb", 0), "id")
	admin := func(form url.Values) int {
		resp, err := http.PostForm(srv.URL+"/_emulator/transfers", form)
		if err != nil {
			t.Fatal(err)
		}
		closeBody(t, resp.Body)
		return resp.StatusCode
	}
	if code := admin(url.Values{"token": {srv.Token}, "id": {itoa(first)}, "action": {"complete"}, "size": {"1000"}}); code != 200 {
		t.Fatalf("complete: %d", code)
	}
	if code := admin(url.Values{"token": {srv.Token}, "id": {itoa(second)}, "action": {"fail"}, "message": {"no peers"}}); code != 200 {
		t.Fatalf("fail: %d", code)
	}
	if code := admin(url.Values{"token": {srv.Token}, "id": {itoa(second)}, "action": {"explode"}}); code != 400 {
		t.Fatalf("unknown action: %d", code)
	}
	if f, err := srv.Account(srv.Token).Stat("one.bin"); err != nil || f.Size != 1000 {
		t.Fatalf("completed file %+v, %v", f, err)
	}
	if tr := api.getTransfer(second); tr["error_message"] != "no peers" {
		t.Fatalf("failed transfer %v", tr)
	}
}

// A fetched transfer's file reaches the feed once complete (a transfer
// the test completes: TestFeedAnnouncesFinishedTransfer).
func TestFetchedTransferReachesTheFeed(t *testing.T) {
	srv, api := newAPI(t, putiotest.Options{FeedFileObjects: true})
	feed := dialFeed(t, srv, srv.Token)
	waitConnections(t, srv, 1)
	var ready atomic.Bool
	ready.Store(true)
	source := contentServer(t, []byte("fetched"), &ready).URL + "/f.txt"

	fetched := api.waitTransfer(num(api.addTransfer(source, 0), "id"))

	msg := feed.next()
	assert.Equal(t, event{"file_create", num(fetched, "file_id")}, event{msg.Type, num(msg.Value, "id")})
	assert.EqualValues(t, 7, msg.Value["size"])
}

// A fetch stops at the account's free space, however much the URL sends.
func TestTransferFetchStopsAtTheQuota(t *testing.T) {
	srv, api := newAPI(t, putiotest.Options{Quota: 1000})
	var ready atomic.Bool
	ready.Store(true)
	source := contentServer(t, bytes.Repeat([]byte("x"), 5000), &ready).URL + "/big.bin"

	failed := api.waitTransfer(num(api.addTransfer(source, 0), "id"))

	if failed["status"] != putiotest.StatusError || !strings.Contains(failed["error_message"].(string), "not enough disk space") {
		t.Fatalf("over-quota transfer %v", failed)
	}
	if used, _ := srv.Account(srv.Token).Usage(); used != 0 {
		t.Fatalf("%d bytes used after a refused fetch", used)
	}
}

// testMagnetBase32 is testMagnet's hash in base32, with other parameters.
const testMagnetBase32 = "magnet:?tr=udp%3A%2F%2Ftracker.example%3A80&xt=urn:btih:AERUKZ4JVPG66AJDIVTYTK6N54ASGRLH"

func TestTransferAlreadyAddedNamesTheExistingOne(t *testing.T) {
	_, api := newAPI(t)
	first := api.addTransfer(testMagnet, 0)
	if first["hash"] != "0123456789abcdef0123456789abcdef01234567" || first["source"] != testMagnet || first["magneturi"] != testMagnet {
		t.Fatalf("added %v", first)
	}
	for _, again := range []string{testMagnet, testMagnetBase32} {
		r := api.post("/v2/transfers/add", url.Values{"url": {again}})
		mustError(t, r, 400, "TRANSFER_ALREADY_ADDED")
		if extra, _ := r.body["extra"].(map[string]any); extra["existing_id"] != first["id"] {
			t.Fatalf("adding %q again: extra %v, want existing_id %v", again, r.body["extra"], first["id"])
		}
	}
}

func TestTransferSourceNormalize(t *testing.T) {
	_, api := newAPI(t, putiotest.Options{TransferSourceNormalize: true})
	const reduced = "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567"
	added := api.addTransfer(testMagnetBase32, 0)
	listed := api.get("/v2/transfers/list", nil).body["transfers"].([]any)[0].(map[string]any)
	for _, tr := range []map[string]any{added, listed} {
		if tr["source"] != reduced || tr["magneturi"] != reduced || tr["hash"] != "0123456789abcdef0123456789abcdef01234567" {
			t.Fatalf("transfer %v, want source and magneturi %q", tr, reduced)
		}
	}
	plain := "http://example.com/a%20b.iso"
	if got := api.addTransfer(plain, 0); got["source"] != plain || got["hash"] != nil {
		t.Fatalf("a URL is kept as given: %v", got)
	}
}
