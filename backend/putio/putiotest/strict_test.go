package putiotest_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// decodeStrict decodes raw into out (a pointer to a struct holding the
// record's field set) strictly both ways: an unknown field fails
// (DisallowUnknownFields), and so does a missing one, a null where the
// record does not allow it, or a value of the wrong type. Fields tagged
// omitempty are the record's optional ones.
func decodeStrict(t testing.TB, raw []byte, out any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(out); err != nil {
		t.Fatalf("decoding into %T: %v\n%s", out, err, raw)
	}
	if problems := shapeProblems(raw, reflect.TypeOf(out).Elem(), "$"); len(problems) > 0 {
		t.Fatalf("reply does not have the record's shape:\n  %s\n%s", strings.Join(problems, "\n  "), raw)
	}
}

// shapeProblems compares a JSON value with the Go type describing it.
func shapeProblems(raw json.RawMessage, typ reflect.Type, path string) []string {
	isNull := bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
	switch {
	case typ.Kind() == reflect.Interface || typ == reflect.TypeOf(json.RawMessage{}):
		return nil // checked by the caller, or anything goes
	case typ.Kind() == reflect.Pointer:
		if isNull {
			return nil
		}
		return shapeProblems(raw, typ.Elem(), path)
	case isNull:
		return []string{path + " is null; the record does not allow null here"}
	}
	switch typ.Kind() {
	case reflect.Struct:
		return structProblems(raw, typ, path)
	case reflect.Slice:
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return []string{path + " is not an array"}
		}
		var out []string
		for i, item := range items {
			out = append(out, shapeProblems(item, typ.Elem(), path+"["+itoa(int64(i))+"]")...)
		}
		return out
	case reflect.Map:
		var members map[string]json.RawMessage
		if err := json.Unmarshal(raw, &members); err != nil {
			return []string{path + " is not an object"}
		}
		var out []string
		for k, v := range members {
			out = append(out, shapeProblems(v, typ.Elem(), path+"."+k)...)
		}
		return out
	}
	if err := json.Unmarshal(raw, reflect.New(typ).Interface()); err != nil {
		return []string{path + ": " + err.Error()}
	}
	return nil
}

func structProblems(raw json.RawMessage, typ reflect.Type, path string) []string {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(raw, &members); err != nil {
		return []string{path + " is not an object"}
	}
	var out []string
	known := map[string]bool{}
	for _, f := range jsonFields(typ) {
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		known[name] = true
		v, present := members[name]
		if !present {
			if opts != "omitempty" {
				out = append(out, path+"."+name+" is missing")
			}
			continue
		}
		out = append(out, shapeProblems(v, f.Type, path+"."+name)...)
	}
	for k := range members {
		if !known[k] {
			out = append(out, path+"."+k+" is not in the record")
		}
	}
	return out
}

// jsonFields are a struct's fields with embedded structs flattened, as
// encoding/json sees them.
func jsonFields(typ reflect.Type) []reflect.StructField {
	var out []reflect.StructField
	for i := range typ.NumField() {
		f := typ.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			out = append(out, jsonFields(f.Type)...)
			continue
		}
		out = append(out, f)
	}
	return out
}

// Wire shapes, as the record (../shared/putio-api.md and the SDK schemas it
// cites) gives them. Pointers are nullable, omitempty fields optional.

type wireError struct {
	Status       string         `json:"status"`
	StatusCode   int            `json:"status_code"`
	ErrorType    string         `json:"error_type"`
	ErrorMessage string         `json:"error_message"`
	ErrorID      *string        `json:"error_id"`
	ErrorURI     string         `json:"error_uri"`
	Extra        map[string]any `json:"extra"`
}

type wireFile struct {
	ID                int64   `json:"id"`
	ParentID          *int64  `json:"parent_id"`
	Name              string  `json:"name"`
	Size              int64   `json:"size"`
	ContentType       *string `json:"content_type"`
	FileType          string  `json:"file_type"`
	Extension         *string `json:"extension"`
	CRC32             *string `json:"crc32"`
	CreatedAt         string  `json:"created_at"`
	UpdatedAt         string  `json:"updated_at"`
	FirstAccessedAt   *string `json:"first_accessed_at"`
	Icon              *string `json:"icon"`
	Screenshot        *string `json:"screenshot"`
	OpensubtitlesHash *string `json:"opensubtitles_hash"`
	IsMP4Available    bool    `json:"is_mp4_available"`
	IsShared          bool    `json:"is_shared"`
	IsHidden          bool    `json:"is_hidden"`
	FolderType        string  `json:"folder_type"`
	SHA1              *string `json:"sha1,omitempty"`
	StartFrom         float64 `json:"start_from,omitempty"`
}

type wireTrashFile struct {
	wireFile
	DeletedAt      string `json:"deleted_at"`
	ExpirationDate string `json:"expiration_date"`
}

type wireOK struct {
	Status string `json:"status"`
}

type wireFileReply struct {
	File   wireFile `json:"file"`
	Status string   `json:"status"`
}

type wirePage struct {
	Files  []wireFile `json:"files"`
	Cursor *string    `json:"cursor"`
	Status string     `json:"status"`
}

type wireList struct {
	wirePage
	Parent *wireFile `json:"parent"`
	Total  int       `json:"total,omitempty"`
}

type wireSearch struct {
	wirePage
	Total int `json:"total"`
}

type wireDelete struct {
	Status  string  `json:"status"`
	Cursor  *string `json:"cursor"`
	Skipped int     `json:"skipped"`
}

