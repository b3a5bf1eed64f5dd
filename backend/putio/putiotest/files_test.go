package putiotest_test

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
)

// Every route taking an id or parent id answers 404 for a missing one.
func TestMissingIDs(t *testing.T) {
	srv, api := newAPI(t)
	file := api.upload(0, "f.txt", []byte("x"), nil)
	// An item of another account is as missing as one that never existed.
	foreign, _ := srv.Account("someone-else").Put("theirs.txt", []byte("x"), t0)
	for _, missing := range []int64{999999, foreign.ID} {
		m := itoa(missing)
		for name, r := range map[string]reply{
			"get":           api.get("/v2/files/"+m, nil),
			"child":         api.get("/v2/files/"+m+"/child", url.Values{"name": {"x"}}),
			"list":          api.get("/v2/files/list", url.Values{"parent_id": {m}}),
			"url":           api.get("/v2/files/"+m+"/url", nil),
			"download":      api.get("/v2/files/"+m+"/download", nil),
			"create-folder": api.post("/v2/files/create-folder", url.Values{"name": {"x"}, "parent_id": {m}}),
			"rename":        api.post("/v2/files/rename", url.Values{"file_id": {m}, "name": {"x"}}),
			"move":          api.post("/v2/files/move", url.Values{"file_id": {m}, "parent_id": {"0"}}),
			"move to":       api.post("/v2/files/move", url.Values{"file_id": {itoa(file)}, "parent_id": {m}}),
			"copy":          api.post("/v2/files/copy", url.Values{"file_id": {m}, "parent_id": {"0"}}),
			"copy to":       api.post("/v2/files/copy", url.Values{"file_id": {itoa(file)}, "parent_id": {m}}),
			"delete":        api.post("/v2/files/delete", url.Values{"file_ids": {itoa(file) + "," + m}}),
			"touch":         api.post("/v2/files/touch", url.Values{"file_id": {m}, "updated_at": {"2024-01-01T00:00:00Z"}}),
			"share":         api.post("/v2/public_share/"+m, nil),
			"tus parent": api.read(api.send("POST", srv.UploadURL(), nil, http.Header{
				"Upload-Length": {"1"}, "Upload-Metadata": {tusMeta(map[string]string{"name": "n", "parent_id": m})}})),
		} {
			t.Run(name+"/"+m, func(t *testing.T) { mustError(t, r, 404, "NotFound") })
		}
	}
	// The failed bulk delete deleted nothing.
	if _, err := srv.Account(api.token).Stat("f.txt"); err != nil {
		t.Fatal(err)
	}
	mustError(t, api.get("/v2/files/abc", nil), 404, "NotFound")
	r := api.post("/v2/files/delete", url.Values{"file_ids": {itoa(file) + ",999999"}, "skip_nonexistents": {"1"}})
	mustStatus(t, r, 200)
	if num(r.body, "skipped") != 1 {
		t.Fatalf("skipped: %s", r.raw)
	}
}

func TestGetFileShape(t *testing.T) {
	_, api := newAPI(t)
	id := api.upload(0, "Movie.MKV", []byte("abc"), map[string]string{"updated-at": "2024-05-01T14:00:00+02:00"})
	f := api.get("/v2/files/"+itoa(id), nil).file()
	want := map[string]any{
		"id": float64(id), "parent_id": float64(0), "name": "Movie.MKV", "size": float64(3),
		"content_type": "video/x-matroska", "file_type": "VIDEO", "extension": "MKV",
		"crc32": "352441c2", "updated_at": "2024-05-01T12:00:00", "is_shared": false,
	}
	for k, v := range want {
		if f[k] != v {
			t.Errorf("%s = %v, want %v", k, f[k], v)
		}
	}
	root := api.get("/v2/files/0", nil).file()
	if root["id"] != float64(0) || root["parent_id"] != nil || root["file_type"] != "FOLDER" || root["updated_at"] == nil || root["size"] != float64(3) {
		t.Fatalf("root %v", root)
	}
	empty := api.upload(0, "empty", nil, nil)
	if f := api.get("/v2/files/"+itoa(empty), nil).file(); f["crc32"] != "00000000" || f["extension"] != nil || f["file_type"] != "FILE" {
		t.Fatalf("empty file %v", f)
	}
}

