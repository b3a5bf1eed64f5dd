package api

import (
	"bytes"
	"encoding/json"
	"errors"
)

// put.io's extraction statuses.
const (
	ExtractNew              = "NEW"
	ExtractSentToQueue      = "SENT_TO_QUEUE"
	ExtractExtracting       = "EXTRACTING"
	ExtractExtracted        = "EXTRACTED"
	ExtractPassword         = "PASSWORD"
	ExtractPasswordObtained = "PASSWORD_OBTAINED"
	ExtractError            = "ERROR"
)

// Extraction is one archive extraction (files/extract).
type Extraction struct {
	ID       int64           `json:"id"`
	Name     string          `json:"name"`
	NumParts int             `json:"num_parts"`
	Status   string          `json:"status"`
	Message  *string         `json:"message"`
	Files    []ExtractedFile `json:"files"`
}

// ExtractedFile is a file an extraction made. put.io's SDK schema (and
// its live suite) gives its id alone; an older record shows whole File
// objects, so both are read: with an id alone, Name is empty.
type ExtractedFile struct{ File }

// UnmarshalJSON reads an id (123 or "123") or a File object.
func (e *ExtractedFile) UnmarshalJSON(data []byte) error {
	if trimmed := bytes.TrimSpace(data); len(trimmed) > 0 && trimmed[0] == '{' {
		return json.Unmarshal(trimmed, &e.File)
	}
	return e.ID.UnmarshalJSON(data)
}

// Finished reports whether the extraction has ended, well or not.
func (x *Extraction) Finished() bool {
	return x.Status == ExtractExtracted || x.Status == ExtractError
}

// ExtractionsReply is what files/extract answers, to a POST and a GET.
type ExtractionsReply struct {
	Extractions []Extraction `json:"extractions"`
}

// Validate checks the reply has its list.
func (r *ExtractionsReply) Validate() error {
	if r.Extractions == nil {
		return errors.New("the extraction reply has no list of extractions")
	}
	return nil
}
