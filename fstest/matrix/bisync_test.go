package matrix

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
)

// bisyncDirections are cmd/bisync's scenario tests: each runs every case
// in its testdata/test_* folders, with the remote as path1, as path2, or as
// both.
var bisyncDirections = []string{"TestBisyncRemoteLocal", "TestBisyncLocalRemote", "TestBisyncRemoteRemote"}

// bisyncScenarios sums up the scenario cases and checks that each
// direction ran every case found in pkgDir's testdata. bisync quietly
// leaves out a case whose folder is empty, and a case that never ran is
// neither a failure nor a skip.
func bisyncScenarios(got outcome, pkgDir string) (summary string, problems []string) {
	cases, err := bisyncCases(filepath.Join(pkgDir, "testdata"))
	if err != nil {
		return "", []string{err.Error()}
	}
	var all outcome
	all.skipped = map[string]string{}
	for _, direction := range bisyncDirections {
		ran := directSubtests(got, direction)
		if n := len(ran.passed) + len(ran.failed) + len(ran.skipped); n != cases {
			problems = append(problems, fmt.Sprintf("%s ran %d cases, testdata has %d", direction, n, cases))
		}
		all.passed = append(all.passed, ran.passed...)
		all.failed = append(all.failed, ran.failed...)
		maps.Copy(all.skipped, ran.skipped)
	}
	return fmt.Sprintf("scenario cases (%d directions × %d): %v", len(bisyncDirections), cases, all), problems
}

// bisyncCases counts the non-empty test_* folders in testdata, the cases
// bisync's "all" runs.
func bisyncCases(testdata string) (int, error) {
	entries, err := os.ReadDir(testdata)
	if err != nil {
		return 0, fmt.Errorf("bisync's scenario cases: %w", err)
	}
	cases := 0
	for _, entry := range entries {
		if !entry.IsDir() || !strings.HasPrefix(entry.Name(), "test_") {
			continue
		}
		inside, err := os.ReadDir(filepath.Join(testdata, entry.Name()))
		if err != nil {
			return 0, err
		}
		if len(inside) > 0 {
			cases++
		}
	}
	if cases == 0 {
		return 0, fmt.Errorf("no bisync scenario cases in %s", testdata)
	}
	return cases, nil
}

// directSubtests is the part of got about test's direct subtests.
func directSubtests(got outcome, test string) outcome {
	direct := func(name string) bool {
		rest, ok := strings.CutPrefix(name, test+"/")
		return ok && !strings.Contains(rest, "/")
	}
	sub := outcome{skipped: map[string]string{}}
	for _, name := range got.passed {
		if direct(name) {
			sub.passed = append(sub.passed, name)
		}
	}
	for _, name := range got.failed {
		if direct(name) {
			sub.failed = append(sub.failed, name)
		}
	}
	for name, reason := range got.skipped {
		if direct(name) {
			sub.skipped[name] = reason
		}
	}
	return sub
}
