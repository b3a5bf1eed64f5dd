// Package api holds the put.io wire types the backend decodes, with the
// validation that turns a malformed reply into an error instead of a panic.
package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// FolderContentType is the content_type put.io gives every folder.
const FolderContentType = "application/x-directory"

// FolderFileType is the file_type put.io gives every folder.
const FolderFileType = "FOLDER"

// ID is a put.io item id. Replies carry numbers, but a numeric string is
// accepted too so that a server changing its encoding does not break us.
type ID int64

// UnmarshalJSON accepts 123 and "123"; anything else is an error.
func (id *ID) UnmarshalJSON(data []byte) error {
	text := string(bytes.TrimSpace(data))
	if text == "null" {
		*id = -1
		return nil
	}
	if unquoted, err := strconv.Unquote(text); err == nil {
		text = unquoted
	}
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		return fmt.Errorf("id %.40q is not an integer", string(data))
	}
	*id = ID(n)
	return nil
}

// String gives the decimal form used in requests.
func (id ID) String() string {
	return strconv.FormatInt(int64(id), 10)
}

// timeLayouts are the forms put.io uses for timestamps: UTC without a zone,
// the same with a space, and RFC 3339 in case a zone ever appears.
var timeLayouts = []string{"2006-01-02T15:04:05", "2006-01-02 15:04:05", time.RFC3339Nano}

// Time is a put.io timestamp; null or absent stays the zero time.
type Time struct {
	time.Time
}

// UnmarshalJSON parses any of timeLayouts as UTC.
func (t *Time) UnmarshalJSON(data []byte) error {
	if string(bytes.TrimSpace(data)) == "null" {
		t.Time = time.Time{}
		return nil
	}
	var text string
	if err := json.Unmarshal(data, &text); err != nil {
		return fmt.Errorf("timestamp %.40q is not a string", string(data))
	}
	for _, layout := range timeLayouts {
		if parsed, err := time.ParseInLocation(layout, text, time.UTC); err == nil {
			t.Time = parsed.UTC()
			return nil
		}
	}
	return fmt.Errorf("timestamp %.40q has an unknown format", text)
}

// File is one put.io item, a file or a folder.
type File struct {
	ID          ID     `json:"id"`
	ParentID    ID     `json:"parent_id"`
	Name        string `json:"name"`
	Size        int64  `json:"size"`
	ContentType string `json:"content_type"`
	FileType    string `json:"file_type"`
	CRC32       string `json:"crc32"`
	CreatedAt   Time   `json:"created_at"`
	UpdatedAt   Time   `json:"updated_at"`
}

// IsDir reports whether the item is a folder; either field is enough.
func (f *File) IsDir() bool {
	return f.ContentType == FolderContentType || f.FileType == FolderFileType
}

// ModTime is updated_at, falling back to created_at when it is missing.
func (f *File) ModTime() time.Time {
	if f.UpdatedAt.IsZero() {
		return f.CreatedAt.Time
	}
	return f.UpdatedAt.Time
}

// Key is the item's id, which tells listed items apart.
func (f *File) Key() int64 { return int64(f.ID) }

// Validate rejects items the backend could not use safely, and puts the
// CRC-32 in the form it is compared in.
func (f *File) Validate() error {
	f.CRC32 = NormalizeCRC32(f.CRC32)
	switch {
	case f.ID <= 0:
		return fmt.Errorf("item %q has invalid id %d", f.Name, f.ID)
	case f.Name == "":
		return fmt.Errorf("item %d has no name", f.ID)
	case f.Size < 0:
		return fmt.Errorf("item %q has negative size %d", f.Name, f.Size)
	}
	return nil
}

// NormalizeCRC32 writes a CRC-32 as rclone compares it: 8 lower-case hex
// digits. put.io sends that form, but the same number without its leading
// zeros or in upper case must compare equal, not look like corruption.
// Anything that is not a hex number of at most 8 digits is kept as it is.
func NormalizeCRC32(crc string) string {
	crc = strings.TrimSpace(crc)
	if crc == "" || len(crc) > 8 {
		return crc
	}
	n, err := strconv.ParseUint(crc, 16, 32)
	if err != nil {
		return crc
	}
	return fmt.Sprintf("%08x", n)
}

// ErrMissingFile is returned when a reply that must carry an item has none.
var ErrMissingFile = errors.New("reply carries no file")

// FileReply wraps one item: GET /files/<id>, /child, create-folder, copy.
type FileReply struct {
	File *File `json:"file"`
	// AllowMissing accepts a reply without the item, for calls whose
	// effect has happened anyway (files/copy): the caller looks it up.
	AllowMissing bool `json:"-"`
}

// Validate checks the reply carries a usable item.
func (r *FileReply) Validate() error {
	if r.File == nil && r.AllowMissing {
		return nil
	}
	if r.File == nil {
		return ErrMissingFile
	}
	return r.File.Validate()
}

// Page is one page of a paged listing: /files/list, /trash/list,
// /transfers/list and their /continue calls. File listings carry their
// items in "files", the transfer listing in "transfers".
type Page[T any, P interface {
	*T
	Validate() error
}] struct {
	Files     []T     `json:"files"`
	Transfers []T     `json:"transfers"`
	Cursor    *string `json:"cursor"`
	// Parent is the folder a files/list reply lists (its name and
	// parent_id), nil where the reply does not say.
	Parent *T `json:"parent"`
}

