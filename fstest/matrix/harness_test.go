package matrix

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
)

func TestParseOutcome(t *testing.T) {
	events := `{"Action":"run","Test":"TestA"}
{"Action":"output","Test":"TestA","Output":"    run.go:198: Remote \"x\"\n"}
{"Action":"output","Test":"TestA","Output":"    a_test.go:12: needs DirSetModTime\n"}
{"Action":"skip","Test":"TestA"}
{"Action":"pass","Test":"TestB/sub"}
{"Action":"pass","Test":"TestB"}
{"Action":"output","Test":"TestC","Output":"--- FAIL: TestC (0.00s)\n"}
{"Action":"fail","Test":"TestC"}
{"Action":"fail"}
`
	got := parseOutcome(strings.NewReader(events))
	want := outcome{
		passed:  []string{"TestB/sub", "TestB"},
		failed:  []string{"TestC"},
		skipped: map[string]string{"TestA": "needs DirSetModTime"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parseOutcome = %+v, want %+v", got, want)
	}
}

func TestSkipProblems(t *testing.T) {
	want := map[string]string{"TestKept": "only on local", "TestGone": "x"}
	got := map[string]string{"TestKept": "This test only on local", "TestNew": "why"}
	problems := skipProblems(got, want)
	if len(problems) != 2 || !strings.Contains(problems[0], "TestNew skipped") || !strings.Contains(problems[1], "TestGone no longer skips") {
		t.Errorf("skipProblems = %q", problems)
	}
	if p := skipProblems(map[string]string{"TestKept": "other"}, map[string]string{"TestKept": "only on local"}); len(p) != 1 || !strings.Contains(p[0], "expected") {
		t.Errorf("a changed reason gives %q", p)
	}
}

func TestGodebugBlock(t *testing.T) {
	gomod := "module m\n\ngo 1.26.0\n\ngodebug (\n\tmultipathtcp=0\n)\n\nrequire x v1\n"
	if got, want := godebugBlock(gomod), "godebug (\n\tmultipathtcp=0\n)\n\n"; got != want {
		t.Errorf("godebugBlock = %q, want %q", got, want)
	}
	if got := godebugBlock("module m\n"); got != "" {
		t.Errorf("no block gives %q", got)
	}
}

func TestRetryPattern(t *testing.T) {
	got := retryPattern([]string{"TestA/sub", "TestA", "TestB.x", "TestB.x/y"})
	if want := `^(TestA|TestB\.x)$`; got != want {
		t.Errorf("retryPattern = %q, want %q", got, want)
	}
}

func TestBisyncScenarios(t *testing.T) {
	pkgDir := t.TempDir()
	for _, dir := range []string{"test_a", "test_b", "test_empty", "other"} {
		if err := os.MkdirAll(filepath.Join(pkgDir, "testdata", dir), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, dir := range []string{"test_a", "test_b", "other"} {
		if err := os.WriteFile(filepath.Join(pkgDir, "testdata", dir, "x"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got := outcome{skipped: map[string]string{"TestBisyncLocalRemote/b": "why"}}
	for _, direction := range bisyncDirections {
		got.passed = append(got.passed, direction, direction+"/a", direction+"/a/deeper")
	}
	got.passed = append(got.passed, "TestBisyncRemoteLocal/b")
	got.failed = append(got.failed, "TestBisyncRemoteLocal/c")

	summary, problems := bisyncScenarios(got, pkgDir)

	if want := "scenario cases (3 directions × 2): 4 passed, 1 skipped, 1 failed"; summary != want {
		t.Errorf("summary = %q, want %q", summary, want)
	}
	want := []string{"TestBisyncRemoteLocal ran 3 cases, testdata has 2", "TestBisyncRemoteRemote ran 1 cases, testdata has 2"}
	if !reflect.DeepEqual(problems, want) {
		t.Errorf("problems = %q, want %q", problems, want)
	}
}

// A suite's remote reaches the emulator on every endpoint: with the feed
// left at put.io's, ChangeNotify in the vfs suite would watch nothing.
func TestConfigFilePointsEveryEndpointAtTheEmulator(t *testing.T) {
	srv := putiotest.NewServer(t)
	data, err := os.ReadFile(configFile(t, srv))
	if err != nil {
		t.Fatal(err)
	}
	conf := string(data)
	for _, want := range []string{"api_url = " + srv.URL + "\n", "upload_url = " + srv.UploadURL() + "\n", "feed_url = " + srv.FeedURL() + "\n"} {
		if !strings.Contains(conf, want) {
			t.Errorf("config lacks %q:\n%s", want, conf)
		}
	}
	if strings.Contains(conf, "put.io") {
		t.Errorf("config still names put.io:\n%s", conf)
	}
}
