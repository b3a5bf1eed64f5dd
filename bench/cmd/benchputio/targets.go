package main

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// target is one figure issue 7 sets a goal for, judged from a run's
// results.
type target struct {
	Figure   string
	Scenario string
	// Against is the entrant ours is divided by ("upstream" or
	// plainEntrant); empty judges ours's own value.
	Against string
	value   func(bytes int64, f figures) float64 // bytes: of the scenario
	unit    string                               // format of one value, e.g. "%.2f s"
	Goal    float64
	AtMost  bool // the goal is a ceiling, else a floor
	// Context marks a figure shown for context, not judged.
	Context bool
	// Worst judges the worst run instead of the median: for a goal that
	// every run must meet.
	Worst bool
}

func wall(_ int64, f figures) float64        { return f.WallSeconds }
func peakAnonMiB(_ int64, f figures) float64 { return f.PeakAnonMiB }
func requests(_ int64, f figures) float64    { return float64(f.Calls) }
func wireMiBps(_ int64, f figures) float64   { return f.WireMiBPerSecond }
func commandMiBps(n int64, f figures) float64 {
	return float64(n) / (1 << 20) / max(f.WallSeconds, 1e-9)
}
func patchedShare(n int64, f figures) float64 { return float64(f.UploadBytes) / float64(max(n, 1)) }

// targets are issue 7's goals for the standard run.
func targets(sz sizes) []target {
	small := fmt.Sprintf("%d small files in %d new folders", sz.SmallFiles, (sz.SmallFiles+9)/10)
	var out []target
	out = append(out,
		target{Figure: fmt.Sprintf("one %d MiB upload, wall", sz.LargeMiB), Scenario: "upload-large", Against: "upstream", value: wall, unit: "%.2f s", Goal: 0.8, AtMost: true},
		target{Figure: "single-stream upload MiB/s on the wire, against one plain streaming PATCH", Scenario: "upload-large", Against: plainEntrant, value: wireMiBps, unit: "%.0f MiB/s", Goal: 0.9},
		target{Figure: "the same over the whole command (start-up, lookups, creation included)", Scenario: "upload-large", Against: plainEntrant, value: commandMiBps, unit: "%.0f MiB/s", Context: true},
		target{Figure: fmt.Sprintf("%d × %d MiB, --transfers %d, peak anon", sz.MemFiles, sz.MemMiB, sz.MemFiles), Scenario: "memory-transfers", Against: "upstream", value: peakAnonMiB, unit: "%.0f MiB", Goal: 0.25, AtMost: true},
	)
	for _, variant := range []struct{ scenario, label string }{{"upload-small", ""}, {"upload-small-cwu", ", creation-with-upload offered"}} {
		out = append(out,
			target{Figure: small + variant.label + ", requests", Scenario: variant.scenario, Against: "upstream", value: requests, unit: "%.0f", Goal: 0.6, AtMost: true},
			target{Figure: small + variant.label + ", wall", Scenario: variant.scenario, Against: "upstream", value: wall, unit: "%.2f s", Goal: 0.5, AtMost: true},
		)
	}
	return append(out, target{
		Figure:   fmt.Sprintf("kill after %d MiB of a %d MiB upload, rerun: upload bytes sent (both runs) / file size", sz.KillMiB, sz.ResumeMiB),
		Scenario: "resume-after-kill", value: patchedShare, unit: "%.2f", Goal: 1.15, AtMost: true,
	})
}

// verdict is a target judged against a report.
type verdict struct {
	target
	Ours, Upstream, Reference string // formatted medians, "-" if absent
	Judged                    string // the value compared with Goal, or why there is none
	Met                       string // "yes", "no" or "n/a"
}