type wireURL struct {
	URL    string `json:"url"`
	Status string `json:"status"`
}

// wireTrashPage is a trash/list/continue reply, which the record gives as
// {files, cursor}; the totals may come too.
type wireTrashPage struct {
	Files     []wireTrashFile `json:"files"`
	Cursor    *string         `json:"cursor"`
	Status    string          `json:"status"`
	Total     *int            `json:"total,omitempty"`
	TrashSize *int64          `json:"trash_size,omitempty"`
}

// wireTrashList is a trash/list reply: the totals must come.
type wireTrashList struct {
	wireTrashPage
	Total     int   `json:"total"`
	TrashSize int64 `json:"trash_size"`
}

type wireSettings struct {
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

type wireInfo struct {
	AccountActive       *bool  `json:"account_active,omitempty"`
	AccountStatus       string `json:"account_status"`
	AvatarURL           string `json:"avatar_url"`
	CanCreateSubAccount bool   `json:"can_create_sub_account"`
	Disk                struct {
		Avail int64 `json:"avail"`
		Size  int64 `json:"size"`
		Used  int64 `json:"used"`
	} `json:"disk"`
	FamilyOwner                   *string      `json:"family_owner,omitempty"`
	FilesWillBeDeletedAt          *string      `json:"files_will_be_deleted_at"`
	IsAdmin                       bool         `json:"is_admin,omitempty"`
	IsEligibleForFriendInvitation bool         `json:"is_eligible_for_friend_invitation"`
	IsSubAccount                  bool         `json:"is_sub_account"`
	Mail                          string       `json:"mail"`
	MonthlyBandwidthUsage         float64      `json:"monthly_bandwidth_usage"`
	PasswordLastChangedAt         *string      `json:"password_last_changed_at"`
	PrivateDownloadHostIP         *string      `json:"private_download_host_ip"`
	Settings                      wireSettings `json:"settings"`
	TrashSize                     int64        `json:"trash_size"`
	UserID                        int64        `json:"user_id"`
	Username                      string       `json:"username"`
	Warnings                      struct {
		CallbackURLHasFailed   bool `json:"callback_url_has_failed,omitempty"`
		PushoverTokenHasFailed bool `json:"pushover_token_has_failed,omitempty"`
	} `json:"warnings"`
	// Extras, present only when their flag asks.
	DownloadToken string          `json:"download_token,omitempty"`
	PushToken     string          `json:"push_token,omitempty"`
	Features      map[string]bool `json:"features,omitempty"`
	Pas           *struct {
		UserHash string `json:"user_hash"`
	} `json:"pas,omitempty"`
	PaddleUserID any `json:"paddle_user_id,omitempty"`
}

type wireValidate struct {
	Result     bool    `json:"result"`
	TokenID    *int64  `json:"token_id"`
	TokenScope *string `json:"token_scope"`
	UserID     *int64  `json:"user_id"`
	Status     string  `json:"status"`
}

type wirePublicShare struct {
	CreatedAt      string `json:"created_at"`
	ExpirationDate string `json:"expiration_date"`
	ID             int64  `json:"id"`
	Owner          struct {
		Name string `json:"name"`
	} `json:"owner"`
	PushToken string `json:"push_token"`
	Token     string `json:"token"`
	UserFile  struct {
		FileType string `json:"file_type"`
		ID       int64  `json:"id"`
		Name     string `json:"name"`
	} `json:"user_file"`
}

type wireUploadEvent struct {
	CreatedAt string `json:"created_at"`
	ID        int64  `json:"id"`
	Type      string `json:"type"`
	UserID    int64  `json:"user_id"`
	FileID    int64  `json:"file_id"`
	FileName  string `json:"file_name"`
	FileSize  int64  `json:"file_size"`
}

type wireEvents struct {
	Events  []wireUploadEvent `json:"events"`
	HasMore bool              `json:"has_more"`
	Status  string            `json:"status"`
}

type wireApps struct {
	Apps []struct {
		Description string `json:"description"`
		HasIcon     *bool  `json:"has_icon"`
		ID          int64  `json:"id"`
		Name        string `json:"name"`
		Website     string `json:"website"`
	} `json:"apps"`
	Status string `json:"status"`
}

// strict sends nothing: it checks a reply's status and decodes it strictly.
func strict(t testing.TB, r reply, status int, out any) {
	t.Helper()
	mustStatus(t, r, status)
	decodeStrict(t, r.raw, out)
}

// strictError checks an error reply and its shape.
func strictError(t testing.TB, r reply, status int, errorType string) {
	t.Helper()
	mustError(t, r, status, errorType)
	decodeStrict(t, r.raw, &wireError{})
}

// The shape check itself: each kind of deviation is caught.
func TestShapeCheckIsStrict(t *testing.T) {
	type shape struct {
		N   int     `json:"n"`
		S   *string `json:"s"`
		Opt int     `json:"opt,omitempty"`
	}
	typ := reflect.TypeOf(shape{})
	for raw, want := range map[string]int{
		`{"n":1,"s":null}`:              0,
		`{"n":1,"s":"x","opt":2}`:       0,
		`{"s":null}`:                    1, // missing
		`{"n":1,"s":null,"extra":true}`: 1, // not in the record
		`{"n":null,"s":null}`:           1, // null where not nullable
		`{"n":"one","s":null}`:          1, // wrong type
		`{"n":1,"s":null,"opt":"two"}`:  1,
	} {
		if got := shapeProblems(json.RawMessage(raw), typ, "$"); len(got) != want {
			t.Errorf("%s: problems %q, want %d", raw, got, want)
		}
	}
}
