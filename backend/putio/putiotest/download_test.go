package putiotest_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
)

func TestDownloadRanges(t *testing.T) {
	_, api := newAPI(t)
	data := "0123456789abcdefghij"
	id := api.upload(0, "f.txt", []byte(data), nil)
	for _, tc := range []struct {
		rng    string
		status int
		body   string
		cr     string
	}{
		{"", 200, data, ""},
		{"bytes=2-5", 206, "2345", "bytes 2-5/20"},
		{"bytes=15-", 206, "fghij", "bytes 15-19/20"},
		{"bytes=-3", 206, "hij", "bytes 17-19/20"},
		{"bytes=18-100", 206, "ij", "bytes 18-19/20"},
		{"bytes=20-", 416, "", "bytes */20"},
	} {
		h := http.Header{}
		if tc.rng != "" {
			h.Set("Range", tc.rng)
		}
		resp, body := api.download(id, h)
		if resp.StatusCode != tc.status || (tc.status != 416 && string(body) != tc.body) || resp.Header.Get("Content-Range") != tc.cr {
			t.Errorf("Range %q: %d %q %q", tc.rng, resp.StatusCode, body, resp.Header.Get("Content-Range"))
		}
		if tc.status == 200 && (resp.Header.Get("Accept-Ranges") != "bytes" || resp.Header.Get("Content-Length") != "20") {
			t.Errorf("headers %v", resp.Header)
		}
	}
}

// With IgnoreRange every download is the whole file with 200, as from a
// host or proxy that does not do ranges.
func TestDownloadIgnoreRange(t *testing.T) {
	_, api := newAPI(t, putiotest.Options{IgnoreRange: true})
	data := "0123456789abcdefghij"
	id := api.upload(0, "f.txt", []byte(data), nil)
	for _, rng := range []string{"", "bytes=2-5", "bytes=-3", "bytes=20-"} {
		h := http.Header{}
		if rng != "" {
			h.Set("Range", rng)
		}
		resp, body := api.download(id, h)
		if resp.StatusCode != 200 || string(body) != data || resp.Header.Get("Content-Range") != "" {
			t.Errorf("Range %q: %d %q %q", rng, resp.StatusCode, body, resp.Header.Get("Content-Range"))
		}
	}
}

func TestDownloadURL(t *testing.T) {
	clock := newClock()
	srv, api := newAPI(t, putiotest.Options{Now: clock.Now, URLExpiry: time.Hour})
	id := api.upload(0, "f.txt", []byte("hello"), nil)
	u, _ := api.get("/v2/files/"+itoa(id)+"/url", url.Values{"notunnel": {"0"}}).body["url"].(string)
	if !strings.HasPrefix(u, srv.URL+"/download/"+itoa(id)+"?") {
		t.Fatalf("url %q", u)
	}
	anon := as(api, "")
	t.Run("HEAD", func(t *testing.T) {
		resp := anon.send("HEAD", u, nil, nil)
		closeBody(t, resp.Body)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Length") != "5" {
			t.Fatalf("%d %v", resp.StatusCode, resp.Header)
		}
	})
	t.Run("tampered", func(t *testing.T) {
		other := api.upload(0, "g.txt", []byte("secret"), nil)
		bad := strings.Replace(u, "/download/"+itoa(id), "/download/"+itoa(other), 1)
		mustError(t, anon.read(anon.send("GET", bad, nil, nil)), 403, "InvalidSignature")
	})
	t.Run("redirect", func(t *testing.T) {
		resp := api.send("GET", "/v2/files/"+itoa(id)+"/download", nil, nil)
		closeBody(t, resp.Body)
		loc, _ := resp.Location()
		if resp.StatusCode != 302 || loc == nil || loc.Path != "/download/"+itoa(id) {
			t.Fatalf("%d %v", resp.StatusCode, loc)
		}
		got := anon.send("GET", loc.String(), nil, nil)
		body, _ := io.ReadAll(got.Body)
		closeBody(t, got.Body)
		if string(body) != "hello" {
			t.Fatalf("body %q", body)
		}
	})
	t.Run("redirect with a name", func(t *testing.T) {
		resp := api.send("GET", "/v2/files/"+itoa(id)+"/download/any-name.txt", nil, nil)
		closeBody(t, resp.Body)
		if loc, _ := resp.Location(); resp.StatusCode != 302 || loc == nil || loc.Path != "/download/"+itoa(id) {
			t.Fatalf("%d %v", resp.StatusCode, loc)
		}
	})
	t.Run("folder", func(t *testing.T) {
		mustError(t, api.get("/v2/files/"+itoa(api.mkdir(0, "d"))+"/url", nil), 400, "NotFile")
	})
	t.Run("deleted file", func(t *testing.T) {
		doomed := api.upload(0, "doomed", []byte("x"), nil)
		du, _ := api.get("/v2/files/"+itoa(doomed)+"/url", nil).body["url"].(string)
		api.post("/v2/files/delete", url.Values{"file_ids": {itoa(doomed)}})
		mustError(t, anon.read(anon.send("GET", du, nil, nil)), 404, "NotFound")
	})
	t.Run("expiry", func(t *testing.T) {
		clock.Advance(59 * time.Minute)
		resp := anon.send("GET", u, nil, nil)
		closeBody(t, resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("before expiry: %d", resp.StatusCode)
		}
		clock.Advance(2 * time.Minute)
		mustError(t, anon.read(anon.send("GET", u, nil, nil)), 410, "LINK_EXPIRED")
	})
}

