package api

import (
	"encoding/json"
	"testing"
)

// An extraction's files are read as put.io's SDK gives them (ids) and as
// an older record shows them (File objects); anything else is an error.
func TestExtractedFilesAreIDsOrObjects(t *testing.T) {
	var x Extraction
	if err := json.Unmarshal([]byte(`{"files":[4,"5",{"id":6,"name":"a.mkv","parent_id":2}]}`), &x); err != nil {
		t.Fatal(err)
	}
	if len(x.Files) != 3 {
		t.Fatalf("got %d files, want 3", len(x.Files))
	}
	for i, want := range []struct {
		id   ID
		name string
	}{{4, ""}, {5, ""}, {6, "a.mkv"}} {
		if got := x.Files[i]; got.ID != want.id || got.Name != want.name {
			t.Errorf("file %d: got id %d name %q, want %d %q", i, got.ID, got.Name, want.id, want.name)
		}
	}
	if x.Files[2].ParentID != 2 {
		t.Errorf("parent of the object form: got %d, want 2", x.Files[2].ParentID)
	}
	for _, bad := range []string{`{"files":[true]}`, `{"files":["x"]}`} {
		if err := json.Unmarshal([]byte(bad), &x); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}
