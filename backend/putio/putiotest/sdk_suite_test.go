package putiotest_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
)

// Facts from put.io's TypeScript SDK live suite (test/live/*.test.ts),
// which put.io runs against its real API: each test names the suite's
// test it stands for.

// wireTransfer is the TS SDK's TransferSchema (every field required but
// links, recorded_seconds and userfile_exists), plus status_message and
// magneturi, which go-putio reads.
type wireTransfer struct {
	Availability       *float64 `json:"availability"`
	CallbackURL        *string  `json:"callback_url"`
	ClientIP           *string  `json:"client_ip"`
	CompletionPercent  *float64 `json:"completion_percent"`
	CreatedAt          string   `json:"created_at"`
	CreatedTorrent     bool     `json:"created_torrent"`
	CurrentRatio       *float64 `json:"current_ratio"`
	DownloadID         *int64   `json:"download_id"`
	DownSpeed          *float64 `json:"down_speed"`
	Downloaded         *float64 `json:"downloaded"`
	ErrorMessage       *string  `json:"error_message"`
	EstimatedTime      *float64 `json:"estimated_time"`
	FileID             *int64   `json:"file_id"`
	FinishedAt         *string  `json:"finished_at"`
	Hash               *string  `json:"hash"`
	ID                 int64    `json:"id"`
	IsPrivate          bool     `json:"is_private"`
	Links              []any    `json:"links,omitempty"`
	Name               string   `json:"name"`
	PeersConnected     *int64   `json:"peers_connected"`
	PeersGettingFromUs *int64   `json:"peers_getting_from_us"`
	PeersSendingToUs   *int64   `json:"peers_sending_to_us"`
	PercentDone        *float64 `json:"percent_done"`
	SaveParentID       int64    `json:"save_parent_id"`
	SecondsSeeding     *float64 `json:"seconds_seeding"`
	Simulated          bool     `json:"simulated"`
	Size               *float64 `json:"size"`
	Source             string   `json:"source"`
	StartedAt          *string  `json:"started_at"`
	Status             string   `json:"status"`
	SubscriptionID     *int64   `json:"subscription_id"`
	TorrentLink        *string  `json:"torrent_link"`
	Tracker            *string  `json:"tracker"`
	TrackerMessage     *string  `json:"tracker_message"`
	Type               string   `json:"type"`
	Uploaded           *float64 `json:"uploaded"`
	UpSpeed            *float64 `json:"up_speed"`
	UserfileExists     bool     `json:"userfile_exists,omitempty"`
	StatusMessage      string   `json:"status_message"`
	MagnetURI          *string  `json:"magneturi"`
}

type wireTransferReply struct {
	Status   string       `json:"status"`
	Transfer wireTransfer `json:"transfer"`
}

