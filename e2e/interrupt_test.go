package e2e

import (
	"context"
	"slices"
	"testing"
	"time"
)

// TestCopyKilledMidFileThenRerun kills rclone while it is uploading the
// second chunk of a file, then runs the same copy again: the file must
// never show half-written, and the rerun must complete it.
func TestCopyKilledMidFileThenRerun(t *testing.T) {
	t.Parallel()
	emu := startEmulator(t)
	r := newRemote(t, emu)
	data := randomBytes(4*chunkSize, 6)
	local := localTree(t, map[string][]byte{"big.bin": data})
	// Slow chunks leave time to kill rclone between them.
	emu.inject(t, map[string]any{"route": "PATCH /files/{upload}", "latency": "1s"})
	copyArgs := []string{"copy", "--putio-chunk-size", chunkSizeFlag, local, path("dst")}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := r.command(ctx, nil, copyArgs...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 2*time.Minute, "the second PATCH", func() bool { return emu.calls(t, "PATCH /files/{upload}") >= 2 })
	cancel() // SIGKILL: no chance to clean up
	if err := cmd.Wait(); err == nil {
		t.Fatal("rclone finished before it was killed; the test needs a slower upload")
	}

	if got := r.rootNames(t, "dst"); len(got) != 0 {
		t.Fatalf("after the kill dst holds %q, want nothing half-written", got)
	}

	emu.clearFaults(t)
	r.rclone(t, copyArgs...)
	if got := r.rootNames(t, "dst"); !slices.Equal(got, []string{"big.bin"}) {
		t.Errorf("after the rerun dst holds %q, want one big.bin", got)
	}
	if got := r.lsjson(t, path("dst"))["big.bin"].Hashes["crc32"]; got != crc32Hex(data) {
		t.Errorf("big.bin crc32 %q, want %q", got, crc32Hex(data))
	}
	r.rclone(t, "check", "--download", local, path("dst"))
}

// TestCopyFailingUploadThenRerun makes every chunk after the first fail
// with a server error so the copy gives up, then reruns it.
func TestCopyFailingUploadThenRerun(t *testing.T) {
	t.Parallel()
	emu := startEmulator(t)
	r := newRemote(t, emu)
	data := randomBytes(3*chunkSize, 7)
	local := localTree(t, map[string][]byte{"f.bin": data, "small.txt": []byte("small")})
	emu.inject(t, map[string]any{"route": "PATCH /files/{upload}", "status": 500, "error_type": "InternalServerError"})
	copyArgs := []string{"copy", "--putio-chunk-size", chunkSizeFlag, "--retries", "1", "--low-level-retries", "2", local, path("dst")}

	if res := r.run(t, copyArgs...); res.code == 0 {
		t.Fatalf("copy succeeded although every PATCH failed:\n%s", res)
	}
	if got := r.rootNames(t, "dst"); slices.Contains(got, "f.bin") {
		t.Fatalf("after the failed copy dst holds %q, want no f.bin", got)
	}

	emu.clearFaults(t)
	r.rclone(t, copyArgs...)
	assertSameFiles(t, downloadTree(t, r, "dst"), readTree(t, local))
	if got := r.rootNames(t, "dst"); !slices.Equal(got, []string{"f.bin", "small.txt"}) {
		t.Errorf("after the rerun dst holds %q", got)
	}
}

// waitFor polls done until it holds or the timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, done func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !done() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s after %v", what, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestCopySurvivesCutConnections cuts two PATCHes mid-body: one rclone run
// must resume from the server's offset and land the exact bytes.
func TestCopySurvivesCutConnections(t *testing.T) {
	t.Parallel()
	emu := startEmulator(t)
	r := newRemote(t, emu)
	data := randomBytes(3*chunkSize, 9)
	emu.inject(t, map[string]any{"route": "PATCH /files/{upload}", "cut": "request", "cut_after": chunkSize / 3, "times": 2})
	local := uploadTree(t, r, "dst", map[string][]byte{"f.bin": data})

	if got := emu.calls(t, "PATCH /files/{upload}"); got < 5 {
		t.Errorf("PATCH requests: %d, want the 3 chunks plus 2 resent after the cuts", got)
	}
	assertSameFiles(t, downloadTree(t, r, "dst"), readTree(t, local))
	if got := r.rootNames(t, "dst"); !slices.Equal(got, []string{"f.bin"}) {
		t.Errorf("dst holds %q, want one f.bin", got)
	}
}
