package putio

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
	"github.com/rclone/rclone/fs"
	"github.com/rclone/rclone/fs/accounting"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The fault matrix: every operation under every fault, each cell on a
// fresh emulator holding the same small tree. A cell either succeeds, and
// then the tree must be exactly what the operation should make of it, or
// fails with an error saying what happened and what to do, and then the
// tree must be as it was. In both cases nothing may be left behind: no
// temporary names, no unfinished uploads, no trash entries the operation
// should not make. docs/reliability.md shows the expected outcomes
// (faultmatrix_doc_internal_test.go keeps it in step).

var (
	originalData = pattern(3000, 1)
	newData      = pattern(5000, 7)
)

// seedTree is every cell's starting state.
var seedTree = []string{"dir", "dir/file.txt", "dir/sub", "dir/sub/inner.txt", "empty", "other"}

// cell is one operation run on one emulator. Setup fails t; the checks
// of the outcome go to k, so that a cell known to fail can run too.
type cell struct {
	t    *testing.T
	k    *checker
	ctx  context.Context
	f    *Fs
	srv  *putiotest.Server
	acct *putiotest.Account
	obj  fs.Object // dir/file.txt, looked up before the fault is armed
	got  any       // what the operation returned, for its check
}

// matrixOp is a row of the matrix.
type matrixOp struct {
	name string
	// route is the call the faults hit; listRoute, if set, the listing
	// call of folder listDir the listing faults hit; deletes says the
	// operation sends files/delete, where TRASH_LOCK_TIMEOUT applies.
	route, listRoute, listDir string
	deletes                   bool
	// existing says the operation's call names an existing item, so a
	// 410 FILE_LOST can apply to it.
	existing bool
	run      func(c *cell) error
	// after is the tree after success; trash the names it moves there.
	after []string
	trash []string
	check func(c *cell) // more checks after success
	// refused, if set, is the outcome without a fault (faultOutcomes
	// may override it under a fault).
	refused outcome
}

const (
	routeList   = "GET /v2/files/list"
	routeDelete = "POST /v2/files/delete"
	routePatch  = "PATCH /files/{upload}"
)

// without returns tree minus the named paths and everything below them.
func without(tree []string, gone ...string) []string {
	var out []string
	for _, p := range tree {
		keep := true
		for _, g := range gone {
			if p == g || strings.HasPrefix(p, g+"/") {
				keep = false
			}
		}
		if keep {
			out = append(out, p)
		}
	}
	return out
}

func with(tree []string, added ...string) []string {
	out := append(slices.Clone(tree), added...)
	slices.Sort(out)
	return out
}

