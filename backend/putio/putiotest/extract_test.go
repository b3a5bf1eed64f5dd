package putiotest_test

import (
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
)

type wireExtraction struct {
	ID       int64   `json:"id"`
	Name     string  `json:"name"`
	NumParts int     `json:"num_parts"`
	Status   string  `json:"status"`
	Message  *string `json:"message"`
	Files    []int64 `json:"files"`
}

type wireExtractions struct {
	Extractions []wireExtraction `json:"extractions"`
	Status      string           `json:"status"`
}

func (c *apiClient) extract(form url.Values) wireExtractions {
	c.t.Helper()
	var got wireExtractions
	strict(c.t, c.post("/v2/files/extract", form), 200, &got)
	return got
}

func (c *apiClient) extractionStatus(id int64) string {
	c.t.Helper()
	var list wireExtractions
	strict(c.t, c.get("/v2/files/extract", nil), 200, &list)
	for _, x := range list.Extractions {
		if x.ID == id {
			return x.Status
		}
	}
	c.t.Fatalf("extraction %d not listed", id)
	return ""
}

// An extraction follows the emulator clock until the test completes it;
// the files it makes land in the archive's folder.
func TestExtractionLifecycle(t *testing.T) {
	clock := newClock()
	srv, api := newAPI(t, putiotest.Options{Now: clock.Now})
	acct := srv.Account(srv.Token)
	dir := api.mkdir(0, "dir")
	zip := api.upload(dir, "pack.zip", []byte("PK"), nil)

	got := api.extract(url.Values{"user_file_ids": {itoa(zip)}})
	if len(got.Extractions) != 1 {
		t.Fatalf("extractions %+v", got)
	}
	x := got.Extractions[0]
	if x.Name != "pack.zip" || x.NumParts != 1 || x.Status != "NEW" || x.Message != nil || len(x.Files) != 0 {
		t.Fatalf("new extraction %+v", x)
	}
	for _, step := range []struct {
		advance time.Duration
		want    string
	}{{time.Second, "SENT_TO_QUEUE"}, {2 * time.Second, "EXTRACTING"}, {time.Hour, "EXTRACTING"}} {
		clock.Advance(step.advance)
		if s := api.extractionStatus(x.ID); s != step.want {
			t.Fatalf("after %v: %s, want %s", step.advance, s, step.want)
		}
	}
	if again := api.extract(url.Values{"user_file_ids": {itoa(zip)}}); again.Extractions[0].ID != x.ID {
		t.Fatalf("a running extraction was started twice: %+v", again)
	}
	files, err := acct.CompleteExtraction(x.ID, map[string][]byte{`b\.txt`: []byte("bee"), "a.txt": []byte("ay")})
	if err != nil || len(files) != 2 || files[0].Name != "a.txt" || files[0].ParentID != dir {
		t.Fatalf("complete: %+v, %v", files, err)
	}
	if data, _ := acct.ReadFile("dir/b-.txt"); string(data) != "bee" {
		t.Fatalf("extracted bytes %q", data)
	}
	var list wireExtractions
	strict(t, api.get("/v2/files/extract", nil), 200, &list)
	done := list.Extractions[0]
	if done.Status != "EXTRACTED" || !slices.Equal(done.Files, []int64{files[0].ID, files[1].ID}) {
		t.Fatalf("extracted %+v", done)
	}
	if _, err := acct.CompleteExtraction(x.ID, nil); err == nil {
		t.Fatal("an extracted extraction completed twice")
	}
	y := api.extract(url.Values{"user_file_ids": {itoa(zip)}}).Extractions[0]
	if _, err := acct.CompleteExtraction(y.ID, map[string][]byte{"a/b": nil}); err == nil {
		t.Fatal("extracted a name with a slash")
	}
	if y.ID == x.ID {
		t.Fatal("a finished extraction was answered instead of a new one")
	}
}

