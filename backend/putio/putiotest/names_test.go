package putiotest_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
)

var badNames = []struct {
	name, errorType string
}{
	{"", "EMPTY_NAME"},
	{"a/b", "SLASH_IN_NAME"},
	{strings.Repeat("x", 256), "NAME_TOO_LONG"},
	{strings.Repeat("é", 128), "NAME_TOO_LONG"}, // 256 bytes in 128 characters
	{"a\x00b", "INVALID_NAME"},
	{".", "INVALID_NAME"},
	{"..", "INVALID_NAME"},
}

// Every route that names an item applies the same rules.
func TestBadNamesRejectedEverywhere(t *testing.T) {
	_, api := newAPI(t)
	dir := api.mkdir(0, "dir")
	file := api.upload(0, "f.txt", []byte("x"), nil)
	routes := map[string]func(name string) reply{
		"create-folder": func(name string) reply {
			return api.post("/v2/files/create-folder", url.Values{"name": {name}, "parent_id": {"0"}})
		},
		"rename": func(name string) reply {
			return api.post("/v2/files/rename", url.Values{"file_id": {itoa(file)}, "name": {name}})
		},
		"copy": func(name string) reply {
			return api.post("/v2/files/copy", url.Values{"file_id": {itoa(file)}, "parent_id": {itoa(dir)}, "name": {name}})
		},
		"move": func(name string) reply {
			return api.post("/v2/files/move", url.Values{"file_id": {itoa(file)}, "parent_id": {itoa(dir)}, "name": {name}})
		},
		"tus": func(name string) reply {
			h := map[string][]string{"Upload-Length": {"1"}, "Upload-Metadata": {tusMeta(map[string]string{"name": name})}}
			return api.read(api.send("POST", api.srv.UploadURL(), nil, h))
		},
	}
	for route, do := range routes {
		for _, tc := range badNames {
			t.Run(route+"/"+tc.errorType, func(t *testing.T) {
				mustError(t, do(tc.name), 400, tc.errorType)
			})
		}
	}
	// Nothing changed.
	list, _ := api.srv.Account(api.token).Walk("")
	if strings.Join(list, ",") != "dir,f.txt" {
		t.Fatalf("tree changed: %q", list)
	}
}

func TestNameRulesAccepted(t *testing.T) {
	srv, api := newAPI(t)
	for _, tc := range []struct{ give, stored string }{
		{strings.Repeat("x", 255), strings.Repeat("x", 255)},
		{`back\slash`, "back-slash"},
		{"tab\tand\x01ctl", "tab\tand\x01ctl"},
		{"percent%46.txt", "percentF.txt"},
		{"100% Pure.txt", "100% Pure.txt"},
		{" lead and trail ", " lead and trail "},
	} {
		r := api.post("/v2/files/create-folder", url.Values{"name": {tc.give}, "parent_id": {"0"}})
		mustStatus(t, r, 200)
		if r.file()["name"] != tc.stored {
			t.Errorf("%q stored as %q, want %q", tc.give, r.file()["name"], tc.stored)
		}
		if _, err := srv.Account(api.token).Stat(tc.stored); err != nil {
			t.Errorf("%q: %v", tc.stored, err)
		}
	}
}

