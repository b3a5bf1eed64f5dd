package main

import (
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
