package putiotest

import (
	"fmt"
	"net/url"
	"slices"
	"sort"
	"time"
)

// put.io's extraction statuses, as files/extract reports them.
const (
	ExtractNew              = "NEW"
	ExtractSentToQueue      = "SENT_TO_QUEUE"
	ExtractExtracting       = "EXTRACTING"
	ExtractExtracted        = "EXTRACTED"
	ExtractPassword         = "PASSWORD"
	ExtractPasswordObtained = "PASSWORD_OBTAINED"
	ExtractError            = "ERROR"
)

// The emulator unpacks nothing. An extraction follows the emulator clock,
// NEW, then SENT_TO_QUEUE, then EXTRACTING, and stays there until a test
// completes it, fails it or asks for a password, as transfers do.
const (
	extractQueuedAfter     = time.Second
	extractExtractingAfter = 3 * time.Second
)

// extraction is one archive extraction, guarded by Emulator.mu.
type extraction struct {
	id       int64
	archive  *node
	created  time.Time
	status   string // set once a test has acted; "" follows the schedule
	message  string
	password string // as the client sent it
	files    []*node
}

func (x *extraction) finished() bool {
	return x.status == ExtractExtracted || x.status == ExtractError
}

// extractionStatus is the status now, following the schedule until a test
// has acted.
func (e *Emulator) extractionStatus(x *extraction) string {
	if x.status != "" {
		return x.status
	}
	switch elapsed := e.opts.Now().Sub(x.created); {
	case elapsed < extractQueuedAfter:
		return ExtractNew
	case elapsed < extractExtractingAfter:
		return ExtractSentToQueue
	}
	return ExtractExtracting
}

func (e *Emulator) extractionJSON(x *extraction) obj {
	var message any // null until there is something to say
	if x.message != "" {
		message = x.message
	}
	ids := []int64{} // the ids of the files made: the TS SDK's FileExtractionSchema
	for _, n := range x.files {
		ids = append(ids, n.id)
	}
	return obj{"id": x.id, "name": x.archive.name, "num_parts": 1, "status": e.extractionStatus(x),
		"message": message, "files": ids}
}

func (e *Emulator) extractionsJSON(xs []*extraction) []obj {
	out := make([]obj, len(xs))
	for i, x := range xs {
		out[i] = e.extractionJSON(x)
	}
	return out
}

// startExtraction serves POST /v2/files/extract (user_file_ids, optional
// password). Every id must name an archive of the account, else nothing
// starts. An archive already being extracted is not started twice: its
// extraction is answered again, and a password sent for one waiting in
// PASSWORD moves it to PASSWORD_OBTAINED.
func (e *Emulator) startExtraction(c *call) {
	c.locked(func(v url.Values) (obj, error) {
		if v.Has("cursor") {
			return nil, errBadRequest("BadRequest", "extract by cursor selection is not emulated; send user_file_ids")
		}
		ids, err := idsParam(v, "user_file_ids")
		if err != nil {
			return nil, err
		}
		archives, err := e.lookupAll(c.acct, ids)
		if err != nil {
			return nil, err
		}
		for _, n := range archives {
			if err := checkArchive(n); err != nil {
				return nil, err
			}
		}
		out := make([]*extraction, len(archives))
		for i, n := range archives {
			out[i] = e.extractionOf(c.acct, n, v.Get("password"))
		}
		return obj{"extractions": e.extractionsJSON(out)}, nil
	})
}

func checkArchive(n *node) error {
	if n.dir {
		return errBadRequest("NotFile", "file "+itoa(n.id)+" is a folder, not an archive")
	}
	if _, _, kind := fileKind(n.name); kind != "ARCHIVE" {
		return errBadRequest("BadRequest", "file "+itoa(n.id)+" ("+n.name+") is not an archive")
	}
	return nil
}

// extractionOf returns the running extraction of the archive, or starts one.
func (e *Emulator) extractionOf(a *account, archive *node, password string) *extraction {
	for _, x := range a.extractions {
		if x.archive != archive || x.finished() {
			continue
		}
		if x.status == ExtractPassword && password != "" {
			x.status, x.message, x.password = ExtractPasswordObtained, "", password
		}
		return x
	}
	a.extractionSeq++
	x := &extraction{id: a.extractionSeq, archive: archive, created: e.opts.Now(), password: password}
	a.extractions = append(a.extractions, x)
	return x
}

// listExtractions serves GET /v2/files/extract: the account's extractions,
// oldest first.
func (e *Emulator) listExtractions(c *call) {
	c.locked(func(url.Values) (obj, error) {
		return obj{"extractions": e.extractionsJSON(c.acct.extractions)}, nil
	})
}

