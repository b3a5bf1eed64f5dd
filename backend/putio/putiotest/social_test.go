package putiotest_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
)

// Contract tests of friends, friend shares, family, invites, IFTTT and RSS:
// the facts of put.io's SDK live suite (test/live/*.test.ts), two users
// named as that suite has them.

// socialPair starts an emulator with users ann and bob, each reached by a
// bound first-party token, and returns clients for both.
func socialPair(t *testing.T) (srv *putiotest.Server, ann, bob *apiClient) {
	t.Helper()
	srv, ann = newAPI(t, putiotest.Options{
		Users:           map[string]string{"ann": "pw-a", "bob": "pw-b"},
		Tokens:          []string{"ann-token", "bob-token"},
		UserTokens:      map[string]string{"ann-token": "ann", "bob-token": "bob"},
		SeedUserInvites: true,
	})
	ann.token = "ann-token"
	return srv, ann, &apiClient{t: t, srv: srv, token: "bob-token"}
}

// befriend makes ann and bob friends the way the suite does: a request,
// then its approval.
func befriend(t *testing.T, ann, bob *apiClient) {
	t.Helper()
	mustStatus(t, ann.post("/v2/friends/bob/request", nil), 200)
	mustStatus(t, bob.post("/v2/friends/ann/approve", nil), 200)
}

func names(t *testing.T, r reply, key string) []string {
	t.Helper()
	mustStatus(t, r, 200)
	rows, _ := r.body[key].([]any)
	out := []string{}
	for _, row := range rows {
		out = append(out, row.(map[string]any)["name"].(string))
	}
	return out
}

func TestUserTokensShareTheLoginAccount(t *testing.T) {
	srv, ann, _ := socialPair(t)
	login, err := http.NewRequest("PUT", srv.URL+"/v2/oauth2/authorizations/clients/9001?client_secret=s", nil)
	if err != nil {
		t.Fatal(err)
	}
	login.SetBasicAuth("ann", "pw-a")
	r := ann.read(ann.send("PUT", login.URL.String(), nil, http.Header{"Authorization": login.Header["Authorization"]}))
	mustStatus(t, r, 200)
	if got, want := num(r.body, "user_id"), srv.Account("ann-token").UserID(); got != want {
		t.Fatalf("login reached user %d, the bound token user %d", got, want)
	}
	_, err = putiotest.New(putiotest.Options{Tokens: []string{"x"}, UserTokens: map[string]string{"x": "nobody"}})
	if err == nil {
		t.Fatal("a token bound to no user was accepted")
	}
}

func TestFriendRequests(t *testing.T) {
	_, ann, bob := socialPair(t)
	for _, action := range []string{"request", "approve", "deny", "unfriend"} {
		mustError(t, ann.post("/v2/friends/does-not-exist/"+action, nil), 404, "USER_NOT_FOUND")
	}
	mustError(t, bob.post("/v2/friends/ann/approve", nil), 404, "NotFound") // nothing asked yet
	search := names(t, ann.get("/v2/friends/user-search/bo", nil), "users")
	if !slices.Equal(search, []string{"bob"}) {
		t.Fatalf("search before: %v", search)
	}
	mustStatus(t, ann.post("/v2/friends/bob/request", nil), 200)
	if got := names(t, ann.get("/v2/friends/sent-requests", nil), "friends"); !slices.Equal(got, []string{"bob"}) {
		t.Fatalf("ann's sent requests: %v", got)
	}
	if got := names(t, bob.get("/v2/friends/waiting-requests", nil), "friends"); !slices.Equal(got, []string{"ann"}) {
		t.Fatalf("bob's waiting requests: %v", got)
	}
	if r := bob.get("/v2/friends/waiting-requests-count", nil); num(r.body, "count") != 1 {
		t.Fatalf("waiting count: %s", r.raw)
	}
	mustStatus(t, bob.post("/v2/friends/ann/approve", nil), 200)
	r := ann.get("/v2/friends/list", nil)
	if got := names(t, r, "friends"); !slices.Equal(got, []string{"bob"}) || num(r.body, "total") != 1 {
		t.Fatalf("ann's friends: %s", r.raw)
	}
	if got := names(t, bob.get("/v2/friends/waiting-requests", nil), "friends"); len(got) != 0 {
		t.Fatalf("bob still waits for %v", got)
	}
	if got := names(t, ann.get("/v2/friends/user-search/bob", nil), "users"); len(got) != 0 {
		t.Fatalf("search shows an existing friend: %v", got)
	}
	mustStatus(t, ann.post("/v2/friends/bob/unfriend", nil), 200)
	if got := names(t, bob.get("/v2/friends/list", nil), "friends"); len(got) != 0 {
		t.Fatalf("bob's friends after unfriend: %v", got)
	}
}

