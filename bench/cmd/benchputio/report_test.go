package main

import (
	"strings"
	"testing"
)

func TestMedianRunPicksMiddleAndKeepsAllWalls(t *testing.T) {
	runs := []result{
		{Status: statusOK, WallSeconds: 3, Calls: 30},
		{Status: statusOK, WallSeconds: 1, Calls: 10},
		{Status: statusOK, WallSeconds: 2, Calls: 20},
	}
	got := medianRun(runs)
	if got.WallSeconds != 2 || got.Calls != 20 {
		t.Fatalf("median is the %vs run with %d calls, want the 2s run", got.WallSeconds, got.Calls)
	}
	if len(got.AllWalls) != 3 || got.AllWalls[0] != 3 {
		t.Fatalf("AllWalls = %v, want every run in order", got.AllWalls)
	}
}

func TestMedianRunReportsAFailure(t *testing.T) {
	runs := []result{{Status: statusOK, WallSeconds: 1}, {Status: statusFailed, WallSeconds: 9, Error: "boom"}, {Status: statusOK, WallSeconds: 2}}
	if got := medianRun(runs); got.Status != statusFailed || len(got.AllWalls) != 3 {
		t.Fatalf("got status %s with walls %v, want the failed run and all three walls", got.Status, got.AllWalls)
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
