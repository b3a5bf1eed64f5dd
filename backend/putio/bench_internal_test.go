package putio

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// BenchmarkPut measures an upload of 64 MiB in 16 MiB chunks to the
// in-process emulator: the backend's own overhead per byte.
func BenchmarkPut(b *testing.B) {
	f, _, _ := newTestFs(b, nil)
	data := pattern(64<<20, 14)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		_, err := f.PutUnchecked(context.Background(), bytesReader(data), srcInfo(fmt.Sprintf("bench%d.bin", i), int64(len(data))))
		require.NoError(b, err)
	}
}
