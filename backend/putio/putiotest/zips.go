package putiotest

import (
	"archive/zip"
	"cmp"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"
)

// zipPrefix is where the download host serves finished zips.
const zipPrefix = downloadPrefix + "zip/"

// zipTask is a zip of a selection, built from the files as they are when
// it turns DONE; a file gone by then is listed in missing_files.
type zipTask struct {
	id      int64
	acct    *account
	created time.Time
	members []member
	taskProgress

	build   sync.Once
	blob    string // the built archive, once DONE
	size    int64
	missing []obj
	err     error
	expires time.Time // of the download URL and of the zip itself
}

func (e *Emulator) zipRoutes() []*route {
	return []*route{
		newRoute("POST /v2/zips/create", authed, e.createZip),
		newRoute("GET /v2/zips/list", authed, e.listZips),
		newRoute("GET /v2/zips/{id}", authed, e.getZip),
		newRoute("GET /v2/zips/{id}/cancel", authed, e.cancelZip),
		newRoute("GET "+zipPrefix+"{id}", public, e.downloadZip),
		newRoute("HEAD "+zipPrefix+"{id}", public, e.downloadZip),
	}
}

// createZip serves POST /v2/zips/create: {zip_id}.
func (e *Emulator) createZip(c *call) {
	c.locked(func(v url.Values) (obj, error) {
		items, err := e.selectionLocked(c.acct, v)
		if err != nil {
			return nil, err
		}
		if e.zips == nil {
			e.zips = map[int64]*zipTask{}
		}
		e.nextZip++
		z := &zipTask{id: e.nextZip, acct: c.acct, created: e.now(), members: membersOf(items)}
		e.zips[z.id] = z
		return obj{"zip_id": z.id}, nil
	})
}

// listZips serves GET /v2/zips/list: the account's zips, oldest first.
func (e *Emulator) listZips(c *call) {
	c.locked(func(url.Values) (obj, error) {
		zips := []obj{}
		for _, z := range e.liveZipsLocked(c.acct) {
			zips = append(zips, obj{"id": z.id, "created_at": formatTime(z.created)})
		}
		return obj{"zips": zips}, nil
	})
}

// liveZipsLocked lists the account's zips that have not expired, in id
// order; expired ones are dropped on the way.
func (e *Emulator) liveZipsLocked(a *account) []*zipTask {
	var out []*zipTask
	for id, z := range e.zips {
		if !z.expires.IsZero() && e.opts.Now().After(z.expires) {
			e.dropZipLocked(id)
			continue
		}
		if z.acct == a {
			out = append(out, z)
		}
	}
	slices.SortFunc(out, func(x, y *zipTask) int { return cmp.Compare(x.id, y.id) })
	return out
}

// zipLocked finds a live zip of the account; else 410 LINK_EXPIRED, as the
// SDK suite shows for an id that never existed.
func (e *Emulator) zipLocked(a *account, id int64) (*zipTask, error) {
	for _, z := range e.liveZipsLocked(a) {
		if z.id == id {
			return z, nil
		}
	}
	return nil, errTaskGone("zip " + itoa(id))
}

func (e *Emulator) dropZipLocked(id int64) {
	e.blobs.remove(e.zips[id].blob)
	delete(e.zips, id)
}

// getZip serves GET /v2/zips/{id}: url null until DONE, then the url,
// size and missing_files.
func (e *Emulator) getZip(c *call) {
	id, ok := c.idVar()
	if !ok {
		return
	}
	e.mu.Lock()
	z, err := e.zipLocked(c.acct, id)
	status := ""
	if err == nil {
		status = z.readLocked(e.opts.TasksDoneAtOnce)
	}
	e.mu.Unlock()
	if err != nil {
		c.failErr(err)
		return
	}
	if status != taskDone {
		c.ok(obj{"zip_status": status, "url": nil})
		return
	}
	z.build.Do(func() { e.buildZip(z) })
	if z.err != nil {
		c.ok(obj{"zip_status": "ERROR", "url": nil, "error_msg": z.err.Error()})
		return
	}
	c.ok(obj{"zip_status": taskDone, "url": e.zipURL(c.r, z), "size": z.size, "missing_files": z.missing})
}

