package putiotest

import (
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// publicWildcards are the route path wildcards whose values are no
// credential: ids, names and what is only good with a token.
var publicWildcards = []string{"id", "n", "name", "query", "key", "upload", "client", "fingerprint", "item"}

// A new wildcard name must be classified, so a credential in a path
// cannot reach the request log for want of a mark.
func TestPathWildcardsClassified(t *testing.T) {
	wildcard := regexp.MustCompile(`\{([^}]*)\}`)
	for _, rt := range newEmulator(t).routes {
		for _, m := range wildcard.FindAllStringSubmatch(rt.name, -1) {
			if !slices.Contains(secretWildcards, m[1]) && !slices.Contains(publicWildcards, m[1]) {
				t.Errorf("%s: wildcard {%s} is in neither secretWildcards nor publicWildcards", rt.name, m[1])
			}
		}
	}
}

// Every route with a secret wildcard (a device code, an invite code) is
// logged with that segment redacted, in the log the admin API and
// -verbose show, and the rest of its path as sent.
func TestLogRedactsSecretPathWildcards(t *testing.T) {
	e := newEmulator(t)
	const secret = "S3CRETCODE"
	fill := strings.NewReplacer("{code}", secret, "{id}", "12", "{client}", "7", "{fingerprint}", "f")
	var seen []string
	e.opts.OnRequest = func(entry LogEntry) { seen = append(seen, entry.Path) }
	redacted := 0
	for _, rt := range e.routes {
		if len(rt.secretSegments) == 0 {
			continue
		}
		redacted++
		method, path, _ := strings.Cut(rt.name, " ")
		r := httptest.NewRequest(method, fill.Replace(path)+"?app_id=4131", nil)
		r.Header.Set("Authorization", "Bearer reader")
		e.ServeHTTP(httptest.NewRecorder(), r)
		log := e.Log()
		got := log[len(log)-1]
		want := strings.ReplaceAll(fill.Replace(path), secret, redactedValue) + "?app_id=4131"
		if got.Route != rt.name || got.Path != want || seen[len(seen)-1] != want {
			t.Errorf("%s logged as %q (route %q, OnRequest %q), want %q", rt.name, got.Path, got.Route, seen[len(seen)-1], want)
		}
	}
	if redacted < 4 {
		t.Fatalf("%d routes have a secret wildcard, want the device poll, the family join and both invite lookups", redacted)
	}
}
