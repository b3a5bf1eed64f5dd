package putiotest

import (
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/url"
	"strings"
)

// maxFormField bounds the small fields of a multipart upload.
const maxFormField = 4096

// multipartUpload is what a legacy upload form carried.
type multipartUpload struct {
	blob     string
	size     int64
	crc      uint32
	fileName string // of the file part
	fields   url.Values
}

// legacyUpload serves POST /v2/files/upload (the upload host's multipart
// form: file, optional filename and parent_id). Without parent_id the file
// goes to the default download folder of the settings. A .torrent becomes
// a transfer, as on put.io.
func (e *Emulator) legacyUpload(c *call) {
	form, err := e.readUploadForm(c)
	if err != nil {
		c.failErr(err)
		return
	}
	e.mu.Lock()
	reply, err := e.storeUpload(c.acct, form)
	e.mu.Unlock()
	if err != nil {
		e.blobs.remove(form.blob)
		c.failErr(err)
		return
	}
	c.ok(reply)
}

// readUploadForm streams the file part to disk, bounded by the free space.
func (e *Emulator) readUploadForm(c *call) (*multipartUpload, error) {
	mediaType, _, _ := mime.ParseMediaType(c.r.Header.Get("Content-Type"))
	mr, err := c.r.MultipartReader()
	if err != nil || mediaType != "multipart/form-data" {
		return nil, errBadRequest("BadRequest", "send the upload as multipart/form-data with a file part")
	}
	e.mu.Lock()
	avail := c.acct.avail(e.opts.Quota)
	e.mu.Unlock()
	form := &multipartUpload{fields: url.Values{}}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			e.blobs.remove(form.blob)
			return nil, errBadRequest("BadRequest", "malformed multipart body: "+err.Error())
		}
		if err := form.read(e, part, avail); err != nil {
			e.blobs.remove(form.blob)
			return nil, err
		}
	}
	if form.blob == "" {
		return nil, errBadRequest("BadRequest", "the form has no file part")
	}
	return form, nil
}

// read takes one part: the file body, or a small field.
func (form *multipartUpload) read(e *Emulator, p *multipart.Part, avail int64) error {
	part := io.Reader(p)
	if p.FormName() != "file" {
		value, err := io.ReadAll(io.LimitReader(part, maxFormField))
		if err != nil {
			return errBadRequest("BadRequest", "reading form field "+p.FormName()+": "+err.Error())
		}
		form.fields.Add(p.FormName(), string(value))
		return nil
	}
	if form.blob != "" {
		return errBadRequest("BadRequest", "the form has two file parts; send one file per upload")
	}
	blob, size, crc, err := e.blobs.write(io.LimitReader(part, avail+1))
	if err != nil {
		return errStorage(err)
	}
	form.blob, form.size, form.crc, form.fileName = blob, size, crc, p.FileName()
	if size > avail {
		return errQuota(size, avail)
	}
	return nil
}

// storeUpload turns the form into a file (or a transfer). Call with e.mu
// held.
func (e *Emulator) storeUpload(a *account, form *multipartUpload) (obj, error) {
	name, err := cleanName(firstOf(form.fields.Get("filename"), form.fileName))
	if err != nil {
		return nil, err
	}
	parent, err := e.uploadFolder(a, form.fields)
	if err != nil {
		return nil, err
	}
	if avail := a.avail(e.opts.Quota); form.size > avail {
		return nil, errQuota(form.size, avail)
	}
	if strings.HasSuffix(strings.ToLower(name), ".torrent") {
		e.blobs.remove(form.blob)
		return obj{"transfer": e.torrentTransferLocked(a, name, parent)}, nil
	}
	n := e.newFile(parent, name, form.blob, form.size, form.crc)
	e.recordUploadLocked(n)
	return obj{"file": fileJSON(n)}, nil
}

// uploadFolder is parent_id's folder, or the default download folder
// (the root if that is gone).
func (e *Emulator) uploadFolder(a *account, fields url.Values) (*node, error) {
	if fields.Has("parent_id") {
		id, err := intParam(fields, "parent_id", 0)
		if err != nil {
			return nil, err
		}
		return e.lookupFolder(a, id)
	}
	if n, err := e.lookupFolder(a, a.settings.DefaultDownloadFolder); err == nil {
		return n, nil
	}
	return a.root, nil
}

// torrentTransferLocked turns a .torrent upload into a transfer, as
// put.io does: a TORRENT transfer named after the file, whose source is
// the file's name. It follows the emulator's schedule for transfers it
// does not fetch until a test completes or fails it.
func (e *Emulator) torrentTransferLocked(a *account, name string, parent *node) obj {
	t := e.transfers.add(&transfer{acct: a, source: name, name: name[:len(name)-len(".torrent")],
		kind: "TORRENT", parentID: parent.id, created: e.opts.Now()})
	return e.transferJSON(t)
}

func firstOf(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