// cancelZip serves GET /v2/zips/{id}/cancel: the zip is gone.
func (e *Emulator) cancelZip(c *call) {
	c.withID(func(id int64, _ url.Values) (obj, error) {
		if _, err := e.zipLocked(c.acct, id); err != nil {
			return nil, err
		}
		e.dropZipLocked(id)
		return nil, nil
	})
}

// buildZip writes the archive of the members still there, outside the
// state lock; it runs once per zip.
func (e *Emulator) buildZip(z *zipTask) {
	bodies, missing := e.openMembers(z)
	defer func() {
		for _, b := range bodies {
			closeRead(b.body, "a body put in a zip")
		}
	}()
	pr, pw := io.Pipe()
	go func() { _ = pw.CloseWithError(writeZip(pw, bodies)) }()
	blob, size, _, err := e.blobs.write(pr)
	_ = pr.CloseWithError(err) // stops the writer if the store failed
	e.mu.Lock()
	defer e.mu.Unlock()
	z.missing, z.err = missing, err
	if e.zips[z.id] != z { // cancelled meanwhile
		e.blobs.remove(blob)
		return
	}
	z.blob, z.size, z.expires = blob, size, e.opts.Now().Add(e.opts.URLExpiry)
}

// zipBody is an open member body.
type zipBody struct {
	path     string
	modified time.Time
	body     io.ReadCloser
}

// openMembers opens the bodies of the members still live, and lists those
// gone as put.io's missing_files entries.
func (e *Emulator) openMembers(z *zipTask) ([]zipBody, []obj) {
	e.mu.Lock()
	defer e.mu.Unlock()
	var bodies []zipBody
	missing := []obj{}
	for _, m := range z.members {
		n := e.lookup(z.acct, m.id)
		var body io.ReadCloser
		var err error
		if n != nil {
			body, err = e.blobs.open(n.blob)
		}
		if n == nil || err != nil {
			missing = append(missing, obj{"id": m.id, "name": m.path, "missing": true})
			continue
		}
		bodies = append(bodies, zipBody{m.path, n.updated, body})
	}
	return bodies, missing
}

func writeZip(w io.Writer, bodies []zipBody) error {
	zw := zip.NewWriter(w)
	for _, b := range bodies {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: b.path, Method: zip.Store, Modified: b.modified})
		if err != nil {
			return err
		}
		if _, err := io.Copy(fw, b.body); err != nil {
			return err
		}
	}
	return zw.Close()
}

// zipURL is the signed download-host URL of a built zip; it works until
// the zip expires.
func (e *Emulator) zipURL(r *http.Request, z *zipTask) string {
	expires := z.expires.Unix()
	return e.baseURL(r) + zipPrefix + itoa(z.id) + "?" + e.signedQuery(signedZip, z.id, z.acct.userID, expires)
}

// downloadZip serves GET and HEAD /download/zip/{id}, the signed URL of a
// built zip.
func (e *Emulator) downloadZip(c *call) {
	id, _, expires, ok := e.checkSigned(c, signedZip, "/v2/zips/{id}")
	if !ok {
		return
	}
	e.mu.Lock()
	z := e.zips[id]
	var body io.ReadSeekCloser
	var err error
	if z != nil && z.blob != "" && e.opts.Now().Unix() <= expires {
		body, err = e.blobs.open(z.blob)
	}
	e.mu.Unlock()
	switch {
	case err != nil:
		c.failErr(err)
		return
	case body == nil:
		c.fail(http.StatusGone, "LINK_EXPIRED", "the zip expired or was cancelled; create it again")
		return
	}
	defer closeRead(body, "a zip's body")
	c.w.Header().Set("Content-Type", "application/zip")
	http.ServeContent(&jsonErrors{ResponseWriter: c.w}, c.r, "putio-"+itoa(id)+".zip", z.created, body)
}