func TestRenameMoveCopy(t *testing.T) {
	clock := newClock()
	srv, api := newAPI(t, putiotest.Options{Now: clock.Now})
	acct := srv.Account(api.token)
	a := api.mkdir(0, "a")
	b := api.mkdir(0, "b")
	id := api.upload(a, "f.txt", []byte("data"), map[string]string{"updated-at": "2020-01-01T00:00:00Z"})

	clock.Advance(time.Hour)
	mustStatus(t, api.post("/v2/files/rename", url.Values{"file_id": {itoa(id)}, "name": {"g.txt"}}), 200)
	st, _ := acct.Stat("a/g.txt")
	if st.ID != id || !st.UpdatedAt.Equal(clock.Now()) {
		t.Fatalf("after rename %+v", st)
	}

	clock.Advance(time.Hour)
	r := api.post("/v2/files/move", url.Values{"file_id": {itoa(id)}, "parent_id": {itoa(b)}, "name": {"h.txt"}})
	mustStatus(t, r, 200)
	if r.body["status"] != "OK" {
		t.Fatalf("move reply %s", r.raw)
	}
	st, _ = acct.Stat("b/h.txt")
	if st.ID != id || !st.UpdatedAt.Equal(clock.Now()) {
		t.Fatalf("after move %+v", st)
	}

	clock.Advance(time.Hour)
	r = api.post("/v2/files/copy", url.Values{"file_id": {itoa(id)}, "parent_id": {itoa(a)}, "name": {"c.txt"}})
	mustStatus(t, r, 200)
	cp := r.file()
	if num(cp, "id") == id || cp["name"] != "c.txt" || cp["crc32"] != api.get("/v2/files/"+itoa(id), nil).file()["crc32"] ||
		cp["updated_at"] != clock.Now().Format("2006-01-02T15:04:05") {
		t.Fatalf("copy %v", cp)
	}
	if data, _ := acct.ReadFile("a/c.txt"); string(data) != "data" {
		t.Fatalf("copy body %q", data)
	}
	// The copy is independent: deleting the original for good keeps it.
	mustStatus(t, api.post("/v2/files/delete", url.Values{"file_ids": {itoa(id)}, "skip_trash": {"1"}}), 200)
	if data, _ := acct.ReadFile("a/c.txt"); string(data) != "data" {
		t.Fatalf("copy body after delete %q", data)
	}

	// Folders copy and move with their content; not into themselves.
	mustPut(t, acct, "a/deep/x.txt", []byte("xx"))
	r = api.post("/v2/files/copy", url.Values{"file_id": {itoa(a)}, "parent_id": {itoa(b)}})
	mustStatus(t, r, 200)
	if paths, _ := acct.Walk("b/a"); len(paths) != 3 {
		t.Fatalf("copied tree %q", paths)
	}
	deep, _ := acct.Stat("a/deep")
	mustError(t, api.post("/v2/files/move", url.Values{"file_id": {itoa(a)}, "parent_id": {itoa(deep.ID)}}), 400, "BadRequest")
	mustError(t, api.post("/v2/files/copy", url.Values{"file_id": {itoa(a)}, "parent_id": {itoa(a)}, "name": {"self"}}), 400, "BadRequest")
	mustError(t, api.post("/v2/files/rename", url.Values{"file_id": {"0"}, "name": {"x"}}), 400, "BadRequest")
}

func TestSpuriousCopyConflict(t *testing.T) {
	_, api := newAPI(t, putiotest.Options{SpuriousCopyConflict: true})
	id := api.upload(0, "f", []byte("x"), nil)
	form := url.Values{"file_id": {itoa(id)}, "parent_id": {"0"}, "name": {"g"}}
	mustError(t, api.post("/v2/files/copy", form), 400, "NAME_ALREADY_EXIST")
	mustStatus(t, api.post("/v2/files/copy", form), 200)
}

