package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/rclone-putio/rclone-putio/bench/internal/mitm"
	"github.com/rclone-putio/rclone-putio/internal/emuproc"
)

// Result statuses.
const (
	statusOK     = "ok"
	statusFailed = "FAILED" // rclone exited non-zero or timed out
	statusWrong  = "WRONG"  // rclone succeeded but the remote is not as asked
	statusError  = "ERROR"  // the harness could not set the scenario up
	statusNA     = "n/a"    // not run: the emulator lacks an option it needs
)

// result is one scenario run with one backend.
type result struct {
	Scenario string   `json:"scenario"`
	What     string   `json:"what"`
	Backend  string   `json:"backend"`
	Status   string   `json:"status"`
	Error    string   `json:"error,omitempty"`
	Logged   string   `json:"logged,omitempty"` // stderr after a successful exit
	Command  []string `json:"command,omitempty"`
	figures
	Each           []figures      `json:"each_run,omitempty"` // every run, in order
	Bytes          int64          `json:"bytes,omitempty"`    // the scenario moves
	MiBPerSecond   float64        `json:"mib_per_second,omitempty"`
	MaxRSSMiB      float64        `json:"max_rss_mib"`
	CallsPerItem   float64        `json:"calls_per_item,omitempty"`
	KeyRoute       string         `json:"key_route,omitempty"`
	KeyCalls       int            `json:"key_route_calls"`
	Routes         map[string]int `json:"routes"`
	ProxyRefused   int64          `json:"proxy_refused"`
	ProxyFailed    int64          `json:"proxy_failed"`          // requests cut off, e.g. by a kill
	Interrupted    bool           `json:"interrupted,omitempty"` // a first attempt was killed on purpose
	UploadRequests int            `json:"upload_requests"`
}

// figures are the numbers of one run that targets are judged on; a
// result holds those of its median run and of every run.
type figures struct {
	WallSeconds float64 `json:"wall_seconds"`
	PeakAnonMiB float64 `json:"peak_anon_mib"`
	Calls       int     `json:"calls"`
	// UploadBytes are tus body bytes (PATCH, creation-with-upload POST)
	// that crossed the proxy, over every attempt of the run.
	UploadBytes int64 `json:"upload_bytes"`
	// WireMiBPerSecond is the scenario's bytes over the time from the
	// first upload request's arrival at the proxy to the last one's
	// reply: upload throughput without start-up and lookups.
	WireMiBPerSecond float64 `json:"wire_mib_per_second,omitempty"`
	// URLCalls are calls to GET /v2/files/{id}/url.
	URLCalls int `json:"url_calls,omitempty"`
	// ReadBytes are what a mount phase read through the mount;
	// PulledBytes the download reply bytes that crossed the proxy for it.
	ReadBytes   int64 `json:"read_bytes,omitempty"`
	PulledBytes int64 `json:"pulled_bytes,omitempty"`
}

func (r result) failed(stage string, err error) result {
	r.Status, r.Error = statusError, stage+": "+err.Error()
	return r
}

func (r *result) record(sc scenario, run rcloneRun, calls emuproc.Calls, proxy *mitm.Proxy) {
	r.Status = statusOK
	if run.Err != nil {
		r.Status, r.Error = statusFailed, run.Err.Error()
	}
	r.Logged = run.Logged
	r.Command = run.Args
	r.WallSeconds = run.Wall.Seconds()
	r.MaxRSSMiB = float64(run.MaxRSS) / (1 << 20)
	r.Bytes = sc.Bytes
	r.PeakAnonMiB = float64(run.PeakAnon) / (1 << 20)
	if sc.Bytes > 0 && sc.KillAfter == 0 && run.Err == nil {
		r.MiBPerSecond = float64(sc.Bytes) / (1 << 20) / run.Wall.Seconds()
	}
	r.Calls, r.Routes = calls.Total, calls.Routes
	if sc.Items > 0 {
		r.CallsPerItem = float64(calls.Total) / float64(sc.Items)
	}
	r.KeyCalls = calls.Routes[r.KeyRoute]
	r.URLCalls = calls.Routes[routeURL]
	r.ProxyRefused, r.ProxyFailed, r.Interrupted = proxy.Refused(), proxy.Failed(), sc.KillAfter > 0
	uploads := proxy.Uploads()
	r.UploadRequests, r.UploadBytes = uploads.Requests, uploads.Bytes
	if span := uploads.Span(); sc.Bytes > 0 && sc.KillAfter == 0 && span > 0 && run.Err == nil {
		r.WireMiBPerSecond = float64(sc.Bytes) / (1 << 20) / span.Seconds()
	}
}

