package putio

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// In a folder this Fs created, a new name needs no lookup before its
// upload; a name it put there, or one a server-side move brought, does.
func TestPutIntoCreatedFolderSkipsLookup(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, noSessions)
	f.uploadCaps(ctx)
	srv.ResetCounters()
	put(ctx, t, f, "new/a.txt", []byte("a"))
	assert.Equal(t, map[string]int{childRoute: 1, "POST /v2/files/create-folder": 1, "POST /files/": 1, patchRoute: 1}, srv.AllCalls(),
		"the first file of a new folder: one lookup of the folder, no lookup of the file")
	srv.ResetCounters()

	put(ctx, t, f, "new/b.txt", []byte("b"))
	put(ctx, t, f, "new/c.txt", []byte("c"))
	assert.Zero(t, srv.Calls(childRoute), "no lookups in a folder we made")

	put(ctx, t, f, "new/a.txt", []byte("a2"))
	assert.Equal(t, 1, srv.Calls(childRoute), "a name we put is looked up")
	assert.ElementsMatch(t, []string{"a.txt", "b.txt", "c.txt"}, names(t, acct, "new"), "updated, not duplicated")

	elsewhere := put(ctx, t, f, "old.txt", []byte("o"))
	_, err := f.Move(ctx, elsewhere, "new/moved.txt")
	require.NoError(t, err)
	srv.ResetCounters()
	put(ctx, t, f, "new/moved.txt", []byte("m2"))
	assert.Equal(t, 1, srv.Calls(childRoute), "after a move in, names are looked up again")
	assert.ElementsMatch(t, []string{"a.txt", "b.txt", "c.txt", "moved.txt"}, names(t, acct, "new"))
}

// A folder that was there before this Fs is never taken as fresh.
func TestPutIntoExistingFolderLooksUp(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, noSessions)
	_, err := acct.Put("old/x.txt", []byte("x"), testModTime)
	require.NoError(t, err)
	require.NoError(t, f.Mkdir(ctx, "old"))
	srv.ResetCounters()
	put(ctx, t, f, "old/x.txt", []byte("y"))
	assert.Equal(t, 1, srv.Calls(childRoute))
	assert.Equal(t, []string{"x.txt"}, names(t, acct, "old"))
}