// A rename or move of an item to the name it has is a no-op by default
// and a clash with RefuseSameName; a move to another folder is not.
func TestRefuseSameName(t *testing.T) {
	for _, refuse := range []bool{false, true} {
		_, api := newAPI(t, putiotest.Options{RefuseSameName: refuse})
		id := api.upload(0, "f", []byte("x"), nil)
		dir := api.mkdir(0, "dir")
		rename := api.post("/v2/files/rename", url.Values{"file_id": {itoa(id)}, "name": {"f"}})
		move := api.post("/v2/files/move", url.Values{"file_id": {itoa(id)}, "parent_id": {"0"}, "name": {"f"}})
		if refuse {
			mustError(t, rename, 400, "NAME_ALREADY_EXIST")
			mustError(t, move, 400, "NAME_ALREADY_EXIST")
		} else {
			mustStatus(t, rename, 200)
			mustStatus(t, move, 200)
		}
		mustStatus(t, api.post("/v2/files/move", url.Values{"file_id": {itoa(id)}, "parent_id": {itoa(dir)}}), 200)
	}
}

// A folder's updated_at moves when a direct child is added, removed or
// renamed, not for deeper changes or for touches.
func TestFolderUpdatedAt(t *testing.T) {
	clock := newClock()
	srv, api := newAPI(t, putiotest.Options{Now: clock.Now})
	acct := srv.Account(api.token)
	dir := api.mkdir(0, "dir")
	sub := api.mkdir(dir, "sub")
	stamp := func() time.Time { st, _ := acct.Stat("dir"); return st.UpdatedAt }
	steps := []struct {
		name    string
		do      func()
		changes bool
	}{
		{"add file", func() { api.upload(dir, "f", []byte("x"), nil) }, true},
		{"add grandchild", func() { api.upload(sub, "g", []byte("x"), nil) }, false},
		{"rename child", func() {
			st, _ := acct.Stat("dir/f")
			api.post("/v2/files/rename", url.Values{"file_id": {itoa(st.ID)}, "name": {"f2"}})
		}, true},
		{"touch child", func() {
			st, _ := acct.Stat("dir/f2")
			api.post("/v2/files/touch", url.Values{"file_id": {itoa(st.ID)}, "updated_at": {"2001-01-01T00:00:00Z"}})
		}, false},
		{"remove child", func() {
			st, _ := acct.Stat("dir/f2")
			api.post("/v2/files/delete", url.Values{"file_ids": {itoa(st.ID)}})
		}, true},
	}
	for _, s := range steps {
		clock.Advance(time.Minute)
		before := stamp()
		s.do()
		if changed := !stamp().Equal(before); changed != s.changes {
			t.Errorf("%s: folder updated_at changed=%v, want %v", s.name, changed, s.changes)
		}
	}
}

func TestTouch(t *testing.T) {
	srv, api := newAPI(t)
	acct := srv.Account(api.token)
	a := api.upload(0, "a", []byte("x"), nil)
	b := api.upload(0, "b", []byte("x"), nil)
	for _, tc := range []struct {
		value string
		want  time.Time
	}{
		{"2024-05-01T12:34:56Z", time.Date(2024, 5, 1, 12, 34, 56, 0, time.UTC)},
		{"2024-05-01T12:34:56.999999999+02:00", time.Date(2024, 5, 1, 10, 34, 56, 0, time.UTC)},
	} {
		// rclone's form: parameters in the query of a bodiless POST.
		r := api.read(api.send("POST", "/v2/files/touch?"+url.Values{"file_id": {itoa(a)}, "updated_at": {tc.value}}.Encode(), nil, nil))
		mustStatus(t, r, 200)
		if st, _ := acct.Get(a); !st.UpdatedAt.Equal(tc.want) {
			t.Errorf("%s: updated_at %v, want %v", tc.value, st.UpdatedAt, tc.want)
		}
	}
	// The SDK's form: file_ids in a form body.
	mustStatus(t, api.post("/v2/files/touch", url.Values{"file_ids": {itoa(a) + "," + itoa(b)}, "updated_at": {"2000-01-02T03:04:05Z"}}), 200)
	for _, id := range []int64{a, b} {
		if f := api.get("/v2/files/"+itoa(id), nil).file(); f["updated_at"] != "2000-01-02T03:04:05" {
			t.Errorf("file %d updated_at %v", id, f["updated_at"])
		}
	}
	// put.io's own zone-less layout is not RFC 3339: which zone the server
	// would read it in is not on record, so the emulator refuses it.
	for _, bad := range []string{"yesterday", "2024-05-01T12:34:56", "2024-05-01 12:34:56Z"} {
		mustError(t, api.post("/v2/files/touch", url.Values{"file_id": {itoa(a)}, "updated_at": {bad}}), 400, "BadRequest")
		mustError(t, api.read(api.send("POST", api.srv.UploadURL(), nil, http.Header{"Upload-Length": {"1"},
			"Upload-Metadata": {tusMeta(map[string]string{"name": "n", "updated-at": bad})}})), 400, "BadRequest")
	}
	mustError(t, api.post("/v2/files/touch", url.Values{"file_id": {itoa(a)}}), 400, "BadRequest")
}

