package putiotest_test

import (
	"net/url"
	"testing"
)

func TestSaveSettings(t *testing.T) {
	_, api := newAPI(t)
	dir := api.mkdir(0, "downloads")
	for _, c := range []struct {
		name      string
		form      url.Values
		status    int
		errorType string
	}{
		{"callback", url.Values{"callback_url": {"https://example.com/hook"}}, 200, ""},
		{"bad callback", url.Values{"callback_url": {"not a url"}}, 400, "INVALID_CALLBACK_URL"},
		{"callback without host", url.Values{"callback_url": {"https://"}}, 400, "INVALID_CALLBACK_URL"},
		{"ftp callback", url.Values{"callback_url": {"ftp://example.com/"}}, 400, "INVALID_CALLBACK_URL"},
		{"theme", url.Values{"theme": {"light"}}, 200, ""},
		{"bad theme", url.Values{"theme": {"pink"}}, 400, "INVALID_VALUE"},
		{"sort", url.Values{"sort_by": {"SIZE_DESC"}}, 200, ""},
		{"bad sort", url.Values{"sort_by": {"BY_MOOD"}}, 400, "INVALID_VALUE"},
		{"bool", url.Values{"dark_theme": {"true"}, "history_enabled": {"0"}}, 200, ""},
		{"bad bool", url.Values{"dark_theme": {"maybe"}}, 400, "INVALID_VALUE"},
		{"folder", url.Values{"default_download_folder": {itoa(dir)}}, 200, ""},
		{"missing folder", url.Values{"default_download_folder": {"999999"}}, 400, "INVALID_VALUE"},
		{"bad folder", url.Values{"default_download_folder": {"x"}}, 400, "INVALID_VALUE"},
		{"languages", url.Values{"subtitle_languages": {"eng,tur"}}, 200, ""},
		{"three languages", url.Values{"subtitle_languages": {"eng,tur,fra"}}, 400, "INVALID_VALUE"},
		{"player", url.Values{"video_player": {"html5"}}, 200, ""},
		{"bad player", url.Values{"video_player": {"vlc"}}, 400, "INVALID_VALUE"},
		{"password", url.Values{"password": {"x"}, "current_password": {"y"}}, 400, "INVALID_VALUE"},
		{"two factor", url.Values{"two_factor_enabled": {"true"}}, 400, "INVALID_VALUE"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := api.post("/v2/account/settings", c.form)
			if c.status == 200 {
				strict(t, r, 200, &wireOK{})
			} else {
				strictError(t, r, c.status, c.errorType)
			}
		})
	}
	// What was saved shows in both settings and account/info; refused
	// requests changed nothing (the theme stays light).
	var saved struct {
		Settings wireSettings `json:"settings"`
		Status   string       `json:"status"`
	}
	strict(t, api.get("/v2/account/settings", nil), 200, &saved)
	var info struct {
		Info   wireInfo `json:"info"`
		Status string   `json:"status"`
	}
	strict(t, api.get("/v2/account/info", nil), 200, &info)
	for name, s := range map[string]wireSettings{"settings": saved.Settings, "info": info.Info.Settings} {
		if s.CallbackURL == nil || *s.CallbackURL != "https://example.com/hook" || s.Theme != "light" || s.SortBy != "SIZE_DESC" ||
			!s.DarkTheme || s.HistoryEnabled || s.DefaultDownloadFolder != dir || len(s.SubtitleLanguages) != 2 ||
			*s.SubtitleLanguages[1] != "tur" || s.VideoPlayer == nil || *s.VideoPlayer != "html5" {
			t.Errorf("%s: %+v", name, s)
		}
	}
	// An empty value clears a nullable setting; JSON bodies work too.
	strict(t, api.postJSON("/v2/account/settings", map[string]any{"callback_url": "", "theme": "dark"}), 200, &wireOK{})
	strict(t, api.get("/v2/account/settings", nil), 200, &saved)
	if saved.Settings.CallbackURL != nil || saved.Settings.Theme != "dark" {
		t.Fatalf("after JSON save %+v", saved.Settings)
	}
}

// With trash_enabled off, a delete is for good, as with skip_trash.
func TestTrashDisabledDeletesForGood(t *testing.T) {
	srv, api := newAPI(t)
	keep := api.upload(0, "keep", []byte("1"), nil)
	mustStatus(t, api.post("/v2/files/delete", url.Values{"file_ids": {itoa(keep)}}), 200)
	strict(t, api.post("/v2/account/settings", url.Values{"trash_enabled": {"false"}}), 200, &wireOK{})
	gone := api.upload(0, "gone", []byte("22"), nil)
	mustStatus(t, api.post("/v2/files/delete", url.Values{"file_ids": {itoa(gone)}}), 200)
	trash := srv.Account(srv.Token).Trash()
	if len(trash) != 1 || trash[0].ID != keep {
		t.Fatalf("trash %+v", trash)
	}
	if used, _ := srv.Account(srv.Token).Usage(); used != 1 {
		t.Fatalf("used %d: the deleted file's bytes were not freed", used)
	}
}

func TestAccountInfoExtras(t *testing.T) {
	_, api := newAPI(t)
	all := url.Values{"download_token": {"1"}, "push_token": {"1"}, "features": {"1"}, "pas": {"1"}, "profitwell": {"1"}}
	var info struct {
		Info   wireInfo `json:"info"`
		Status string   `json:"status"`
	}
	r := api.get("/v2/account/info", all)
	strict(t, r, 200, &info)
	raw := r.body["info"].(map[string]any)
	if info.Info.DownloadToken == "" || info.Info.PushToken == "" || info.Info.Features == nil || info.Info.Pas == nil ||
		info.Info.Pas.UserHash == "" || raw["paddle_user_id"] != nil {
		t.Fatalf("extras %s", r.raw)
	}
	if _, ok := raw["paddle_user_id"]; !ok {
		t.Fatal("no paddle_user_id")
	}
	again := api.get("/v2/account/info", all).body["info"].(map[string]any)
	if again["download_token"] != raw["download_token"] {
		t.Fatal("download_token changes between calls")
	}
	// A flag other than 1 or true adds nothing.
	off := api.get("/v2/account/info", url.Values{"pas": {"0"}}).body["info"].(map[string]any)
	if _, ok := off["pas"]; ok {
		t.Fatal("pas=0 added pas")
	}
}
