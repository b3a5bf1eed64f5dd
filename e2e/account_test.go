package e2e

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// Commands about the account as a whole: its usage and its trash.

// usage is what `rclone about --json` reports; nil means not reported.
type usage struct {
	Total, Used, Free, Trashed *int64
}

func (r *remote) about(t *testing.T) usage {
	t.Helper()
	var u usage
	if err := json.Unmarshal([]byte(r.rclone(t, "about", "--json", path(""))), &u); err != nil {
		t.Fatal(err)
	}
	if u.Total == nil || u.Used == nil || u.Free == nil || u.Trashed == nil {
		t.Fatalf("about lacks total, used, free or trashed: %+v", u)
	}
	return u
}

func TestAboutReportsUsage(t *testing.T) {
	t.Parallel()
	r := newRemote(t, startEmulator(t))
	uploadTree(t, r, "", map[string][]byte{"f.bin": randomBytes(5000, 5)})
	u := r.about(t)
	if *u.Used < 5000 || *u.Total != *u.Used+*u.Free {
		t.Errorf("about: total %d, used %d, free %d; want used >= 5000 and total = used + free",
			*u.Total, *u.Used, *u.Free)
	}
}

func TestCleanupEmptiesTrash(t *testing.T) {
	t.Parallel()
	r := newRemote(t, startEmulator(t))
	uploadTree(t, r, "", map[string][]byte{"doomed.txt": []byte("bye")})
	r.rclone(t, "deletefile", path("doomed.txt"))
	if got := r.trashNames(t); !slices.Equal(got, []string{"doomed.txt"}) {
		t.Fatalf("trash after delete: %q", got)
	}
	if got := *r.about(t).Trashed; got != 3 {
		t.Errorf("about reports %d bytes trashed, want 3", got)
	}
	r.rclone(t, "cleanup", path(""))
	if got := r.trashNames(t); len(got) != 0 {
		t.Errorf("trash after cleanup: %q", got)
	}
	if got := *r.about(t).Trashed; got != 0 {
		t.Errorf("about reports %d bytes trashed after cleanup, want 0", got)
	}
}

func TestBackendTrashAndRestore(t *testing.T) {
	t.Parallel()
	r := newRemote(t, startEmulator(t))
	uploadTree(t, r, "", map[string][]byte{"dir/oops.txt": []byte("deleted by mistake")})
	r.rclone(t, "deletefile", path("dir/oops.txt"))

	var trash []struct {
		ID   int64
		Name string
		Size int64
	}
	if err := json.Unmarshal([]byte(r.rclone(t, "backend", "trash", path(""))), &trash); err != nil {
		t.Fatal(err)
	}
	if len(trash) != 1 || trash[0].Name != "oops.txt" || trash[0].Size != 18 || trash[0].ID == 0 {
		t.Fatalf("backend trash listed %+v, want oops.txt with its id", trash)
	}
	r.rclone(t, "backend", "restore", path(""), fmt.Sprint(trash[0].ID))
	if got := r.rclone(t, "cat", path("dir/oops.txt")); got != "deleted by mistake" {
		t.Errorf("restored file reads %q", got)
	}
	if res := r.run(t, "backend", "restore", path(""), "not-an-id"); res.code == 0 || !strings.Contains(res.stderr, "not an item id") {
		t.Errorf("restore with a bad id: want a clear error:\n%s", res)
	}
}
