package main

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

func TestPutFlagStoresFilesBeforeServing(t *testing.T) {
	base, stop := start(t, "-addr", "127.0.0.1:0", "-tokens", "owner", "-put", "owner:/probe.txt, owner:/dir/deep.txt")
	defer stop()
	req, err := http.NewRequest("GET", base+"/v2/files/list?parent_id=0", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer owner")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	size := strconv.Itoa(len("putio-emulator seed file /probe.txt\n"))
	if err != nil || !strings.Contains(string(body), `"name":"probe.txt"`) || !strings.Contains(string(body), `"size":`+size) ||
		!strings.Contains(string(body), `"name":"dir"`) {
		t.Fatalf("root listing lacks the seeded files: %s (%v)", body, err)
	}
}

func TestPutFlagRefusesBadEntries(t *testing.T) {
	for _, bad := range []string{"nopath", "owner:relative", ":/x", "owner:/"} {
		if _, err := parseFlags([]string{"-put", bad}, io.Discard); err == nil {
			t.Errorf("-put %q accepted", bad)
		}
	}
}

func TestTasksDoneAtOnceFlag(t *testing.T) {
	cfg, err := parseFlags([]string{"-tasks-done-at-once"}, io.Discard)
	if err != nil || !cfg.opts.TasksDoneAtOnce {
		t.Fatalf("options %+v, %v", cfg.opts, err)
	}
}
