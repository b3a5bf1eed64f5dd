package main

import (
	"strings"
	"testing"
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
}

func TestJudgeOwnValueRelativeToBytes(t *testing.T) {
	tg := target{Scenario: "k", value: patchedShare, unit: "%.2f", Goal: 1.15, AtMost: true}
	results := []result{
		runOf("k", "upstream", 100, figures{PatchBytes: 150}),
		runOf("k", "ours", 100, figures{PatchBytes: 110}, figures{PatchBytes: 120}, figures{PatchBytes: 105}),
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
