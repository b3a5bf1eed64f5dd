package putio

import (
	"errors"
	"io"
	"strings"
	"testing"

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
