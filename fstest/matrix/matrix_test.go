package matrix

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
)

// suites are the packages rclone's fstest/test_all/config.yaml runs for its
// backends besides the backend suite. For putio, test_all lists cmd/bisync
// in ignoretests (a 2025 change ignored it on 28 backends at once, for no
// putio-specific failure); it passes here, so it runs like the others. The
// ignore list for putio names only a backend-suite test, so nothing here is
// ignored.
var suites = []suite{
	{pkg: "fs/operations", name: "operations"},
	{pkg: "fs/sync", name: "sync"},
	{pkg: "vfs", name: "vfs"},
	{pkg: "cmd/gitannex", name: "gitannex"},
	{pkg: "cmd/bisync", name: "bisync", check: bisyncScenarios},
}

// settings are the emulators each suite runs against: the default one and
// one taking the awkward choices the API record allows.
// An adverse run must meet each of its awkward choices at least once.
var settings = []struct {
	name    string
	opts    putiotest.Options
	adverse bool
}{
	{name: "default"},
	{name: "adverse", adverse: true, opts: putiotest.Options{
		ShuffleListing:       true,
		SpuriousCopyConflict: true,
		TrashLockWait:        time.Millisecond,
		TrashHold:            2 * time.Millisecond,
		MaxPatchSize:         64 << 10,
		Latency:              time.Millisecond,
		Seed:                 8,
	}},
}

// maxTries is how often a failing test is run, all told. rclone's test_all
// reruns failed tests the same way (its -maxtries), as a few of these
// suites' tests are timing-sensitive (cmd/gitannex's
// TestReadLineHasShortDeadline fails on a loaded machine). Every retry is
// logged.
const maxTries = 3

// TestMatrix builds the suites and runs each against each emulator
// setting; every test must pass or skip for a reason in expectedSkips.
func TestMatrix(t *testing.T) {
	start := time.Now()
	rcloneCopy, binDir := buildSuites(t, suites)
	t.Logf("built %d suites in %v", len(suites), time.Since(start).Round(time.Second))
	for _, setting := range settings {
		hits := &adverseHits{}
		opts := setting.opts
		opts.OnRequest = hits.record
		var ran atomic.Int32 // suites a -run pattern let through
		t.Run(setting.name, func(t *testing.T) {
			for _, s := range suites {
				t.Run(strings.ReplaceAll(s.pkg, "/", "_"), func(t *testing.T) {
					t.Parallel()
					ran.Add(1)
					start := time.Now()
					got, logPath, err := runSuite(t, s, rcloneCopy, binDir, opts, "")
					t.Logf("%s on the %s emulator: %v in %v", s.pkg, setting.name, got, time.Since(start).Round(time.Second))
					for _, name := range slices.Sorted(maps.Keys(got.skipped)) {
						t.Logf("skipped %s: %s", name, got.skipped[name])
					}
					problems := skipProblems(got.skipped, expectedSkips[s.pkg])
					if s.check != nil {
						summary, more := s.check(got, filepath.Join(rcloneCopy, s.pkg))
						t.Logf("%s: %s", s.pkg, summary)
						problems = append(problems, more...)
					}
					for _, problem := range problems {
						t.Errorf("%s: %s", s.pkg, problem)
					}
					if len(got.passed) == 0 {
						t.Errorf("%s: no test passed (exit: %v); what it printed:\n%s", s.pkg, err, failureOutput(logPath, nil))
					}
					for try := 2; try <= maxTries && len(got.failed) > 0; try++ {
						t.Logf("%s: %v failed (%s); try %d of %d runs them again, as test_all does",
							s.pkg, got.failed, failureOutput(logPath, got.failed), try, maxTries)
						got, logPath, err = runSuite(t, s, rcloneCopy, binDir, opts, retryPattern(got.failed))
					}
					if err != nil || len(got.failed) > 0 {
						t.Errorf("%s: failed %v (exit: %v); what it printed:\n%s", s.pkg, got.failed, err, failureOutput(logPath, got.failed))
					}
				})
			}
		})
		if ran.Load() == 0 {
			continue
		}
		t.Logf("%s emulator: %v", setting.name, hits)
		// Only all suites together are bound to meet every awkward choice.
		if missing := hits.missing(); setting.adverse && int(ran.Load()) == len(suites) && len(missing) > 0 {
			t.Errorf("the %s run never met: %v; make its options bite harder", setting.name, missing)
		}
	}
}

// skipProblems compares the skips a suite reported with the expected ones
// (test name to a part of its reason).
func skipProblems(got, want map[string]string) []string {
	var problems []string
	for _, name := range slices.Sorted(maps.Keys(got)) {
		reason, expected := want[name]
		switch {
		case !expected:
			problems = append(problems, fmt.Sprintf("%s skipped (%q) but is not in expectedSkips: make it run, or add it there if rclone's built-in putio skips it too", name, got[name]))
		case !strings.Contains(got[name], reason):
			problems = append(problems, fmt.Sprintf("%s skipped for %q, expected %q", name, got[name], reason))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(want)) {
		if _, skipped := got[name]; !skipped {
			problems = append(problems, fmt.Sprintf("%s no longer skips: remove it from expectedSkips", name))
		}
	}
	return problems
}