func TestDuplicateNames(t *testing.T) {
	_, api := newAPI(t)
	dir := api.mkdir(0, "dir")
	api.mkdir(dir, "taken")
	other := api.upload(0, "other", []byte("x"), nil)
	moved := api.upload(0, "taken", []byte("y"), nil)
	for name, r := range map[string]reply{
		"create-folder": api.post("/v2/files/create-folder", url.Values{"name": {"taken"}, "parent_id": {itoa(dir)}}),
		"rename":        api.post("/v2/files/rename", url.Values{"file_id": {itoa(other)}, "name": {"taken"}}),
		"copy":          api.post("/v2/files/copy", url.Values{"file_id": {itoa(other)}, "parent_id": {itoa(dir)}, "name": {"taken"}}),
		"move":          api.post("/v2/files/move", url.Values{"file_id": {itoa(other)}, "parent_id": {itoa(dir)}, "name": {"taken"}}),
	} {
		t.Run(name, func(t *testing.T) { mustError(t, r, 400, "NAME_ALREADY_EXIST") })
	}
	t.Run("bulk move reports in errors[]", func(t *testing.T) {
		r := api.post("/v2/files/move", url.Values{"file_ids": {itoa(moved) + "," + itoa(other)}, "parent_id": {itoa(dir)}})
		mustStatus(t, r, 200)
		errs := r.body["errors"].([]any)
		if len(errs) != 1 {
			t.Fatalf("errors %s", r.raw)
		}
		e := errs[0].(map[string]any)
		if num(e, "id") != moved || e["error_type"] != "NAME_ALREADY_EXIST" || num(e, "status_code") != 400 {
			t.Fatalf("error item %v", e)
		}
		if f := api.get("/v2/files/"+itoa(other), nil).file(); num(f, "parent_id") != dir {
			t.Fatalf("the other file was not moved: %v", f)
		}
	})
	t.Run("bulk move of a missing id has a null name", func(t *testing.T) {
		r := api.post("/v2/files/move", url.Values{"file_ids": {"999999"}, "parent_id": {"0"}})
		mustStatus(t, r, 200)
		e := r.body["errors"].([]any)[0].(map[string]any)
		if name, ok := e["name"]; !ok || name != nil || e["error_type"] != "NotFound" || num(e, "status_code") != 404 {
			t.Fatalf("error item %v", e)
		}
	})
	t.Run("tus allows duplicates", func(t *testing.T) {
		a := api.upload(dir, "dup", []byte("1"), nil)
		b := api.upload(dir, "dup", []byte("2"), nil)
		if a == b {
			t.Fatal("same id")
		}
		r := api.get("/v2/files/"+itoa(dir)+"/child", url.Values{"name": {"dup"}})
		if num(r.file(), "id") != b {
			t.Fatalf("child lookup gave %v, want newest %d", r.file()["id"], b)
		}
	})
	t.Run("rename to own name is fine", func(t *testing.T) {
		mustStatus(t, api.post("/v2/files/rename", url.Values{"file_id": {itoa(other)}, "name": {"other"}}), 200)
	})
}

// child?name= compares after NFC and prefers the newest item, folders too.
func TestChildLookup(t *testing.T) {
	srv, api := newAPI(t)
	acct := srv.Account(api.token)
	nfd := "cafe\u0301.txt"
	nfc := "caf\u00e9.txt"
	old, _ := acct.Put(nfd, []byte("old"), t0)
	newer, _ := acct.Put(nfc, []byte("new"), t0)
	for _, name := range []string{nfd, nfc} {
		r := api.get("/v2/files/0/child", url.Values{"name": {name}})
		mustStatus(t, r, 200)
		if num(r.file(), "id") != newer.ID {
			t.Errorf("lookup %q gave %v, want newest %d (old %d)", name, r.file()["id"], newer.ID, old.ID)
		}
	}
	folder := api.mkdir(0, "sub")
	r := api.get("/v2/files/0/child", url.Values{"name": {"sub"}})
	if num(r.file(), "id") != folder || r.file()["content_type"] != "application/x-directory" || r.file()["file_type"] != "FOLDER" {
		t.Fatalf("folder child: %s", r.raw)
	}
	mustError(t, api.get("/v2/files/0/child", url.Values{"name": {"missing"}}), 404, "NotFound")
	mustError(t, api.get("/v2/files/0/child", url.Values{"name": {"CAFÉ.TXT"}}), 404, "NotFound")
	mustError(t, api.get("/v2/files/0/child", nil), 400, "EMPTY_NAME")
}