// 'transfers disposable lifecycle', 'retry on fresh non-error transfer
// returns transfer shape': the add, get, list and retry replies carry the
// whole Transfer; a URL that can never resolve fails, and its failure is
// history; retrying a transfer still under way answers it unchanged.
func TestSDKTransferLifecycle(t *testing.T) {
	_, api := newAPI(t)
	var added wireTransferReply
	strict(t, api.post("/v2/transfers/add", url.Values{"url": {"https://example.invalid/codex.iso"}}), 200, &added)
	if added.Transfer.Status != putiotest.StatusWaiting || added.Transfer.ErrorMessage != nil {
		t.Fatalf("added %+v", added.Transfer)
	}
	var got wireTransferReply
	strict(t, api.get("/v2/transfers/"+itoa(added.Transfer.ID), nil), 200, &got)
	if got.Transfer.Status != putiotest.StatusError || got.Transfer.ErrorMessage == nil || *got.Transfer.ErrorMessage == "" {
		t.Fatalf("a .invalid host did not fail: %+v", got.Transfer)
	}
	var list struct {
		Status    string         `json:"status"`
		Transfers []wireTransfer `json:"transfers"`
		Cursor    *string        `json:"cursor"`
		Total     int64          `json:"total"`
	}
	strict(t, api.get("/v2/transfers/list", url.Values{"per_page": {"20"}}), 200, &list)
	if len(list.Transfers) != 1 || list.Transfers[0].ID != added.Transfer.ID {
		t.Fatalf("list %+v", list)
	}
	var events struct {
		Events  []wireTransferErrorEvent `json:"events"`
		HasMore bool                     `json:"has_more"`
		Status  string                   `json:"status"`
	}
	strict(t, api.get("/v2/events/list", nil), 200, &events)
	if len(events.Events) != 1 || events.Events[0].Type != "transfer_error" || events.Events[0].TransferName != "codex.iso" {
		t.Fatalf("events %+v", events)
	}

	running := api.addTransfer("https://speed.example.com/100MB.bin", 0)
	var retried wireTransferReply
	strict(t, api.post("/v2/transfers/retry", url.Values{"id": {itoa(num(running, "id"))}}), 200, &retried)
	if retried.Transfer.ID != num(running, "id") || retried.Transfer.Status != running["status"] {
		t.Fatalf("retry of a fresh transfer %+v, was %v", retried.Transfer, running)
	}
	torrent := api.addTransfer("magnet:?xt=urn:btih:abcd&dn=t", 0)
	strict(t, api.get("/v2/transfers/"+itoa(num(torrent, "id")), nil), 200, &got)
	if got.Transfer.SecondsSeeding == nil || got.Transfer.CurrentRatio == nil || *got.Transfer.CurrentRatio != 0 {
		t.Fatalf("a torrent's seeding fields %+v", got.Transfer)
	}
}

// 'reannounce currently rejects with typed bad request', 'non-torrent
// reannounce currently falls back to typed bad request', 'missing transfer
// stop recording yields typed error', 'non-live transfer stop recording
// yields typed not-recording'.
func TestSDKTransferReannounceAndStopRecording(t *testing.T) {
	srv, api := newAPI(t)
	web := api.addTransfer("https://example.com/a.iso", 0)
	torrent := api.addTransfer("magnet:?xt=urn:btih:abcd&dn=t", 0)
	strictError(t, api.post("/v2/transfers/reannounce", url.Values{"id": {"2147483647"}}), 400, "BadRequest")
	strictError(t, api.post("/v2/transfers/reannounce", url.Values{"id": {itoa(num(web, "id"))}}), 400, "BadRequest")
	strict(t, api.post("/v2/transfers/reannounce", url.Values{"id": {itoa(num(torrent, "id"))}}), 200, &wireOK{})
	if err := srv.Account(api.token).FailTransfer(num(torrent, "id"), "stalled"); err != nil {
		t.Fatal(err)
	}
	strictError(t, api.post("/v2/transfers/reannounce", url.Values{"id": {itoa(num(torrent, "id"))}}), 400, "TORRENT_NOT_ACTIVE")

	strictError(t, api.post("/v2/transfers/stop-recording", url.Values{"transfer_id": {"2147483647"}}), 404, "TRANSFER_NOT_FOUND")
	strictError(t, api.post("/v2/transfers/stop-recording", url.Values{"transfer_id": {itoa(num(web, "id"))}}), 400, "NOT_RECORDING")
}

// 'events torrent missing id yields typed error', 'events torrent for
// non-upload event currently yields 404'.
func TestSDKEventTorrent(t *testing.T) {
	_, api := newAPI(t)
	api.upload(0, "a.txt", []byte("a"), nil)
	var events wireEvents
	strict(t, api.get("/v2/events/list", nil), 200, &events)
	strictError(t, api.get("/v2/events/"+itoa(events.Events[0].ID)+"/torrent", nil), 404, "NotFound")
	strictError(t, api.get("/v2/events/2147483647/torrent", nil), 404, "NotFound")
}

// wireMediaFile is a File with the fields the media flags ask for.
type wireMediaFile struct {
	wireFile
	StreamURL            *string `json:"stream_url,omitempty"`
	MP4StreamURL         *string `json:"mp4_stream_url,omitempty"`
	MP4Size              *int64  `json:"mp4_size,omitempty"`
	NeedConvert          *bool   `json:"need_convert,omitempty"`
	VideoMetadata        *any    `json:"video_metadata,omitempty"`
	MediaMetadata        *any    `json:"media_metadata,omitempty"`
	ContentTypeAndCodecs *string `json:"content_type_and_codecs,omitempty"`
	MediaInfo            *any    `json:"media_info,omitempty"`
}

