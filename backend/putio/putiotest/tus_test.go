package putiotest_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
)

func TestTusChunkedUploadIsAtomic(t *testing.T) {
	srv, api := newAPI(t)
	acct := srv.Account(api.token)
	data := bytes.Repeat([]byte("abcdefgh"), 1000)
	loc := api.tusCreate(len(data), map[string]string{"name": "f.bin", "parent_id": "0", "updated-at": "2023-03-04T05:06:07Z"})

	for off := 0; off < len(data); off += 3000 {
		end := min(off+3000, len(data))
		r := api.tusPatch(loc, off, data[off:end])
		mustStatus(t, r, 204)
		if got := r.header.Get("Upload-Offset"); got != strconv.Itoa(end) {
			t.Fatalf("Upload-Offset %s, want %d", got, end)
		}
		last := end == len(data)
		if files, _ := acct.List(""); (len(files) == 1) != last {
			t.Fatalf("after %d bytes the file is listed: %v (must appear only at the end)", end, len(files) == 1)
		}
		if id := r.header.Get("Putio-File-Id"); (id != "") != last {
			t.Fatalf("putio-file-id %q after %d bytes", id, end)
		}
		if last {
			if r.header.Get("Putio-File-Crc32") != fmt.Sprintf("%08x", crc32.ChecksumIEEE(data)) {
				t.Fatalf("putio-file-crc32 %q", r.header.Get("Putio-File-Crc32"))
			}
		}
	}
	st, err := acct.Stat("f.bin")
	if err != nil || st.Size != int64(len(data)) || !st.UpdatedAt.Equal(time.Date(2023, 3, 4, 5, 6, 7, 0, time.UTC)) {
		t.Fatalf("stat %+v %v", st, err)
	}
	if got, _ := acct.ReadFile("f.bin"); !bytes.Equal(got, data) {
		t.Fatal("body differs")
	}
	// A finished upload is gone.
	resp := api.send("HEAD", loc, nil, nil)
	closeBody(t, resp.Body)
	if resp.StatusCode != 404 {
		t.Fatalf("HEAD of a finished upload: %d", resp.StatusCode)
	}
	if acct.Uploads() != 0 {
		t.Fatal("upload still registered")
	}
}

