package main

import (
	"strings"
	"testing"
)

func TestMedianRunPicksMiddleAndKeepsAllWalls(t *testing.T) {
	runs := []result{
		{Status: statusOK, figures: figures{WallSeconds: 3, Calls: 30}},
		{Status: statusOK, figures: figures{WallSeconds: 1, Calls: 10}},
		{Status: statusOK, figures: figures{WallSeconds: 2, Calls: 20}},
	}
	got := medianRun(runs)
	if got.WallSeconds != 2 || got.Calls != 20 {
		t.Fatalf("median is the %vs run with %d calls, want the 2s run", got.WallSeconds, got.Calls)
	}
	if walls := got.walls(); len(walls) != 3 || walls[0] != 3 || got.Each[1].Calls != 10 {
		t.Fatalf("Each = %+v, want every run's figures in order", got.Each)
	}
}

func TestMedianRunReportsAFailure(t *testing.T) {
	runs := []result{{Status: statusOK, figures: figures{WallSeconds: 1}}, {Status: statusFailed, figures: figures{WallSeconds: 9}, Error: "boom"}, {Status: statusOK, figures: figures{WallSeconds: 2}}}
	if got := medianRun(runs); got.Status != statusFailed || len(got.Each) != 3 {
		t.Fatalf("got status %s with runs %v, want the failed run and all three runs", got.Status, got.Each)
	}
}

func TestTreeDiff(t *testing.T) {
	want := tree{"a": {Size: 1, CRC32: "00000001"}, "b": {Size: 2, CRC32: "00000002"}}
	if err := want.diff(tree{"a": want["a"], "b": want["b"]}); err != nil {
		t.Fatalf("equal trees differ: %v", err)
	}
	err := want.diff(tree{"a": {Size: 1, CRC32: "ffffffff"}, "c": want["b"]})
	for _, part := range []string{"a is 1 bytes crc ffffffff", "b missing", "c unexpected"} {
		if err == nil || !strings.Contains(err.Error(), part) {
			t.Errorf("diff = %v, want it to mention %q", err, part)
		}
	}
}

func TestNestedNamesTenPerFolder(t *testing.T) {
	folders := map[string]int{}
	for _, name := range nestedNames(200) {
		folders[name[:strings.LastIndex(name, "/")]]++
	}
	if len(folders) != 20 {
		t.Fatalf("%d leaf folders, want 20", len(folders))
	}
	for folder, n := range folders {
		if n != 10 {
			t.Errorf("%s holds %d files, want 10", folder, n)
		}
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{"30ms": "30ms", "--putio-chunk-size 48M": "'--putio-chunk-size 48M'", "it's": `'it'\''s'`, "": "''"} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}
