package api

import (
	"encoding/json"
	"errors"
)

// Feed message types that change the file tree. The feed also carries
// mp4_update, zip_created, transfer_*, transfers_count and user_update,
// which do not.
const (
	FeedFileCreate = "file_create"
	FeedFileUpdate = "file_update"
	FeedFileMove   = "file_move"
	FeedFileDelete = "file_delete"
)

// FeedMessage is one message of put.io's real-time feed.
type FeedMessage struct {
	Type  string          `json:"type"`
	Value json.RawMessage `json:"value"`
}

// IsFileEvent reports whether the message is about an item of the tree.
func (m *FeedMessage) IsFileEvent() bool {
	switch m.Type {
	case FeedFileCreate, FeedFileUpdate, FeedFileMove, FeedFileDelete:
		return true
	}
	return false
}

// FeedItem is the value of a file event. Only the id is promised; the
// other fields are nil or empty when put.io leaves them out.
type FeedItem struct {
	ID          *ID     `json:"id"`
	ParentID    *ID     `json:"parent_id"`
	Name        *string `json:"name"`
	ContentType string  `json:"content_type"`
	FileType    string  `json:"file_type"`
}

// errNoID is a file event without the id every one must carry.
var errNoID = errors.New("file event without an id")

// ParseFeedItem decodes the value of a file event.
func ParseFeedItem(value json.RawMessage) (*FeedItem, error) {
	var item FeedItem
	if err := json.Unmarshal(value, &item); err != nil {
		return nil, err
	}
	if item.ID == nil {
		return nil, errNoID
	}
	return &item, nil
}

// Placed reports whether the event says where the item is now, and what
// it is: a parent, a name and a type.
func (i *FeedItem) Placed() bool {
	return i.ParentID != nil && *i.ParentID >= 0 && i.Name != nil && *i.Name != "" && (i.ContentType != "" || i.FileType != "")
}

// IsDir reports whether the event says the item is a folder.
func (i *FeedItem) IsDir() bool {
	return i.ContentType == FolderContentType || i.FileType == FolderFileType
}