func TestTusProtocolErrors(t *testing.T) {
	srv, api := newAPI(t, putiotest.Options{MaxPatchSize: 4})
	loc := api.tusCreate(10, map[string]string{"name": "f"})
	mustStatus(t, api.tusPatch(loc, 0, []byte("abc")), 204)

	t.Run("offset mismatch 409, nothing written", func(t *testing.T) {
		r := api.tusPatch(loc, 1, []byte("zz"))
		mustError(t, r, 409, "OFFSET_MISMATCH")
		if r.header.Get("Upload-Offset") != "3" {
			t.Fatalf("Upload-Offset %q", r.header.Get("Upload-Offset"))
		}
	})
	t.Run("content type 415", func(t *testing.T) {
		r := api.read(api.send("PATCH", loc, bytes.NewReader([]byte("d")), http.Header{"Upload-Offset": {"3"}, "Content-Type": {"application/octet-stream"}}))
		mustError(t, r, 415, "BadRequest")
	})
	t.Run("patch too large 413", func(t *testing.T) {
		mustError(t, api.tusPatch(loc, 3, []byte("defgh")), 413, "BadRequest")
	})
	t.Run("HEAD", func(t *testing.T) {
		resp := api.send("HEAD", loc, nil, http.Header{"Tus-Resumable": {"1.0.0"}})
		closeBody(t, resp.Body)
		h := resp.Header
		if resp.StatusCode != 200 || h.Get("Upload-Offset") != "3" || h.Get("Upload-Length") != "10" || h.Get("Cache-Control") != "no-store" || h.Get("Tus-Resumable") != "1.0.0" {
			t.Fatalf("HEAD %d %v", resp.StatusCode, h)
		}
	})
	t.Run("another account cannot see it", func(t *testing.T) {
		other := *api
		other.token = "intruder"
		mustError(t, other.tusPatch(loc, 3, []byte("d")), 404, "NotFound")
	})
	t.Run("DELETE terminates", func(t *testing.T) {
		resp := api.send("DELETE", loc, nil, nil)
		closeBody(t, resp.Body)
		if resp.StatusCode != 204 {
			t.Fatalf("DELETE %d", resp.StatusCode)
		}
		mustError(t, api.tusPatch(loc, 3, []byte("d")), 404, "NotFound")
		if files, _ := srv.Account(api.token).List(""); len(files) != 0 {
			t.Fatal("terminated upload left a file")
		}
	})
	t.Run("unsupported tus version 412", func(t *testing.T) {
		r := api.read(api.send("HEAD", loc, nil, http.Header{"Tus-Resumable": {"0.2.2"}}))
		if r.status != 412 || r.header.Get("Tus-Version") != "1.0.0" {
			t.Fatalf("HEAD with tus 0.2.2: %d %v", r.status, r.header)
		}
		h := http.Header{"Tus-Resumable": {"2.0.0"}, "Upload-Length": {"1"}, "Upload-Metadata": {tusMeta(map[string]string{"name": "f"})}}
		mustError(t, api.read(api.send("POST", srv.UploadURL(), nil, h)), 412, "BadRequest")
	})
	t.Run("creation errors", func(t *testing.T) {
		for name, h := range map[string]http.Header{
			"no length":      {"Upload-Metadata": {tusMeta(map[string]string{"name": "f"})}},
			"defer length":   {"Upload-Defer-Length": {"1"}, "Upload-Metadata": {tusMeta(map[string]string{"name": "f"})}},
			"bad base64":     {"Upload-Length": {"1"}, "Upload-Metadata": {"name !!!"}},
			"bad parent":     {"Upload-Length": {"1"}, "Upload-Metadata": {tusMeta(map[string]string{"name": "f", "parent_id": "x"})}},
			"bad updated-at": {"Upload-Length": {"1"}, "Upload-Metadata": {tusMeta(map[string]string{"name": "f", "updated-at": "soon"})}},
		} {
			t.Run(name, func(t *testing.T) {
				mustError(t, api.read(api.send("POST", srv.UploadURL(), nil, h)), 400, "BadRequest")
			})
		}
	})
}

// rclone creates empty files with Upload-Length 0 and one empty PATCH.
func TestTusZeroLength(t *testing.T) {
	srv, api := newAPI(t)
	loc := api.tusCreate(0, map[string]string{"name": "empty"})
	if files, _ := srv.Account(api.token).List(""); len(files) != 0 {
		t.Fatal("file appeared before the PATCH")
	}
	r := api.tusPatch(loc, 0, nil)
	mustStatus(t, r, 204)
	if r.header.Get("Putio-File-Id") == "" || r.header.Get("Putio-File-Crc32") != "00000000" || r.header.Get("Upload-Offset") != "0" {
		t.Fatalf("headers %v", r.header)
	}
	st, err := srv.Account(api.token).Stat("empty")
	if err != nil || st.Size != 0 || st.CRC32 != "00000000" {
		t.Fatalf("%+v %v", st, err)
	}
}

func TestTusOverwrite(t *testing.T) {
	srv, api := newAPI(t)
	acct := srv.Account(api.token)
	old := api.upload(0, "f.txt", []byte("old"), nil)
	id := api.upload(0, "f.txt", []byte("new"), map[string]string{"overwrite": "true"})
	files, _ := acct.List("")
	if len(files) != 1 || files[0].ID != id {
		t.Fatalf("files %+v", files)
	}
	trash := acct.Trash()
	if len(trash) != 1 || trash[0].ID != old {
		t.Fatalf("trash %+v", trash)
	}
	if data, _ := acct.ReadFile("f.txt"); string(data) != "new" {
		t.Fatalf("body %q", data)
	}
}

func TestTusExpiry(t *testing.T) {
	clock := newClock()
	_, api := newAPI(t, putiotest.Options{Now: clock.Now, UploadExpiry: time.Hour})
	loc := api.tusCreate(4, map[string]string{"name": "f"})
	mustStatus(t, api.tusPatch(loc, 0, []byte("ab")), 204)
	clock.Advance(59 * time.Minute)
	mustStatus(t, api.tusPatch(loc, 2, []byte("c")), 204)
	clock.Advance(61 * time.Minute)
	mustError(t, api.tusPatch(loc, 3, []byte("d")), 404, "NotFound")
}