var matrixOps = []matrixOp{
	{name: "put", route: routePatch,
		run: func(c *cell) error {
			_, err := c.f.Put(c.ctx, bytesReader(newData), srcInfo("dir/new.txt", int64(len(newData))))
			return err
		},
		after: with(seedTree, "dir/new.txt"),
		check: func(c *cell) { c.hasBytes("dir/new.txt", newData) }},
	{name: "update", route: routePatch, deletes: true,
		run: func(c *cell) error {
			return c.obj.Update(c.ctx, bytesReader(newData), srcInfo("dir/file.txt", int64(len(newData))))
		},
		after: seedTree, trash: []string{"file.txt"},
		check: func(c *cell) { c.hasBytes("dir/file.txt", newData) }},
	{name: "server-side copy", route: "POST /v2/files/copy", existing: true,
		run: func(c *cell) error {
			_, err := c.f.Copy(c.ctx, c.obj, "other/copy.txt")
			return err
		},
		after: with(seedTree, "other/copy.txt"),
		check: func(c *cell) {
			c.hasBytes("other/copy.txt", originalData)
			c.hasBytes("dir/file.txt", originalData)
			c.hasModTime("other/copy.txt")
		}},
	{name: "server-side move", route: "POST /v2/files/move", existing: true,
		run: func(c *cell) error {
			_, err := c.f.Move(c.ctx, c.obj, "other/moved.txt")
			return err
		},
		after: with(without(seedTree, "dir/file.txt"), "other/moved.txt"),
		check: func(c *cell) {
			c.hasBytes("other/moved.txt", originalData)
			c.hasModTime("other/moved.txt")
		}},
	{name: "dirmove", route: "POST /v2/files/move", existing: true,
		run:   func(c *cell) error { return c.f.DirMove(c.ctx, c.f, "dir", "other/dir") },
		after: with(without(seedTree, "dir"), "other/dir", "other/dir/file.txt", "other/dir/sub", "other/dir/sub/inner.txt"),
		check: func(c *cell) { c.hasBytes("other/dir/file.txt", originalData) }},
	{name: "delete", route: routeDelete, deletes: true, existing: true,
		run:   func(c *cell) error { return c.obj.Remove(c.ctx) },
		after: without(seedTree, "dir/file.txt"), trash: []string{"file.txt"}},
	{name: "purge", route: routeDelete, deletes: true, existing: true,
		run:   func(c *cell) error { return c.f.Purge(c.ctx, "dir") },
		after: without(seedTree, "dir"), trash: []string{"dir"}},
	{name: "rmdir", route: routeDelete, listRoute: routeList, listDir: "empty", deletes: true, existing: true,
		run:   func(c *cell) error { return c.f.Rmdir(c.ctx, "empty") },
		after: without(seedTree, "empty"), trash: []string{"empty"}},
	{name: "rmdir, not empty", route: routeList, listRoute: routeList, listDir: "dir/sub", existing: true,
		// Refused: the folder has a file in it, whatever the listing says.
		run:     func(c *cell) error { return c.f.Rmdir(c.ctx, "dir/sub") },
		refused: notEmpty},
	{name: "mkdir", route: "POST /v2/files/create-folder",
		run:   func(c *cell) error { return c.f.Mkdir(c.ctx, "dir/new") },
		after: with(seedTree, "dir/new")},
	{name: "list", route: routeList, listRoute: routeList, listDir: "dir", existing: true,
		run: func(c *cell) error {
			entries, err := c.f.List(c.ctx, "dir")
			c.got = entries
			return err
		},
		after: seedTree,
		check: func(c *cell) {
			var got []string
			for _, e := range c.got.(fs.DirEntries) {
				got = append(got, e.Remote())
			}
			assert.ElementsMatch(c.k, []string{"dir/file.txt", "dir/sub"}, got)
		}},
	{name: "open and read", route: "GET /download/{id}", existing: true,
		run: func(c *cell) error {
			rc, err := c.obj.Open(c.ctx)
			if err != nil {
				return err
			}
			data, err := io.ReadAll(rc)
			c.got = data
			return errorsJoin(err, rc.Close())
		},
		after: seedTree,
		check: func(c *cell) { sameBytes(c.k, originalData, c.got.([]byte), "bytes read") }},
	{name: "about", route: "GET /v2/account/info",
		run: func(c *cell) error {
			usage, err := c.f.About(c.ctx)
			c.got = usage
			return err
		},
		after: seedTree,
		check: func(c *cell) {
			usage := c.got.(*fs.Usage)
			require.NotNil(c.k, usage.Used)
			assert.Equal(c.k, int64(len(originalData)+len("inner")), *usage.Used)
		}},
	{name: "link", route: "POST /v2/public_share/{id}", existing: true,
		run: func(c *cell) error {
			link, err := c.f.PublicLink(c.ctx, "dir/file.txt", 0, false)
			c.got = link
			return err
		},
		after: seedTree,
		check: func(c *cell) {
			assert.True(c.k, strings.HasPrefix(c.got.(string), "https://"), "link %q", c.got)
			assert.Len(c.k, c.shares(), 1, "public shares made")
		}},
}