// deleteExtraction serves DELETE /v2/files/extract/{id}: the record goes,
// files it made stay.
func (e *Emulator) deleteExtraction(c *call) {
	id, ok := c.idVar()
	if !ok {
		return
	}
	c.locked(func(url.Values) (obj, error) {
		i := slices.IndexFunc(c.acct.extractions, func(x *extraction) bool { return x.id == id })
		if i < 0 {
			return nil, errNotFound("extraction " + itoa(id))
		}
		c.acct.extractions = slices.Delete(c.acct.extractions, i, i+1)
		return nil, nil
	})
}

// Extraction is a snapshot of an archive extraction, for tests.
type Extraction struct {
	ID        int64
	ArchiveID int64
	Status    string
	Message   string
	Password  string // the password the client sent, if any
	FileIDs   []int64
}

// Extractions lists the account's extractions, oldest first.
func (acc *Account) Extractions() []Extraction {
	acc.emu.mu.Lock()
	defer acc.emu.mu.Unlock()
	var out []Extraction
	for _, x := range acc.extractions {
		s := Extraction{ID: x.id, ArchiveID: x.archive.id, Status: acc.emu.extractionStatus(x), Message: x.message, Password: x.password}
		for _, n := range x.files {
			s.FileIDs = append(s.FileIDs, n.id)
		}
		out = append(out, s)
	}
	return out
}

// heldExtraction finds an extraction a test may act on: one of the
// account's, not yet finished.
func (acc *Account) heldExtraction(id int64) (*extraction, error) {
	for _, x := range acc.extractions {
		if x.id != id {
			continue
		}
		if x.finished() {
			return nil, fmt.Errorf("putiotest: extraction %d is %s already", id, x.status)
		}
		return x, nil
	}
	return nil, fmt.Errorf("putiotest: no extraction %d in this account", id)
}

// CompleteExtraction finishes an extraction: files (name → bytes, names
// cleaned as uploads' are) appear in the archive's folder and the extraction is EXTRACTED. It fails as
// put.io would, leaving the extraction in ERROR, if the archive's folder is
// gone or the disk full.
func (acc *Account) CompleteExtraction(id int64, files map[string][]byte) ([]File, error) {
	cleaned := make(map[string][]byte, len(files))
	names := make([]string, 0, len(files))
	for name, data := range files {
		clean, err := cleanName(name)
		if err != nil {
			return nil, fmt.Errorf("putiotest: extracted file name %q: %w", name, err)
		}
		cleaned[clean] = data
		names = append(names, clean)
	}
	sort.Strings(names)
	acc.emu.mu.Lock()
	defer acc.emu.mu.Unlock()
	x, err := acc.heldExtraction(id)
	if err != nil {
		return nil, err
	}
	if x.status == ExtractPassword {
		return nil, fmt.Errorf("putiotest: extraction %d waits for the client to send a password", id)
	}
	if err := acc.emu.unpack(x, names, cleaned); err != nil {
		x.status, x.message = ExtractError, err.Error()
		return nil, err
	}
	out := make([]File, len(x.files))
	for i, n := range x.files {
		out[i] = snapshot(n)
	}
	return out, nil
}

// unpack creates the extracted files; the caller holds e.mu.
func (e *Emulator) unpack(x *extraction, names []string, files map[string][]byte) error {
	a := x.archive.acct
	parent := x.archive.parent
	if x.archive.inTrash() || parent == nil || e.lookup(a, parent.id) == nil {
		return fmt.Errorf("the archive is gone")
	}
	var need int64
	for _, data := range files {
		need += int64(len(data))
	}
	if avail := a.avail(e.opts.Quota); need > avail {
		return fmt.Errorf("not enough disk space: need %d bytes, %d available", need, avail)
	}
	for _, name := range names {
		n, err := e.storeFile(parent, name, files[name])
		if err != nil {
			return err
		}
		x.files = append(x.files, n)
	}
	x.status, x.message = ExtractExtracted, ""
	return nil
}

// FailExtraction ends an extraction in ERROR with message.
func (acc *Account) FailExtraction(id int64, message string) error {
	acc.emu.mu.Lock()
	defer acc.emu.mu.Unlock()
	x, err := acc.heldExtraction(id)
	if err == nil {
		x.status, x.message = ExtractError, message
	}
	return err
}

// AskExtractionPassword puts an extraction in PASSWORD, as put.io does
// for an encrypted archive, until the client sends the password again
// with files/extract (then PASSWORD_OBTAINED).
func (acc *Account) AskExtractionPassword(id int64) error {
	acc.emu.mu.Lock()
	defer acc.emu.mu.Unlock()
	x, err := acc.heldExtraction(id)
	if err == nil {
		x.status, x.message = ExtractPassword, "the archive needs a password"
	}
	return err
}
