package putiotest

import (
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// settings are an account's settings, the 26 keys of account/info's
// "settings" (TS SDK AccountSettingsSchema); nullable ones are pointers.
type settings struct {
	BetaUser                bool      `json:"beta_user"`
	CallbackURL             *string   `json:"callback_url"`
	DarkTheme               bool      `json:"dark_theme"`
	DefaultDownloadFolder   int64     `json:"default_download_folder"`
	DontAutoselectSubtitles bool      `json:"dont_autoselect_subtitles"`
	FluidLayout             bool      `json:"fluid_layout"`
	HideSubtitles           bool      `json:"hide_subtitles"`
	HistoryEnabled          bool      `json:"history_enabled"`
	IsInvisible             bool      `json:"is_invisible"`
	Locale                  *string   `json:"locale"`
	LoginMailsEnabled       bool      `json:"login_mails_enabled"`
	NextEpisode             bool      `json:"next_episode"`
	PushoverToken           *string   `json:"pushover_token"`
	ShowOptimisticUsage     bool      `json:"show_optimistic_usage"`
	SortBy                  string    `json:"sort_by"`
	StartFrom               bool      `json:"start_from"`
	SubtitleLanguages       []*string `json:"subtitle_languages"`
	TheaterMode             bool      `json:"theater_mode"`
	Theme                   string    `json:"theme"`
	TransferSortBy          *string   `json:"transfer_sort_by"`
	TrashEnabled            bool      `json:"trash_enabled"`
	TunnelRouteName         *string   `json:"tunnel_route_name"`
	TwoFactorEnabled        bool      `json:"two_factor_enabled"`
	UsePrivateDownloadIP    bool      `json:"use_private_download_ip"`
	UseStartFrom            bool      `json:"use_start_from"`
	VideoPlayer             *string   `json:"video_player"`
}

func defaultSettings() settings {
	return settings{HistoryEnabled: true, LoginMailsEnabled: true, SortBy: "NAME_ASC", Theme: "auto",
		SubtitleLanguages: []*string{}, TrashEnabled: true}
}

// settingChoices are the values the record allows for enumerated settings.
var settingChoices = map[string][]string{
	"sort_by": {"NAME_ASC", "NAME_DESC", "SIZE_ASC", "SIZE_DESC", "DATE_ASC", "DATE_DESC",
		"MODIFIED_ASC", "MODIFIED_DESC", "TYPE_ASC", "TYPE_DESC", "WATCH_ASC", "WATCH_DESC"},
	"theme":        {"dark", "light", "auto"},
	"video_player": {"", "html5", "flash"},
}

// notEmulatedSettings are save-settings keys that change credentials or
// two-factor auth, which the emulator does not model.
var notEmulatedSettings = []string{"two_factor_enabled", "username", "mail", "password", "current_password"}

// getSettings serves GET /v2/account/settings.
func (e *Emulator) getSettings(c *call) {
	c.locked(func(url.Values) (obj, error) {
		return obj{"settings": c.acct.settings}, nil
	})
}

// saveSettings serves POST /v2/account/settings: every key given is
// checked first, then all are applied, so a refused request changes
// nothing. Nullable strings are cleared with an empty value.
func (e *Emulator) saveSettings(c *call) {
	c.locked(func(v url.Values) (obj, error) {
		for _, key := range notEmulatedSettings {
			if v.Has(key) {
				return nil, errBadRequest("INVALID_VALUE", key+" cannot be changed in the emulator (credentials and two-factor auth are not emulated)")
			}
		}
		next := c.acct.settings
		next.SubtitleLanguages = slices.Clone(next.SubtitleLanguages)
		if err := applySettings(&next, v); err != nil {
			return nil, err
		}
		if err := e.checkSettings(c.acct, next, v); err != nil {
			return nil, err
		}
		c.acct.settings = next
		return nil, nil
	})
}

// applySettings sets each field whose JSON name is a parameter.
func applySettings(s *settings, v url.Values) error {
	rv := reflect.ValueOf(s).Elem()
	for i := range rv.NumField() {
		key := rv.Type().Field(i).Tag.Get("json")
		if !v.Has(key) {
			continue
		}
		if err := setField(rv.Field(i), key, strings.TrimSpace(v.Get(key))); err != nil {
			return err
		}
	}
	return nil
}

func setField(f reflect.Value, key, raw string) error {
	invalid := errBadRequest("INVALID_VALUE", key+": "+strconv.Quote(raw)+" is not a valid value")
	switch f.Interface().(type) {
	case bool:
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return invalid
		}
		f.SetBool(b)
	case int64:
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return invalid
		}
		f.SetInt(n)
	case string:
		f.SetString(raw)
	case *string:
		f.Set(reflect.ValueOf(nullable(raw)))
	case []*string:
		var langs []*string
		for _, part := range strings.Split(raw, ",") {
			if part = strings.TrimSpace(part); part != "" {
				langs = append(langs, nullable(part))
			}
		}
		if len(langs) > 2 {
			return errBadRequest("INVALID_VALUE", "subtitle_languages takes at most 2 languages")
		}
		f.Set(reflect.ValueOf(append([]*string{}, langs...)))
	}
	return nil
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// checkSettings validates what the record constrains: enumerations, the
// callback URL and the default download folder.
func (e *Emulator) checkSettings(a *account, s settings, v url.Values) error {
	got := map[string]string{"sort_by": s.SortBy, "theme": s.Theme, "video_player": deref(s.VideoPlayer)}
	for key, choices := range settingChoices {
		if v.Has(key) && !slices.Contains(choices, got[key]) {
			return errBadRequest("INVALID_VALUE", key+" must be one of "+strings.Join(choices, ", "))
		}
	}
	if s.CallbackURL != nil {
		u, err := url.Parse(*s.CallbackURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return errBadRequest("INVALID_CALLBACK_URL", "callback_url must be an absolute http or https URL, got "+strconv.Quote(*s.CallbackURL))
		}
	}
	if v.Has("default_download_folder") {
		if _, err := e.lookupFolder(a, s.DefaultDownloadFolder); err != nil {
			return errBadRequest("INVALID_VALUE", "default_download_folder must name one of your folders")
		}
	}
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// accountInfo serves GET /v2/account/info, with the extras its flags ask
// for.
func (e *Emulator) accountInfo(c *call) {
	c.locked(func(v url.Values) (obj, error) {
		a := c.acct
		quota := e.opts.Quota
		info := obj{
			"user_id":                           a.userID,
			"username":                          a.username,
			"mail":                              a.username + "@example.invalid",
			"account_status":                    "active",
			"avatar_url":                        "",
			"trash_size":                        a.trashSize(),
			"monthly_bandwidth_usage":           0,
			"files_will_be_deleted_at":          nil,
			"password_last_changed_at":          nil,
			"private_download_host_ip":          nil,
			"disk":                              obj{"size": quota, "used": a.used, "avail": a.avail(quota)},
			"settings":                          a.settings,
			"is_sub_account":                    false,
			"can_create_sub_account":            false,
			"is_eligible_for_friend_invitation": false,
			"warnings":                          obj{},
		}
		extras := map[string]func(){
			"download_token": func() { info["download_token"] = a.secret("download") },
			"push_token":     func() { info["push_token"] = a.secret("push") },
			"features":       func() { info["features"] = obj{} },
			"pas":            func() { info["pas"] = obj{"user_hash": a.secret("pas")} },
			"profitwell":     func() { info["paddle_user_id"] = nil },
		}
		for flag, add := range extras {
			if flagParam(v, flag) {
				add()
			}
		}
		return obj{"info": info}, nil
	})
}

// secret is a stable per-account value for the token-like extras of
// account/info.
func (a *account) secret(kind string) string {
	return kind + "-" + strconv.FormatInt(a.userID, 36) + "-" + strconv.FormatUint(uint64(a.root.created.Unix()), 36)
}
