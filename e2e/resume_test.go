package e2e

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
)

// uploadBytes is what the emulator received in tus bodies from token.
func (e *emulator) uploadBytes(t *testing.T, token string) int64 {
	t.Helper()
	var reply struct {
		ByToken map[string]int64 `json:"token_fingerprints"`
	}
	e.adminCall(t, http.MethodGet, "upload-bytes", nil, &reply)
	return reply.ByToken[putiotest.TokenFingerprint(token)]
}

// TestKilledUploadResumesInNextRun kills rclone in the middle of the one
// PATCH of a big file, then reruns the copy: the rerun resumes the session
// the first run recorded, sending at most what the server did not hold
// plus one upload window.
func TestKilledUploadResumesInNextRun(t *testing.T) {
	t.Parallel()
	const size, window = 24 << 20, 4 << 20
	emu := startEmulator(t)
	r := newRemote(t, emu)
	data := randomBytes(size, 60)
	local := localTree(t, map[string][]byte{"big.bin": data})
	copyArgs := []string{"copy", local, path("dst")}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := r.command(ctx, nil, append([]string{"--bwlimit", "4M"}, copyArgs...)...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 2*time.Minute, "8 MiB uploaded", func() bool { return emu.uploadBytes(t, r.token) >= 8<<20 })
	cancel() // SIGKILL: no chance to clean up
	if err := cmd.Wait(); err == nil {
		t.Fatal("rclone finished before it was killed; the test needs a slower upload")
	}
	held := settledUploadBytes(t, emu, r.token)
	if held >= size {
		t.Fatalf("the server got all %d bytes before the kill", held)
	}

	emu.adminCall(t, http.MethodPost, "reset", nil, nil)
	r.rclone(t, copyArgs...)

	rerun := emu.uploadBytes(t, r.token)
	t.Logf("first run: %d bytes held by the server; rerun sent %d (file %d, both runs %.3f× the file)", held, rerun, size, float64(held+rerun)/size)
	if got := rerun; got > size-held+window {
		t.Errorf("the rerun sent %d bytes; the server held %d of %d, so at most %d were due", got, held, size, size-held+window)
	}
	if got := emu.calls(t, "POST /files/"); got != 0 {
		t.Errorf("the rerun created %d new upload sessions, want it to resume the first", got)
	}
	if got := r.rootNames(t, "dst"); !slices.Equal(got, []string{"big.bin"}) {
		t.Errorf("after the rerun dst holds %q, want one big.bin", got)
	}
	r.rclone(t, "check", "--download", local, path("dst"))
	if out := r.rclone(t, "backend", "uploads", path("")); out != "[]\n" {
		t.Errorf("pending uploads after the rerun: %s", out)
	}
}

// settledUploadBytes waits until the emulator has taken in what the killed
// client's connection still carried, and returns the total: every PATCH
// it counted has finished, which its request log records.
func settledUploadBytes(t *testing.T, emu *emulator, token string) int64 {
	t.Helper()
	const patch = "PATCH /files/{upload}"
	waitFor(t, 2*time.Minute, "the killed PATCH to end", func() bool {
		var reply struct{ Log []struct{ Route string } }
		emu.adminCall(t, http.MethodGet, "log", nil, &reply)
		ended := 0
		for _, entry := range reply.Log {
			if entry.Route == patch {
				ended++
			}
		}
		return ended == emu.calls(t, patch)
	})
	return emu.uploadBytes(t, token)
}
