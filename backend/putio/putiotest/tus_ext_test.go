package putiotest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"strconv"
	"testing"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
)

func TestTusOptions(t *testing.T) {
	for _, tc := range []struct {
		name               string
		opts               putiotest.Options
		status             int
		extension, maxSize string
	}{
		{"default", putiotest.Options{}, 204, "creation,termination", ""},
		{"more", putiotest.Options{TusExtensions: []string{"creation", "creation-with-upload", "termination"}, TusMaxSize: 1000}, 204, "creation,creation-with-upload,termination", "1000"},
		{"refused", putiotest.Options{RefuseOptions: true}, 405, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, api := newAPI(t, tc.opts)
			r := api.read(api.send("OPTIONS", api.srv.UploadURL(), nil, nil))
			mustStatus(t, r, tc.status)
			if tc.status != 204 {
				return
			}
			if r.header.Get("Tus-Version") != "1.0.0" || r.header.Get("Tus-Extension") != tc.extension || r.header.Get("Tus-Max-Size") != tc.maxSize {
				t.Fatalf("OPTIONS headers %v", r.header)
			}
		})
	}
}

func TestTusMaxSizeRefusesCreation(t *testing.T) {
	srv, api := newAPI(t, putiotest.Options{TusMaxSize: 10})
	h := http.Header{"Upload-Length": {"11"}, "Upload-Metadata": {tusMeta(map[string]string{"name": "f"})}}
	mustStatus(t, api.read(api.send("POST", srv.UploadURL(), nil, h)), 413)
	if srv.Account(api.token).Uploads() != 0 {
		t.Fatal("a refused creation left an upload")
	}
	api.tusCreate(10, map[string]string{"name": "f"})
}

// createWithBody sends a creation POST carrying data.
func createWithBody(api *apiClient, length int, data []byte) reply {
	h := http.Header{"Upload-Length": {strconv.Itoa(length)}, "Upload-Metadata": {tusMeta(map[string]string{"name": "f.bin", "no-torrent": "true"})},
		"Content-Type": {"application/offset+octet-stream"}}
	return api.read(api.send("POST", api.srv.UploadURL(), bytes.NewReader(data), h))
}

func TestTusCreationWithUpload(t *testing.T) {
	srv, api := newAPI(t, putiotest.Options{TusExtensions: []string{"creation", "creation-with-upload"}})
	data := []byte("hello, world")

	r := createWithBody(api, len(data), data)

	mustStatus(t, r, 201)
	if r.header.Get("Upload-Offset") != "12" || r.header.Get("Putio-File-Crc32") != fmt.Sprintf("%08x", crc32.ChecksumIEEE(data)) || r.header.Get("Putio-File-Id") == "" {
		t.Fatalf("reply headers %v", r.header)
	}
	if got, _ := srv.Account(api.token).ReadFile("f.bin"); !bytes.Equal(got, data) {
		t.Fatalf("stored %q", got)
	}

	// A part in the POST, the rest in a PATCH.
	r = createWithBody(api, 20, data)
	mustStatus(t, r, 201)
	if r.header.Get("Upload-Offset") != "12" || r.header.Get("Putio-File-Id") != "" {
		t.Fatalf("partial creation headers %v", r.header)
	}
	mustStatus(t, api.tusPatch(r.header.Get("Location"), 12, []byte("12345678")), 204)
	if srv.UploadBytes() != 12+12+8 {
		t.Fatalf("UploadBytes %d, want 32", srv.UploadBytes())
	}
}

func TestTusCreationWithUploadNotAdvertised(t *testing.T) {
	srv, api := newAPI(t)
	mustError(t, createWithBody(api, 5, []byte("hello")), 400, "BadRequest")
	if srv.Account(api.token).Uploads() != 0 {
		t.Fatal("a refused creation left an upload")
	}
}

// cutPatch sends data at offset 0 of loc through a fault that cuts the
// request after n bytes.
func cutPatch(t *testing.T, srv *putiotest.Server, api *apiClient, loc string, data []byte, n int64) {
	t.Helper()
	mustInject(t, srv, putiotest.Fault{Route: "PATCH /files/{upload}", Cut: putiotest.CutRequest, CutAfter: n, Times: 1})
	req, _ := http.NewRequest("PATCH", loc, bytes.NewReader(data))
	req.Header.Set("Authorization", "Bearer "+api.token)
	req.Header.Set("Upload-Offset", "0")
	req.Header.Set("Content-Type", "application/offset+octet-stream")
	if resp, err := http.DefaultClient.Do(req); err == nil {
		closeBody(t, resp.Body)
		t.Fatalf("cut PATCH got a reply: %d", resp.StatusCode)
	}
}

func TestTusPartialPatchKeptOrDropped(t *testing.T) {
	data := bytes.Repeat([]byte("wxyz"), 50000)
	for _, tc := range []struct {
		drop bool
		want string
	}{{false, "4096"}, {true, "0"}} {
		t.Run(fmt.Sprint("drop=", tc.drop), func(t *testing.T) {
			srv, api := newAPI(t, putiotest.Options{DropPartialPatch: tc.drop})
			loc := api.tusCreate(len(data), map[string]string{"name": "f"})
			cutPatch(t, srv, api, loc, data, 4096)
			head := api.send("HEAD", loc, nil, nil)
			closeBody(t, head.Body)
			if got := head.Header.Get("Upload-Offset"); got != tc.want {
				t.Fatalf("offset after cut %q, want %s", got, tc.want)
			}
			if got := srv.UploadBytes(); got != 4096 {
				t.Fatalf("UploadBytes %d: received bytes count, kept or not", got)
			}
		})
	}
}

func TestUploadBytesCounters(t *testing.T) {
	srv, api := newAPI(t)
	other := &apiClient{t: t, srv: srv, token: "other-token"}
	api.upload(0, "a", make([]byte, 1000), nil)
	other.upload(0, "b", make([]byte, 300), nil)

	if srv.UploadBytes() != 1300 || srv.Account(api.token).UploadBytes() != 1000 || srv.Account("other-token").UploadBytes() != 300 {
		t.Fatalf("UploadBytes total %d, mine %d", srv.UploadBytes(), srv.Account(api.token).UploadBytes())
	}
	resp, err := http.Get(srv.URL + "/_emulator/upload-bytes")
	if err != nil {
		t.Fatal(err)
	}
	defer closeBody(t, resp.Body)
	body, _ := io.ReadAll(resp.Body)
	var got struct {
		Total  int64            `json:"total"`
		Tokens map[string]int64 `json:"token_fingerprints"`
	}
	if err := json.Unmarshal(body, &got); err != nil || got.Total != 1300 || got.Tokens[putiotest.TokenFingerprint(api.token)] != 1000 ||
		got.Tokens[putiotest.TokenFingerprint("other-token")] != 300 {
		t.Fatalf("admin upload-bytes %s (%v)", body, err)
	}
	srv.ResetCounters()
	if srv.UploadBytes() != 0 {
		t.Fatal("ResetCounters left the byte counters")
	}
}
