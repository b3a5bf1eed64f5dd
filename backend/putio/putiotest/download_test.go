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
	anon := *api
	anon.token = ""
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
	anon := *api
	anon.token = ""
	r := anon.read(anon.send("GET", u, nil, http.Header{"Range": {"bytes=10-"}}))
	mustError(t, r, 416, "RequestedRangeNotSatisfiable")
	if r.header.Get("Content-Range") != "bytes */10" {
		t.Fatalf("Content-Range %q", r.header.Get("Content-Range"))
	}
	r = anon.read(anon.send("GET", u, nil, http.Header{"If-Match": {`"nope"`}}))
	mustError(t, r, 412, "PreconditionFailed")
}