// The download route's own refusals (416, 412) are put.io JSON errors too.
func TestDownloadErrorsAreJSON(t *testing.T) {
	_, api := newAPI(t)
	id := api.upload(0, "f.txt", []byte("0123456789"), nil)
	u, _ := api.get("/v2/files/"+itoa(id)+"/url", nil).body["url"].(string)
	anon := as(api, "")
	r := anon.read(anon.send("GET", u, nil, http.Header{"Range": {"bytes=10-"}}))
	mustError(t, r, 416, "RequestedRangeNotSatisfiable")
	if r.header.Get("Content-Range") != "bytes */10" {
		t.Fatalf("Content-Range %q", r.header.Get("Content-Range"))
	}
	r = anon.read(anon.send("GET", u, nil, http.Header{"If-Match": {`"nope"`}}))
	mustError(t, r, 412, "PreconditionFailed")
}

// A URL built with the account's download token, as put.io's SDK builds
// them (/v2/files/{id}/download?oauth_token=<download token>), is an API
// route: every open of it costs one API request, a 302 to the signed
// URL, which then serves the range asked for. The token opens nothing but
// download and stream routes.
func TestDownloadTokenURLCostsAnAPIRequestPerOpen(t *testing.T) {
	srv, api := newAPI(t)
	data := "0123456789abcdefghij"
	id := api.upload(0, "f.txt", []byte(data), nil)
	info := api.get("/v2/account/info", url.Values{"download_token": {"1"}})
	mustStatus(t, info, 200)
	token, _ := info.body["info"].(map[string]any)["download_token"].(string)
	if token == "" {
		t.Fatal("no download token")
	}
	anon := as(api, "")
	built := srv.URL + "/v2/files/" + itoa(id) + "/download?" + url.Values{"oauth_token": {token}}.Encode()
	for range 2 {
		resp := anon.send("GET", built, nil, nil)
		closeBody(t, resp.Body)
		if resp.StatusCode != http.StatusFound {
			t.Fatalf("built URL: %d, want 302", resp.StatusCode)
		}
		got := anon.send("GET", resp.Header.Get("Location"), nil, http.Header{"Range": {"bytes=5-9"}})
		body, err := io.ReadAll(got.Body)
		closeBody(t, got.Body)
		if err != nil || got.StatusCode != http.StatusPartialContent || string(body) != "56789" {
			t.Fatalf("signed URL: %d %q %v", got.StatusCode, body, err)
		}
	}
	if n := srv.Calls("GET /v2/files/{id}/download"); n != 2 {
		t.Errorf("%d API requests for two opens, want 2", n)
	}
	if n := srv.Calls("GET /v2/files/{id}/url"); n != 0 {
		t.Errorf("%d /url calls, want 0", n)
	}
	listing := anon.send("GET", srv.URL+"/v2/files/list?"+url.Values{"oauth_token": {token}}.Encode(), nil, nil)
	closeBody(t, listing.Body)
	if listing.StatusCode != http.StatusUnauthorized {
		t.Errorf("download token on files/list: %d, want 401", listing.StatusCode)
	}
}