func TestSocialRoutesRefuseAppTokens(t *testing.T) {
	_, ann, bob := socialPair(t)
	befriend(t, ann, bob)
	app := appTokenClient(t, ann)
	for _, r := range []reply{
		app.get("/v2/friends/list", nil),
		app.get("/v2/friends/user-search/bob", nil),
		app.post("/v2/friends/bob/unfriend", nil),
		app.get("/v2/family/members", nil),
		app.get("/v2/family/invites", nil),
		app.post("/v2/family/sub_account", nil),
		app.read(app.send("DELETE", "/v2/family/sub_account/nobody", nil, nil)),
		app.post("/v2/family/join/bogus", nil),
		app.get("/v2/account/friend_invites", nil),
		app.post("/v2/account/create_friend_invitation", nil),
		app.post("/v2/ifttt-client/event", url.Values{"event_type": {"playback_started"}}),
		app.get("/v2/files/shared", nil),
		app.get("/v2/sharing/clone/1", nil),
	} {
		mustError(t, r, 401, "invalid_scope")
	}
	// The suite reads these with an app token.
	mustStatus(t, app.get("/v2/friends/bob/files", nil), 200)
	mustStatus(t, app.get("/v2/ifttt-client/status", nil), 200)
	mustStatus(t, app.get("/v2/rss/list", nil), 200)
}

func TestFriendShareLifecycle(t *testing.T) {
	srv, ann, bob := socialPair(t)
	befriend(t, ann, bob)
	dir := bob.mkdir(0, "shared")
	sub := bob.mkdir(dir, "sub")
	file := bob.upload(dir, "a.txt", []byte("abc"), nil)
	if r := ann.get("/v2/friends/bob/files", nil); r.status != 200 || r.body["file"] != nil {
		t.Fatalf("folder before any share: %s", r.raw)
	}
	mustError(t, bob.post("/v2/files/share", url.Values{"file_ids": {itoa(dir)}, "friends": {"nobody"}}), 404, "USER_NOT_FOUND")
	mustStatus(t, bob.post("/v2/files/share", url.Values{"file_ids": {itoa(dir)}, "friends": {"ann"}}), 200)
	mustError(t, bob.post("/v2/files/share", url.Values{"file_ids": {itoa(dir)}, "friends": {"ann"}}), 400, "ALREADY_SHARED")
	mustError(t, bob.post("/v2/files/share", url.Values{"file_ids": {itoa(sub)}, "friends": {"ann"}}), 400, "ALREADY_SHARED")

	folder := ann.get("/v2/friends/bob/files", nil).file()
	if folder["folder_type"] != "SHARED_FRIEND" || folder["name"] != "bob" {
		t.Fatalf("shared folder %v", folder)
	}
	roots := ann.get("/v2/files/list/items-shared-with-you", nil)
	if len(roots.files()) != 1 || num(roots.files()[0], "id") != num(folder, "id") {
		t.Fatalf("shared with you: %s", roots.raw)
	}
	tops := ann.get("/v2/files/list", url.Values{"parent_id": {itoa(num(folder, "id"))}}).files()
	if len(tops) != 1 || num(tops[0], "id") != dir || num(tops[0], "parent_id") != num(folder, "id") || tops[0]["is_shared"] != true {
		t.Fatalf("friend folder lists %v", tops)
	}
	inside := ann.get("/v2/files/list", url.Values{"parent_id": {itoa(dir)}}).files()
	if len(inside) != 2 || num(inside[1], "id") != file {
		t.Fatalf("shared folder lists %v", inside)
	}
	mustStatus(t, ann.get("/v2/files/"+itoa(file), nil), 200)
	mustError(t, ann.post("/v2/files/create-folder", url.Values{"name": {"x"}, "parent_id": {itoa(dir)}}), 404, "NotFound")
	mustError(t, ann.post("/v2/files/delete", url.Values{"file_ids": {itoa(file)}}), 404, "NotFound")
	if _, err := srv.Account("bob-token").Stat("shared/a.txt"); err != nil {
		t.Fatalf("bob's shared file after ann's delete: %v", err)
	}

	shared := bob.get("/v2/files/shared", nil)
	rows, _ := shared.body["shared"].([]any)
	if len(rows) != 1 || num(rows[0].(map[string]any), "id") != dir || num(rows[0].(map[string]any), "shared_with") != 1 {
		t.Fatalf("bob's shared files: %s", shared.raw)
	}
	with := bob.get("/v2/files/"+itoa(dir)+"/shared-with-v2", nil)
	shares, _ := with.body["shares"].([]any)
	if with.body["share_type"] != "friends" || len(shares) != 1 || shares[0].(map[string]any)["user_name"] != "ann" || shares[0].(map[string]any)["user_avatar_url"] == "" {
		t.Fatalf("shared with: %s", with.raw)
	}
	shareID := num(shares[0].(map[string]any), "share_id")
	mustStatus(t, bob.post("/v2/files/"+itoa(dir)+"/unshare", url.Values{"shares": {itoa(shareID)}}), 200)
	mustError(t, ann.get("/v2/files/list", url.Values{"parent_id": {itoa(dir)}}), 404, "NotFound")
	if r := ann.get("/v2/friends/bob/files", nil); r.body["file"] != nil {
		t.Fatalf("folder after unshare: %s", r.raw)
	}
	mustError(t, bob.post("/v2/files/999999/unshare", nil), 404, "NotFound")
}

