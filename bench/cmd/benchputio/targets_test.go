package main

import (
	"strings"
	"testing"
	"time"
)

func runOf(scenario, backend string, bytes int64, each ...figures) result {
	return result{Scenario: scenario, Backend: backend, Status: statusOK, Bytes: bytes, figures: each[0], Each: each}
}

func TestJudgeRatioUsesMedianOfEachFigure(t *testing.T) {
	tg := target{Figure: "wall", Scenario: "s", Against: "upstream", value: wall, unit: "%.2f s", Goal: 0.8, AtMost: true}
	results := []result{
		runOf("s", "upstream", 0, figures{WallSeconds: 2}, figures{WallSeconds: 9}, figures{WallSeconds: 2.5}),
		runOf("s", "ours", 0, figures{WallSeconds: 1}, figures{WallSeconds: 1.9}, figures{WallSeconds: 0.5}),
	}
	v := tg.judge(results)
	if v.Ours != "1.00 s" || v.Upstream != "2.50 s" || v.Judged != "ours / upstream 0.40" || v.Met != "yes" {
		t.Fatalf("judge = %+v, want medians 1.00 s and 2.50 s, ratio 0.40, met", v)
	}
	results[1].Each = []figures{{WallSeconds: 2.4}}
	if v := tg.judge(results); v.Judged != "ours / upstream 0.96" || v.Met != "no" {
		t.Fatalf("judge = %+v, want 0.96 and not met", v)
	}
}

func TestJudgeFloorAgainstPlainEntrant(t *testing.T) {
	tg := target{Scenario: "s", Against: plainEntrant, value: wireMiBps, unit: "%.0f MiB/s", Goal: 0.9}
	results := []result{
		runOf("s", "upstream", 0, figures{WireMiBPerSecond: 300}),
		runOf("s", "ours", 0, figures{WireMiBPerSecond: 450}),
		runOf("s", plainEntrant, 0, figures{WireMiBPerSecond: 500}),
	}
	v := tg.judge(results)
	if v.Reference != "500 MiB/s" || v.Judged != "ours / plain-patch 0.90" || v.Met != "yes" {
		t.Fatalf("judge = %+v, want 450/500 = 0.90, met (a floor)", v)
	}
	results[1].Each = []figures{{WireMiBPerSecond: 449.8}}
	if v := tg.judge(results); v.Judged != "ours / plain-patch 0.90" || v.Met != "yes" {
		t.Fatalf("judge = %+v, want the shown 0.90 judged, not 0.8996", v)
	}
}

func TestJudgeContextRowHasNoVerdict(t *testing.T) {
	tg := target{Scenario: "s", Against: plainEntrant, value: commandMiBps, unit: "%.0f MiB/s", Context: true}
	results := []result{
		runOf("s", "upstream", 512<<20, figures{WallSeconds: 4}),
		runOf("s", "ours", 512<<20, figures{WallSeconds: 2}),
		runOf("s", plainEntrant, 512<<20, figures{WallSeconds: 1}),
	}
	v := tg.judge(results)
	if v.Ours != "256 MiB/s" || v.Reference != "512 MiB/s" || v.Judged != "ours / plain-patch 0.50" || v.Met != "-" || v.goal() != "-" {
		t.Fatalf("judge = %+v (goal %s), want 256 of 512 MiB/s, 0.50, no verdict", v, v.goal())
	}
}

func TestJudgeOwnValueRelativeToBytes(t *testing.T) {
	tg := target{Scenario: "k", value: patchedShare, unit: "%.2f", Goal: 1.15, AtMost: true}
	results := []result{
		runOf("k", "upstream", 100, figures{UploadBytes: 150}),
		runOf("k", "ours", 100, figures{UploadBytes: 110}, figures{UploadBytes: 120}, figures{UploadBytes: 105}),
	}
	if v := tg.judge(results); v.Ours != "1.10" || v.Upstream != "1.50" || v.Judged != "ours 1.10" || v.Met != "yes" {
		t.Fatalf("judge = %+v, want ours 1.10 judged on its own, met", v)
	}
}

