package main

import (
	"os"
	"testing"
)

// TestMain lets the test binary stand in for benchputio as the baseline
// child, which the harness starts as its own executable.
func TestMain(m *testing.M) {
	asPlainUploadChild()
	os.Exit(m.Run())
}