func TestFriendShareWithEveryone(t *testing.T) {
	_, ann, bob := socialPair(t)
	befriend(t, ann, bob)
	dir := bob.mkdir(0, "public")
	mustStatus(t, bob.post("/v2/files/share", url.Values{"file_ids": {itoa(dir)}, "friends": {"everyone"}}), 200)
	mustError(t, bob.post("/v2/files/share", url.Values{"file_ids": {itoa(dir)}, "friends": {"ann"}}), 400, "ALREADY_SHARED")
	rows, _ := bob.get("/v2/files/shared", nil).body["shared"].([]any)
	if len(rows) != 1 || rows[0].(map[string]any)["shared_with"] != "everyone" {
		t.Fatalf("shared files %v", rows)
	}
	if r := bob.get("/v2/files/"+itoa(dir)+"/shared-with-v2", nil); r.body["share_type"] != "everyone" {
		t.Fatalf("shared with: %s", r.raw)
	}
	mustStatus(t, ann.get("/v2/files/list", url.Values{"parent_id": {itoa(dir)}}), 200)
	mustStatus(t, bob.post("/v2/files/"+itoa(dir)+"/unshare", url.Values{"shares": {"everyone"}}), 200)
	if rows, _ := bob.get("/v2/files/shared", nil).body["shared"].([]any); len(rows) != 0 {
		t.Fatalf("still shared: %v", rows)
	}
	if f := bob.get("/v2/files/"+itoa(dir), nil).file(); f["is_shared"] != false {
		t.Fatalf("is_shared after unshare: %v", f)
	}
}

