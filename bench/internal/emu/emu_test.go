package emu

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
)

// inProcess is an Emulator client on an in-process emulator, so the seeding
// and checking code is tested without the binary.
func inProcess(t *testing.T) *Emulator {
	t.Helper()
	srv := putiotest.NewServer(t)
	return newEmulator(srv.URL, srv.Token, nil)
}

func TestSeedThenTree(t *testing.T) {
	ctx := context.Background()
	e := inProcess(t)
	for _, p := range []string{"a/b/one.txt", "a/two.txt"} {
		dir := p[:strings.LastIndex(p, "/")]
		id, err := e.MkdirAll(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Upload(ctx, id, p[len(dir)+1:], strings.NewReader("hello"), 5, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	files, err := e.Tree(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 || files["b/one.txt"].Size != 5 || files["two.txt"].CRC32 != "3610a686" {
		t.Fatalf("Tree(a) = %+v, want b/one.txt and two.txt, 5 bytes, crc32 of hello", files)
	}
}

func TestListFollowsCursor(t *testing.T) {
	ctx := context.Background()
	e := inProcess(t)
	const n = 1005 // more than one page of 1000
	for i := range n {
		if err := e.Upload(ctx, 0, "f"+strings.Repeat("x", i%3)+itoa(int64(i)), strings.NewReader(""), 0, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	files, err := e.List(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != n {
		t.Fatalf("List returned %d files, want %d", len(files), n)
	}
}

func TestTreeRejectsDuplicateNames(t *testing.T) {
	ctx := context.Background()
	e := inProcess(t)
	for range 2 {
		if err := e.Upload(ctx, 0, "same.txt", strings.NewReader("x"), 1, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.Tree(ctx, ""); err == nil || !strings.Contains(err.Error(), "two files named same.txt") {
		t.Fatalf("Tree = %v, want a duplicate-name error", err)
	}
}

func TestCallsAndReset(t *testing.T) {
	ctx := context.Background()
	e := inProcess(t)
	if _, err := e.MkdirAll(ctx, "x/y"); err != nil {
		t.Fatal(err)
	}
	calls, err := e.Calls(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if calls.Total != 2 || calls.Routes["POST /v2/files/create-folder"] != 2 {
		t.Fatalf("after two create-folders: %+v", calls)
	}
	if err := e.ResetCounters(ctx); err != nil {
		t.Fatal(err)
	}
	if calls, err = e.Calls(ctx); err != nil || calls.Total != 0 {
		t.Fatalf("after reset: %+v, %v", calls, err)
	}
}