func errorsJoin(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// newCell seeds a fresh emulator and looks dir/file.txt up.
func newCell(t *testing.T) *cell {
	f, srv, acct := newTestFs(t, nil)
	for _, p := range seedTree {
		var err error
		switch {
		case strings.HasSuffix(p, ".txt") && p == "dir/file.txt":
			_, err = acct.Put(p, originalData, testModTime)
		case strings.HasSuffix(p, ".txt"):
			_, err = acct.Put(p, []byte("inner"), testModTime)
		default:
			_, err = acct.Mkdir(p)
		}
		require.NoError(t, err)
	}
	ctx := accounting.WithStatsGroup(context.Background(), t.Name())
	obj, err := f.NewObject(ctx, "dir/file.txt")
	require.NoError(t, err)
	return &cell{t: t, k: &checker{}, ctx: ctx, f: f, srv: srv, acct: acct, obj: obj}
}

// tree is every live path on the emulator, sorted.
func (c *cell) tree() []string {
	paths, err := c.acct.Walk("")
	require.NoError(c.k, err)
	slices.Sort(paths)
	return paths
}

func (c *cell) trashNames() []string {
	var out []string
	for _, item := range c.acct.Trash() {
		out = append(out, item.Name)
	}
	return out
}

func (c *cell) hasBytes(p string, want []byte) {
	got, err := c.acct.ReadFile(p)
	require.NoError(c.k, err, p)
	sameBytes(c.k, want, got, "bytes of "+p)
}

// sameBytes compares contents without printing them.
func sameBytes(t assert.TestingT, want, got []byte, what string) {
	assert.True(t, bytes.Equal(want, got), "%s: got %d bytes (crc %08x), want %d (crc %08x)",
		what, len(got), crc32.ChecksumIEEE(got), len(want), crc32.ChecksumIEEE(want))
}

func (c *cell) hasModTime(p string) {
	item, err := c.acct.Stat(p)
	require.NoError(c.k, err, p)
	assert.True(c.k, item.UpdatedAt.Equal(testModTime), "%s modified at %v, want %v", p, item.UpdatedAt, testModTime)
}

// apiJSON makes a raw API call on the emulator with the cell's token.
func (c *cell) apiJSON(path string) map[string]any {
	req, err := http.NewRequest(http.MethodGet, c.srv.URL+path, nil)
	require.NoError(c.k, err)
	req.Header.Set("Authorization", "Bearer "+c.srv.Token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(c.k, err)
	defer func() { _ = resp.Body.Close() }()
	var out map[string]any
	require.NoError(c.k, json.NewDecoder(resp.Body).Decode(&out))
	require.Equal(c.k, http.StatusOK, resp.StatusCode, "%s: %v", path, out)
	return out
}

func (c *cell) shares() []any {
	shares, _ := c.apiJSON("/v2/public_share/list")["public_shares"].([]any)
	return shares
}

// listingOf is the emulator's real first page of a folder, as JSON.
func (c *cell) listingOf(dir string) (page map[string]any, parentID int64) {
	item, err := c.acct.Stat(dir)
	require.NoError(c.k, err)
	return c.apiJSON(fmt.Sprintf("/v2/files/list?parent_id=%d&per_page=1000", item.ID)), item.ID
}

// startCursor is a cursor for the start of a folder's listing. It follows
// putiotest's cursor format (base64url JSON of kind, user, parent, last id
// handed out, page size); if that changes, the emulator refuses it and the
// listing cells fail loudly.
func (c *cell) startCursor(parentID int64) string {
	data, _ := json.Marshal(map[string]any{"k": "files", "u": c.acct.UserID(), "p": parentID, "a": 0, "n": 1000})
	return base64.RawURLEncoding.EncodeToString(data)
}

// pageBody turns a listing page into a fault body after edit.
func pageBody(t *testing.T, page map[string]any, edit func(map[string]any)) string {
	edit(page)
	data, err := json.Marshal(page)
	require.NoError(t, err)
	return string(data)
}