func TestExtractionPasswordAndFailure(t *testing.T) {
	srv, api := newAPI(t)
	acct := srv.Account(srv.Token)
	rar := api.upload(0, "secret.rar", []byte("Rar!"), nil)
	x := api.extract(url.Values{"user_file_ids": {itoa(rar)}}).Extractions[0]
	if err := acct.AskExtractionPassword(x.ID); err != nil {
		t.Fatal(err)
	}
	if s := api.extractionStatus(x.ID); s != "PASSWORD" {
		t.Fatalf("status %s", s)
	}
	if _, err := acct.CompleteExtraction(x.ID, nil); err == nil {
		t.Fatal("completed while waiting for a password")
	}
	got := api.extract(url.Values{"user_file_ids": {itoa(rar)}, "password": {"hunter2"}}).Extractions[0]
	if got.ID != x.ID || got.Status != "PASSWORD_OBTAINED" {
		t.Fatalf("after password %+v", got)
	}
	if xs := acct.Extractions(); len(xs) != 1 || xs[0].Password != "hunter2" || xs[0].ArchiveID != rar {
		t.Fatalf("snapshot %+v", xs)
	}
	if err := acct.FailExtraction(x.ID, "wrong password"); err != nil {
		t.Fatal(err)
	}
	var list wireExtractions
	strict(t, api.get("/v2/files/extract", nil), 200, &list)
	if e := list.Extractions[0]; e.Status != "ERROR" || e.Message == nil || *e.Message != "wrong password" {
		t.Fatalf("failed %+v", e)
	}
	if err := acct.FailExtraction(999, "x"); err == nil {
		t.Fatal("failed a missing extraction")
	}
}

func TestExtractionGoneOrFull(t *testing.T) {
	srv, api := newAPI(t, putiotest.Options{Quota: 10})
	acct := srv.Account(srv.Token)
	dir := api.mkdir(0, "dir")
	zip := api.upload(dir, "a.zip", []byte("PK"), nil)
	x := api.extract(url.Values{"user_file_ids": {itoa(zip)}}).Extractions[0]
	if _, err := acct.CompleteExtraction(x.ID, map[string][]byte{"big": make([]byte, 9)}); err == nil {
		t.Fatal("extracted past the quota")
	}
	if s := api.extractionStatus(x.ID); s != "ERROR" {
		t.Fatalf("status %s after a full disk", s)
	}
	y := api.extract(url.Values{"user_file_ids": {itoa(zip)}}).Extractions[0]
	mustStatus(t, api.post("/v2/files/delete", url.Values{"file_ids": {itoa(dir)}}), 200)
	if _, err := acct.CompleteExtraction(y.ID, map[string][]byte{"f": []byte("x")}); err == nil {
		t.Fatal("extracted from a trashed archive")
	}
	if files, _ := acct.Walk(""); len(files) != 0 {
		t.Fatalf("live items after refused extractions: %q", files)
	}
}

func TestExtractRefusals(t *testing.T) {
	srv, api := newAPI(t)
	dir := api.mkdir(0, "dir")
	zip := api.upload(0, "a.zip", []byte("PK"), nil)
	txt := api.upload(0, "a.txt", []byte("x"), nil)
	foreign, _ := srv.Account("other").Put("b.zip", []byte("PK"), t0)
	for _, tc := range []struct {
		name      string
		form      url.Values
		status    int
		errorType string
	}{
		{"no ids", url.Values{}, 400, "BadRequest"},
		{"garbage ids", url.Values{"user_file_ids": {"a,b"}}, 400, "BadRequest"},
		{"cursor selection", url.Values{"cursor": {"x"}}, 400, "BadRequest"},
		{"missing id", url.Values{"user_file_ids": {itoa(zip) + ",999999"}}, 404, "NotFound"},
		{"another account's", url.Values{"user_file_ids": {itoa(foreign.ID)}}, 404, "NotFound"},
		{"a folder", url.Values{"user_file_ids": {itoa(zip) + "," + itoa(dir)}}, 400, "NotFile"},
		{"not an archive", url.Values{"user_file_ids": {itoa(txt)}}, 400, "BadRequest"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			strictError(t, api.post("/v2/files/extract", tc.form), tc.status, tc.errorType)
		})
	}
	if xs := srv.Account(srv.Token).Extractions(); len(xs) != 0 {
		t.Fatalf("refused requests started %+v", xs)
	}
}