// fixtures starts an emulator with SeedFixtures and finds its fixtures.
func fixtures(t *testing.T) (srv *putiotest.Server, api *apiClient, video1, video2, archive putiotest.File) {
	t.Helper()
	srv = putiotest.NewServer(t, putiotest.Options{SeedFixtures: true, Tokens: []string{"fixtures"}})
	api = &apiClient{t: t, srv: srv, token: "fixtures"}
	acct := srv.Account("fixtures")
	var err error
	for name, f := range map[string]*putiotest.File{"codex-sdk-fixtures/codex-sdk-video-1.mp4": &video1,
		"codex-sdk-fixtures/codex-sdk-video-2.mp4": &video2, "codex-sdk-fixtures/codex-sdk-archive.zip": &archive} {
		if *f, err = acct.Stat(name); err != nil {
			t.Fatalf("fixture %s: %v", name, err)
		}
	}
	return srv, api, video1, video2, archive
}

// SeedFixtures gives the suite its owned MP4s (found by searching "mp4"),
// its archive (found by searching "zip") and a history that is not only
// uploads ('events torrent for non-upload event currently yields 404').
func TestSDKFixtures(t *testing.T) {
	srv, api, video1, video2, archive := fixtures(t)
	var search wireSearch
	strict(t, api.get("/v2/files/search", url.Values{"query": {"mp4"}}), 200, &search)
	if len(search.Files) != 2 || search.Files[0].ID != video1.ID || !search.Files[0].IsMP4Available || search.Files[0].FileType != "VIDEO" || search.Files[0].IsShared {
		t.Fatalf("mp4 search %+v", search.Files)
	}
	strict(t, api.get("/v2/files/search", url.Values{"query": {"zip"}}), 200, &search)
	if len(search.Files) != 1 || search.Files[0].ID != archive.ID || search.Files[0].FileType != "ARCHIVE" {
		t.Fatalf("zip search %+v", search.Files)
	}
	var events struct {
		Events  []map[string]any `json:"events"`
		HasMore bool             `json:"has_more"`
		Status  string           `json:"status"`
	}
	strict(t, api.get("/v2/events/list", nil), 200, &events)
	if len(events.Events) != 3 || events.Events[0]["type"] != "transfer_completed" || num(events.Events[0], "file_id") != video1.ID ||
		num(events.Events[1], "file_id") != archive.ID || num(events.Events[2], "file_id") != video2.ID {
		t.Fatalf("fixture history %+v", events.Events)
	}
	transfers := srv.Account("fixtures").Transfers()
	if len(transfers) != 1 || transfers[0].Status != putiotest.StatusCompleted || transfers[0].FileID != video1.ID {
		t.Fatalf("fixture transfer %+v", transfers)
	}
	if data, _ := srv.Account("fixtures").ReadFile("codex-sdk-fixtures/codex-sdk-archive.zip"); !strings.HasPrefix(string(data), "PK") {
		t.Fatalf("the fixture archive is not a zip: %q", data)
	}
	if _, err := srv.Account(srv.Token).Stat("codex-sdk-fixtures"); err == nil {
		t.Fatal("an account made after New was seeded")
	}
}

