package tus

import (
	"io"
	"testing"
	"time"

	"github.com/rclone/rclone/lib/pool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// privatePages is a pool of its own, so that a test counts the pages only
// its windows hold.
func privatePages(page int) Pages {
	return Pages{Pool: pool.New(time.Minute, page, 4, false), Page: int64(page)}
}

// pattern is n bytes that tell their offsets apart.
func pattern(n int, seed byte) []byte {
	data := make([]byte, n)
	for i := range data {
		data[i] = seed + byte(i%251)
	}
	return data
}

// memSource is a Source over bytes in memory.
type memSource struct {
	data []byte
	pos  int64
}

func (m *memSource) Read(p []byte) (int, error) {
	if m.pos >= int64(len(m.data)) {
		return 0, io.EOF
	}
	n := copy(p, m.data[m.pos:])
	m.pos += int64(n)
	return n, nil
}

func (m *memSource) CanReopen() bool { return true }

func (m *memSource) Reopen(off int64) error { m.pos = off; return nil }

func (m *memSource) Skip(off int64) error { m.pos = off; return nil }

// The window holds exactly the last bytes added, as a plain slice of
// everything added would, over pages of any size whether or not the
// window is a multiple of them, and it holds whole pages until freed.
func TestWindowMatchesAPlainSlice(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		page := rapid.IntRange(1, 64).Draw(t, "page")
		size := rapid.IntRange(0, 300).Draw(t, "size")
		if rapid.Bool().Draw(t, "whole pages") {
			size = size % 6 * page
		}
		pages := privatePages(page)
		w := newWindow(pages, int64(size))
		require.Equal(t, (size+page-1)/page, pages.Pool.InUse(), "pages held")
		var held []byte // the model: the bytes the window should hold
		var end int64
		var next byte
		for range rapid.IntRange(1, 40).Draw(t, "steps") {
			switch rapid.IntRange(0, 9).Draw(t, "action") {
			case 0:
				end += rapid.Int64Range(-int64(len(held)), 2*int64(size)+1).Draw(t, "reset to")
				w.reset(end)
				held = nil
			default:
				p := make([]byte, rapid.IntRange(0, 2*size+3).Draw(t, "add"))
				for i := range p {
					p[i], next = next, next+1
				}
				w.add(p)
				end += int64(len(p))
				held = append(held, p...)
				held = held[len(held)-min(len(held), size):]
			}
			require.Equal(t, end, w.end, "end")
			require.Equal(t, end-int64(len(held)), w.start(), "start")
			if len(held) == 0 {
				continue
			}
			from := rapid.IntRange(0, len(held)-1).Draw(t, "read from")
			got := make([]byte, rapid.IntRange(0, size+5).Draw(t, "read"))
			n := w.readAt(got, w.start()+int64(from))
			want := held[from:min(len(held), from+len(got))]
			require.Equal(t, want, got[:n], "bytes at %d", w.start()+int64(from))
		}
		w.free()
		require.Zero(t, pages.Pool.InUse(), "pages held after free")
	})
}

// A body the transport still reads after its request ended never reads
// the window's pages once they are back in the pool, where another upload
// may write them: detach fences it off first (run with -race).
func TestDetachedBodyNeverReadsFreedPages(t *testing.T) {
	pages := privatePages(64)
	data := pattern(1000, 63)
	s := &payload{src: &memSource{data: data}, win: newWindow(pages, 256)}
	sent := s.body(0, 512)
	_, err := io.Copy(io.Discard, sent)
	require.NoError(t, err)
	require.NoError(t, sent.detach())

	resent := s.body(300, 512) // from the window, which holds [256, 512)
	late := make([]byte, 1)
	n, err := resent.Read(late)
	require.NoError(t, err)
	require.Equal(t, []byte{data[300]}, late[:n])
	require.NoError(t, resent.detach())
	s.win.free()
	for _, page := range pages.Pool.GetN(4) { // another upload's window
		for i := range page {
			page[i] = 0xff
		}
	}
	n, err = resent.Read(late) // the transport, reading on after the reply
	assert.Zero(t, n, "bytes read after detach")
	assert.ErrorIs(t, err, errBodyDetached)
}
