package allgen

import (
	"context"
	"os"
	"strings"
	"testing"
)

// TestGeneratedFileIsCurrent fails when backend/all/all.go no longer
// matches the backend list of the rclone version in go.mod.
func TestGeneratedFileIsCurrent(t *testing.T) {
	path, err := UpstreamFile(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	upstream, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want, err := Render(upstream)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../../all.go")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Fatalf("backend/all/all.go is stale for %s: run `go generate ./backend/all`", path)
	}
}

func TestRenderSwapsPutioForOurs(t *testing.T) {
	upstream := []byte(`package all

import (
	// Active file systems
	_ "github.com/rclone/rclone/backend/b"
	_ "github.com/rclone/rclone/backend/putio"
	_ "github.com/rclone/rclone/backend/a"
)
`)
	src, err := Render(upstream)
	if err != nil {
		t.Fatal(err)
	}
	got := string(src)
	if strings.Contains(got, `"github.com/rclone/rclone/backend/putio"`) {
		t.Errorf("upstream putio still imported:\n%s", got)
	}
	b := strings.Index(got, `"github.com/rclone/rclone/backend/b"`)
	a := strings.Index(got, `"github.com/rclone/rclone/backend/a"`)
	ours := strings.Index(got, `"`+ourPutio+`"`)
	if b < 0 || a < 0 || ours < 0 || !(a < b && b < ours) {
		t.Errorf("want a, b (gofmt sorts them), then our putio last:\n%s", got)
	}
	if !strings.HasPrefix(got, generatedBanner+"\n") {
		t.Errorf("missing generated-code banner:\n%s", got)
	}
}

func TestRenderRefusesListWithoutPutio(t *testing.T) {
	_, err := Render([]byte("package all\n\nimport _ \"github.com/rclone/rclone/backend/local\"\n"))
	if err == nil || !strings.Contains(err.Error(), "no longer imports") {
		t.Fatalf("want an error naming the missing putio import, got %v", err)
	}
}

func TestRenderReportsUnparsableSource(t *testing.T) {
	_, err := Render([]byte("not go"))
	if err == nil || !strings.Contains(err.Error(), "parsing rclone's backend/all") {
		t.Fatalf("want a parse error, got %v", err)
	}
}