// Location follows the request's host, a proxy's forwarded host, or
// PublicURL.
func TestTusLocation(t *testing.T) {
	srv, api := newAPI(t)
	h := http.Header{"Upload-Length": {"1"}, "Upload-Metadata": {tusMeta(map[string]string{"name": "f"})},
		"X-Forwarded-Proto": {"https"}, "X-Forwarded-Host": {"upload.example.com"}}
	r := api.read(api.send("POST", srv.UploadURL(), nil, h))
	if loc := r.header.Get("Location"); !strings.HasPrefix(loc, "https://upload.example.com/files/") {
		t.Fatalf("Location %q", loc)
	}
	_, api2 := newAPI(t, putiotest.Options{PublicURL: "https://pub.example/"})
	loc := api2.read(api2.send("POST", api2.srv.UploadURL(), nil, http.Header{"Upload-Length": {"1"}, "Upload-Metadata": {tusMeta(map[string]string{"name": "f"})}})).header.Get("Location")
	if !strings.HasPrefix(loc, "https://pub.example/files/") {
		t.Fatalf("Location %q", loc)
	}
}

// Two PATCHes of one upload cannot run at once.
func TestTusConcurrentPatch(t *testing.T) {
	_, api := newAPI(t)
	loc := api.tusCreate(10, map[string]string{"name": "f"})
	body, feed := io.Pipe()
	done := make(chan *http.Response, 1)
	go func() {
		req, _ := http.NewRequest("PATCH", loc, body)
		req.Header.Set("Authorization", "Bearer "+api.token)
		req.Header.Set("Upload-Offset", "0")
		req.Header.Set("Content-Type", "application/offset+octet-stream")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
		}
		done <- resp
	}()
	if _, err := feed.Write([]byte("abc")); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the first PATCH's bytes arrive", func() bool {
		head := api.send("HEAD", loc, nil, nil)
		closeBody(t, head.Body)
		return head.Header.Get("Upload-Offset") == "3"
	})
	mustError(t, api.tusPatch(loc, 3, []byte("d")), 409, "UPLOAD_BUSY")
	if err := feed.Close(); err != nil {
		t.Fatal(err)
	}
	if resp := <-done; resp == nil || resp.StatusCode != 204 || resp.Header.Get("Upload-Offset") != "3" {
		t.Fatalf("first PATCH: %v", resp)
	}
	mustStatus(t, api.tusPatch(loc, 3, []byte("defghij")), 204)
}

// Quota is checked again when an upload completes: parallel uploads cannot
// overfill the disk.
func TestTusQuotaAtCompletion(t *testing.T) {
	srv, api := newAPI(t, putiotest.Options{Quota: 10})
	first := api.tusCreate(6, map[string]string{"name": "a"})
	second := api.tusCreate(6, map[string]string{"name": "b"})
	mustStatus(t, api.tusPatch(first, 0, []byte("aaaaaa")), 204)
	mustError(t, api.tusPatch(second, 0, []byte("bbbbbb")), 413, "QUOTA_EXCEEDED")
	if used, _ := srv.Account(api.token).Usage(); used != 6 {
		t.Fatalf("used %d", used)
	}
}

// Deleting a folder with a file inside, both named, deletes the subtree once.
func TestDeleteNestedIDs(t *testing.T) {
	srv, api := newAPI(t)
	acct := srv.Account(api.token)
	f, _ := acct.Put("d/f", []byte("x"), t0)
	d, _ := acct.Stat("d")
	mustStatus(t, api.post("/v2/files/delete", url.Values{"file_ids": {itoa(f.ID) + "," + itoa(d.ID) + "," + itoa(d.ID)}}), 200)
	if trash := acct.Trash(); len(trash) != 1 || trash[0].ID != d.ID {
		t.Fatalf("trash %+v", trash)
	}
}

