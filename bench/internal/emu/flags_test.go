package emu

import (
	"slices"
	"testing"
)

const helpToday = `putio-emulator serves a put.io API emulator.

Usage: putio-emulator [flags]

  -addr string
    	listen address HOST:PORT (port 0 picks a free port) (default "127.0.0.1:8080")
  -max-patch-size int
    	largest tus PATCH body in bytes (0: no limit)
  -rate-window duration
    	rate limit window (default 1m0s)
  -strict
    	accept only registered or OAuth-issued tokens
  -v	log each request
`

func TestParseFlags(t *testing.T) {
	got := ParseFlags(helpToday)
	want := []Flag{
		{Name: "addr", Type: "string", Usage: `listen address HOST:PORT (port 0 picks a free port) (default "127.0.0.1:8080")`, Default: "127.0.0.1:8080"},
		{Name: "max-patch-size", Type: "int", Usage: "largest tus PATCH body in bytes (0: no limit)"},
		{Name: "rate-window", Type: "duration", Usage: "rate limit window (default 1m0s)", Default: "1m0s"},
		{Name: "strict", Usage: "accept only registered or OAuth-issued tokens"},
		{Name: "v", Usage: "log each request"},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("ParseFlags =\n%+v\nwant\n%+v", got, want)
	}
}

func TestCreationWithUploadArgs(t *testing.T) {
	for _, tc := range []struct {
		name string
		help string
		want []string
	}{
		{"absent today", helpToday, nil},
		{"boolean flag", helpToday + "  -tus-creation-with-upload\n    \tadvertise and accept tus creation-with-upload\n", []string{"-tus-creation-with-upload"}},
		{"list with a default", helpToday + "  -tus-extensions string\n    \tTus-Extension to advertise (default \"creation,termination\")\n", []string{"-tus-extensions=creation,termination,creation-with-upload"}},
		{"list without a default", helpToday + "  -tus-extensions string\n    \ttus extensions to advertise on OPTIONS\n", []string{"-tus-extensions=creation,termination,creation-with-upload"}},
		{"named elsewhere, usage mentions it", helpToday + "  -tus-ext string\n    \textensions, e.g. creation-with-upload (default \"creation\")\n", []string{"-tus-ext=creation,creation-with-upload"}},
	} {
		got, ok := CreationWithUploadArgs(ParseFlags(tc.help))
		if ok != (tc.want != nil) || !slices.Equal(got, tc.want) {
			t.Errorf("%s: CreationWithUploadArgs = %q, %v; want %q", tc.name, got, ok, tc.want)
		}
	}
}
