package main

import (
	"io"
	"strings"
	"testing"
)

// Review finding: a malformed -put, -app-tokens or -users entry is echoed
// in the error, so the token (or password) it holds lands in the
// terminal, a CI log or a supervisor's log; -user-tokens already names
// no entry.
func TestReviewMalformedCredentialEntriesNotEchoed(t *testing.T) {
	for _, args := range [][]string{
		{"-put", "secret-tok:relative/path"},
		{"-app-tokens", "secret-tok="},
		{"-users", ":secret-pw"},
	} {
		_, err := parseFlags(args, io.Discard)
		if err == nil || strings.Contains(err.Error(), "secret-") {
			t.Errorf("%v: %v, want a refusal that does not show the credential", args, err)
		}
	}
}
