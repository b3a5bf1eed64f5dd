package matrix

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
)

// suites are the packages rclone's fstest/test_all/config.yaml runs for
// putio besides the backend suite (cmd/bisync is in its ignoretests). Its
// ignore list for putio names only a backend-suite test, so nothing here is
// ignored.
var suites = []suite{
	{pkg: "fs/operations", name: "operations"},
	{pkg: "fs/sync", name: "sync"},
	{pkg: "vfs", name: "vfs"},
	{pkg: "cmd/gitannex", name: "gitannex"},
}

// settings are the emulators each suite runs against: the default one and
// one taking the awkward choices the API record allows.
var settings = []struct {
	name string
	opts putiotest.Options
}{
	{name: "default"},
	{name: "adverse", opts: putiotest.Options{
		ShuffleListing:       true,
		SpuriousCopyConflict: true,
		TrashLockWait:        time.Millisecond,
		TrashHold:            2 * time.Millisecond,
		MaxPatchSize:         256 << 10,
		Latency:              time.Millisecond,
		Seed:                 8,
	}},
}

// TestMatrix builds the suites and runs each against each emulator
// setting; every test must pass or skip for a reason in expectedSkips.
func TestMatrix(t *testing.T) {
	start := time.Now()
	rcloneCopy, binDir := buildSuites(t, suites)
	t.Logf("built %d suites in %v", len(suites), time.Since(start).Round(time.Second))
	for _, setting := range settings {
		t.Run(setting.name, func(t *testing.T) {
			for _, s := range suites {
				t.Run(strings.ReplaceAll(s.pkg, "/", "_"), func(t *testing.T) {
					t.Parallel()
					start := time.Now()
					got, logPath, err := runSuite(t, s, rcloneCopy, binDir, setting.opts)
					t.Logf("%s on the %s emulator: %v in %v", s.pkg, setting.name, got, time.Since(start).Round(time.Second))
					for _, name := range sortedKeys(got.skipped) {
						t.Logf("skipped %s: %s", name, got.skipped[name])
					}
					for _, problem := range skipProblems(got.skipped, expectedSkips[s.pkg]) {
						t.Errorf("%s: %s", s.pkg, problem)
					}
					if err != nil || len(got.failed) > 0 || len(got.passed) == 0 {
						t.Errorf("%s: %v; failed: %v (exit: %v); what it printed:\n%s", s.pkg, got, got.failed, err, failureOutput(logPath, got.failed))
					}
				})
			}
		})
	}
}

// skipProblems compares the skips a suite reported with the expected ones
// (test name to a part of its reason).
func skipProblems(got, want map[string]string) []string {
	var problems []string
	for _, name := range sortedKeys(got) {
		reason, expected := want[name]
		switch {
		case !expected:
			problems = append(problems, fmt.Sprintf("%s skipped (%q) but is not in expectedSkips: make it run, or add it there if rclone's built-in putio skips it too", name, got[name]))
		case !strings.Contains(got[name], reason):
			problems = append(problems, fmt.Sprintf("%s skipped for %q, expected %q", name, got[name], reason))
		}
	}
	for _, name := range sortedKeys(want) {
		if _, skipped := got[name]; !skipped {
			problems = append(problems, fmt.Sprintf("%s no longer skips: remove it from expectedSkips", name))
		}
	}
	return problems
}