func TestDeleteExtraction(t *testing.T) {
	srv, api := newAPI(t)
	acct := srv.Account(srv.Token)
	zip := api.upload(0, "a.zip", []byte("PK"), nil)
	x := api.extract(url.Values{"user_file_ids": {itoa(zip)}}).Extractions[0]
	files, err := acct.CompleteExtraction(x.ID, map[string][]byte{"f": []byte("x")})
	if err != nil {
		t.Fatal(err)
	}
	other := *api
	other.token = "someone-else"
	strictError(t, other.read(other.send("DELETE", "/v2/files/extract/"+itoa(x.ID), nil, nil)), 404, "NotFound")
	strict(t, api.read(api.send("DELETE", "/v2/files/extract/"+itoa(x.ID), nil, nil)), 200, &wireOK{})
	strictError(t, api.read(api.send("DELETE", "/v2/files/extract/"+itoa(x.ID), nil, nil)), 404, "NotFound")
	var list wireExtractions
	strict(t, api.get("/v2/files/extract", nil), 200, &list)
	if len(list.Extractions) != 0 {
		t.Fatalf("listed after delete: %+v", list)
	}
	if _, err := acct.Get(files[0].ID); err != nil {
		t.Fatalf("the extracted file went with its extraction: %v", err)
	}
}

func TestAdminDrivesExtractions(t *testing.T) {
	srv, api := newAPI(t)
	acct := srv.Account(srv.Token)
	zip := api.upload(0, "a.zip", []byte("PK"), nil)
	rar := api.upload(0, "b.rar", []byte("Rar!"), nil)
	xs := api.extract(url.Values{"user_file_ids": {itoa(zip) + "," + itoa(rar)}}).Extractions
	admin := func(form url.Values) int {
		resp, err := http.PostForm(srv.URL+"/_emulator/extractions", form)
		if err != nil {
			t.Fatal(err)
		}
		closeBody(t, resp.Body)
		return resp.StatusCode
	}
	for _, tc := range []struct {
		name string
		form url.Values
		want int
	}{
		{"complete", url.Values{"id": {itoa(xs[0].ID)}, "action": {"complete"}, "file": {"x.bin", "y.bin"}, "size": {"7"}}, 200},
		{"password", url.Values{"id": {itoa(xs[1].ID)}, "action": {"password"}}, 200},
		{"unknown action", url.Values{"id": {itoa(xs[1].ID)}, "action": {"explode"}}, 400},
		{"finished", url.Values{"id": {itoa(xs[0].ID)}, "action": {"fail"}}, 400},
		{"missing id", url.Values{"id": {"999"}, "action": {"fail"}}, 400},
		{"bad size", url.Values{"id": {itoa(xs[1].ID)}, "action": {"complete"}, "size": {"-1"}}, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.form.Set("token", srv.Token)
			if code := admin(tc.form); code != tc.want {
				t.Fatalf("status %d, want %d", code, tc.want)
			}
		})
	}
	if code := admin(url.Values{"id": {itoa(xs[1].ID)}, "action": {"fail"}}); code != 400 {
		t.Fatalf("no token: %d", code)
	}
	if f, err := acct.Stat("y.bin"); err != nil || f.Size != 7 {
		t.Fatalf("extracted file %+v, %v", f, err)
	}
	if got := acct.Extractions(); got[0].Status != putiotest.ExtractExtracted || got[1].Status != putiotest.ExtractPassword {
		t.Fatalf("statuses %+v", got)
	}
}