func TestJudgeNotAvailable(t *testing.T) {
	tg := target{Scenario: "s", Against: "upstream", value: requests, unit: "%.0f", Goal: 0.6, AtMost: true}
	na := []result{
		{Scenario: "s", Backend: "upstream", Status: statusNA, Error: "emulator lacks the option"},
		{Scenario: "s", Backend: "ours", Status: statusNA, Error: "emulator lacks the option"},
	}
	if v := tg.judge(na); v.Judged != "n/a (emulator lacks the option)" || v.Met != "n/a" {
		t.Fatalf("judge = %+v, want n/a (emulator lacks the option)", v)
	}
	failed := []result{runOf("s", "upstream", 0, figures{Calls: 10}), {Scenario: "s", Backend: "ours", Status: statusFailed, Error: "exit 1"}}
	if v := tg.judge(failed); !strings.Contains(v.Judged, "ours FAILED: exit 1") || v.Met != "n/a" || v.Upstream != "10" {
		t.Fatalf("judge = %+v, want n/a naming ours's failure, upstream still shown", v)
	}
}

func TestTargetTableSkipsScenariosNotSelected(t *testing.T) {
	rep := report{Sizes: sizes{LargeMiB: 512, SmallFiles: 200, MemFiles: 4, MemMiB: 128, ResumeMiB: 300, KillMiB: 150}, Results: []result{
		runOf("memory-transfers", "upstream", 0, figures{PeakAnonMiB: 280}),
		runOf("memory-transfers", "ours", 0, figures{PeakAnonMiB: 56}),
	}}
	tbl, ok := rep.targetTable()
	if !ok || len(tbl.rows) != 1 {
		t.Fatalf("target table has %d rows, want only the memory target", len(tbl.rows))
	}
	if row := strings.Join(tbl.rows[0], " | "); row != "4 × 128 MiB, --transfers 4, peak anon | 56 MiB | 280 MiB | - | ours / upstream 0.20 | ≤ 0.25 | yes" {
		t.Fatalf("row = %s", row)
	}
}

func TestMarkdownOpensWithTargetsAndTheNoiseNote(t *testing.T) {
	rep := report{CPUs: 2, Runs: 3, Sizes: sizes{SmallFiles: 200}, Results: []result{
		{Scenario: "upload-small-cwu", Backend: "upstream", Status: statusNA, Error: "emulator lacks the option"},
		{Scenario: "upload-small-cwu", What: "copy", Backend: "ours", Status: statusNA, Error: "emulator lacks the option"},
	}}
	out := rep.markdown()
	for _, want := range []string{
		"Absolute times are noisy",
		"its -h has no option for creation-with-upload",
		"| n/a (emulator lacks the option) | ≤ 0.60 | n/a |",
		"| upload-small-cwu | copy | ours | n/a (emulator lacks the option) |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("markdown lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "API calls by route: upload-small-cwu") || strings.Contains(out, "Problems") {
		t.Errorf("a scenario that did not run got a route table or a problem:\n%s", out)
	}
	if targets := strings.Index(out, "targets"); targets < 0 || targets > strings.Index(out, "Head to head") {
		t.Error("the targets table does not come first")
	}
}

func TestEnvDurationTakesZero(t *testing.T) {
	for value, want := range map[string]time.Duration{"0": 0, "0s": 0, "45ms": 45 * time.Millisecond, "": standardLatency, "bad": standardLatency} {
		t.Setenv("BENCH_TEST_LATENCY", value)
		if got := envDuration("BENCH_TEST_LATENCY", standardLatency); got != want {
			t.Errorf("envDuration(%q) = %s, want %s", value, got, want)
		}
	}
}

func TestRenderSavedMatchesTheRun(t *testing.T) {
	rep := report{CPUs: 2, Runs: 1, Sizes: sizes{MemFiles: 4, MemMiB: 128}, Results: []result{
		runOf("memory-transfers", "upstream", 0, figures{PeakAnonMiB: 280}),
		runOf("memory-transfers", "ours", 0, figures{PeakAnonMiB: 56}),
	}}
	dir := t.TempDir()
	if err := rep.save(dir); err != nil {
		t.Fatal(err)
	}
	var again strings.Builder
	if err := renderSaved(dir+"/results.json", &again); err != nil {
		t.Fatal(err)
	}
	if first := rep.markdown(); again.String() != first {
		t.Fatalf("rendered from JSON:\n%s\nwant what the run wrote:\n%s", again.String(), first)
	}
}

// mountRun is a mount phase's result with one figures per run.
func mountRun(mode, phase, backend string, each ...figures) result {
	r := runOf(mountScenario(mode, phase), backend, 0, each...)
	r.What = phase + " in " + mode
	r.Routes = map[string]int{routeURL: each[0].URLCalls, routeList: 4}
	r.Calls = each[0].Calls
	return r
}