// ListReply is a page of folder items.
type ListReply = Page[File, *File]

// TrashListReply is a page of trashed items.
type TrashListReply = Page[TrashFile, *TrashFile]

// Validate refuses a page that carries no item list at all: read as an
// empty page, it would end a listing early, and an early end can make a
// folder look empty to Rmdir (whose delete is recursive) or make a sync
// delete what it did not see. An empty list ([]) is fine; Usable sorts
// the items.
func (r *Page[T, P]) Validate() error {
	if r.Files == nil && r.Transfers == nil {
		return errors.New("the listing reply has no list of items")
	}
	return nil
}

// Usable returns the page's well-formed items and an error for each
// malformed one, so one odd item does not hide a whole folder.
func (r *Page[T, P]) Usable() (good []T, problems []error) {
	items := r.Items()
	good = items[:0:0]
	for i := range items {
		if err := P(&items[i]).Validate(); err != nil {
			problems = append(problems, err)
			continue
		}
		good = append(good, items[i])
	}
	return good, problems
}

// Items are the page's items as sent, whichever key carried them.
func (r *Page[T, P]) Items() []T {
	if r.Files == nil {
		return r.Transfers
	}
	return r.Files
}

// NextCursor is the cursor of the next page, "" on the last one.
func (r *Page[T, P]) NextCursor() string {
	if r.Cursor == nil {
		return ""
	}
	return *r.Cursor
}

// URLReply is the signed download URL of /files/<id>/url.
type URLReply struct {
	URL string `json:"url"`
}

// Validate checks the URL is there.
func (r *URLReply) Validate() error {
	if !strings.HasPrefix(r.URL, "http://") && !strings.HasPrefix(r.URL, "https://") {
		return fmt.Errorf("download url %.80q is not absolute", RedactURL(r.URL))
	}
	return nil
}

// Disk is the quota part of account info.
type Disk struct {
	Size  int64 `json:"size"`
	Used  int64 `json:"used"`
	Avail int64 `json:"avail"`
}

// AccountInfo is the part of /account/info the backend uses.
type AccountInfo struct {
	UserID        ID     `json:"user_id"`
	Username      string `json:"username"`
	Mail          string `json:"mail"`
	AccountStatus string `json:"account_status"`
	TrashSize     int64  `json:"trash_size"`
	Disk          Disk   `json:"disk"`
}

// AccountReply wraps AccountInfo.
type AccountReply struct {
	Info *AccountInfo `json:"info"`
}

// Validate checks the info object is there.
func (r *AccountReply) Validate() error {
	if r.Info == nil {
		return errors.New("account reply carries no info")
	}
	return nil
}

// MoveError is one per-item failure of a files/move.
type MoveError struct {
	ID         ID     `json:"id"`
	Name       string `json:"name"`
	ErrorType  string `json:"error_type"`
	StatusCode int    `json:"status_code"`
}

// MoveReply is the body of files/move, whose failures can come with 200.
type MoveReply struct {
	Errors []MoveError `json:"errors"`
}

// Validate accepts any body; failures are reported by Err.
func (r *MoveReply) Validate() error { return nil }

// Err turns the first per-item failure into an error.
func (r *MoveReply) Err() error {
	if len(r.Errors) == 0 {
		return nil
	}
	first := r.Errors[0]
	return &Error{Status: first.StatusCode, Type: first.ErrorType,
		Message: fmt.Sprintf("moving %q (id %d) failed", first.Name, first.ID)}
}

// Empty is a reply whose payload the backend does not need. It must still
// be a JSON object, as put.io's success replies are ({"status":"OK"}): a
// 200 carrying anything else (a proxy's page) did not come from put.io,
// and may mean the work was not done.
type Empty struct{}

// UnmarshalJSON accepts any JSON object.
func (*Empty) UnmarshalJSON(data []byte) error {
	if trimmed := bytes.TrimLeft(data, " \t\r\n"); len(trimmed) == 0 || trimmed[0] != '{' {
		return errors.New("not a JSON object")
	}
	return nil
}

// Validate accepts any body.
func (Empty) Validate() error { return nil }

// PublicShare is a put.io public link.
type PublicShare struct {
	ID             ID     `json:"id"`
	Token          string `json:"token"`
	ExpirationDate Time   `json:"expiration_date"`
	UserFile       *struct {
		ID ID `json:"id"`
	} `json:"user_file"`
}

// FileID is the shared item's id, -1 when the reply omits it.
func (s *PublicShare) FileID() ID {
	if s.UserFile == nil {
		return -1
	}
	return s.UserFile.ID
}

// PublicShareReply wraps one share.
type PublicShareReply struct {
	PublicShare *PublicShare `json:"public_share"`
}

// Validate checks the share has what a link needs.
func (r *PublicShareReply) Validate() error {
	if r.PublicShare == nil || r.PublicShare.Token == "" {
		return errors.New("public share reply carries no token")
	}
	return nil
}

// PublicShareListReply is GET /public_share/list.
type PublicShareListReply struct {
	PublicShares []PublicShare `json:"public_shares"`
}

// Validate accepts any list.
func (r *PublicShareListReply) Validate() error { return nil }

// TrashFile is an item in the trash.
type TrashFile struct {
	File
	DeletedAt      Time `json:"deleted_at"`
	ExpirationDate Time `json:"expiration_date"`
}
