package api

import "errors"

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
	ID       int64   `json:"id"`
	Name     string  `json:"name"`
	NumParts int     `json:"num_parts"`
	Status   string  `json:"status"`
	Message  *string `json:"message"`
	Files    []File  `json:"files"`
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