// medianRun picks the run with the median wall time (the slower of the two
// middle ones for an even count), noting every run's time. A failed run
// wins, so failures are never hidden by a lucky retry.
func medianRun(runs []result) result {
	each := make([]figures, len(runs))
	for i, r := range runs {
		each[i] = r.figures
	}
	for _, r := range runs {
		if r.Status != statusOK {
			r.Each = each
			return r
		}
	}
	sorted := slices.Clone(runs)
	slices.SortFunc(sorted, func(a, b result) int { return cmp.Compare(a.WallSeconds, b.WallSeconds) })
	median := sorted[len(sorted)/2]
	median.Each = each
	return median
}

// walls are the wall times of every run.
func (r result) walls() []float64 {
	walls := make([]float64, len(r.Each))
	for i, f := range r.Each {
		walls[i] = f.WallSeconds
	}
	return walls
}

func (r result) progressLine() string {
	line := fmt.Sprintf("%-17s %-8s %-6s %7.2fs  %5d calls  %5.0f MiB max RSS  %5.0f MiB peak anon",
		r.Scenario, r.Backend, r.Status, r.WallSeconds, r.Calls, r.MaxRSSMiB, r.PeakAnonMiB)
	if isMountScenario(r.Scenario) {
		line = fmt.Sprintf("%-21s %-8s %-6s %7.2fs  %5d calls  %4d /url  %6.1f MiB read  %6.1f MiB pulled",
			r.Scenario, r.Backend, r.Status, r.WallSeconds, r.Calls, r.URLCalls, readMiB(0, r.figures), pulledMiB(0, r.figures))
	}
	if r.Error != "" {
		line += "  " + r.Error
	}
	return line
}

// report is everything one benchmark run found.
type report struct {
	Date     string              `json:"date"`
	Command  string              `json:"command"`
	Source   string              `json:"source"` // git revision of the checkout
	OursArgs string              `json:"ours_args,omitempty"`
	CPUs     int                 `json:"cpus"`
	Load     string              `json:"load_average,omitempty"` // at the end of the run
	FUSE     string              `json:"fuse,omitempty"`         // how mounts were made, or why not
	Versions map[string]string   `json:"versions"`
	Features map[string][]string `json:"emulator_features"` // optional emulator features found, with their flags
	Runs     int                 `json:"runs"`              // per scenario and backend; results hold the median
	Sizes    sizes               `json:"sizes"`
	Latency  string              `json:"latency"` // added by the proxy to each request
	Wall     string              `json:"total_wall"`
	Results  []result            `json:"results"`
}

// table is rendered both as aligned text and as markdown.
type table struct {
	title  string
	header []string
	rows   [][]string
}

