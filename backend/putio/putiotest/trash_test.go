package putiotest_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
)

func TestDeleteToTrashAndRestore(t *testing.T) {
	srv, api := newAPI(t)
	acct := srv.Account(api.token)
	mustPut(t, acct, "dir/sub/a.txt", []byte("aaa"))
	dir, _ := acct.Stat("dir")
	sub, _ := acct.Stat("dir/sub")
	r := api.post("/v2/files/delete", url.Values{"file_ids": {itoa(dir.ID)}})
	mustStatus(t, r, 200)
	if r.body["status"] != "OK" || num(r.body, "skipped") != 0 || r.body["cursor"] != nil {
		t.Fatalf("delete reply %s", r.raw)
	}
	mustError(t, api.get("/v2/files/"+itoa(sub.ID), nil), 404, "NotFound")

	r = api.get("/v2/trash/list", nil)
	mustStatus(t, r, 200)
	if len(r.files()) != 1 || num(r.files()[0], "id") != dir.ID || r.files()[0]["deleted_at"] == nil || num(r.body, "trash_size") != 3 {
		t.Fatalf("trash %s", r.raw)
	}
	// Only top-level trashed items can be restored.
	mustError(t, api.post("/v2/trash/restore", url.Values{"file_ids": {itoa(sub.ID)}}), 404, "TRASH_FILE_NOT_FOUND")

	// A new item took the name meanwhile: the restored one gets a suffix.
	api.mkdir(0, "dir")
	mustStatus(t, api.post("/v2/trash/restore", url.Values{"file_ids": {itoa(dir.ID)}}), 200)
	if data, err := acct.ReadFile("dir (1)/sub/a.txt"); err != nil || string(data) != "aaa" {
		t.Fatalf("restored: %q %v", data, err)
	}
	if len(acct.Trash()) != 0 {
		t.Fatal("trash not empty after restore")
	}
}

func TestTrashDeleteEmptyAndSkipTrash(t *testing.T) {
	srv, api := newAPI(t)
	acct := srv.Account(api.token)
	a := api.upload(0, "a", []byte("1"), nil)
	b := api.upload(0, "b", []byte("22"), nil)
	c := api.upload(0, "c", []byte("333"), nil)
	api.post("/v2/files/delete", url.Values{"file_ids": {itoa(a) + "," + itoa(b)}})
	mustStatus(t, api.post("/v2/files/delete", url.Values{"file_ids": {itoa(c)}, "skip_trash": {"1"}}), 200)
	if trash := acct.Trash(); len(trash) != 2 {
		t.Fatalf("trash %+v", trash)
	}
	if _, err := acct.Get(c); err == nil {
		t.Fatal("skip_trash kept the item")
	}
	mustStatus(t, api.post("/v2/trash/delete", url.Values{"file_ids": {itoa(a)}}), 200)
	if trash := acct.Trash(); len(trash) != 1 || trash[0].ID != b {
		t.Fatalf("trash %+v", trash)
	}
	mustError(t, api.post("/v2/trash/delete", url.Values{"file_ids": {itoa(a)}}), 404, "TRASH_FILE_NOT_FOUND")
	mustStatus(t, api.post("/v2/trash/empty", nil), 200)
	if used, _ := acct.Usage(); used != 0 || len(acct.Trash()) != 0 {
		t.Fatalf("after empty: used %d trash %d", used, len(acct.Trash()))
	}
}

func TestTrashListPaging(t *testing.T) {
	_, api := newAPI(t)
	var want []int64
	for i := range 5 {
		id := api.upload(0, itoa(int64(i)), []byte("x"), nil)
		want = append(want, id)
		api.post("/v2/files/delete", url.Values{"file_ids": {itoa(id)}})
	}
	var got []int64
	r := api.get("/v2/trash/list", url.Values{"per_page": {"2"}})
	for {
		mustStatus(t, r, 200)
		for _, f := range r.files() {
			got = append(got, num(f, "id"))
		}
		if r.body["cursor"] == nil {
			break
		}
		r = api.post("/v2/trash/list/continue", url.Values{"cursor": {r.body["cursor"].(string)}})
	}
	if !slices.Equal(got, want) {
		t.Fatalf("trash pages %v, want %v", got, want)
	}
	mustError(t, api.post("/v2/trash/list/continue", url.Values{"cursor": {"junk"}}), 400, "INVALID_CURSOR")
}