// A PATCH body without Content-Length that runs past the upload is refused
// whole, and the upload can go on.
func TestTusChunkedBodyTooLong(t *testing.T) {
	srv, api := newAPI(t)
	loc := api.tusCreate(4, map[string]string{"name": "f"})
	mustStatus(t, api.tusPatch(loc, 0, []byte("a")), 204)
	h := http.Header{"Upload-Offset": {"1"}, "Content-Type": {"application/offset+octet-stream"}}
	// io.MultiReader hides the length, so the client sends it chunked.
	r := api.read(api.send("PATCH", loc, io.MultiReader(strings.NewReader("bcdEXTRA")), h))
	mustError(t, r, 413, "BadRequest")
	if r.header.Get("Upload-Offset") != "1" {
		t.Fatalf("offset after refused PATCH %q", r.header.Get("Upload-Offset"))
	}
	mustStatus(t, api.tusPatch(loc, 1, []byte("bcd")), 204)
	if data, _ := srv.Account(api.token).ReadFile("f"); string(data) != "abcd" {
		t.Fatalf("body %q", data)
	}
	if st, _ := srv.Account(api.token).Stat("f"); st.CRC32 != "ed82cd11" {
		t.Fatalf("crc %s", st.CRC32)
	}
}

// Without no-torrent=true put.io turns an uploaded .torrent into a
// transfer, not a file: the last PATCH names no file and none appears,
// but a TORRENT transfer named after it does.
func TestTusTorrentNeedsNoTorrent(t *testing.T) {
	srv, api := newAPI(t)
	acct := srv.Account(api.token)
	for _, name := range []string{"a.torrent", "B.TORRENT"} {
		loc := api.tusCreate(3, map[string]string{"name": name})
		r := api.tusPatch(loc, 0, []byte("d8e"))
		mustStatus(t, r, 204)
		if id := r.header.Get("Putio-File-Id"); id != "" {
			t.Errorf("%s without no-torrent became file %s", name, id)
		}
	}
	if files, _ := acct.List(""); len(files) != 0 {
		t.Fatalf("torrents became files: %+v", files)
	}
	if used, _ := acct.Usage(); used != 0 {
		t.Fatalf("used %d", used)
	}
	if tr := acct.Transfers(); len(tr) != 2 || tr[0].Name != "a" || tr[1].Name != "B" || tr[0].Type != "TORRENT" || tr[0].Source != "a.torrent" {
		t.Fatalf("transfers %+v", tr)
	}
	api.upload(0, "c.torrent", []byte("d8e"), nil) // sends no-torrent=true
	if _, err := acct.Stat("c.torrent"); err != nil {
		t.Fatal(err)
	}
}

// Upload-Metadata values are standard base64 with padding; keys are
// unique (tus 1.0.0).
func TestTusMetadataParsing(t *testing.T) {
	srv, api := newAPI(t)
	create := func(metadata string) reply {
		return api.read(api.send("POST", srv.UploadURL(), nil, http.Header{"Upload-Length": {"0"}, "Upload-Metadata": {metadata}}))
	}
	for metadata, want := range map[string]string{
		"name Zg==":                    "f",   // two pad characters
		"name Zm8=":                    "fo",  // one
		"name Zm9v":                    "foo", // none needed
		" name  Zm9vMQ== , no-torrent": "foo1",
	} {
		r := create(metadata)
		mustStatus(t, r, 201)
		mustStatus(t, api.tusPatch(r.header.Get("Location"), 0, nil), 204)
		if _, err := srv.Account(api.token).Stat(want); err != nil {
			t.Errorf("%q: %v", metadata, err)
		}
	}
	for name, metadata := range map[string]string{
		"unpadded":      "name Zm8",
		"URL alphabet":  "name " + base64.URLEncoding.EncodeToString([]byte("a?>")),
		"duplicate key": "name Zg==,name Zm8=",
	} {
		t.Run(name, func(t *testing.T) {
			r := create(metadata)
			mustError(t, r, 400, "BadRequest")
			if msg, _ := r.body["error_message"].(string); !strings.Contains(msg, `"name"`) {
				t.Errorf("message does not name the key: %q", msg)
			}
		})
	}
}