func TestAccountInfoAndQuota(t *testing.T) {
	srv, api := newAPI(t, putiotest.Options{Quota: 100})
	id := api.upload(0, "f", make([]byte, 60), nil)
	info := api.get("/v2/account/info", nil).body["info"].(map[string]any)
	disk := info["disk"].(map[string]any)
	if num(disk, "size") != 100 || num(disk, "used") != 60 || num(disk, "avail") != 40 {
		t.Fatalf("disk %v", disk)
	}
	mustError(t, api.read(api.send("POST", srv.UploadURL(), nil, http.Header{
		"Upload-Length": {"41"}, "Upload-Metadata": {tusMeta(map[string]string{"name": "big"})}})), 413, "QUOTA_EXCEEDED")
	mustError(t, api.post("/v2/files/copy", url.Values{"file_id": {itoa(id)}, "parent_id": {"0"}, "name": {"g"}}), 413, "QUOTA_EXCEEDED")
	// Trash still counts; emptying it frees the space.
	api.post("/v2/files/delete", url.Values{"file_ids": {itoa(id)}})
	info = api.get("/v2/account/info", nil).body["info"].(map[string]any)
	if num(info["disk"].(map[string]any), "used") != 60 || num(info, "trash_size") != 60 {
		t.Fatalf("after delete %v", info)
	}
	mustStatus(t, api.post("/v2/trash/empty", nil), 200)
	if used, _ := srv.Account(api.token).Usage(); used != 0 {
		t.Fatalf("used %d after emptying the trash", used)
	}
}

func TestOptionLatency(t *testing.T) {
	_, api := newAPI(t, putiotest.Options{Latency: 100 * time.Millisecond})
	mustTakeAtLeast(t, 100*time.Millisecond, func() { mustStatus(t, api.get("/v2/files/0", nil), 200) })
}

// Parameters may come as query, form or JSON body, merged.
func TestParamSources(t *testing.T) {
	_, api := newAPI(t)
	r := api.postJSON("/v2/files/create-folder", map[string]any{"name": "viaJSON", "parent_id": 0})
	mustStatus(t, r, 200)
	r = api.read(api.send("POST", "/v2/files/create-folder?parent_id=0", stringsReader("name=viaMixed"), http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}))
	mustStatus(t, r, 200)
	a := num(r.file(), "id")
	r = api.postJSON("/v2/files/delete", map[string]any{"file_ids": []int64{a}})
	mustStatus(t, r, 200)
	mustError(t, api.get("/v2/files/"+itoa(a), nil), 404, "NotFound")
	mustError(t, api.post("/v2/files/create-folder", url.Values{"name": {"x"}, "parent_id": {"zero"}}), 400, "BadRequest")
}

