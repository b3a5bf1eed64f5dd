package putiotest

import (
	"encoding/base64"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

const (
	tusVersion     = "1.0.0"
	tusContentType = "application/offset+octet-stream"
)

// tusCreate serves POST /files/. With creation-with-upload advertised, a
// body is taken as the first bytes of the upload, and a body that
// completes it makes the file at once.
func (e *Emulator) tusCreate(c *call) {
	withBody := c.r.ContentLength > 0 || c.r.ContentLength < 0 && c.r.Header.Get("Content-Type") == tusContentType
	if withBody && !e.advertises("creation-with-upload") {
		c.fail(http.StatusBadRequest, "BadRequest", "this upload service does not take a body in the creation POST (creation-with-upload); send it in a PATCH")
		return
	}
	if ct := c.r.Header.Get("Content-Type"); withBody && ct != tusContentType {
		c.fail(http.StatusUnsupportedMediaType, "BadRequest", "Content-Type of a creation with upload must be "+tusContentType+", got "+strconv.Quote(ct))
		return
	}
	up, err := e.newUpload(c)
	if err != nil {
		c.failErr(err)
		return
	}
	c.w.Header().Set("Location", e.baseURL(c.r)+tusPrefix+up.id)
	if withBody {
		up.busy.Lock()
		defer up.busy.Unlock()
		if !e.receiveAndFinish(c, up, 0) {
			return
		}
	}
	c.w.Header().Set("Upload-Offset", itoa(up.offset.Load()))
	c.w.WriteHeader(http.StatusCreated)
}

// advertises reports whether OPTIONS lists the tus extension.
func (e *Emulator) advertises(extension string) bool {
	return slices.Contains(e.opts.TusExtensions, extension)
}

// tusOptions serves OPTIONS /files/: what this tus service supports.
func (e *Emulator) tusOptions(c *call) {
	if e.opts.RefuseOptions {
		c.fail(http.StatusMethodNotAllowed, "MethodNotAllowed", "OPTIONS is not supported here")
		return
	}
	h := c.w.Header()
	h.Set("Tus-Version", tusVersion)
	if len(e.opts.TusExtensions) > 0 {
		h.Set("Tus-Extension", strings.Join(e.opts.TusExtensions, ","))
	}
	if e.opts.TusMaxSize > 0 {
		h.Set("Tus-Max-Size", itoa(e.opts.TusMaxSize))
	}
	c.w.WriteHeader(http.StatusNoContent)
}

func (e *Emulator) newUpload(c *call) (*upload, error) {
	if c.r.Header.Get("Upload-Defer-Length") != "" {
		return nil, errBadRequest("BadRequest", "Upload-Defer-Length is not supported; send Upload-Length")
	}
	length, err := strconv.ParseInt(c.r.Header.Get("Upload-Length"), 10, 64)
	if err != nil || length < 0 {
		return nil, errBadRequest("BadRequest", "Upload-Length must be the file size in bytes")
	}
	if e.opts.TusMaxSize > 0 && length > e.opts.TusMaxSize {
		return nil, &apiError{http.StatusRequestEntityTooLarge, "BadRequest", "Upload-Length " + itoa(length) + " is over this service's Tus-Max-Size of " + itoa(e.opts.TusMaxSize)}
	}
	meta, err := parseTusMetadata(c.r.Header.Get("Upload-Metadata"))
	if err != nil {
		return nil, err
	}
	up := &upload{id: randomHex(16), acct: c.acct, length: length, overwrite: meta["overwrite"] == "true", noTorrent: meta["no-torrent"] == "true"}
	if up.name, err = cleanName(e.givenName(meta["name"])); err != nil {
		return nil, err
	}
	if up.parentID, err = intParam(urlValues(meta), "parent_id", 0); err != nil {
		return nil, err
	}
	if s, ok := meta["updated-at"]; ok {
		if up.updatedAt, err = parseClientTime(s); err != nil {
			return nil, err
		}
	}
	return up, e.registerUpload(up)
}

// tusVersionOK puts Tus-Resumable on the reply and answers 412 to a
// client that asks for a tus version other than 1.0.0, before anything
// else; the header itself is optional, as put.io clients differ.
func tusVersionOK(c *call) bool {
	c.w.Header().Set("Tus-Resumable", tusVersion)
	if v := c.r.Header.Get("Tus-Resumable"); v != "" && v != tusVersion {
		c.w.Header().Set("Tus-Version", tusVersion)
		c.fail(http.StatusPreconditionFailed, "BadRequest", "only tus "+tusVersion+" is supported, not "+strconv.Quote(v))
		return false
	}
	return true
}

// parseTusMetadata decodes "key base64,key base64".
func parseTusMetadata(header string) (map[string]string, error) {
	meta := map[string]string{}
	for _, pair := range strings.Split(header, ",") {
		pair = strings.TrimSpace(pair)
		if pair == "" {
			continue
		}
		key, encoded, _ := strings.Cut(pair, " ")
		if _, seen := meta[key]; seen {
			return nil, errBadRequest("BadRequest", "Upload-Metadata has the key "+strconv.Quote(key)+" twice; tus keys are unique")
		}
		value, err := base64.StdEncoding.DecodeString(strings.TrimSpace(encoded))
		if err != nil {
			return nil, errBadRequest("BadRequest", "Upload-Metadata value of "+strconv.Quote(key)+" is not standard base64 with padding")
		}
		meta[key] = string(value)
	}
	return meta, nil
}

func urlValues(m map[string]string) map[string][]string {
	v := make(map[string][]string, len(m))
	for k, s := range m {
		v[k] = []string{s}
	}
	return v
}

// findUpload returns the account's live upload named in the path.
func (e *Emulator) findUpload(c *call) *upload {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.expireUploads()
	up := e.uploads[c.r.PathValue("upload")]
	if up == nil || up.acct != c.acct {
		c.notFound("upload " + strconv.Quote(c.r.PathValue("upload")) + " (unknown, finished, expired or terminated; start a new upload)")
		return nil
	}
	return up
}

// tusHead serves HEAD /files/{upload}.
func (e *Emulator) tusHead(c *call) {
	up := e.findUpload(c)
	if up == nil {
		return
	}
	h := c.w.Header()
	h.Set("Upload-Offset", itoa(up.offset.Load()))
	h.Set("Upload-Length", itoa(up.length))
	h.Set("Cache-Control", "no-store")
	c.w.WriteHeader(http.StatusOK)
}

// tusDelete serves DELETE /files/{upload}.
func (e *Emulator) tusDelete(c *call) {
	up := e.findUpload(c)
	if up == nil {
		return
	}
	up.busy.Lock()
	defer up.busy.Unlock()
	e.mu.Lock()
	if e.uploads[up.id] == up {
		e.dropUpload(up.id, up)
	}
	e.mu.Unlock()
	c.w.WriteHeader(http.StatusNoContent)
}

// tusPatch serves PATCH /files/{upload}.
func (e *Emulator) tusPatch(c *call) {
	if ct := c.r.Header.Get("Content-Type"); ct != tusContentType {
		c.fail(http.StatusUnsupportedMediaType, "BadRequest", "Content-Type must be "+tusContentType+", got "+strconv.Quote(ct))
		return
	}
	up := e.findUpload(c)
	if up == nil {
		return
	}
	if !up.busy.TryLock() {
		c.fail(http.StatusConflict, "UPLOAD_BUSY", "another PATCH of this upload is running")
		return
	}
	defer up.busy.Unlock()
	offset, err := strconv.ParseInt(c.r.Header.Get("Upload-Offset"), 10, 64)
	if err != nil {
		c.failErr(errBadRequest("BadRequest", "Upload-Offset must be a byte offset"))
		return
	}
	if e.receiveAndFinish(c, up, offset) {
		c.w.WriteHeader(http.StatusNoContent)
	}
}

// receiveAndFinish stores the request body at offset and, when that
// completes the upload, makes the file and names it in the reply headers.
// It reports whether the caller should send its success status; on
// failure the error reply has been sent.
func (e *Emulator) receiveAndFinish(c *call, up *upload, offset int64) bool {
	if err := e.patch(c, up, offset); err != nil {
		c.w.Header().Set("Upload-Offset", itoa(up.offset.Load()))
		c.failErr(err)
		return false
	}
	c.w.Header().Set("Upload-Offset", itoa(up.offset.Load()))
	if up.offset.Load() == up.length {
		n, err := e.finishUpload(up)
		if err != nil {
			c.w.Header().Del("Upload-Offset") // the upload is gone, bytes and all
			c.failErr(err)
			return false
		}
		if n != nil {
			c.w.Header().Set("Putio-File-Id", itoa(n.id))
			if !e.opts.OmitUploadCRC {
				c.w.Header().Set("Putio-File-Crc32", crcHex(n.crc))
			}
		}
	}
	return true
}
