package putio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/internal/tus"
	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
	"github.com/rclone/rclone/fs"
	"github.com/rclone/rclone/fs/accounting"
	"github.com/rclone/rclone/fs/config/configmap"
	"github.com/rclone/rclone/fs/object"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// reopenable is a source rclone could open again (like a local file),
// counting how often it is opened.
type reopenable struct {
	*object.MemoryObject
	opens atomic.Int32
}

func newReopenable(remote string, data []byte) *reopenable {
	return &reopenable{MemoryObject: object.NewMemoryObject(remote, testModTime, data)}
}

func (r *reopenable) Open(ctx context.Context, options ...fs.OpenOption) (io.ReadCloser, error) {
	r.opens.Add(1)
	return r.MemoryObject.Open(ctx, options...)
}

// noSessions keeps upload sessions out of a test's counts.
var noSessions = configmap.Simple{"resume_uploads": "false"}

// withOptions is noSessions plus more options.
func withOptions(kv ...string) configmap.Simple {
	m := configmap.Simple{"resume_uploads": "false"}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// storedAs checks the emulator holds data at remote.
func storedAs(t *testing.T, acct *putiotest.Account, remote string, data []byte) {
	t.Helper()
	stored, err := acct.ReadFile(remote)
	require.NoError(t, err)
	assert.Equal(t, data, stored, "stored bytes")
}

// takesLargePatches tells f's login that the server has taken a PATCH of
// any size, as after an upload of a file that can be read again went up
// in one: a source that can't be read again then goes in one PATCH too,
// so that a cut can fall before its window.
func takesLargePatches(f *Fs) { f.uploads.Accepted(1 << 40) }

// With nothing failing a file goes up in one PATCH, whatever its size:
// a source that can be read again at once, and one that can't as soon as
// the server has taken a PATCH as large.
func TestUploadInOnePatch(t *testing.T) {
	f, srv, acct := newTestFs(t, noSessions)
	data := pattern(20<<20, 21)
	_, err := f.Put(context.Background(), bytesReader(data), newReopenable("one.bin", data))
	require.NoError(t, err)
	storedAs(t, acct, "one.bin", data)
	assert.Equal(t, 1, srv.Calls(patchRoute))
	assert.Equal(t, int64(len(data)), srv.UploadBytes(), "every byte sent once")

	srv.ResetCounters()
	put(context.Background(), t, f, "oneway.bin", data)
	storedAs(t, acct, "oneway.bin", data)
	assert.Equal(t, 1, srv.Calls(patchRoute), "one-way too, once 20 MiB were taken in one PATCH")
	assert.Equal(t, int64(len(data)), srv.UploadBytes())
}

// A source that can't be read again goes in PATCHes no larger than its
// window until the server has taken a larger one, so that a 413 never
// costs it the upload, however late the server refuses: here only once it
// has read the whole body, or after a delay, during which the transport
// goes on reading the source. The refusals teach the limit; nothing is
// read twice from the source.
func TestOneWayUploadSurvivesLateRefusal(t *testing.T) {
	for _, tc := range []struct {
		name   string
		opts   putiotest.Options
		faults []putiotest.Fault
	}{
		{"refused after the whole body", putiotest.Options{MaxPatchSize: 1 << 20, MaxPatchSizeAfterBody: true}, nil},
		{"refused after a delay", putiotest.Options{MaxPatchSize: 1 << 20},
			[]putiotest.Fault{{Route: patchRoute, Latency: 200 * time.Millisecond, Times: 2}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, srv, acct := newTestFs(t, noSessions, tc.opts)
			for _, fault := range tc.faults {
				require.NoError(t, srv.Inject(fault))
			}
			data := pattern(5<<20, 26)

			put(fewRetries(f, 1), t, f, "oneway.bin", data)

			storedAs(t, acct, "oneway.bin", data)
			var refused int
			for _, entry := range srv.Log() {
				if entry.Status == http.StatusRequestEntityTooLarge {
					refused++
				}
			}
			assert.Equal(t, 2, refused, "4 MiB (the window) and 2 MiB refused, then 1 MiB pieces")
			assert.Equal(t, 2+5, srv.Calls(patchRoute))
			assert.Zero(t, acct.Uploads())
		})
	}
}

// cutAt cuts the next PATCH after n bytes of its body.
func cutAt(t *testing.T, srv *putiotest.Server, n int64) {
	t.Helper()
	require.NoError(t, srv.Inject(putiotest.Fault{Route: patchRoute, Cut: putiotest.CutRequest, CutAfter: n, Times: 1}))
}

// A cut the window covers is resent from memory, whether the server kept
// the bytes that arrived or dropped the whole PATCH.
func TestUploadCutInsideWindow(t *testing.T) {
	for _, drop := range []bool{false, true} {
		t.Run(map[bool]string{false: "server keeps", true: "server drops"}[drop], func(t *testing.T) {
			f, srv, acct := newTestFs(t, withOptions("upload_window", "2Mi"), putiotest.Options{DropPartialPatch: drop})
			data := pattern(2<<20, 22)
			cutAt(t, srv, 1<<20)

			put(context.Background(), t, f, "cut.bin", data)

			storedAs(t, acct, "cut.bin", data)
			assert.Equal(t, 2, srv.Calls(patchRoute))
			assert.Equal(t, 1, srv.Calls("HEAD /files/{upload}"))
			resent := int64(0)
			if drop {
				resent = 1 << 20
			}
			assert.Equal(t, int64(len(data))+resent, srv.UploadBytes(), "only what the server lost is sent again")
		})
	}
}

// A resume point before the window is read from the source opened again
// there; a source that can't be reopened ends the upload cleanly.
func TestUploadCutBeforeWindow(t *testing.T) {
	data := pattern(3<<20, 23)
	opts := putiotest.Options{DropPartialPatch: true}
	t.Run("reopenable source", func(t *testing.T) {
		f, srv, acct := newTestFs(t, withOptions("upload_window", "256Ki"), opts)
		src := newReopenable("re.bin", data)
		cutAt(t, srv, 2<<20)

		_, err := f.Put(context.Background(), bytesReader(data), src)

		require.NoError(t, err)
		storedAs(t, acct, "re.bin", data)
		assert.Equal(t, int32(1), src.opens.Load(), "opened again once, at the server's offset")
	})
	t.Run("one-way source", func(t *testing.T) {
		f, srv, acct := newTestFs(t, withOptions("upload_window", "256Ki"), opts)
		takesLargePatches(f)
		cutAt(t, srv, 2<<20)

		_, err := f.Put(context.Background(), bytesReader(data), srcInfo("oneway.bin", int64(len(data))))

		require.ErrorIs(t, err, tus.ErrCannotRewind)
		assert.ErrorContains(t, err, "raise --putio-upload-window", "the error says what to do")
		assert.Empty(t, names(t, acct, ""))
		assert.Zero(t, acct.Uploads(), "with sessions off, one nobody can resume is terminated")
	})
}

// A 413 in the middle of an upload makes the rest go in smaller PATCHes
// without using up a low-level retry; later uploads of the remote start
// at the learnt size.
func TestUpload413MidUpload(t *testing.T) {
	f, srv, acct := newTestFs(t, noSessions, putiotest.Options{MaxPatchSize: 512 << 10})
	ctx := fewRetries(f, 1)
	data := pattern(3<<20, 24)

	put(ctx, t, f, "big.bin", data)

	storedAs(t, acct, "big.bin", data)
	refused := 0
	for _, entry := range srv.Log() {
		if entry.Status == http.StatusRequestEntityTooLarge {
			refused++
		}
	}
	assert.Equal(t, 3, refused, "3 MiB, 1.5 MiB and 768 KiB refused")
	srv.ResetCounters()
	put(ctx, t, f, "again.bin", data)
	assert.Equal(t, 8, srv.Calls(patchRoute), "384 KiB pieces from the start")
	assert.Equal(t, 0, srv.Calls("HEAD /files/{upload}"))
}

// A 413 after bytes went is no failure either: with a budget of two tries,
// a 413 and then a 503 on the next, smaller PATCH still complete the
// upload, which they could not if the 413 had used up a try.
func TestUpload413AfterBytesUsesNoTry(t *testing.T) {
	f, srv, acct := newTestFs(t, withOptions("chunk_size", "1Mi"))
	ctx := fewRetries(f, 2)
	data := pattern(3<<20, 25)
	// Half-way through the second PATCH's body, once the server has its
	// request, arm the faults: they meet the third PATCH.
	inject := func() {
		assert.Eventually(t, func() bool { return srv.Calls(patchRoute) >= 2 }, hangGuard, 10*time.Millisecond)
		require.NoError(t, srv.Inject(putiotest.Fault{Route: patchRoute, Status: http.StatusRequestEntityTooLarge, Times: 1}))
		require.NoError(t, srv.Inject(putiotest.Fault{Route: patchRoute, Status: http.StatusServiceUnavailable, Times: 1}))
	}
	src := &probeReader{r: bytesReader(data), at: 3 << 19, probe: inject}

	_, err := f.Put(ctx, src, srcInfo("big.bin", int64(len(data))))

	require.NoError(t, err)
	storedAs(t, acct, "big.bin", data)
	var statuses []int
	for _, entry := range srv.Log() {
		if entry.Route == patchRoute {
			statuses = append(statuses, entry.Status)
		}
	}
	assert.Equal(t, []int{204, 204, 413, 503, 204, 204}, statuses, "1 MiB twice, then 512 KiB pieces")
}

// The race the old chunk buffer had: servers answering before the whole
// body is read while the buffer is reused (run under -race).
func TestUploadNoRaceOnEarlyReplies(t *testing.T) {
	f, _, acct := newTestFs(t, withOptions("chunk_size", "8Mi"), putiotest.Options{MaxPatchSize: 512 << 10})
	for i, name := range []string{"a.bin", "b.bin", "c.bin"} {
		data := pattern(8<<20, byte(30+i))
		put(context.Background(), t, f, name, data)
		storedAs(t, acct, name, data)
	}
}

var statsGroups atomic.Int64

// freshStatsGroup is a context with a stats group of its own, so runs of
// a test (-count) never share counters or a --max-transfer budget.
func freshStatsGroup(t *testing.T) context.Context {
	return accounting.WithStatsGroup(context.Background(), fmt.Sprintf("putio-%s-%d", t.Name(), statsGroups.Add(1)))
}

// transferred uploads data through rclone's accounting and returns the
// bytes it counted.
func transferred(t *testing.T, f *Fs, data []byte, src fs.ObjectInfo) int64 {
	t.Helper()
	ctx := freshStatsGroup(t)
	stats := accounting.Stats(ctx)
	tr := stats.NewTransfer(src, nil)
	in := tr.Account(ctx, io.NopCloser(bytesReader(data)))
	_, err := f.Put(ctx, in, src)
	tr.Done(ctx, err)
	require.NoError(t, err)
	return stats.GetBytes()
}

// Bytes resent from the window or read again from the source are not
// counted again.
func TestUploadAccountsEachByteOnce(t *testing.T) {
	data := pattern(3<<20, 25)
	t.Run("resent from the window", func(t *testing.T) {
		f, srv, _ := newTestFs(t, noSessions, putiotest.Options{DropPartialPatch: true})
		cutAt(t, srv, 2<<20)
		assert.Equal(t, int64(len(data)), transferred(t, f, data, srcInfo("w.bin", int64(len(data)))))
		assert.Equal(t, int64(len(data))+2<<20, srv.UploadBytes())
	})
	t.Run("read again from the source", func(t *testing.T) {
		f, srv, _ := newTestFs(t, withOptions("upload_window", "256Ki"), putiotest.Options{DropPartialPatch: true})
		cutAt(t, srv, 2<<20)
		src := newReopenable("r.bin", data)
		assert.Equal(t, int64(len(data)), transferred(t, f, data, src))
		assert.Equal(t, int32(1), src.opens.Load())
	})
}

// headerRecorder serves an emulator and keeps the headers of each request.
type headerRecorder struct {
	next http.Handler
	mu   sync.Mutex
	seen []*http.Request
}

func (h *headerRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	h.seen = append(h.seen, &http.Request{Method: r.Method, URL: r.URL, Header: r.Header.Clone()})
	h.mu.Unlock()
	h.next.ServeHTTP(w, r)
}

// --header-upload reaches every request to the upload service, and only
// those.
func TestUploadHeadersOnEveryUploadRequest(t *testing.T) {
	emu, err := putiotest.New(putiotest.Options{})
	require.NoError(t, err)
	defer func() { _ = emu.Close() }()
	rec := &headerRecorder{next: emu}
	server := httptest.NewServer(rec)
	defer server.Close()
	m := configmap.Simple{"token": `{"access_token":"header-test","expiry":"0001-01-01T00:00:00Z"}`, "api_url": server.URL,
		"upload_url": server.URL + "/files/", "resume_uploads": "false"}
	fsys, err := NewFs(context.Background(), "headers", "", fs.ConfigMap(regInfo.Prefix, regInfo.Options, "", m))
	require.NoError(t, err)
	f := fsys.(*Fs)
	ctx, ci := fs.AddConfig(context.Background())
	ci.UploadHeaders = []*fs.HTTPOption{{Key: "X-Upload-Test", Value: "yes"}}
	require.NoError(t, emu.Inject(putiotest.Fault{Route: patchRoute, Cut: putiotest.CutRequest, CutAfter: 100, Times: 1}))

	_, err = f.Put(ctx, bytesReader(pattern(1000, 26)), srcInfo("h.bin", 1000))
	require.NoError(t, err)
	_, err = f.Put(ctx, &failingReader{data: pattern(100, 27), err: errors.New("source died")}, srcInfo("dead.bin", 1000))
	require.Error(t, err)

	methods := map[string]bool{}
	for _, r := range rec.seen {
		upload := strings.HasPrefix(r.URL.Path, "/files/")
		assert.Equal(t, upload, r.Header.Get("X-Upload-Test") == "yes", "%s %s", r.Method, r.URL.Path)
		if upload {
			methods[r.Method] = true
		}
	}
	assert.Equal(t, map[string]bool{"OPTIONS": true, "POST": true, "PATCH": true, "HEAD": true, "DELETE": true}, methods)
}

// --max-transfer (hard cut-off) stops an upload as its bytes are read, in
// the middle of the one PATCH: the server gets about the limit, not the
// file, and the failure is not retried.
func TestUploadStopsAtMaxTransfer(t *testing.T) {
	f, srv, acct := newTestFs(t, noSessions)
	ctx, ci := fs.AddConfig(freshStatsGroup(t))
	ci.MaxTransfer = 1 << 20
	ci.CutoffMode = fs.CutoffModeHard
	data := pattern(8<<20, 28)
	src := srcInfo("limited.bin", int64(len(data)))
	tr := accounting.Stats(ctx).NewTransfer(src, nil)
	in := tr.Account(ctx, io.NopCloser(bytesReader(data)))

	_, err := f.Put(ctx, in, src)
	tr.Done(ctx, err)

	require.ErrorIs(t, err, accounting.ErrorMaxTransferLimitReached)
	// The limit can cut the PATCH before the server sees it, so no retry
	// shows as no second PATCH, and no HEAD asking where to go on.
	assert.LessOrEqual(t, srv.Calls(patchRoute), 1, "not retried")
	assert.Zero(t, srv.Calls("HEAD /files/{upload}"), "not resumed")
	assert.Equal(t, 1, srv.Calls("POST /files/"), "not started again")
	assert.LessOrEqual(t, srv.UploadBytes(), int64(1<<20), "bytes sent past the limit")
	assert.Empty(t, names(t, acct, ""))
	assert.Zero(t, acct.Uploads())
}

// Once the server is seen to drop a cut PATCH, a source that can't be read
// again goes in window-sized PATCHes, so the next cut costs no failure.
func TestUploadLearnsServerDropsCutPatches(t *testing.T) {
	f, srv, acct := newTestFs(t, withOptions("upload_window", "256Ki"), putiotest.Options{DropPartialPatch: true})
	takesLargePatches(f)
	data := pattern(1<<20, 29)
	cutAt(t, srv, 512<<10)
	_, err := f.Put(context.Background(), bytesReader(data), srcInfo("first.bin", int64(len(data))))
	require.ErrorIs(t, err, tus.ErrCannotRewind)

	srv.ResetCounters()
	cutAt(t, srv, 100<<10)
	put(context.Background(), t, f, "second.bin", data)

	storedAs(t, acct, "second.bin", data)
	assert.Equal(t, 5, srv.Calls(patchRoute), "four 256 KiB PATCHes and one resent after the cut")
	_, err = f.Put(context.Background(), bytesReader(data), newReopenable("third.bin", data))
	require.NoError(t, err)
	assert.Equal(t, 5+1, srv.Calls(patchRoute), "sources that can be read again still go in one PATCH")
}

// probeReader calls probe once, when its position first passes at.
type probeReader struct {
	r     io.Reader
	pos   int64
	at    int64
	probe func()
}

func (p *probeReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if p.pos < p.at && p.pos+int64(n) >= p.at {
		p.probe()
	}
	p.pos += int64(n)
	return n, err
}

// Bytes are counted as they are read and go out as they are read: when
// rclone's accounting has seen 28 MiB of a 32 MiB file, the server already
// has most of them (all but what sits in socket buffers), in one PATCH.
func TestUploadBytesGoAsTheyAreCounted(t *testing.T) {
	f, srv, acct := newTestFs(t, noSessions)
	takesLargePatches(f)
	ctx := freshStatsGroup(t)
	stats := accounting.Stats(ctx)
	data := pattern(32<<20, 31)
	src := srcInfo("progress.bin", int64(len(data)))
	var counted, received int64
	probe := &probeReader{r: bytesReader(data), at: 28 << 20, probe: func() {
		counted, received = stats.GetBytes(), srv.UploadBytes()
	}}
	tr := stats.NewTransfer(src, nil)
	in := tr.Account(ctx, io.NopCloser(probe))

	_, err := f.Put(ctx, in, src)
	tr.Done(ctx, err)

	require.NoError(t, err)
	storedAs(t, acct, "progress.bin", data)
	assert.InDelta(t, 28<<20, counted, 1<<20, "accounted as read")
	assert.Greater(t, received, int64(16<<20), "the server had only %d bytes when 28 MiB were read", received)
	assert.Equal(t, 1, srv.Calls(patchRoute))
}
