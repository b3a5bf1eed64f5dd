package putiotest

import (
	"net/http/httptest"
	"os"
	"os/exec"
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

// Under GODEBUG=httpmuxgo121=1 ServeMux ignores method patterns and every
// request would be an unknown route; New says so instead. net/http reads
// the setting at start-up, so the check runs in a child test process.
func TestNewRefusesGo121ServeMux(t *testing.T) {
	if os.Getenv("PUTIOTEST_MUX121_CHILD") == "1" {
		e, err := New(Options{DataDir: t.TempDir()})
		if err == nil {
			_ = e.Close()
			t.Fatal("New accepted a ServeMux that matches no route")
		}
		if !strings.Contains(err.Error(), "httpmuxgo121") {
			t.Fatalf("New: %v, want the GODEBUG setting named", err)
		}
		return
	}
	child := exec.Command(os.Args[0], "-test.run=^TestNewRefusesGo121ServeMux$", "-test.count=1")
	child.Env = append(os.Environ(), "PUTIOTEST_MUX121_CHILD=1", "GODEBUG=httpmuxgo121=1")
	if out, err := child.CombinedOutput(); err != nil {
		t.Fatalf("with GODEBUG=httpmuxgo121=1: %v\n%s", err, out)
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
