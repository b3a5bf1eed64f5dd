package putio

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/api"
	"github.com/rclone/rclone/fs"
	"github.com/rclone/rclone/fs/hash"
)

// Object describes a put.io file.
type Object struct {
	fs     *Fs
	remote string
	info   api.File
	// foundIn is the folder id NewObject found the file in through a
	// remembered id, until confirmFolder has checked it; "" for files
	// listed, uploaded or found by lookups from the root.
	foundIn string
}

// Fs returns the parent Fs.
func (o *Object) Fs() fs.Info { return o.fs }

// String returns a description of the Object.
func (o *Object) String() string {
	if o == nil {
		return "<nil>"
	}
	return o.remote
}

// Remote returns the remote path.
func (o *Object) Remote() string { return o.remote }

// id is the item id as sent in requests.
func (o *Object) id() string { return o.info.ID.String() }

// ID returns the put.io id of the file.
func (o *Object) ID() string { return o.id() }

// ParentID returns the put.io id of the folder holding the file.
func (o *Object) ParentID() string { return o.info.ParentID.String() }

// Size returns the size in bytes.
func (o *Object) Size() int64 { return o.info.Size }

// Storable says whether this object can be stored.
func (o *Object) Storable() bool { return true }

// ModTime returns the modification time, to the second.
func (o *Object) ModTime(ctx context.Context) time.Time { return o.info.ModTime() }

// MimeType returns the content type put.io reported.
func (o *Object) MimeType(ctx context.Context) string { return o.info.ContentType }

// Hash returns the CRC32 put.io computed, lower-case hex.
func (o *Object) Hash(ctx context.Context, t hash.Type) (string, error) {
	if t != hash.CRC32 {
		return "", hash.ErrUnsupported
	}
	return strings.ToLower(o.info.CRC32), nil
}

// SetModTime touches the file, retried like every other call, and records
// the time put.io will report.
func (o *Object) SetModTime(ctx context.Context, modTime time.Time) error {
	if err := o.fs.touch(ctx, o.id(), modTime); err != nil {
		return notFoundAs(err, fs.ErrorObjectNotFound)
	}
	o.info.UpdatedAt = api.Time{Time: modTime.UTC().Truncate(time.Second)}
	return nil
}

// Remove deletes the file.
func (o *Object) Remove(ctx context.Context) error {
	if err := o.confirmFolder(ctx); err != nil {
		return err
	}
	o.fs.urls.forget(o.id())
	return notFoundAs(o.fs.deleteItems(ctx, o.id()), fs.ErrorObjectNotFound)
}

// confirmFolder checks, before the file is deleted or replaced, that the
// folder NewObject found it in through a remembered id is still the
// folder at its path: if another device has moved that folder away since,
// the file is not the one the path names, and is left alone. It costs one
// lookup per level of the path, once per Object.
func (o *Object) confirmFolder(ctx context.Context) error {
	if o.foundIn == "" {
		return nil
	}
	there, err := o.fs.stillAt(ctx, parentOf(o.remote), o.foundIn)
	switch {
	case err != nil:
		return err
	case !there:
		return fmt.Errorf("putio: not changing %q (id %s): another device has moved or replaced its folder since the file was found there; look it up again", o.remote, o.info.ID)
	}
	o.foundIn = ""
	return nil
}

// Metadata returns put.io's read-only facts about the file; facts the
// server did not give are left out.
func (o *Object) Metadata(ctx context.Context) (fs.Metadata, error) {
	meta := fs.Metadata{"mtime": o.info.ModTime().Format(time.RFC3339)}
	if !o.info.CreatedAt.IsZero() {
		meta["btime"] = o.info.CreatedAt.Format(time.RFC3339)
	}
	for key, value := range map[string]string{
		"content-type": o.info.ContentType,
		"crc32":        strings.ToLower(o.info.CRC32),
		"file-type":    o.info.FileType,
	} {
		if value != "" {
			meta[key] = value
		}
	}
	return meta, nil
}