// judge evaluates t on results: the median of each figure over every run
// of an entrant, the ratio to the reference entrant if there is one.
func (t target) judge(results []result) verdict {
	v := verdict{target: t, Ours: "-", Upstream: "-", Reference: "-", Met: "n/a"}
	medians := map[string]float64{}
	var missing string
	for _, name := range []string{"ours", "upstream", t.Against} {
		if name == "" {
			continue
		}
		i := slices.IndexFunc(results, func(r result) bool { return r.Scenario == t.Scenario && r.Backend == name })
		switch {
		case i < 0:
			missing = cmp.Or(missing, "not run")
		case results[i].Status == statusNA:
			missing = cmp.Or(missing, results[i].Error)
		case results[i].Status != statusOK:
			missing = cmp.Or(missing, fmt.Sprintf("%s %s: %s", name, results[i].Status, results[i].Error))
		default:
			medians[name] = t.aggregate(results[i])
		}
	}
	show := func(name string) string {
		if m, ok := medians[name]; ok {
			return fmt.Sprintf(t.unit, m)
		}
		return "-"
	}
	v.Ours, v.Upstream = show("ours"), show("upstream")
	if t.Against == plainEntrant {
		v.Reference = show(plainEntrant)
	}
	if missing != "" {
		v.Judged = "n/a (" + missing + ")"
		return v
	}
	judged, label := medians["ours"], "ours"
	if t.Worst {
		label += " (worst run)"
	}
	if t.Against != "" {
		if medians[t.Against] == 0 {
			v.Judged = "n/a (" + t.Against + " measured 0)"
			return v
		}
		judged, label = judged/medians[t.Against], "ours / "+t.Against
	}
	// Judge what is shown: two decimals, far finer than the noise.
	judged = math.Round(judged*100) / 100
	v.Judged = fmt.Sprintf("%s %.2f", label, judged)
	if t.Context {
		v.Met = "-"
		return v
	}
	v.Met = "no"
	if (t.AtMost && judged <= t.Goal) || (!t.AtMost && judged >= t.Goal) {
		v.Met = "yes"
	}
	return v
}

func (t target) goal() string {
	if t.Context {
		return "-"
	}
	if t.AtMost {
		return fmt.Sprintf("≤ %.2f", t.Goal)
	}
	return fmt.Sprintf("≥ %.2f", t.Goal)
}

// aggregate is t's figure over every run of r: the median, or the worst
// run's value if t says so.
func (t target) aggregate(r result) float64 {
	if !t.Worst {
		return medianOf(r, t.value)
	}
	values := runValues(r, t.value)
	if t.AtMost {
		return slices.Max(values)
	}
	return slices.Min(values)
}

// medianOf is the median of value over every run of r (the upper middle
// one for an even count).
func medianOf(r result, value func(int64, figures) float64) float64 {
	values := runValues(r, value)
	slices.Sort(values)
	return values[len(values)/2]
}

// runValues is value of every run of r.
func runValues(r result, value func(int64, figures) float64) []float64 {
	runs := r.Each
	if len(runs) == 0 {
		runs = []figures{r.figures}
	}
	values := make([]float64, len(runs))
	for i, f := range runs {
		values[i] = value(r.Bytes, f)
	}
	return values
}

// targetTable judges issue 7's targets.
func (rep report) targetTable() (table, bool) {
	return rep.judgedTable("Issue 7 targets (median of each figure over the runs; ratios are what to compare, absolute times are noisy)",
		[]string{"figure", "ours", "built-in", "plain PATCH", "judged", "goal", "met"}, targets(rep.Sizes))
}

// mountTargetTable judges issue 18's mount targets.
func (rep report) mountTargetTable() (table, bool) {
	t, ok := rep.judgedTable("Issue 18 targets: mount (median of each figure over the runs unless marked worst run)",
		[]string{"figure", "ours", "built-in", "-", "judged", "goal", "met"}, mountTargets())
	for i := range t.rows {
		t.rows[i] = slices.Delete(t.rows[i], 3, 4) // no plain-PATCH reference here
	}
	t.header = slices.Delete(t.header, 3, 4)
	return t, ok
}

// judgedTable judges every target whose scenario ran or was n/a.
func (rep report) judgedTable(title string, header []string, all []target) (table, bool) {
	t := table{title: title, header: header}
	for _, tg := range all {
		if !slices.ContainsFunc(rep.Results, func(r result) bool { return r.Scenario == tg.Scenario }) {
			continue
		}
		v := tg.judge(rep.Results)
		t.rows = append(t.rows, []string{v.Figure, v.Ours, v.Upstream, v.Reference, v.Judged, v.goal(), v.Met})
	}
	return t, len(t.rows) > 0
}