// Names are stored as given unless NormalizeNamesNFC, which stores them
// in NFC whatever made them: a folder, a tus upload, a rename, a move.
func TestNormalizeNamesNFC(t *testing.T) {
	nfd, nfc := "cafe\u0301", "caf\u00e9"
	for _, normalize := range []bool{false, true} {
		t.Run(fmt.Sprint(normalize), func(t *testing.T) {
			srv, api := newAPI(t, putiotest.Options{NormalizeNamesNFC: normalize})
			want := map[bool]string{false: nfd, true: nfc}[normalize]
			folder := api.mkdir(0, nfd+" dir")
			file := api.upload(0, nfd+".bin", []byte("x"), nil)
			renamed := api.upload(0, "plain.bin", []byte("y"), nil)
			mustStatus(t, api.post("/v2/files/rename", url.Values{"file_id": {itoa(renamed)}, "name": {nfd + " renamed"}}), 200)
			moved := api.upload(0, "plain2.bin", []byte("z"), nil)
			mustStatus(t, api.post("/v2/files/move", url.Values{"file_id": {itoa(moved)}, "parent_id": {itoa(folder)}, "name": {nfd + " moved"}}), 200)
			for id, name := range map[int64]string{folder: want + " dir", file: want + ".bin", renamed: want + " renamed", moved: want + " moved"} {
				if got := api.get("/v2/files/"+itoa(id), nil).file()["name"]; got != name {
					t.Errorf("item %d is named %q, want %q", id, got, name)
				}
			}
			if _, err := srv.Account(api.token).Stat(nfc + ".bin"); err != nil {
				t.Errorf("lookup by the other spelling: %v", err)
			}
		})
	}
}

// Names given in requests are percent-decoded where "%" is followed by two
// hex digits, on every route that takes a name; other "%" stay. With
// KeepPercentEscapes names are stored as given.
func TestPercentEscapesInNames(t *testing.T) {
	cases := []struct{ give, decoded string }{
		{"test%46.txt", "testF.txt"},
		{"100% Pure.txt", "100% Pure.txt"},
		{"50% off", "50% off"},
		{"%zz%4", "%zz%4"},
		{"a%2fb%2Fc", "a/b/c"}, // decoded after transport, so "/" is refused below
		{"bad%ff.txt", "bad\ufffd.txt"},
		{"%e2%82%ac", "\u20ac"},
		{"%2546", "%46"},
	}
	for _, keep := range []bool{false, true} {
		_, api := newAPI(t, putiotest.Options{KeepPercentEscapes: keep})
		dir := api.mkdir(0, "dir")
		src := api.upload(0, "src", []byte("x"), nil)
		for i, tc := range cases {
			want := tc.decoded
			if keep {
				want = tc.give
			}
			name := func(route string) string { return route + itoa(int64(i)) + tc.give }
			stored := func(route string) string { return route + itoa(int64(i)) + want }
			routes := map[string]func() reply{
				"mkdir": func() reply {
					return api.post("/v2/files/create-folder", url.Values{"name": {name("mkdir")}, "parent_id": {itoa(dir)}})
				},
				"copy": func() reply {
					return api.post("/v2/files/copy", url.Values{"file_id": {itoa(src)}, "parent_id": {itoa(dir)}, "name": {name("copy")}})
				},
				"tus": func() reply {
					h := map[string][]string{"Upload-Length": {"0"}, "Upload-Metadata": {tusMeta(map[string]string{"name": name("tus"), "parent_id": itoa(dir)})}}
					return api.read(api.send("POST", api.srv.UploadURL(), nil, h))
				},
			}
			for route, do := range routes {
				r := do()
				if strings.Contains(want, "/") {
					mustError(t, r, 400, "SLASH_IN_NAME")
					continue
				}
				if r.status >= 300 {
					t.Fatalf("keep=%v %s %q: %d %s", keep, route, tc.give, r.status, r.raw)
				}
				if route == "tus" {
					mustStatus(t, api.tusPatch(r.header.Get("Location"), 0, nil), 204)
				}
				// The name is found by the same spelling it was given in.
				got := api.get("/v2/files/"+itoa(dir)+"/child", url.Values{"name": {name(route)}})
				mustStatus(t, got, 200)
				if got.file()["name"] != stored(route) {
					t.Errorf("keep=%v %s %q stored as %q, want %q", keep, route, tc.give, got.file()["name"], stored(route))
				}
			}
		}
	}
}
