package putiotest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Kinds of signed URL: a signature of one kind opens nothing of another.
const (
	signedFile = ""
	signedZip  = "zip:"
)

// sign is the signature of a storage URL of kind for id: it binds item,
// account and expiry (Unix seconds), so the URL works without a token and
// cannot be altered.
func (e *Emulator) sign(kind string, id, user, expires int64) string {
	mac := hmac.New(sha256.New, e.signKey)
	mac.Write([]byte(kind + itoa(id) + ":" + itoa(user) + ":" + itoa(expires)))
	return hex.EncodeToString(mac.Sum(nil))
}

// signedQuery is the query of a signed URL of kind for id of user.
func (e *Emulator) signedQuery(kind string, id, user, expires int64) string {
	return url.Values{"a": {itoa(user)}, "e": {itoa(expires)}, "u": {e.sign(kind, id, user, expires)}}.Encode()
}

// checkSigned reads the {id} of a signed URL of kind and its signature;
// a bad one gets 403, whose message says where a fresh URL comes from.
func (e *Emulator) checkSigned(c *call, kind, freshFrom string) (id, user, expires int64, ok bool) {
	if id, ok = c.idVar(); !ok {
		return 0, 0, 0, false
	}
	q := c.r.URL.Query()
	user, _ = strconv.ParseInt(q.Get("a"), 10, 64)
	expires, _ = strconv.ParseInt(q.Get("e"), 10, 64)
	if !hmac.Equal([]byte(q.Get("u")), []byte(e.sign(kind, id, user, expires))) {
		c.fail(http.StatusForbidden, "InvalidSignature", "the URL is not valid; get a fresh one from "+freshFrom)
		return 0, 0, 0, false
	}
	return id, user, expires, true
}

// signedURL is the storage URL of a file, valid for Options.URLExpiry.
func (e *Emulator) signedURL(r *http.Request, n *node) string {
	expires := e.opts.Now().Add(e.opts.URLExpiry).Unix()
	return e.baseURL(r) + downloadPrefix + itoa(n.id) + "?" + e.signedQuery(signedFile, n.id, n.acct.userID, expires)
}

// downloadable finds the file named by {id} for the url routes.
func (e *Emulator) downloadable(c *call) (string, bool) {
	id, ok := c.idVar()
	if !ok {
		return "", false
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	n := e.lookup(c.acct, id)
	switch {
	case n == nil:
		c.notFound("file " + itoa(id))
	case n.dir:
		c.badRequest("NotFile", "item "+itoa(id)+" is a folder; only files can be downloaded")
	default:
		return e.signedURL(c.r, n), true
	}
	return "", false
}

// fileURL serves GET /v2/files/{id}/url.
func (e *Emulator) fileURL(c *call) {
	if u, ok := e.downloadable(c); ok {
		c.ok(obj{"url": u})
	}
}

// fileDownload serves GET /v2/files/{id}/download: a redirect to storage.
func (e *Emulator) fileDownload(c *call) {
	if u, ok := e.downloadable(c); ok {
		http.Redirect(c.w, c.r, u, http.StatusFound)
	}
}

// download serves GET and HEAD /download/{id}, the signed storage URL,
// with single ranges (206, or 416 when unsatisfiable) unless
// Options.IgnoreRange.
func (e *Emulator) download(c *call) {
	id, user, expires, ok := e.checkSigned(c, signedFile, "/v2/files/{id}/url")
	if !ok {
		return
	}
	if e.opts.Now().Unix() > expires {
		c.fail(http.StatusGone, "LINK_EXPIRED", "the download URL expired; get a fresh one from /v2/files/{id}/url")
		return
	}
	name, modTime, ctype, body, err := e.openBody(id, user)
	if err != nil {
		c.failErr(err)
		return
	}
	defer closeRead(body, "a download's body")
	if e.opts.IgnoreRange {
		c.r.Header.Del("Range")
	}
	c.w.Header().Set("Content-Type", ctype)
	http.ServeContent(&jsonErrors{ResponseWriter: c.w}, c.r, name, modTime, body)
}

// jsonErrors turns the plain-text refusals of http.ServeContent (416 for a
// Range past the end, 412 for a failed If-Match) into put.io error JSON,
// as the emulator sends no other kind of error body.
type jsonErrors struct {
	http.ResponseWriter
	failed bool
}

func (j *jsonErrors) WriteHeader(code int) {
	if code < http.StatusBadRequest {
		j.ResponseWriter.WriteHeader(code)
		return
	}
	j.failed = true
	j.Header().Del("X-Content-Type-Options")
	message := http.StatusText(code)
	if code == http.StatusRequestedRangeNotSatisfiable {
		message = "the Range asks for bytes past the end of the file; Content-Range gives its size"
	}
	writeJSON(j.ResponseWriter, code, errorBody(code, strings.ReplaceAll(http.StatusText(code), " ", ""), message))
}

// Write drops ServeContent's plain-text body after an error.
func (j *jsonErrors) Write(p []byte) (int, error) {
	if j.failed {
		return len(p), nil
	}
	return j.ResponseWriter.Write(p)
}

// ReadFrom keeps sendfile(2) for the body.
func (j *jsonErrors) ReadFrom(src io.Reader) (int64, error) {
	return io.Copy(j.ResponseWriter, src)
}

// openBody opens the body of a live file of the given user.
func (e *Emulator) openBody(id, user int64) (name string, modTime time.Time, contentType string, body io.ReadSeekCloser, err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := e.nodes[id]
	if n == nil || n.dir || n.acct.userID != user || n.inTrash() {
		return "", time.Time{}, "", nil, errNotFound("file " + itoa(id))
	}
	_, contentType, _ = fileKind(n.name)
	body, err = e.blobs.open(n.blob)
	return n.name, n.updated, contentType, body, err
}