// Tus-Resumable goes on every tus reply, and an unsupported version is
// refused before anything else is looked at.
func TestTusVersionHeaderOnErrors(t *testing.T) {
	_, api := newAPI(t)
	loc := api.tusCreate(3, map[string]string{"name": "f"})
	r := api.read(api.send("PATCH", loc, strings.NewReader("abc"), http.Header{"Upload-Offset": {"0"}, "Content-Type": {"text/plain"}}))
	mustError(t, r, 415, "BadRequest")
	if r.header.Get("Tus-Resumable") != "1.0.0" {
		t.Errorf("415 without Tus-Resumable: %v", r.header)
	}
	r = api.read(api.send("PATCH", loc, strings.NewReader("abc"), http.Header{"Tus-Resumable": {"0.2.2"}, "Upload-Offset": {"0"}, "Content-Type": {"text/plain"}}))
	mustError(t, r, 412, "BadRequest")
	anon := *api
	anon.token = ""
	r = anon.read(anon.send("POST", api.srv.UploadURL(), nil, http.Header{"Upload-Length": {"1"}}))
	mustError(t, r, 401, "Unauthorized")
	if r.header.Get("Tus-Resumable") != "1.0.0" {
		t.Errorf("401 without Tus-Resumable: %v", r.header)
	}
}

// Space that other uploads took while an upload was under way is found
// missing when its last byte arrives: 413 QUOTA_EXCEEDED with put.io's
// error body, no file, and the upload gone with its bytes, so the reply
// claims no offset.
func TestTusQuotaRunsOutBeforeTheLastByte(t *testing.T) {
	srv, api := newAPI(t, putiotest.Options{Quota: 100})
	acct := srv.Account(api.token)
	loc := api.tusCreate(60, map[string]string{"name": "late.bin", "parent_id": "0"})
	mustStatus(t, api.tusPatch(loc, 0, make([]byte, 30)), 204)
	mustPut(t, acct, "filler.bin", make([]byte, 50))

	r := api.tusPatch(loc, 30, make([]byte, 30))

	mustError(t, r, http.StatusRequestEntityTooLarge, "QUOTA_EXCEEDED")
	if got := r.header.Get("Upload-Offset"); got != "" {
		t.Fatalf("a refused completion claims offset %q", got)
	}
	if files, _ := acct.List(""); len(files) != 1 || files[0].Name != "filler.bin" {
		t.Fatalf("files %v", files)
	}
	mustStatus(t, api.read(api.send("HEAD", loc, nil, http.Header{"Tus-Resumable": {"1.0.0"}})), 404)
	if acct.Uploads() != 0 {
		t.Fatal("upload kept")
	}
}

// With MaxPatchSizeAfterBody a PATCH over the limit is read to its end
// before the 413, and none of it is kept; one within the limit is taken.
func TestTusPatchRefusedAfterItsBody(t *testing.T) {
	srv, api := newAPI(t, putiotest.Options{MaxPatchSize: 4, MaxPatchSizeAfterBody: true})
	loc := api.tusCreate(10, map[string]string{"name": "f"})

	r := api.tusPatch(loc, 0, []byte("abcdefg"))

	mustError(t, r, 413, "BadRequest")
	if got := srv.UploadBytes(); got != 7 {
		t.Fatalf("the server read %d bytes of the 7 sent before refusing", got)
	}
	if got := r.header.Get("Upload-Offset"); got != "0" {
		t.Fatalf("Upload-Offset %q after the refusal, want 0", got)
	}
	mustStatus(t, api.tusPatch(loc, 0, []byte("abcd")), 204)
}

// OmitUploadCRC leaves putio-file-crc32 out of the completing reply, not
// putio-file-id; the file keeps its CRC-32.
func TestTusOmitUploadCRC(t *testing.T) {
	srv, api := newAPI(t, putiotest.Options{OmitUploadCRC: true})
	loc := api.tusCreate(3, map[string]string{"name": "a.txt", "parent_id": "0", "no-torrent": "true"})
	r := api.tusPatch(loc, 0, []byte("abc"))
	mustStatus(t, r, 204)
	if r.header.Get("Putio-File-Id") == "" || r.header.Get("Putio-File-Crc32") != "" {
		t.Fatalf("final reply headers %v", r.header)
	}
	if stat, err := srv.Account(api.token).Stat("a.txt"); err != nil || stat.CRC32 != "352441c2" {
		t.Fatalf("stored %+v, %v", stat, err)
	}
}
