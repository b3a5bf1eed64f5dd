package putiotest_test

import (
	"bytes"
	"fmt"
	"hash/crc32"
	"net/url"
	"testing"
)

func TestSmokeUploadListDownload(t *testing.T) {
	srv, api := newAPI(t)
	dir := api.mkdir(0, "dir")
	data := bytes.Repeat([]byte("0123456789"), 1000)
	id := api.upload(dir, "f.txt", data, map[string]string{"updated-at": "2024-05-01T12:00:00.9Z"})

	r := api.get("/v2/files/list", url.Values{"parent_id": {itoa(dir)}})
	mustStatus(t, r, 200)
	if len(r.files()) != 1 || num(r.files()[0], "id") != id {
		t.Fatalf("listing %s", r.raw)
	}
	f := r.files()[0]
	if f["crc32"] != fmt.Sprintf("%08x", crc32.ChecksumIEEE(data)) || f["updated_at"] != "2024-05-01T12:00:00" {
		t.Fatalf("file %v", f)
	}
	_, body := api.download(id, nil)
	if !bytes.Equal(body, data) {
		t.Fatalf("downloaded %d bytes, want %d", len(body), len(data))
	}
	got, err := srv.Account(srv.Token).ReadFile("dir/f.txt")
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("ReadFile: %v", err)
	}
	if srv.Calls("PATCH /files/{upload}") != 1 || srv.Calls("GET /v2/files/list") != 1 {
		t.Fatalf("calls %v", srv.AllCalls())
	}
}

// Every reply carries an x-trace-id, as put.io's do, errors included.
func TestTraceID(t *testing.T) {
	_, api := newAPI(t)
	seen := map[string]bool{}
	for _, r := range []reply{api.get("/v2/files/0", nil), api.get("/v2/files/424242", nil)} {
		id := r.header.Get("X-Trace-Id")
		if id == "" || seen[id] {
			t.Fatalf("x-trace-id %q (seen before: %v)", id, seen[id])
		}
		seen[id] = true
	}
}
