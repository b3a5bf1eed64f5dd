package putiotest

import (
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// architectureDoc holds the route table the router must match.
const architectureDoc = "../../../docs/architecture.md"

// docRoutes reads the route table of docs/architecture.md: each row's
// first cell names routes (or, for not-emulated families, path prefixes)
// in backticks, its second cell says "emulated" or "not emulated".
func docRoutes(t *testing.T) (emulated, missing []string) {
	t.Helper()
	data, err := os.ReadFile(architectureDoc)
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(data), "<!-- route table: kept in step with the router by TestRouteTableMatchesRouter -->")
	if !ok {
		t.Fatal("docs/architecture.md has lost its route table marker")
	}
	table, _, _ = strings.Cut(table, "\n\n")
	names := regexp.MustCompile("`([^`]+)`")
	for _, line := range strings.Split(table, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 4 || !strings.Contains(cells[1], "`") {
			continue
		}
		status := strings.TrimSpace(cells[2])
		for _, m := range names.FindAllStringSubmatch(cells[1], -1) {
			switch status {
			case "emulated":
				emulated = append(emulated, m[1])
			case "not emulated":
				missing = append(missing, m[1])
			default:
				t.Fatalf("route table row %q: status %q is neither emulated nor not emulated", line, status)
			}
		}
	}
	return emulated, missing
}

func TestRouteTableMatchesRouter(t *testing.T) {
	e := newEmulator(t)
	emulated, missing := docRoutes(t)
	var routed []string
	for _, rt := range e.routes {
		routed = append(routed, rt.name)
	}
	for _, name := range routed {
		if !slices.Contains(emulated, name) {
			t.Errorf("route %q is served but not in docs/architecture.md's route table; add a row for it", name)
		}
	}
	for _, name := range emulated {
		if !slices.Contains(routed, name) {
			t.Errorf("docs/architecture.md lists %q as emulated, but the router has no such route", name)
		}
	}
	// Not-emulated routes (with {vars} filled in) and families (a path
	// prefix, tried with a word after it) must reach the unknown route.
	fill := strings.NewReplacer("{id}", "1", "{name}", "x", "{key}", "x", "{code}", "x", "{query}", "x", "{n}", "1", "{client}", "1", "{fingerprint}", "x")
	for _, name := range missing {
		method, path, ok := strings.Cut(name, " ")
		if !ok {
			method, path = "GET", name+"anything"
		}
		r := httptest.NewRequest(method, fill.Replace(path), nil)
		if rt, allowed := e.route(r), e.allowedMethods(r); rt != nil || len(allowed) > 0 {
			t.Errorf("docs/architecture.md says %q is not emulated, but the router takes it", name)
		}
	}
}
