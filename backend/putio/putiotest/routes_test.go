package putiotest

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// Every route is reachable through the ServeMux, with its {vars} as path
// values, and no other route shadows it.
func TestEveryRouteResolves(t *testing.T) {
	e := newEmulator(t)
	fill := strings.NewReplacer("{id}", "12", "{name}", "n", "{code}", "c", "{query}", "q", "{n}", "3",
		"{client}", "7", "{fingerprint}", "f", "{upload}", "u")
	for _, rt := range e.routes {
		method, path, _ := strings.Cut(rt.name, " ")
		r := httptest.NewRequest(method, fill.Replace(path), nil)
		if got := e.route(r); got != rt {
			t.Errorf("%s %s: routed to %v, want %q", method, r.URL.Path, got, rt.name)
			continue
		}
		if rt.hasID && r.PathValue("id") != "12" {
			t.Errorf("%s: {id} is %q", rt.name, r.PathValue("id"))
		}
	}
}

// newEmulator is a bare emulator, closed when the test ends.
func newEmulator(t *testing.T) *Emulator {
	t.Helper()
	e, err := New(Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Error(err)
		}
	})
	return e
}