func TestSharingClone(t *testing.T) {
	srv, ann, bob := socialPair(t)
	befriend(t, ann, bob)
	dir := bob.mkdir(0, "shared")
	file := bob.upload(dir, "a.txt", []byte("shared bytes"), nil)
	own := ann.upload(0, "mine.txt", []byte("x"), nil)
	mustStatus(t, bob.post("/v2/files/share", url.Values{"file_ids": {itoa(dir)}, "friends": {"ann"}}), 200)
	dest := ann.mkdir(0, "dest")

	mustError(t, ann.post("/v2/sharing/clone", url.Values{"file_ids": {itoa(own)}, "parent_id": {itoa(dest)}}), 404, "NotFound")
	r := ann.post("/v2/sharing/clone", url.Values{"file_ids": {itoa(file)}, "parent_id": {itoa(dest)}})
	mustStatus(t, r, 200)
	task := num(r.body, "id")
	if info := ann.get("/v2/sharing/clone/"+itoa(task), nil); info.body["shared_file_clone_status"] != "DONE" {
		t.Fatalf("clone info: %s", info.raw)
	}
	if data, err := srv.Account("ann-token").ReadFile("dest/a.txt"); err != nil || string(data) != "shared bytes" {
		t.Fatalf("clone copied %q, %v", data, err)
	}
	again := ann.post("/v2/sharing/clone", url.Values{"file_ids": {itoa(file)}, "parent_id": {itoa(dest)}})
	if info := ann.get("/v2/sharing/clone/"+itoa(num(again.body, "id")), nil); info.body["shared_file_clone_status"] != "ERROR" || info.body["error_msg"] == "" {
		t.Fatalf("clone onto a taken name: %s", info.raw)
	}
	mustError(t, bob.get("/v2/sharing/clone/"+itoa(task), nil), 404, "SHARED_FILE_CLONE_NOT_FOUND")
	mustError(t, ann.get("/v2/sharing/clone/2147483647", nil), 404, "SHARED_FILE_CLONE_NOT_FOUND")
}

func TestFamily(t *testing.T) {
	_, ann, bob := socialPair(t)
	members := ann.get("/v2/family/members", nil)
	rows, _ := members.body["members"].([]any)
	if len(rows) != 1 || rows[0].(map[string]any)["is_owner"] != true || rows[0].(map[string]any)["name"] != "ann" {
		t.Fatalf("members: %s", members.raw)
	}
	invites := ann.get("/v2/family/invites", nil)
	seeded, _ := invites.body["invites"].([]any)
	if len(seeded) != 1 || seeded[0].(map[string]any)["user_id"] != nil || num(invites.body, "remaining_limit") != num(invites.body, "limit")-1 {
		t.Fatalf("seeded invites: %s", invites.raw)
	}
	code := seeded[0].(map[string]any)["code"].(string)
	public := &apiClient{t: t, srv: ann.srv}
	if r := public.get("/v2/registration/family/"+code, nil); r.status != 200 || r.body["invite"].(map[string]any)["owner"] != "ann" {
		t.Fatalf("lookup: %s", r.raw)
	}
	mustError(t, public.get("/v2/registration/family/bogus", nil), 404, "INVALID_FAMILY_INVITE_CODE")
	mustError(t, bob.post("/v2/family/join/codex-invalid-family-code", nil), 403, "FAMILY_INVITE_INVALID_CODE")
	mustStatus(t, bob.post("/v2/family/join/"+code, nil), 200)
	mustError(t, bob.post("/v2/family/join/"+code, nil), 403, "FAMILY_INVITE_INVALID_CODE")
	if got := names(t, ann.get("/v2/family/members", nil), "members"); !slices.Equal(got, []string{"ann", "bob"}) {
		t.Fatalf("members after join: %v", got)
	}
	created := ann.post("/v2/family/sub_account", nil)
	if created.status != 200 || created.body["code"] == "" {
		t.Fatalf("create invite: %s", created.raw)
	}
	mustError(t, ann.read(ann.send("DELETE", "/v2/family/sub_account/codex-no-such-family-member", nil, nil)), 404, "NotFound")
	mustStatus(t, ann.read(ann.send("DELETE", "/v2/family/sub_account/bob", nil, nil)), 200)
	if got := names(t, ann.get("/v2/family/members", nil), "members"); !slices.Equal(got, []string{"ann"}) {
		t.Fatalf("members after removal: %v", got)
	}
}

