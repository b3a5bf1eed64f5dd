package putio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
	"github.com/rclone/rclone/backend/memory"
	"github.com/rclone/rclone/fs"
	"github.com/rclone/rclone/fs/config/configmap"
	"github.com/rclone/rclone/fs/operations"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A body without a Content-Length (chunked) that ends early fails the
// read, after handing over the bytes that did arrive.
func TestExactBodyShort(t *testing.T) {
	body := &exactBody{body: io.NopCloser(strings.NewReader("abc")), left: 5}
	data, err := io.ReadAll(body)
	assert.Equal(t, "abc", string(data))
	assert.True(t, errors.Is(err, io.ErrUnexpectedEOF), "got %v", err)

	body = &exactBody{body: io.NopCloser(strings.NewReader("abcde")), left: 5}
	data, err = io.ReadAll(body)
	assert.NoError(t, err)
	assert.Equal(t, "abcde", string(data))
}

func TestRequestedRange(t *testing.T) {
	for _, tc := range []struct {
		option         fs.OpenOption
		offset, length int64
	}{
		{nil, 0, 100},
		{&fs.SeekOption{Offset: 30}, 30, 70},
		{&fs.RangeOption{Start: 10, End: 19}, 10, 10},
		{&fs.RangeOption{Start: 90, End: 200}, 90, 10},
		{&fs.RangeOption{Start: 40, End: -1}, 40, 60},
		{&fs.RangeOption{Start: -1, End: 25}, 75, 25},
		{&fs.SeekOption{Offset: 150}, 100, 0},
	} {
		var options []fs.OpenOption
		if tc.option != nil {
			options = append(options, tc.option)
		}
		offset, length := requestedRange(options, 100)
		assert.Equal(t, []int64{tc.offset, tc.length}, []int64{offset, length}, "%v", tc.option)
	}
}

// A 206 counts only with a Content-Range inside the file: its start is
// where the body begins.
func TestContentRangeStart(t *testing.T) {
	for header, want := range map[string]int64{
		"bytes 10-19/100":  10,
		"bytes 0-99/100":   0,
		"bytes 5-9/*":      5,
		"":                 -1,
		"bytes 10-19/200":  -1, // another file's size
		"bytes 10-100/100": -1,
		"bytes 19-10/100":  -1,
		"bytes */100":      -1,
		"bytes -1-5/100":   -1,
	} {
		start, ok := contentRangeStart(header, 100)
		if want < 0 {
			assert.False(t, ok, "%q", header)
		} else {
			assert.Equal(t, want, start, "%q", header)
		}
	}
}

// rangeCases are Range and Seek options on a 1000-byte file with the
// bytes each asks for.
var rangeCases = []struct {
	name        string
	option      fs.OpenOption
	first, stop int
}{
	{"whole", nil, 0, 1000},
	{"seek", &fs.SeekOption{Offset: 300}, 300, 1000},
	{"offset", &fs.RangeOption{Start: 300, End: -1}, 300, 1000},
	{"offset and limit", &fs.RangeOption{Start: 300, End: 599}, 300, 600},
	{"head", &fs.RangeOption{Start: 0, End: 99}, 0, 100},
	{"suffix", &fs.RangeOption{Start: -1, End: 100}, 900, 1000},
	{"last byte", &fs.RangeOption{Start: 999, End: 999}, 999, 1000},
	{"past the end", &fs.RangeOption{Start: 900, End: 5000}, 900, 1000},
}

// Every read gets exactly the bytes it asked for, whether the download
// host honours Range (206) or ignores it and sends the whole file (200).
// A host that ignores Range is reported once and turns multi-thread
// downloads off.
func TestOpenReturnsExactlyTheRange(t *testing.T) {
	data := pattern(1000, 3)
	for _, ignore := range []bool{false, true} {
		t.Run(fmt.Sprintf("IgnoreRange=%v", ignore), func(t *testing.T) {
			logs := captureLog(t)
			f, _, acct := newTestFs(t, nil, putiotest.Options{IgnoreRange: ignore})
			o := seedObject(t, f, acct, "a.bin", data)
			ctx := context.Background()
			for _, tc := range rangeCases {
				var options []fs.OpenOption
				if tc.option != nil {
					options = append(options, tc.option)
				}
				sameBytes(t, data[tc.first:tc.stop], readAll(ctx, t, o, options...), tc.name)
			}
			notice := "the download host ignores Range requests"
			if ignore {
				assert.Equal(t, 1, strings.Count(logs.String(), notice), "told once")
				assert.True(t, f.Features().NoMultiThreading, "multi-thread downloads would fetch the file once per chunk")
			} else {
				assert.NotContains(t, logs.String(), notice)
				assert.False(t, f.Features().NoMultiThreading)
			}
		})
	}
}

// A download cut short is opened again at the offset reached; a host
// that ignores Range then sends the file from its start, and the copy
// still gets the right bytes.
func TestCopyResumesCutDownloadWhenRangeIsIgnored(t *testing.T) {
	data := pattern(100_000, 5)
	for _, ignore := range []bool{false, true} {
		t.Run(fmt.Sprintf("IgnoreRange=%v", ignore), func(t *testing.T) {
			ctx := context.Background()
			f, srv, acct := newTestFs(t, nil, putiotest.Options{IgnoreRange: ignore})
			o := seedObject(t, f, acct, "a.bin", data)
			require.NoError(t, srv.Inject(putiotest.Fault{Route: "GET /download/{id}", Cut: putiotest.CutResponse, CutAfter: 30_000, Times: 1}))
			dst, err := memory.NewFs(ctx, "mem", "", configmap.Simple{})
			require.NoError(t, err)
			copied, err := operations.Copy(ctx, dst, nil, "a.bin", o)
			require.NoError(t, err)
			assert.Equal(t, 2, srv.Calls("GET /download/{id}"), "cut once, then opened again")
			sameBytes(t, data, readAll(ctx, t, copied), "copied bytes")
		})
	}
}

// An expired signed URL is refreshed once and the download succeeds.
func TestExpiredDownloadURLIsRefreshed(t *testing.T) {
	ctx := context.Background()
	var shift atomic.Int64
	clock := func() time.Time { return time.Now().Add(time.Duration(shift.Load())) }
	f, srv, acct := newTestFs(t, nil, putiotest.Options{Now: clock, URLExpiry: time.Hour})
	o := seedObject(t, f, acct, "a.txt", []byte("hello"))
	assert.Equal(t, "hello", string(readAll(ctx, t, o)))

	shift.Store(int64(2 * time.Hour))
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() { assert.Equal(t, "hello", string(readAll(ctx, t, o))) })
	}
	wg.Wait()
	assert.Equal(t, 2, srv.Calls("GET /v2/files/{id}/url"), "streams refused together refresh once")
}
