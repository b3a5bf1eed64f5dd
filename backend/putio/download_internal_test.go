package putio

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
	"github.com/rclone/rclone/fs"
	"github.com/stretchr/testify/assert"
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

func TestRangeLength(t *testing.T) {
	for _, tc := range []struct {
		option fs.OpenOption
		want   int64
	}{
		{nil, 100},
		{&fs.SeekOption{Offset: 30}, 70},
		{&fs.RangeOption{Start: 10, End: 19}, 10},
		{&fs.RangeOption{Start: 90, End: 200}, 10},
		{&fs.RangeOption{Start: 40, End: -1}, 60},
		{&fs.RangeOption{Start: -1, End: 25}, 25},
	} {
		var options []fs.OpenOption
		if tc.option != nil {
			options = append(options, tc.option)
		}
		assert.Equal(t, tc.want, rangeLength(options, 100), "%v", tc.option)
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