func TestFriendInvites(t *testing.T) {
	_, ann, _ := socialPair(t)
	list := ann.get("/v2/account/friend_invites", nil)
	seeded, _ := list.body["invites"].([]any)
	if len(seeded) != 1 || seeded[0].(map[string]any)["user"] != nil {
		t.Fatalf("seeded: %s", list.raw)
	}
	code := seeded[0].(map[string]any)["code"].(string)
	public := &apiClient{t: t, srv: ann.srv}
	r := public.get("/v2/registration/friend/"+code, nil)
	invite, _ := r.body["invite"].(map[string]any)
	if r.status != 200 || invite["inviter"] != "ann" || invite["plan"].(map[string]any)["code"] == "" {
		t.Fatalf("lookup: %s", r.raw)
	}
	mustError(t, public.get("/v2/registration/friend/bogus", nil), 404, "FRIEND_INVITE_INVALID_CODE")
	remaining := num(list.body, "remaining_limit")
	mustStatus(t, ann.post("/v2/account/create_friend_invitation", nil), 200)
	if after := ann.get("/v2/account/friend_invites", nil); num(after.body, "remaining_limit") != remaining-1 {
		t.Fatalf("after create: %s", after.raw)
	}
}

func TestIFTTTEvents(t *testing.T) {
	_, ann, _ := socialPair(t)
	if r := ann.get("/v2/ifttt-client/status", nil); r.body["enabled"] != false {
		t.Fatalf("status: %s", r.raw)
	}
	ingredients := `{"file_id":1,"file_name":"codex.mp4","file_type":"VIDEO"}`
	mustError(t, ann.post("/v2/ifttt-client/event", url.Values{"event_type": {"codex_invalid_event"}, "ingredients": {ingredients}}), 400, "INVALID_EVENT_TYPE")
	mustError(t, ann.post("/v2/ifttt-client/event", url.Values{"event_type": {"playback_started"}, "ingredients": {`{"file_id":1}`}}), 400, "MISSING_INGREDIENTS")
	mustStatus(t, ann.post("/v2/ifttt-client/event", url.Values{"event_type": {"playback_started"}, "ingredients": {ingredients}}), 200)
}