// A file id where a folder is expected is a 400, not a silent success.
func TestFileIsNotAFolder(t *testing.T) {
	_, api := newAPI(t)
	file := itoa(api.upload(0, "f", []byte("x"), nil))
	for name, r := range map[string]reply{
		"create-folder": api.post("/v2/files/create-folder", url.Values{"name": {"x"}, "parent_id": {file}}),
		"child":         api.get("/v2/files/"+file+"/child", url.Values{"name": {"x"}}),
		"move":          api.post("/v2/files/move", url.Values{"file_id": {file}, "parent_id": {file}}),
		"tus": api.read(api.send("POST", api.srv.UploadURL(), nil, http.Header{
			"Upload-Length": {"1"}, "Upload-Metadata": {tusMeta(map[string]string{"name": "n", "parent_id": file})}})),
	} {
		t.Run(name, func(t *testing.T) { mustError(t, r, 400, "NOT_A_FOLDER") })
	}
}

// Bodies spill to DataDir and are gone after Close.
func TestDataDir(t *testing.T) {
	dir := t.TempDir()
	emu, err := putiotest.New(putiotest.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := emu.Account("t").Put("f", []byte("body on disk"), t0); err != nil {
		t.Fatal(err)
	}
	found := false
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if data, _ := os.ReadFile(path); d != nil && !d.IsDir() && string(data) == "body on disk" {
			found = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !found {
		t.Fatal("the body is not in DataDir")
	}
	if err := emu.Close(); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Fatalf("left in DataDir after Close: %v", left)
	}
	if _, err := putiotest.New(putiotest.Options{DataDir: "/proc/no-such-place"}); err == nil || !strings.Contains(err.Error(), "no-such-place") {
		t.Fatalf("unusable DataDir: %v", err)
	}
}

// A body directory left by a killed emulator is swept up by the next one;
// that of a live one is not.
func TestStaleDataSwept(t *testing.T) {
	parent := t.TempDir()
	live, err := putiotest.New(putiotest.Options{DataDir: parent})
	if err != nil {
		t.Fatal(err)
	}
	closeAtEnd(t, live)
	liveDirs, _ := filepath.Glob(filepath.Join(parent, "putio-emulator-run-*"))
	// What a killed emulator leaves: a run directory whose lock nobody holds.
	stale := filepath.Join(parent, "putio-emulator-run-dead")
	if err := os.MkdirAll(stale, 0o700); err != nil {
		t.Fatal(err)
	}
	unrelated := filepath.Join(parent, "putio-emulator-123")
	if err := errors.Join(
		os.WriteFile(filepath.Join(stale, ".in-use"), nil, 0o600),
		os.WriteFile(filepath.Join(stale, "blob-1"), []byte("old body"), 0o600),
		os.MkdirAll(unrelated, 0o700),
	); err != nil {
		t.Fatal(err)
	}

	next, err := putiotest.New(putiotest.Options{DataDir: parent})
	if err != nil {
		t.Fatal(err)
	}
	closeAtEnd(t, next)
	if len(liveDirs) != 1 {
		t.Fatalf("live emulator directories %v", liveDirs)
	}
	for dir, wantKept := range map[string]bool{stale: false, liveDirs[0]: true, unrelated: true} {
		if _, err := os.Stat(dir); (err == nil) != wantKept {
			t.Errorf("%s: kept=%v, want %v", filepath.Base(dir), err == nil, wantKept)
		}
	}
}

// A run directory without its lock file is one its owner is removing
// (Close removes the lock file among the rest): another emulator's sweep
// leaves it alone rather than make a lock file in it, which left the
// owner's removal failing with "directory not empty".
func TestSweepLeavesDirectoryBeingRemoved(t *testing.T) {
	parent := t.TempDir()
	closing := filepath.Join(parent, "putio-emulator-run-closing")
	if err := errors.Join(os.MkdirAll(closing, 0o700), os.WriteFile(filepath.Join(closing, "blob-1"), []byte("body"), 0o600)); err != nil {
		t.Fatal(err)
	}
	next, err := putiotest.New(putiotest.Options{DataDir: parent})
	if err != nil {
		t.Fatal(err)
	}
	closeAtEnd(t, next)
	entries, err := os.ReadDir(closing)
	if err != nil || len(entries) != 1 || entries[0].Name() != "blob-1" {
		t.Fatalf("the directory being removed holds %v (%v), want only what its owner left", entries, err)
	}
}

// account/info carries the fields the reference lists (section 6), with
// the types of the official SDK's schema.
func TestAccountInfoFields(t *testing.T) {
	_, api := newAPI(t)
	info := api.get("/v2/account/info", nil).body["info"].(map[string]any)
	settings, _ := info["settings"].(map[string]any)
	isNum := func(v any) bool { _, ok := v.(float64); return ok }
	isStr := func(v any) bool { _, ok := v.(string); return ok }
	isBool := func(v any) bool { _, ok := v.(bool); return ok }
	isNull := func(v any) bool { return v == nil }
	isObj := func(v any) bool { _, ok := v.(map[string]any); return ok }
	for _, c := range []struct {
		obj  map[string]any
		key  string
		kind func(any) bool
	}{
		{info, "user_id", isNum}, {info, "username", isStr}, {info, "mail", isStr}, {info, "avatar_url", isStr},
		{info, "account_status", isStr}, {info, "trash_size", isNum}, {info, "monthly_bandwidth_usage", isNum},
		{info, "files_will_be_deleted_at", isNull}, {info, "private_download_host_ip", isNull},
		{info, "is_sub_account", isBool}, {info, "can_create_sub_account", isBool}, {info, "warnings", isObj},
		{info, "disk", isObj}, {info, "settings", isObj},
		{settings, "trash_enabled", isBool}, {settings, "default_download_folder", isNum}, {settings, "sort_by", isStr},
		{settings, "tunnel_route_name", isNull}, {settings, "use_private_download_ip", isBool},
	} {
		if v, ok := c.obj[c.key]; !ok || !c.kind(v) {
			t.Errorf("%s = %#v (present %v)", c.key, v, ok)
		}
	}
}

// create-folder by path (an SDK option) is not emulated; the refusal says
// so instead of calling the name empty.
func TestCreateFolderByPath(t *testing.T) {
	_, api := newAPI(t)
	r := api.post("/v2/files/create-folder", url.Values{"path": {"a/b"}, "parent_id": {"0"}})
	mustError(t, r, 400, "BadRequest")
	if msg, _ := r.body["error_message"].(string); !strings.Contains(msg, "path") || !strings.Contains(msg, "name") {
		t.Errorf("message %q", msg)
	}
}

// create-folder of a taken name is refused by default; with
// CreateFolderReturnsExisting a folder of that name is the answer,
// unchanged, while a name only a file has is still refused.
func TestCreateFolderOfATakenName(t *testing.T) {
	for _, returnsExisting := range []bool{false, true} {
		t.Run(fmt.Sprintf("CreateFolderReturnsExisting=%v", returnsExisting), func(t *testing.T) {
			srv, api := newAPI(t, putiotest.Options{CreateFolderReturnsExisting: returnsExisting})
			acct := srv.Account(srv.Token)
			dir := api.mkdir(0, "d")
			if _, err := acct.Put("d/x", []byte("x"), time.Now()); err != nil {
				t.Fatal(err)
			}
			if _, err := acct.Put("f", []byte("f"), time.Now()); err != nil {
				t.Fatal(err)
			}

			again := api.post("/v2/files/create-folder", url.Values{"name": {"d"}, "parent_id": {"0"}})
			onFile := api.post("/v2/files/create-folder", url.Values{"name": {"f"}, "parent_id": {"0"}})

			mustError(t, onFile, 400, "NAME_ALREADY_EXIST")
			if !returnsExisting {
				mustError(t, again, 400, "NAME_ALREADY_EXIST")
			} else if mustStatus(t, again, 200); num(again.file(), "id") != dir {
				t.Fatalf("answered %s, want folder %d", again.raw, dir)
			}
			if items := mustList(t, acct, ""); len(items) != 2 {
				t.Fatalf("root holds %+v, want d and f only", items)
			}
		})
	}
}
