package putiotest_test

import (
	"io"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
)

// The 1 GiB benchmarks show the emulator is never the bottleneck:
//
//	go test ./backend/putio/putiotest -run '^$' -bench 1GiB -benchtime 3x
//	go test ./backend/putio/putiotest -run '^$' -bench ChildLookup
const (
	benchSize  = 1 << 30
	benchChunk = 64 << 20
)

// patternReader yields an endless cheap byte pattern.
type patternReader struct{ block []byte }

func newPattern() *patternReader {
	block := make([]byte, 1<<20)
	for i := range block {
		block[i] = byte(i * 7)
	}
	return &patternReader{block: block}
}

func (p *patternReader) Read(b []byte) (int, error) {
	n := 0
	for n < len(b) {
		n += copy(b[n:], p.block)
	}
	return n, nil
}

func BenchmarkUpload1GiB(b *testing.B) {
	srv, api := newAPI(b)
	pattern := newPattern()
	b.SetBytes(benchSize)
	for b.Loop() {
		loc := api.tusCreate(benchSize, map[string]string{"name": "big"})
		for off := 0; off < benchSize; off += benchChunk {
			req, _ := http.NewRequest("PATCH", loc, io.LimitReader(pattern, benchChunk))
			req.ContentLength = benchChunk
			req.Header.Set("Authorization", "Bearer "+api.token)
			req.Header.Set("Upload-Offset", strconv.Itoa(off))
			req.Header.Set("Content-Type", "application/offset+octet-stream")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			closeBody(b, resp.Body)
			if resp.StatusCode != http.StatusNoContent {
				b.Fatalf("PATCH: %d", resp.StatusCode)
			}
		}
		b.StopTimer()
		deleteAll(b, srv)
		b.StartTimer()
	}
}

// deleteAll frees the disk between iterations.
func deleteAll(b *testing.B, srv *putiotest.Server) {
	api := &apiClient{t: b, srv: srv, token: srv.Token}
	files, _ := srv.Account(srv.Token).List("")
	for _, f := range files {
		mustStatus(b, api.post("/v2/files/delete", url.Values{"file_ids": {itoa(f.ID)}, "skip_trash": {"1"}}), 200)
	}
}

func BenchmarkDownload1GiB(b *testing.B) {
	srv, api := newAPI(b)
	f, err := srv.Account(srv.Token).PutReader("big", io.LimitReader(newPattern(), benchSize), t0)
	if err != nil {
		b.Fatal(err)
	}
	u := api.get("/v2/files/"+itoa(f.ID)+"/url", nil).body["url"].(string)
	b.SetBytes(benchSize)
	b.ResetTimer()
	for b.Loop() {
		resp, err := http.Get(u)
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.Copy(io.Discard, resp.Body)
		closeBody(b, resp.Body)
		if err != nil || n != benchSize {
			b.Fatalf("read %d: %v", n, err)
		}
	}
}

// BenchmarkChildLookup measures simple API requests per second.
func BenchmarkChildLookup(b *testing.B) {
	srv, _ := newAPI(b)
	acct := srv.Account(srv.Token)
	for i := range 1000 {
		if _, err := acct.Put("dir/f"+strconv.Itoa(i), []byte("x"), t0); err != nil {
			b.Fatal(err)
		}
	}
	dir, _ := acct.Stat("dir")
	target := srv.URL + "/v2/files/" + itoa(dir.ID) + "/child?name=f500"
	transport := &http.Transport{MaxIdleConnsPerHost: 64}
	client := &http.Client{Transport: transport}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest("GET", target, nil)
			req.Header.Set("Authorization", "Bearer "+srv.Token)
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, err = io.Copy(io.Discard, resp.Body)
			closeBody(b, resp.Body)
			if err != nil || resp.StatusCode != 200 {
				b.Errorf("child: %d %v", resp.StatusCode, err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}