func TestRSSFeeds(t *testing.T) {
	srv, ann, _ := socialPair(t)
	fixture := srv.URL + "/_emulator/fixtures/feed.rss"
	resp := ann.send("GET", fixture, nil, nil)
	closeBody(t, resp.Body)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/rss+xml" {
		t.Fatalf("fixture: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	// Another feed, even on loopback, is never fetched.
	var hits atomic.Int64
	elsewhere := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	defer elsewhere.Close()
	mustError(t, ann.post("/v2/rss/create", url.Values{"title": {"t"}, "rss_source_url": {elsewhere.URL + "/_emulator/fixtures/feed.rss"}}), 400, "FEED_CANNOT_FETCHED")
	if hits.Load() != 0 {
		t.Fatalf("the emulator fetched another server's feed %d times", hits.Load())
	}
	mustError(t, ann.post("/v2/rss/create", url.Values{"title": {"t"}, "rss_source_url": {"not-a-url"}}), 400, "URL_NOT_VALID")
	mustError(t, ann.post("/v2/rss/create", url.Values{"title": {""}, "rss_source_url": {fixture}}), 400, "TITLE_REQUIRED")
	mustError(t, ann.post("/v2/rss/create", url.Values{"title": {"t"}}), 400, "URL_REQUIRED")

	created := appTokenClient(t, ann).post("/v2/rss/create", url.Values{"title": {"news"}, "rss_source_url": {fixture}, "delete_old_files": {"on"}})
	mustStatus(t, created, 200)
	feed := created.body["feed"].(map[string]any)
	id := itoa(num(feed, "id"))
	if feed["title"] != "news" || feed["delete_old_files"] != true || feed["paused"] != false || feed["paused_at"] != nil {
		t.Fatalf("created: %s", created.raw)
	}
	mustStatus(t, ann.post("/v2/rss/"+id, url.Values{"title": {"renamed"}, "rss_source_url": {fixture}, "keyword": {"go"}, "delete_old_files": {"false"}}), 200)
	got := ann.get("/v2/rss/"+id, nil).body["feed"].(map[string]any)
	if got["title"] != "renamed" || got["keyword"] != "go" || got["delete_old_files"] != false {
		t.Fatalf("updated: %v", got)
	}
	mustStatus(t, ann.post("/v2/rss/"+id+"/pause", nil), 200)
	if got := ann.get("/v2/rss/"+id, nil).body["feed"].(map[string]any); got["paused"] != true || got["paused_at"] == nil {
		t.Fatalf("paused: %v", got)
	}
	mustStatus(t, ann.post("/v2/rss/"+id+"/resume", nil), 200)
	if got := ann.get("/v2/rss/"+id, nil).body["feed"].(map[string]any); got["paused"] != false || got["paused_at"] != nil {
		t.Fatalf("resumed: %v", got)
	}
	if items := ann.get("/v2/rss/"+id+"/items", nil); items.status != 200 || len(items.body["items"].([]any)) != 0 {
		t.Fatalf("items: %s", items.raw)
	}
	mustStatus(t, ann.post("/v2/rss/"+id+"/clear-log", nil), 200)
	mustStatus(t, ann.post("/v2/rss/"+id+"/retry-all", nil), 200)
	mustError(t, ann.post("/v2/rss/"+id+"/items/1/retry", nil), 404, "NotFound")
	mustStatus(t, ann.post("/v2/rss/"+id+"/delete", nil), 200)
	for _, r := range []reply{
		ann.get("/v2/rss/"+id, nil),
		ann.post("/v2/rss/"+id, url.Values{"title": {"x"}, "rss_source_url": {fixture}}),
		ann.post("/v2/rss/"+id+"/pause", nil),
		ann.post("/v2/rss/"+id+"/delete", nil),
	} {
		mustError(t, r, 404, "NotFound")
	}
	if feeds := ann.get("/v2/rss/list", nil).body["feeds"].([]any); len(feeds) != 0 {
		t.Fatalf("feeds after delete: %v", feeds)
	}
}

// The public share listing's parent carries the media fields its *_parent
// flags ask for (SDK live suite: sharing.test.ts 'sharing public share
// parent media flags'), with an MP4 of the test's own as the suite's
// owned-video fixture; without the flags the fields stay out.
func TestPublicShareParentMediaFlags(t *testing.T) {
	_, api := newAPI(t)
	video := api.upload(0, "codex_sdk_clip.mp4", []byte("not really a video"), nil)
	visitor := share(t, api, video, nil)
	flags := url.Values{"parent_id": {itoa(video)}, "total": {"1"}, "media_info_parent": {"1"}, "mp4_status_parent": {"1"},
		"stream_url_parent": {"1"}, "video_metadata_parent": {"1"}}
	parent, _ := visitor.get("/v2/public_share/files/list", flags).body["parent"].(map[string]any)
	for _, key := range []string{"stream_url", "video_metadata", "media_info", "need_convert"} {
		if _, ok := parent[key]; !ok {
			t.Fatalf("parent lacks %s: %v", key, parent)
		}
	}
	if parent["need_convert"] != false || parent["stream_url"] == nil {
		t.Fatalf("an MP4's media fields: %v", parent)
	}
	resp := visitor.send("GET", parent["stream_url"].(string), nil, http.Header{"Authorization": {"none"}})
	closeBody(t, resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("stream_url answers %d", resp.StatusCode)
	}
	plain, _ := visitor.get("/v2/public_share/files/list", url.Values{"parent_id": {itoa(video)}}).body["parent"].(map[string]any)
	if _, ok := plain["stream_url"]; ok {
		t.Fatalf("fields without flags: %v", plain)
	}
}

// Unfriending ends the shares between the two: the former friend reads
// nothing more, and the owner's item is no longer shared.
func TestUnfriendEndsShares(t *testing.T) {
	_, ann, bob := socialPair(t)
	befriend(t, ann, bob)
	dir := bob.mkdir(0, "shared")
	mustStatus(t, bob.post("/v2/files/share", url.Values{"file_ids": {itoa(dir)}, "friends": {"ann"}}), 200)
	mustStatus(t, ann.get("/v2/files/list", url.Values{"parent_id": {itoa(dir)}}), 200)
	mustStatus(t, ann.post("/v2/friends/bob/unfriend", nil), 200)
	mustError(t, ann.get("/v2/files/list", url.Values{"parent_id": {itoa(dir)}}), 404, "NotFound")
	if f := bob.get("/v2/files/"+itoa(dir), nil).file(); f["is_shared"] != false {
		t.Fatalf("still shared after unfriend: %v", f)
	}
}