// 'files get with conditional media fields', 'files parent media flags
// from query(list by file id)', 'files list child media flags': each flag
// asked for brings its field, for a listing's parent with "_parent".
func TestSDKMediaFields(t *testing.T) {
	_, api, video1, _, _ := fixtures(t)
	all := url.Values{}
	for _, flag := range []string{"codecs", "media_info", "mp4_status", "mp4_stream_url", "stream_url", "video_metadata"} {
		all.Set(flag, "1")
	}
	var got struct {
		File   wireMediaFile `json:"file"`
		Status string        `json:"status"`
	}
	strict(t, api.get("/v2/files/"+itoa(video1.ID), all), 200, &got)
	raw := string(api.get("/v2/files/"+itoa(video1.ID), all).raw)
	for _, field := range []string{"stream_url", "content_type_and_codecs", "need_convert", "media_info", "video_metadata", "mp4_size", "mp4_stream_url"} {
		if !strings.Contains(raw, `"`+field+`":`) {
			t.Errorf("files/{id} lacks %s: %s", field, raw)
		}
	}
	if got.File.StreamURL == nil || got.File.MP4StreamURL == nil || *got.File.NeedConvert || *got.File.MP4Size != video1.Size {
		t.Fatalf("media fields %+v", got.File)
	}
	if plain := string(api.get("/v2/files/"+itoa(video1.ID), nil).raw); strings.Contains(plain, "stream_url") {
		t.Fatalf("a field nobody asked for: %s", plain)
	}
	parent := url.Values{"parent_id": {itoa(video1.ID)}, "stream_url_parent": {"1"}, "video_metadata_parent": {"1"}, "codecs_parent": {"1"}, "media_info_parent": {"1"}, "mp4_status_parent": {"1"}, "mp4_stream_url_parent": {"1"}}
	r := api.get("/v2/files/list", parent)
	mustStatus(t, r, 200)
	for _, field := range []string{"stream_url", "video_metadata", "content_type_and_codecs", "media_info", "need_convert", "mp4_stream_url"} {
		if _, ok := r.body["parent"].(map[string]any)[field]; !ok {
			t.Errorf("the listed file as parent lacks %s: %s", field, r.raw)
		}
	}
	r = api.get("/v2/files/list", url.Values{"parent_id": {itoa(video1.ParentID)}, "media_metadata": {"1"}, "stream_url": {"1"}})
	mustStatus(t, r, 200)
	for _, f := range r.body["files"].([]any) {
		child := f.(map[string]any)
		if _, ok := child["media_metadata"]; !ok || child["stream_url"] == nil && child["file_type"] != "FOLDER" {
			t.Errorf("a child lacks its media fields: %v", child)
		}
	}
	if _, ok := r.body["parent"].(map[string]any)["stream_url"]; ok {
		t.Errorf("the parent took the children's flags: %s", r.raw)
	}
}

// 'files mp4 status', 'folder mp4 status yields typed error', 'files api
// mp4 download url redirects for owned video', 'files subtitles envelope
// shape'.
func TestSDKMP4AndSubtitles(t *testing.T) {
	_, api, video1, _, _ := fixtures(t)
	var status struct {
		MP4 struct {
			ID          int64  `json:"id"`
			Status      string `json:"status"`
			PercentDone int64  `json:"percent_done,omitempty"`
			Size        int64  `json:"size,omitempty"`
		} `json:"mp4"`
		Status string `json:"status"`
	}
	strict(t, api.get("/v2/files/"+itoa(video1.ID)+"/mp4", nil), 200, &status)
	if status.MP4.Status != "COMPLETED" || status.MP4.Size != video1.Size {
		t.Fatalf("mp4 status %+v", status)
	}
	text := api.upload(0, "a.txt", []byte("a"), nil)
	strict(t, api.get("/v2/files/"+itoa(text)+"/mp4", nil), 200, &status)
	if status.MP4.Status != "NOT_AVAILABLE" {
		t.Fatalf("mp4 status of a text file %+v", status)
	}
	strictError(t, api.get("/v2/files/"+itoa(video1.ParentID)+"/mp4", nil), 400, "NotFile")
	strictError(t, api.post("/v2/files/"+itoa(text)+"/mp4", nil), 400, "INVALID_MEDIA")

	resp := api.send(http.MethodGet, "/v2/files/"+itoa(video1.ID)+"/mp4/download/codex-sdk-live.mp4", nil, nil)
	closeBody(t, resp.Body)
	if resp.StatusCode != http.StatusFound || !strings.Contains(resp.Header.Get("Location"), "/download/"+itoa(video1.ID)) {
		t.Fatalf("mp4 download %d %v", resp.StatusCode, resp.Header)
	}
	strictError(t, api.get("/v2/files/"+itoa(text)+"/mp4/download", nil), 400, "MP4_NOT_FOUND")

	var subs struct {
		Subtitles []any   `json:"subtitles"`
		Default   *string `json:"default"`
		Status    string  `json:"status"`
	}
	strict(t, api.get("/v2/files/"+itoa(video1.ID)+"/subtitles", nil), 200, &subs)
	if subs.Subtitles == nil || subs.Default != nil {
		t.Fatalf("subtitles %+v", subs)
	}
}