// metadataInfo describes the keys Metadata returns.
var metadataInfo = &fs.MetadataInfo{
	Help: "put.io metadata is read-only: it is what the server reports about a file.",
	System: map[string]fs.MetadataHelp{
		"mtime":        {Help: "Modification time (put.io updated_at), whole seconds.", Type: "RFC 3339", Example: "2006-01-02T15:04:05Z", ReadOnly: true},
		"btime":        {Help: "Creation time on put.io (created_at).", Type: "RFC 3339", Example: "2006-01-02T15:04:05Z", ReadOnly: true},
		"content-type": {Help: "MIME type put.io detected.", Type: "string", Example: "text/plain", ReadOnly: true},
		"crc32":        {Help: "CRC-32 of the content, lower-case hex.", Type: "string", Example: "66a1512f", ReadOnly: true},
		"file-type":    {Help: "put.io's file class: FILE, VIDEO, AUDIO, IMAGE, ARCHIVE, PDF, TEXT, ...", Type: "string", Example: "VIDEO", ReadOnly: true},
	},
}

// Update replaces the file's content without ever risking the old bytes:
// the new version is uploaded next to the old one (put.io allows duplicate
// names) and only once it is complete and verified is the old one deleted,
// by id so the new version cannot be hit.
func (o *Object) Update(ctx context.Context, in io.Reader, src fs.ObjectInfo, options ...fs.OpenOption) error {
	o.fs.beforeUpload(ctx, in, src)
	if err := o.confirmFolder(ctx); err != nil {
		return err
	}
	// The folder comes from the path, not from parent_id, which a reply
	// could leave out (reading as 0, the root).
	leaf, dirID, err := o.fs.dirCache.FindPath(ctx, o.remote, false)
	if err != nil {
		return err
	}
	item, err := o.fs.upload(ctx, in, src, leaf, dirID, o.info.ID, options)
	if err != nil {
		return err
	}
	old := o.info
	o.info = *item
	o.fs.urls.forget(old.ID.String())
	if old.ID == o.info.ID {
		return nil // never delete what may be the new version
	}
	o.dropReplaced(ctx, &old, dirID)
	return nil
}

// replacedDeleteTimeout bounds the delete of a replaced version, which
// goes ahead even when the caller's context is cancelled.
const replacedDeleteTimeout = 30 * time.Second

// dropReplaced deletes old, the version the new one replaced in the
// folder dirID, unless another client has moved it away (see
// deleteReplaced). The new version is in place by then, so the delete
// goes ahead, for a bounded time, even when ctx was cancelled meanwhile,
// and a failure is logged and counted, not returned: an error would have
// rclone upload the file again, next to the two already there.
func (o *Object) dropReplaced(ctx context.Context, old *api.File, dirID string) {
	deleteCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), replacedDeleteTimeout)
	defer cancel()
	if err := o.fs.deleteReplaced(deleteCtx, old.ID, dirID, old.Name); err != nil {
		fs.Errorf(o, "new version uploaded, but the old one (id %s) could not be deleted, so both are in the folder under this name: %v", old.ID, err)
		_ = fs.CountError(ctx, err)
	}
}

// deleteReplaced deletes the file id, a version a new one has replaced,
// if it is still the file put.io calls name in the folder dirID: another
// client (the web app, a mount elsewhere) may have moved or renamed it
// since it was seen, and then it is a file someone keeps, not the
// replaced version, and is left alone. put.io has no in-place write, so
// the id, folder and name say what it is. One lookup comes before the
// delete; a move between the two still loses the moved file, to the trash
// unless hard_delete is set.
func (f *Fs) deleteReplaced(ctx context.Context, id api.ID, dirID, name string) error {
	item, err := f.find(ctx, itemSpec{id: id, dirID: dirID, name: name, kind: fileKind})
	switch {
	case err != nil:
		return err
	case item == nil:
		fs.Logf(f, "not deleting the file %q replaced (id %s): it is gone, or another client has moved or renamed it", f.standardName(name), id)
		return nil
	}
	err = f.deleteItems(ctx, id.String())
	if hasStatus(err, http.StatusNotFound) {
		return nil // gone since the lookup
	}
	return err
}

// touch sets an item's modification time; put.io keeps whole seconds.
func (f *Fs) touch(ctx context.Context, id string, modTime time.Time) error {
	// Query parameters and no body: the form the live API is known to take.
	return f.callJSON(ctx, apiCall{
		method: http.MethodPost,
		path:   "/v2/files/touch",
		query:  url.Values{"file_id": {id}, "updated_at": {formatTime(modTime)}},
	}, &api.Empty{})
}

// formatTime is the RFC 3339 form put.io accepts, in whole seconds.
func formatTime(t time.Time) string {
	return t.UTC().Truncate(time.Second).Format(time.RFC3339)
}