func TestMountTargetsJudgeRatiosOverFetchAndEveryRun(t *testing.T) {
	results := []result{
		mountRun("off", phaseCold, "upstream", figures{WallSeconds: 7.4, Calls: 188}),
		mountRun("off", phaseCold, "ours", figures{WallSeconds: 4.0, Calls: 120, ReadBytes: 120 << 20, PulledBytes: 150 << 20}),
		mountRun("off", phaseRelist, "upstream", figures{WallSeconds: 7, URLCalls: 80}),
		mountRun("off", phaseRelist, "ours", figures{WallSeconds: 3}, figures{WallSeconds: 3, URLCalls: 2}, figures{WallSeconds: 3}),
	}
	judged := map[string]verdict{}
	for _, tg := range mountTargets() {
		judged[tg.Figure] = tg.judge(results)
	}
	for figure, want := range map[string]string{
		"cold scan, --vfs-cache-mode off, wall":                                                                                         "ours / upstream 0.54 yes",
		"cold scan, --vfs-cache-mode off, requests":                                                                                     "ours / upstream 0.64 yes",
		"cold scan, --vfs-cache-mode off, bytes pulled from the download host / bytes read":                                             "ours 1.25 yes",
		"scan after vfs/refresh, same process, --vfs-cache-mode off: /url calls (ours, every run; the signed URLs are valid for hours)": "ours (worst run) 2.00 no",
		"not slower than the built-in: relist, --vfs-cache-mode off, wall":                                                              "ours / upstream 0.43 yes",
		"cold scan, --vfs-cache-mode full, wall":                                                                                        "n/a (not run) n/a",
	} {
		v, ok := judged[figure]
		if got := v.Judged + " " + v.Met; !ok || got != want {
			t.Errorf("%s: judged %q, want %q", figure, got, want)
		}
	}
}

func TestMountTablesCompareOursWithTheBuiltIn(t *testing.T) {
	rep := report{CPUs: 2, Runs: 1, FUSE: "/dev/fuse and /usr/bin/fusermount3", Results: []result{
		mountRun("off", phaseCold, "upstream", figures{WallSeconds: 8, Calls: 188, URLCalls: 80, ReadBytes: 120 << 20, PulledBytes: 480 << 20}),
		mountRun("off", phaseCold, "ours", figures{WallSeconds: 4, Calls: 94, URLCalls: 40, ReadBytes: 120 << 20, PulledBytes: 240 << 20}),
		mountRun("off", phasePlayStart, "upstream", figures{WallSeconds: 0.08, Calls: 2}, figures{WallSeconds: 0.091, Calls: 2}),
		mountRun("off", phasePlayStart, "ours", figures{WallSeconds: 0.074, Calls: 2}),
		{Scenario: mountScenario("full", phaseCold), What: "cold", Backend: "upstream", Status: statusNA, Error: "FUSE not available: no fusermount3"},
		{Scenario: mountScenario("full", phaseCold), What: "cold", Backend: "ours", Status: statusNA, Error: "FUSE not available: no fusermount3"},
	}}
	out := rep.markdown()
	for _, want := range []string{
		"- FUSE for the mount scenarios: /dev/fuse and /usr/bin/fusermount3",
		"| mount-off-cold | cold in off | ok | 4.00 s / 8.00 s | 0.50 | -; - | 94 / 188 | 0.50 | 40 / 80 | 120 | 240.0 / 480.0 | 2.00 / 4.00 |",
		"| mount-full-cold | cold | n/a (FUSE not available: no fusermount3) | - |",
		"| mount-off-play-start | play-start in off | ok | 0.074 s / 0.091 s | 0.81 | -; 0.080 s to 0.091 s | 2 / 2 | 1.00 |",
		"| scenario | GET /v2/files/list | GET /v2/files/{id}/url | total |",
		"| mount-off-cold | 4 / 4 | 40 / 80 | 94 / 188 |",
		"| cold scan, --vfs-cache-mode full, wall | - | - | n/a (FUSE not available: no fusermount3) | ≤ 0.60 | n/a |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("markdown lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Head to head") || strings.Contains(out, "Issue 7 targets") || strings.Contains(out, "Problems") {
		t.Errorf("a mount-only report shows the one-command tables or problems:\n%s", out)
	}
}
