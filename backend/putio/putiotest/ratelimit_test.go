package putiotest_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
)

func TestRateLimit(t *testing.T) {
	clock := newClock()
	_, api := newAPI(t, putiotest.Options{Now: clock.Now, RateLimit: putiotest.RateLimit{Requests: 3, Window: time.Minute}})
	reset := strconv.FormatInt(t0.Add(time.Minute).Unix(), 10)
	for i := range 3 {
		r := api.get("/v2/files/0", nil)
		mustStatus(t, r, 200)
		if r.header.Get("X-Ratelimit-Limit") != "3" || r.header.Get("X-Ratelimit-Remaining") != strconv.Itoa(2-i) || r.header.Get("X-Ratelimit-Reset") != reset {
			t.Fatalf("request %d headers %v", i, r.header)
		}
	}
	clock.Advance(15 * time.Second)
	r := api.get("/v2/files/0", nil)
	mustError(t, r, 429, "TooManyRequests")
	if r.header.Get("Retry-After") != "45" || r.header.Get("X-Ratelimit-Reset") != reset || r.header.Get("X-Ratelimit-Remaining") != "0" {
		t.Fatalf("429 headers %v", r.header)
	}
	// Another token has its own budget.
	other := *api
	other.token = "other"
	mustStatus(t, other.get("/v2/files/0", nil), 200)
	clock.Advance(45 * time.Second)
	mustStatus(t, api.get("/v2/files/0", nil), 200)
}

func TestRateLimitOmitHeaders(t *testing.T) {
	_, api := newAPI(t, putiotest.Options{RateLimit: putiotest.RateLimit{Requests: 1, Omit: []string{"retry-after", "X-RateLimit-Reset"}}})
	api.get("/v2/files/0", nil)
	r := api.get("/v2/files/0", nil)
	mustError(t, r, 429, "TooManyRequests")
	if _, ok := r.header["Retry-After"]; ok {
		t.Fatal("Retry-After sent")
	}
	if _, ok := r.header["X-Ratelimit-Reset"]; ok {
		t.Fatal("X-Ratelimit-Reset sent")
	}
	if r.header.Get("X-Ratelimit-Limit") != "1" {
		t.Fatalf("headers %v", r.header)
	}
}

// Every reply's Date is the emulator's clock, the one x-ratelimit-reset
// is an instant on, faulted replies included.
func TestDateHeaderFollowsClock(t *testing.T) {
	clock := newClock()
	srv, api := newAPI(t, putiotest.Options{Now: clock.Now})
	if got := api.get("/v2/files/list", nil).header.Get("Date"); got != t0.UTC().Format(http.TimeFormat) {
		t.Fatalf("Date %q, want %q", got, t0.UTC().Format(http.TimeFormat))
	}
	clock.Advance(time.Hour)
	mustInject(t, srv, putiotest.Fault{Status: 429, Times: 1})
	if got := api.get("/v2/files/list", nil).header.Get("Date"); got != t0.Add(time.Hour).UTC().Format(http.TimeFormat) {
		t.Fatalf("faulted reply's Date %q", got)
	}
}

// The upload and download hosts may keep other time than the API: their
// Date and x-ratelimit-reset move by their skew, while the API's Date and
// the created_at of what they make stay on the API's clock.
func TestHostClockSkew(t *testing.T) {
	clock := newClock()
	const up, down = 90 * time.Second, -45 * time.Second
	_, api := newAPI(t, putiotest.Options{Now: clock.Now, UploadClockSkew: up, DownloadClockSkew: down,
		RateLimit: putiotest.RateLimit{Requests: 100, Window: time.Minute}})
	onClock := func(r reply, skew time.Duration) {
		t.Helper()
		if got, want := r.header.Get("Date"), t0.Add(skew).UTC().Format(http.TimeFormat); got != want {
			t.Fatalf("Date %q, want %q", got, want)
		}
		// Signed downloads are not rate-limited, so they carry no reset.
		if got, want := r.header.Get("X-Ratelimit-Reset"), itoa(t0.Add(time.Minute+skew).Unix()); got != "" && got != want {
			t.Fatalf("x-ratelimit-reset %q, want %q", got, want)
		}
	}
	loc := api.tusCreate(3, map[string]string{"name": "a.txt", "parent_id": "0", "no-torrent": "true"})
	patched := api.tusPatch(loc, 0, []byte("abc"))
	mustStatus(t, patched, 204)
	onClock(patched, up)
	if patched.header.Get("X-Ratelimit-Reset") == "" {
		t.Fatal("the upload host sent no x-ratelimit-reset")
	}
	file := api.get("/v2/files/"+patched.header.Get("Putio-File-Id"), nil)
	onClock(file, 0)
	if got := file.file()["created_at"]; got != t0.Format("2006-01-02T15:04:05") {
		t.Fatalf("created_at %v, want the API's clock", got)
	}
	resp, _ := api.download(num(file.file(), "id"), nil)
	onClock(reply{header: resp.Header}, down)
}
