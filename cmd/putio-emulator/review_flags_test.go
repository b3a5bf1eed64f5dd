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

// Review finding: off loopback (an admin secret given), without -strict
// and -tokens, the printed remote's token is the constant
// "emulator-token", and every token is accepted: anyone who can reach the
// emulator and has read its docs opens the account the user fills
// through the printed remote. Off loopback the printed token should be a
// random one (or non-strict mode refused there, as the admin API is
// without a secret).
func TestReviewPrintedTokenNotGuessableOffLoopback(t *testing.T) {
	_, stop := start(t, "-addr", "0.0.0.0:0", "-admin-secret", "s3cret-admin", "-data-dir", t.TempDir())
	printed := stop()
	if strings.Contains(printed, `"access_token":"`+defaultPrintedToken+`"`) {
		t.Errorf("the remote printed for an emulator reachable from other machines uses the well-known token %q:\n%s", defaultPrintedToken, printed)
	}
}
