package api

import "errors"

// Event is one entry of the account's history (GET /v2/events/list):
// uploads, finished or failed transfers, shares, zips. It has no moves,
// renames or deletes.
type Event struct {
	ID        int64  `json:"id"`
	Type      string `json:"type"`
	CreatedAt Time   `json:"created_at"`
	FileID    ID     `json:"file_id"` // the item made, for uploads and completed transfers
}

// Event types that name an item they made.
const (
	EventUpload            = "upload"
	EventTransferCompleted = "transfer_completed"
)

// MadeItem reports whether the event names an item it made.
func (e *Event) MadeItem() bool {
	return (e.Type == EventUpload || e.Type == EventTransferCompleted) && e.FileID > 0
}

// EventsReply is a page of the history, newest first.
type EventsReply struct {
	Events  []Event `json:"events"`
	HasMore bool    `json:"has_more"`
}

// Validate checks the page has its list.
func (r *EventsReply) Validate() error {
	if r.Events == nil {
		return errors.New("the history reply has no list of events")
	}
	return nil
}