func (t table) writeText(w *strings.Builder) {
	fmt.Fprintln(w, t.title)
	// A tabwriter fails only when what it writes to does; a strings.Builder
	// never does.
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, row := range append([][]string{t.header}, t.rows...) {
		_, _ = fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	_ = tw.Flush()
	fmt.Fprintln(w)
}

func (t table) writeMarkdown(w *strings.Builder) {
	fmt.Fprintf(w, "### %s\n\n| %s |\n|%s\n", t.title, strings.Join(t.header, " | "), strings.Repeat("---|", len(t.header)))
	for _, row := range t.rows {
		fmt.Fprintf(w, "| %s |\n", strings.ReplaceAll(strings.Join(row, " | "), "\n", " "))
	}
	fmt.Fprintln(w)
}

func (rep report) tables() []table {
	var tables []table
	for _, build := range []func() (table, bool){rep.targetTable, rep.mountTargetTable, rep.mainTable, rep.mountTable, rep.mountRouteTable} {
		if t, ok := build(); ok {
			tables = append(tables, t)
		}
	}
	for _, name := range rep.scenarioNames() {
		if !isMountScenario(name) && !rep.notRun(name) {
			tables = append(tables, rep.routeTable(name))
		}
	}
	return tables
}

// mainTable shows every one-command scenario; the mount phases have
// tables of their own.
func (rep report) mainTable() (table, bool) {
	t := table{
		title:  "Head to head (each row: a fresh emulator, same seeded state)",
		header: []string{"scenario", "what", "backend", "status", "wall", "wall range", "MiB/s", "wire MiB/s", "max RSS", "peak anon", "API calls", "calls/item", "upload bodies", "key route calls"},
	}
	for _, r := range rep.Results {
		if isMountScenario(r.Scenario) {
			continue
		}
		if r.Status == statusNA {
			t.rows = append(t.rows, append([]string{r.Scenario, r.What, r.Backend, r.Status + " (" + r.Error + ")"}, slices.Repeat([]string{"-"}, len(t.header)-4)...))
			continue
		}
		t.rows = append(t.rows, []string{
			r.Scenario, r.What, r.Backend, r.Status,
			fmt.Sprintf("%.2fs", r.WallSeconds), wallRange(r.walls()), optional("%.1f", r.MiBPerSecond), optional("%.1f", r.WireMiBPerSecond),
			optional("%.0f MiB", r.MaxRSSMiB), optional("%.0f MiB", r.PeakAnonMiB), fmt.Sprint(r.Calls), optional("%.2f", r.CallsPerItem),
			patched(r), fmt.Sprintf("%d × %s", r.KeyCalls, r.KeyRoute),
		})
	}
	return t, len(t.rows) > 0
}

// routeTable breaks one scenario's calls down by route, a column per
// backend.
func (rep report) routeTable(scenario string) table {
	var runs []result
	for _, r := range rep.Results {
		if r.Scenario == scenario {
			runs = append(runs, r)
		}
	}
	t := table{title: "API calls by route: " + scenario, header: []string{"route"}}
	for _, r := range runs {
		t.header = append(t.header, r.Backend)
	}
	for _, route := range append(routesOf(runs), "total") {
		row := []string{route}
		for _, r := range runs {
			n := r.Routes[route]
			if route == "total" {
				n = r.Calls
			}
			row = append(row, fmt.Sprint(n))
		}
		t.rows = append(t.rows, row)
	}
	return t
}

// routesOf are the routes any of results called, sorted.
func routesOf(results []result) []string {
	var routes []string
	for _, r := range results {
		for route := range r.Routes {
			if !slices.Contains(routes, route) {
				routes = append(routes, route)
			}
		}
	}
	slices.Sort(routes)
	return routes
}

func (rep report) scenarioNames() []string {
	var names []string
	for _, r := range rep.Results {
		if !slices.Contains(names, r.Scenario) {
			names = append(names, r.Scenario)
		}
	}
	return names
}

// notRun reports whether every result of scenario is n/a.
func (rep report) notRun(scenario string) bool {
	return !slices.ContainsFunc(rep.Results, func(r result) bool { return r.Scenario == scenario && r.Status != statusNA })
}

func wallRange(walls []float64) string {
	if len(walls) < 2 {
		return "-"
	}
	return fmt.Sprintf("%.2f–%.2fs", slices.Min(walls), slices.Max(walls))
}

// patched is the upload traffic the proxy saw: MiB in how many requests.
func patched(r result) string {
	if r.UploadRequests == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f MiB in %d", float64(r.UploadBytes)/(1<<20), r.UploadRequests)
}

func optional(format string, v float64) string {
	if v == 0 {
		return "-"
	}
	return fmt.Sprintf(format, v)
}

// problems lists every failure and logged error, with its command.
func (rep report) problems() []string {
	var out []string
	for _, r := range rep.Results {
		if r.Status != statusOK && r.Status != statusNA {
			out = append(out, fmt.Sprintf("%s / %s: %s: %s\n    command: %s", r.Scenario, r.Backend, r.Status, r.Error, strings.Join(r.Command, " ")))
		}
		if r.Logged != "" {
			out = append(out, fmt.Sprintf("%s / %s: exit 0, but logged: %s", r.Scenario, r.Backend, r.Logged))
		}
		if r.ProxyFailed > 0 && !r.Interrupted {
			out = append(out, fmt.Sprintf("%s / %s: %d requests failed between the proxy and the emulator", r.Scenario, r.Backend, r.ProxyFailed))
		}
		if r.ProxyRefused > 0 {
			out = append(out, fmt.Sprintf("%s / %s: the proxy refused %d requests to other hosts", r.Scenario, r.Backend, r.ProxyRefused))
		}
	}
	return out
}

// text is the report as aligned tables for the terminal.
func (rep report) text() string {
	var w strings.Builder
	for _, t := range rep.tables() {
		t.writeText(&w)
	}
	if problems := rep.problems(); len(problems) > 0 {
		fmt.Fprintln(&w, "Problems:")
		for _, p := range problems {
			fmt.Fprintln(&w, "  "+p)
		}
	}
	return w.String()
}

// markdown is the report as results.md has it.
func (rep report) markdown() string {
	var w strings.Builder
	fmt.Fprintf(&w, "# putio benchmark results, %s\n\nCommand: `%s` at %s on %d CPUs, total %s. Sizes: %+v. Latency added per request: %s. Median of %d runs.\n\n",
		rep.Date, rep.Command, rep.Source, rep.CPUs, rep.Wall, rep.Sizes, rep.Latency, rep.Runs)
	if rep.Load != "" {
		fmt.Fprintf(&w, "Load average (1, 5, 15 min) at the end: %s.\n\n", rep.Load)
	}
	fmt.Fprintf(&w, "The emulator, the TLS proxy and rclone share these %d CPUs, and other work on the machine may be using them too. "+
		"Absolute times are noisy and vary between invocations; the ratios compare entrants within one invocation and are the figures to read. "+
		"bench/README.md explains every column.\n\n", rep.CPUs)
	for _, name := range []string{"upstream", "ours"} {
		fmt.Fprintf(&w, "- %s: %s\n", name, rep.Versions[name])
	}
	if rep.OursArgs != "" {
		fmt.Fprintf(&w, "- extra flags for ours: `%s`\n", rep.OursArgs)
	}
	for _, feature := range slices.Sorted(maps.Keys(rep.Features)) {
		fmt.Fprintf(&w, "- emulator with %s: `%s`\n", feature, strings.Join(rep.Features[feature], " "))
	}
	if rep.FUSE != "" && len(rep.mountScenarios()) > 0 {
		fmt.Fprintf(&w, "- FUSE for the mount scenarios: %s\n", rep.FUSE)
	}
	if _, ok := rep.Features[featureCWU]; !ok {
		fmt.Fprintf(&w, "- emulator: its -h has no option for %s, so those scenarios are n/a\n", featureCWU)
	}
	fmt.Fprintln(&w)
	for _, t := range rep.tables() {
		t.writeMarkdown(&w)
	}
	if problems := rep.problems(); len(problems) > 0 {
		fmt.Fprintln(&w, "### Problems\n\n```")
		for _, p := range problems {
			fmt.Fprintln(&w, p)
		}
		fmt.Fprintln(&w, "```")
	}
	return w.String()
}

// renderSaved prints the markdown report of a results.json, so a saved
// run can be shown again with the current tables and targets.
func renderSaved(jsonFile string, w io.Writer) error {
	data, err := os.ReadFile(jsonFile)
	if err != nil {
		return err
	}
	var rep report
	if err := json.Unmarshal(data, &rep); err != nil {
		return fmt.Errorf("%s: %w", jsonFile, err)
	}
	_, err = io.WriteString(w, rep.markdown())
	return err
}

// save writes results.json and results.md into dir.
func (rep report) save(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	data, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "results.json"), data, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "results.md"), []byte(rep.markdown()), 0o644); err != nil {
		return err
	}
	fmt.Printf("wrote %s and %s\n", filepath.Join(dir, "results.json"), filepath.Join(dir, "results.md"))
	return nil
}