// 'files start_from roundtrip', 'files start_from roundtrip semantics',
// 'files setWatchStatus roundtrip'.
func TestSDKStartFromAndWatchStatus(t *testing.T) {
	_, api, video1, video2, _ := fixtures(t)
	type startFrom struct {
		StartFrom float64 `json:"start_from"`
		Status    string  `json:"status"`
	}
	path := "/v2/files/" + itoa(video1.ID) + "/start-from"
	var at startFrom
	strict(t, api.get(path, nil), 200, &at)
	if at.StartFrom != 0 {
		t.Fatalf("start_from before any %v", at)
	}
	strict(t, api.post(path, url.Values{"time": {"37"}}), 200, &wireOK{})
	strict(t, api.get(path, nil), 200, &at)
	if at.StartFrom != 37 {
		t.Fatalf("start_from after setting 37: %v", at)
	}
	strict(t, api.post(path+"/delete", nil), 200, &wireOK{})
	strict(t, api.get(path, nil), 200, &at)
	if at.StartFrom != 0 {
		t.Fatalf("start_from after delete: %v", at)
	}
	strictError(t, api.post(path, url.Values{"time": {"-1"}}), 400, "BadRequest")
	text := api.upload(0, "a.txt", []byte("a"), nil)
	strictError(t, api.get("/v2/files/"+itoa(text)+"/start-from", nil), 400, "INVALID_MEDIA")

	ids := itoa(video1.ID) + "," + itoa(video2.ID)
	strict(t, api.post("/v2/files/watch-status", url.Values{"file_ids": {ids}, "watched": {"true"}}), 200, &wireOK{})
	strict(t, api.post("/v2/files/watch-status", url.Values{"file_ids": {ids}, "watched": {"false"}}), 200, &wireOK{})
	strictError(t, api.post("/v2/files/watch-status", url.Values{"file_ids": {ids + ",999999"}, "watched": {"true"}}), 404, "NotFound")
}

// 'files next-file and next-video', 'files next-file natural ordering
// with disposable fixtures': the next in natural name order, FILE being
// any file.
func TestSDKNextFile(t *testing.T) {
	_, api, video1, video2, _ := fixtures(t)
	type next struct {
		ID       int64  `json:"id"`
		Name     string `json:"name"`
		ParentID *int64 `json:"parent_id"`
	}
	var video struct {
		NextVideo next   `json:"next_video"`
		Status    string `json:"status"`
	}
	strict(t, api.get("/v2/files/"+itoa(video1.ID)+"/next-video", nil), 200, &video)
	if video.NextVideo.ID != video2.ID {
		t.Fatalf("next video %+v", video)
	}
	strictError(t, api.get("/v2/files/"+itoa(video2.ID)+"/next-video", nil), 404, "NotFound")

	dir := api.mkdir(0, "episodes")
	one := api.upload(dir, "episode_1_x.txt", []byte("1"), nil)
	api.upload(dir, "episode_10_x.txt", []byte("10"), nil)
	two := api.upload(dir, "episode_2_x.txt", []byte("2"), nil)
	var file struct {
		NextFile next   `json:"next_file"`
		Status   string `json:"status"`
	}
	strict(t, api.get("/v2/files/"+itoa(one)+"/next-file", url.Values{"file_type": {"FILE"}}), 200, &file)
	if file.NextFile.ID != two || *file.NextFile.ParentID != dir {
		t.Fatalf("next file after episode 1: %+v", file)
	}
	strictError(t, api.get("/v2/files/"+itoa(one)+"/next-file", url.Values{"file_type": {"VIDEO"}}), 404, "NotFound")
}
