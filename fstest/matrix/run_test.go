package matrix

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
)

// suite is one rclone test package: its path in rclone's tree and its
// package name, which names its test binary. check, if set, looks further
// at a full run's outcome, given the package's source folder: a summary
// to log and any problems.
type suite struct {
	pkg, name string
	check     func(got outcome, pkgDir string) (summary string, problems []string)
}

func (s suite) binary(binDir string) string { return filepath.Join(binDir, s.name+".test") }

// remoteName is the remote every suite is pointed at, as in test_all.
const remoteName = "TestPutio"

// configFile writes an rclone config naming srv as remoteName, with every
// endpoint pointing at srv (the feed too, so that ChangeNotify watches the
// emulator). A file, not RCLONE_CONFIG_* variables: cmd/gitannex looks
// remotes up in the file.
func configFile(t *testing.T, srv *putiotest.Server) string {
	t.Helper()
	var conf strings.Builder
	fmt.Fprintf(&conf, "[%s]\n", remoteName)
	for _, o := range putiotest.RemoteOptions(srv.URL, srv.Token) {
		fmt.Fprintf(&conf, "%s = %s\n", o.Name, o.Value)
	}
	p := filepath.Join(t.TempDir(), "rclone.conf")
	if err := os.WriteFile(p, []byte(conf.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// suiteEnv is the environment of a suite's test binary: ours without any
// rclone setting the user may have, plus the config file and private cache
// and temporary directories.
func suiteEnv(config, scratch string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "RCLONE_") {
			env = append(env, kv)
		}
	}
	return append(env, "RCLONE_CONFIG="+config,
		"RCLONE_CACHE_DIR="+filepath.Join(scratch, "cache"), "TMPDIR="+scratch)
}

// outcome is what a suite's test2json events say about each test.
type outcome struct {
	passed, failed []string
	skipped        map[string]string // test name to the reason it logged
}

// event is one line of go tool test2json output.
type event struct {
	Action, Test, Output string
}

// parseOutcome reads test2json events. A skip's reason is the last line
// its test logged (t.Skip logs its message last).
func parseOutcome(r io.Reader) outcome {
	o := outcome{skipped: map[string]string{}}
	logged := map[string]string{}
	dec := json.NewDecoder(r)
	for {
		var e event
		if err := dec.Decode(&e); err != nil {
			return o
		}
		if e.Test == "" {
			continue
		}
		switch e.Action {
		case "output":
			if reason, ok := loggedLine(e.Output); ok {
				logged[e.Test] = reason
			}
		case "pass":
			o.passed = append(o.passed, e.Test)
		case "fail":
			o.failed = append(o.failed, e.Test)
		case "skip":
			o.skipped[e.Test] = logged[e.Test]
		}
	}
}

// loggedLine returns the message of a "    file_test.go:123: message" line.
func loggedLine(line string) (string, bool) {
	m := logLine.FindStringSubmatch(line)
	if m == nil {
		return "", false
	}
	return m[1], true
}

var logLine = regexp.MustCompile(`^\s+\S+\.go:\d+: (.*?)\s*$`)

func (o outcome) String() string {
	return fmt.Sprintf("%d passed, %d skipped, %d failed", len(o.passed), len(o.skipped), len(o.failed))
}

// runSuite runs one suite's binary from its package's source folder (some
// tests read testdata/ by relative path) against a fresh emulator, and
// returns its outcome with the path of its full output. run, if set, is a
// -test.run pattern.
func runSuite(t *testing.T, s suite, rcloneCopy, binDir string, opts putiotest.Options, run string) (outcome, string, error) {
	srv := putiotest.NewServer(t, opts)
	scratch := t.TempDir()
	logPath := filepath.Join(scratch, s.name+".log")
	log, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := log.Close(); err != nil {
			t.Errorf("closing %s: %v", logPath, err)
		}
	}()
	ctx := context.Background()
	if deadline, ok := t.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline.Add(-30*time.Second))
		defer cancel()
	}
	args := []string{"tool", "test2json", "-t", "-p", s.pkg,
		s.binary(binDir), "-test.v=test2json", "-test.count=1", "-test.timeout=30m", "-remote", remoteName + ":"}
	if run != "" {
		args = append(args, "-test.run", run)
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = filepath.Join(rcloneCopy, s.pkg)
	cmd.Env = suiteEnv(configFile(t, srv), scratch)
	cmd.Stdout, cmd.Stderr = log, log
	runErr := cmd.Run()
	if _, err := log.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	return parseOutcome(log), logPath, runErr
}

// failureOutput returns what the failed tests printed, for the report.
func failureOutput(path string, failed []string) (output string) {
	f, err := os.Open(path)
	if err != nil {
		return err.Error()
	}
	defer func() {
		if err := f.Close(); err != nil {
			output += "\n(closing " + path + ": " + err.Error() + ")"
		}
	}()
	want := map[string]bool{}
	for _, name := range failed {
		want[name] = true
	}
	var out strings.Builder
	dec := json.NewDecoder(f)
	for {
		var e event
		if err := dec.Decode(&e); err != nil {
			return out.String()
		}
		if e.Action == "output" && (want[e.Test] || e.Test == "" && len(failed) == 0) {
			out.WriteString(e.Output)
		}
	}
}

// retryPattern is a -test.run pattern for the top-level tests of failed.
func retryPattern(failed []string) string {
	var names []string
	for _, name := range failed {
		top, _, _ := strings.Cut(name, "/")
		if !slices.Contains(names, regexp.QuoteMeta(top)) {
			names = append(names, regexp.QuoteMeta(top))
		}
	}
	return "^(" + strings.Join(names, "|") + ")$"
}
