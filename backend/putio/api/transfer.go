package api

import (
	"fmt"

	"github.com/putdotio/go-putio"
)

// Transfer is a put.io transfer as go-putio decodes it, so that the
// listing (read page by page through our request path, which go-putio's
// List cannot do) and go-putio's TransfersService calls share one type.
type Transfer struct {
	putio.Transfer
	// Hash is a torrent's info hash, which go-putio does not decode.
	Hash string `json:"hash"`
}

// Key is the transfer's id, which tells listed transfers apart.
func (t *Transfer) Key() int64 { return t.ID }

// Validate rejects transfers the commands could not report on.
func (t *Transfer) Validate() error {
	return ValidateTransfer(&t.Transfer)
}

// ValidateTransfer checks a transfer go-putio decoded: a zero value is
// what it makes of a reply without one.
func ValidateTransfer(t *putio.Transfer) error {
	switch {
	case t.ID <= 0:
		return fmt.Errorf("transfer %q has invalid id %d", t.Name, t.ID)
	case t.Status == "":
		return fmt.Errorf("transfer %d has no status", t.ID)
	}
	return nil
}
