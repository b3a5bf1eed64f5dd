package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSpliceReplacesOnlyTheBlock(t *testing.T) {
	doc := "# putio\n\nintro\n\n" + startPrefix + "old marker -->\nold options\n" + stopLine + "\n## Limitations\n"
	got, err := splice(doc, "### Standard options\n")
	if err != nil {
		t.Fatal(err)
	}
	want := "# putio\n\nintro\n\n" + startLine + "### Standard options\n" + stopLine + "\n## Limitations\n"
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	again, err := splice(got, "### Standard options\n")
	if err != nil || again != got {
		t.Errorf("splicing the same block twice changed the doc (err %v)", err)
	}
}

func TestSpliceNeedsBothMarkers(t *testing.T) {
	for name, doc := range map[string]string{
		"no start":       "text\n" + stopLine,
		"no stop":        startLine + "options\n",
		"stop before":    stopLine + startLine,
		"start mid-line": "text " + startLine + stopLine,
	} {
		if _, err := splice(doc, "x\n"); err == nil || !strings.Contains(err.Error(), "no ") {
			t.Errorf("%s: want an error naming the missing marker, got %v", name, err)
		}
	}
}

func TestWithoutRcloneEnvDropsOnlyRcloneVariables(t *testing.T) {
	got := withoutRcloneEnv([]string{"HOME=/root", "RCLONE_PUTIO_CHUNK_SIZE=1M", "PATH=/bin"})
	if strings.Join(got, " ") != "HOME=/root PATH=/bin" {
		t.Errorf("got %q", got)
	}
}

// fakeRclone writes a script that prints what rclone would for the two
// help commands.
func fakeRclone(t *testing.T) string {
	t.Helper()
	script := filepath.Join(t.TempDir(), "rclone")
	body := "#!/bin/sh\n" +
		`case "$2 $3" in` + "\n" +
		`"help backend") echo "### Standard options" ;;` + "\n" +
		`"backend help") echo "## Backend commands" ;;` + "\n" +
		"*) exit 3 ;;\nesac\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return script
}

func TestRunChecksThenRefreshesTheDoc(t *testing.T) {
	rclone := fakeRclone(t)
	doc := filepath.Join(t.TempDir(), "putio.md")
	if err := os.WriteFile(doc, []byte("intro\n"+startLine+"stale\n"+stopLine), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run(rclone, doc, true); err == nil || !strings.Contains(err.Error(), "run `make docs`") {
		t.Fatalf("check of a stale doc: want an error saying to run make docs, got %v", err)
	}
	if err := run(rclone, doc, false); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(doc)
	if err != nil {
		t.Fatal(err)
	}
	if want := "intro\n" + startLine + "### Standard options\n## Backend commands\n" + stopLine; string(got) != want {
		t.Errorf("refreshed doc:\n%s\nwant:\n%s", got, want)
	}
	if err := run(rclone, doc, true); err != nil {
		t.Errorf("check right after a refresh: %v", err)
	}
}

func TestRunSaysHowToGetAMissingBinary(t *testing.T) {
	doc := filepath.Join(t.TempDir(), "putio.md")
	if err := os.WriteFile(doc, []byte(startLine+stopLine), 0o644); err != nil {
		t.Fatal(err)
	}
	err := run(filepath.Join(t.TempDir(), "no-rclone"), doc, true)
	if err == nil || !strings.Contains(err.Error(), "make build") {
		t.Fatalf("want an error saying to run make build, got %v", err)
	}
}
