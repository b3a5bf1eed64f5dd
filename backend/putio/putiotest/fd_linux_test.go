package putiotest_test

import (
	"os"
	"testing"
)

func openFDs(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

// An unfinished upload holds no file descriptor between PATCHes: clients
// that abandon uploads without a DELETE must not exhaust the process's
// descriptors over the 24 hours the uploads are kept.
func TestTusUploadsHoldNoDescriptors(t *testing.T) {
	_, api := newAPI(t)
	api.tusCreate(1, map[string]string{"name": "warm-up"}) // the client's connection
	before := openFDs(t)
	const uploads = 100
	for range uploads {
		loc := api.tusCreate(10, map[string]string{"name": "abandoned"})
		mustStatus(t, api.tusPatch(loc, 0, []byte("half")), 204)
	}
	if grown := openFDs(t) - before; grown >= uploads/2 {
		t.Fatalf("%d unfinished uploads hold %d more descriptors", uploads, grown)
	}
}
