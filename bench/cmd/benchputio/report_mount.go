package main

import (
	"fmt"
	"slices"
	"strings"
)

func urlCalls(_ int64, f figures) float64 { return float64(f.URLCalls) }
func readMiB(_ int64, f figures) float64  { return float64(f.ReadBytes) / (1 << 20) }
func pulledMiB(_ int64, f figures) float64 {
	return float64(f.PulledBytes) / (1 << 20)
}

// overFetch is what crossed from the download host per byte read.
func overFetch(_ int64, f figures) float64 {
	if f.ReadBytes == 0 {
		return 0
	}
	return float64(f.PulledBytes) / float64(f.ReadBytes)
}

// mountTargets are issue 18's goals for the mount scenarios, per cache
// mode.
func mountTargets() []target {
	var out []target
	for _, mode := range mountModes {
		in := func(phase string) string { return mountScenario(mode, phase) }
		label := "--vfs-cache-mode " + mode
		out = append(out,
			target{Figure: "cold scan, " + label + ", wall", Scenario: in(phaseCold), Against: "upstream", value: wall, unit: "%.2f s", Goal: 0.6, AtMost: true},
			target{Figure: "cold scan, " + label + ", requests", Scenario: in(phaseCold), Against: "upstream", value: requests, unit: "%.0f", Goal: 0.7, AtMost: true},
			target{Figure: "cold scan, " + label + ", bytes pulled from the download host / bytes read", Scenario: in(phaseCold), value: overFetch, unit: "%.2f", Goal: 1.5, AtMost: true},
			target{Figure: "scan after vfs/refresh, same process, " + label + ": /url calls (ours, every run; the signed URLs are valid for hours)", Scenario: in(phaseRelist), value: urlCalls, unit: "%.0f", Goal: 0, AtMost: true, Worst: true},
			target{Figure: "playback start (first 1 MiB of a file not opened yet), " + label + ", wall", Scenario: in(phasePlayStart), Against: "upstream", value: wall, unit: "%.3f s", Goal: 0.6, AtMost: true},
			target{Figure: "playback with two seeks, " + label + ", bytes pulled / bytes read", Scenario: in(phasePlay), value: overFetch, unit: "%.2f", Goal: 1.5, AtMost: true},
		)
		for _, phase := range []string{phaseSecond, phaseRelist, phasePlay, phaseRemount} {
			out = append(out, target{Figure: "not slower than the built-in: " + phase + ", " + label + ", wall", Scenario: in(phase), Against: "upstream", value: wall, unit: "%.2f s", Goal: 1, AtMost: true})
		}
	}
	return out
}

// mountResults are the results of one mount scenario: upstream's and
// ours, either possibly missing.
func (rep report) mountPair(scenario string) (ours, upstream *result) {
	for i := range rep.Results {
		r := &rep.Results[i]
		if r.Scenario != scenario {
			continue
		}
		switch r.Backend {
		case "ours":
			ours = r
		case "upstream":
			upstream = r
		}
	}
	return ours, upstream
}

// mountScenarios are the mount scenarios in the report, in run order.
func (rep report) mountScenarios() []string {
	var out []string
	for _, name := range rep.scenarioNames() {
		if isMountScenario(name) {
			out = append(out, name)
		}
	}
	return out
}

// mountTable compares ours with the built-in per mount phase: medians of
// each figure over the runs, as the targets take them.
func (rep report) mountTable() (table, bool) {
	t := table{
		title: "Mount: ours against the built-in (median of each figure over the runs)",
		header: []string{"scenario", "what", "status", "wall ours / built-in", "ratio", "wall range ours; built-in", "requests ours / built-in", "ratio",
			"/url calls ours / built-in", "MiB read", "MiB pulled ours / built-in", "over-fetch ours / built-in"},
	}
	for _, name := range rep.mountScenarios() {
		ours, upstream := rep.mountPair(name)
		what := whatOf(ours, upstream)
		if status, ok := pairStatus(ours, upstream); !ok {
			t.rows = append(t.rows, append([]string{name, what, status}, slices.Repeat([]string{"-"}, len(t.header)-3)...))
			continue
		}
		pair := func(value func(int64, figures) float64, format string) (string, float64, float64) {
			o, u := medianOf(*ours, value), medianOf(*upstream, value)
			return fmt.Sprintf(format+" / "+format, o, u), o, u
		}
		wo, wu := medianOf(*ours, wall), medianOf(*upstream, wall)
		walls := seconds(wo) + " / " + seconds(wu)
		reqs, ro, ru := pair(requests, "%.0f")
		urls, _, _ := pair(urlCalls, "%.0f")
		pulled, _, _ := pair(pulledMiB, "%.1f")
		fetch, _, _ := pair(overFetch, "%.2f")
		ranges := secondsRange(ours.walls()) + "; " + secondsRange(upstream.walls())
		t.rows = append(t.rows, []string{name, what, statusOK, walls, ratio(wo, wu), ranges, reqs, ratio(ro, ru), urls,
			fmt.Sprintf("%.0f", medianOf(*ours, readMiB)), pulled, fetch})
	}
	return t, len(t.rows) > 0
}

func whatOf(results ...*result) string {
	for _, r := range results {
		if r != nil && r.What != "" {
			return r.What
		}
	}
	return ""
}

// pairStatus is "ok" when both ran well, else what went wrong with each.
func pairStatus(ours, upstream *result) (string, bool) {
	var problems []string
	for _, r := range []struct {
		name string
		r    *result
	}{{"ours", ours}, {"built-in", upstream}} {
		switch {
		case r.r == nil:
			problems = append(problems, r.name+" not run")
		case r.r.Status == statusNA:
			return statusNA + " (" + r.r.Error + ")", false
		case r.r.Status != statusOK:
			problems = append(problems, r.name+" "+r.r.Status)
		}
	}
	if len(problems) > 0 {
		return strings.Join(problems, ", ") + " (see Problems)", false
	}
	return statusOK, true
}

// seconds shows a wall time to two decimals, or three below a second
// (playback start is tens of milliseconds).
func seconds(v float64) string {
	if v < 1 {
		return fmt.Sprintf("%.3f s", v)
	}
	return fmt.Sprintf("%.2f s", v)
}

// secondsRange is the fastest and slowest of walls, "-" for one run.
func secondsRange(walls []float64) string {
	if len(walls) < 2 {
		return "-"
	}
	return seconds(slices.Min(walls)) + " to " + seconds(slices.Max(walls))
}

// ratio is ours / built-in to two decimals, or "-" when the built-in
// measured zero.
func ratio(ours, upstream float64) string {
	if upstream == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", ours/upstream)
}

// mountRouteTable breaks every mount phase's requests down by route, in
// the median run: "ours / built-in" per route.
func (rep report) mountRouteTable() (table, bool) {
	routes := routesOf(slices.DeleteFunc(slices.Clone(rep.Results), func(r result) bool { return !isMountScenario(r.Scenario) }))
	t := table{title: "Mount: requests by route, ours / built-in (the median run's)", header: append(append([]string{"scenario"}, routes...), "total")}
	for _, name := range rep.mountScenarios() {
		ours, upstream := rep.mountPair(name)
		if _, ok := pairStatus(ours, upstream); !ok {
			continue
		}
		row := []string{name}
		for _, route := range routes {
			row = append(row, fmt.Sprintf("%d / %d", ours.Routes[route], upstream.Routes[route]))
		}
		t.rows = append(t.rows, append(row, fmt.Sprintf("%d / %d", ours.Calls, upstream.Calls)))
	}
	return t, len(t.rows) > 0
}