// Trash operations of one account are serialised; one that cannot get the
// lock in time fails with TRASH_LOCK_TIMEOUT. Whichever of two deletes
// takes the lock first holds it until its client gives up, so the other
// is refused however the two are scheduled; another account's delete
// meanwhile takes its own lock.
func TestTrashLockTimeout(t *testing.T) {
	srv, api := newAPI(t, putiotest.Options{TrashHold: time.Hour, TrashLockWait: 20 * time.Millisecond})
	a := api.upload(0, "a", []byte("1"), nil)
	b := api.upload(0, "b", []byte("2"), nil)
	other := *api
	other.token = "other"
	c := other.upload(0, "c", []byte("3"), nil)
	ctx, giveUp := context.WithCancel(context.Background())
	defer giveUp()

	outcomes := make(chan deleteOutcome, 2)
	for _, id := range []int64{a, b} {
		go func() { outcomes <- deleteWithin(ctx, srv.URL, api.token, id) }()
	}
	refused := <-outcomes
	if refused.err != nil {
		t.Fatal(refused.err)
	}
	mustError(t, api.read(refused.resp), 400, "TRASH_LOCK_TIMEOUT")

	otherOutcome := make(chan deleteOutcome, 1)
	go func() { otherOutcome <- deleteWithin(ctx, srv.URL, other.token, c) }()
	otherTrash := srv.Account(other.token).Trash
	waitUntil(t, "the other account's delete is done or refused", func() bool { return len(otherTrash()) == 1 || len(otherOutcome) == 1 })
	if len(otherTrash()) != 1 {
		t.Fatal("another account's delete waited for this account's trash lock")
	}

	giveUp()
	holder := <-outcomes
	for _, held := range []deleteOutcome{holder, <-otherOutcome} {
		if held.err == nil {
			closeBody(t, held.resp.Body)
			t.Error("a delete holding the lock answered before its client gave up")
		}
	}
	acct := srv.Account(api.token)
	waitUntil(t, "the holder's delete is done", func() bool { return len(acct.Trash()) == 1 })
	if trash := acct.Trash(); trash[0].ID != holder.id {
		t.Errorf("trash %+v, want the holder's %d", trash, holder.id)
	}
}

// deleteOutcome is the reply to a delete, or why there is none.
type deleteOutcome struct {
	id   int64
	resp *http.Response
	err  error
}

// deleteWithin sends files/delete of id with token until ctx ends, from
// any goroutine.
func deleteWithin(ctx context.Context, base, token string, id int64) deleteOutcome {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v2/files/delete", strings.NewReader("file_ids="+itoa(id)))
	if err != nil {
		return deleteOutcome{id: id, err: err}
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	return deleteOutcome{id: id, resp: resp, err: err}
}

// An item whose folder is gone for good comes back in the root.
func TestRestoreIntoRootWhenParentIsGone(t *testing.T) {
	srv, api := newAPI(t)
	acct := srv.Account(api.token)
	f, _ := acct.Put("dir/f.txt", []byte("x"), t0)
	dir, _ := acct.Stat("dir")
	api.post("/v2/files/delete", url.Values{"file_ids": {itoa(f.ID)}})
	api.post("/v2/files/delete", url.Values{"file_ids": {itoa(dir.ID)}, "skip_trash": {"1"}})
	mustStatus(t, api.post("/v2/trash/restore", url.Values{"file_ids": {itoa(f.ID)}}), 200)
	if st, err := acct.Stat("f.txt"); err != nil || st.ID != f.ID || st.ParentID != 0 {
		t.Fatalf("restored %+v %v", st, err)
	}
}

// trash/restore and trash/delete take file_ids or a cursor, never both;
// the emulator does not model selection by cursor and says so.
func TestTrashSelectionByCursor(t *testing.T) {
	_, api := newAPI(t)
	id := api.upload(0, "a", []byte("1"), nil)
	api.post("/v2/files/delete", url.Values{"file_ids": {itoa(id)}})
	for _, route := range []string{"/v2/trash/restore", "/v2/trash/delete"} {
		r := api.post(route, url.Values{"file_ids": {itoa(id)}, "cursor": {"c"}})
		mustError(t, r, 400, "BadRequest")
		r = api.post(route, url.Values{"cursor": {"c"}})
		mustError(t, r, 400, "BadRequest")
		if msg, _ := r.body["error_message"].(string); !strings.Contains(msg, "file_ids") {
			t.Errorf("%s: message %q does not say to send file_ids", route, msg)
		}
	}
	if trash := api.srv.Account(api.token).Trash(); len(trash) != 1 {
		t.Fatalf("trash %+v", trash)
	}
}

// Flags are 1 or true (section 2); anything else leaves them off, so a
// client's skip_trash=yes trashes, as it would on put.io.
func TestFlagValues(t *testing.T) {
	srv, api := newAPI(t)
	for value, wantTrashed := range map[string]bool{"1": false, "true": false, "yes": true, "on": true, "0": true} {
		id := api.upload(0, "f-"+value, []byte("x"), nil)
		mustStatus(t, api.read(api.send("POST", "/v2/files/delete?"+url.Values{"file_ids": {itoa(id)}, "skip_trash": {value}}.Encode(), nil, nil)), 200)
		if _, err := srv.Account(api.token).Get(id); (err == nil) != wantTrashed {
			t.Errorf("skip_trash=%s: trashed=%v, want %v", value, err == nil, wantTrashed)
		}
	}
}
