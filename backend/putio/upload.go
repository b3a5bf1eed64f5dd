package putio

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/api"
	"github.com/rclone/rclone/fs"
	"github.com/rclone/rclone/lib/multipart"
	"github.com/rclone/rclone/lib/pool"
)

// Uploads use put.io's tus service: one POST creates the upload, PATCHes of
// chunk_size carry the bytes, and the file appears only when the last byte
// arrives. A failed upload is terminated, so it leaves nothing behind.

const (
	tusVersion = "1.0.0"
	// terminateTimeout bounds the clean-up DELETE, which runs even when
	// the upload's own context was cancelled.
	terminateTimeout = 30 * time.Second
)

// errReplyLost is a final PATCH whose reply never came although the
// server may hold every byte.
var errReplyLost = errors.New("upload reply lost")

// errResumeUpload is a PATCH the server did not take whole; the next
// attempt resumes where the server is, if need be with smaller pieces.
var errResumeUpload = errors.New("resuming upload")

// tusMetadata encodes Upload-Metadata: "key base64(value)" pairs.
func tusMetadata(pairs ...[2]string) string {
	encoded := make([]string, len(pairs))
	for i, pair := range pairs {
		encoded[i] = pair[0] + " " + base64.StdEncoding.EncodeToString([]byte(pair[1]))
	}
	return strings.Join(encoded, ",")
}

// upload sends in as leaf into the folder dirID and returns the new item,
// built from what we know and the final reply's headers (no extra call).
func (f *Fs) upload(ctx context.Context, in io.Reader, src fs.ObjectInfo, leaf, dirID string) (*api.File, error) {
	size := src.Size()
	if size < 0 {
		return nil, errors.New("putio: can't upload a file of unknown size: put.io's upload service needs the length up front")
	}
	name := f.serverName(leaf)
	modTime := src.ModTime(ctx)
	location, err := f.createUpload(ctx, name, dirID, size, modTime)
	if err != nil {
		return nil, err
	}
	upload := &tusUpload{f: f, location: location, size: size, maxPatch: int64(f.opt.ChunkSize)}
	final, sentCRC, err := upload.sendContent(ctx, in)
	var item *api.File
	switch {
	case errors.Is(err, errReplyLost):
		item, err = f.findCompleted(ctx, dirID, leaf, size, sentCRC)
	case err == nil:
		item, err = f.finishUpload(ctx, final, sentCRC)
	}
	if err != nil {
		f.terminateUpload(ctx, location)
		return nil, err
	}
	item.Name = name
	item.ParentID = parseID(dirID)
	item.Size = size
	item.UpdatedAt = api.Time{Time: modTime.UTC().Truncate(time.Second)}
	item.CreatedAt = api.Time{Time: time.Now().UTC().Truncate(time.Second)}
	item.ContentType = fs.MimeTypeFromName(leaf)
	return item, nil
}

// createUpload starts a tus upload and returns its absolute URL.
func (f *Fs) createUpload(ctx context.Context, name, dirID string, size int64, modTime time.Time) (string, error) {
	var location string
	err := f.tusRequest(ctx, http.MethodPost, f.opt.UploadURL, func(req *http.Request) {
		req.Header.Set("Upload-Length", strconv.FormatInt(size, 10))
		req.Header.Set("Upload-Metadata", tusMetadata(
			[2]string{"name", name},
			[2]string{"parent_id", dirID},
			[2]string{"no-torrent", "true"},
			[2]string{"updated-at", formatTime(modTime)},
		))
	}, func(resp *http.Response) (err error) {
		location, err = resolveLocation(resp)
		return err
	})
	return location, err
}

// tusRequest sends a body-less tus request with retries: prepare adds
// headers, check reads the successful reply, whose body is closed here.
func (f *Fs) tusRequest(ctx context.Context, method, target string, prepare func(*http.Request), check func(*http.Response) error) error {
	return f.retry(ctx, method+" upload", func() error {
		req, err := f.newRequest(ctx, apiCall{method: method, path: target})
		if err != nil {
			return err
		}
		req.Header.Set("Tus-Resumable", tusVersion)
		if prepare != nil {
			prepare(req)
		}
		resp, err := f.send(req)
		if err != nil {
			return err
		}
		_ = resp.Body.Close()
		if check == nil {
			return nil
		}
		return check(resp)
	})
}

// resolveLocation makes the Location of a creation reply absolute.
func resolveLocation(resp *http.Response) (string, error) {
	header := resp.Header.Get("Location")
	if header == "" {
		return "", fmt.Errorf("putio: upload creation answered HTTP %d without a Location", resp.StatusCode)
	}
	location, err := resp.Request.URL.Parse(header)
	if err != nil {
		return "", fmt.Errorf("putio: upload creation gave a bad Location %q: %w", header, err)
	}
	return location.String(), nil
}

// tusUpload is one upload in progress.
type tusUpload struct {
	f        *Fs
	location string
	size     int64
	maxPatch int64 // largest PATCH body to send; halved when the server says 413
}

// minPatch is the PATCH size below which a 413 is taken as final.
const minPatch = 64 * 1024

// sendContent PATCHes in chunk by chunk, holding one chunk in a pooled
// buffer so a failed PATCH can be resent, and returns the final reply's
// headers and the CRC-32 of what was sent.
func (u *tusUpload) sendContent(ctx context.Context, in io.Reader) (final http.Header, sentCRC string, err error) {
	crc := crc32.NewIEEE()
	source := io.TeeReader(in, crc)
	var offset int64
	for {
		n := min(int64(u.f.opt.ChunkSize), u.size-offset)
		final, err = u.sendChunk(ctx, source, offset, n)
		offset += n
		if err != nil || offset >= u.size {
			return final, fmt.Sprintf("%08x", crc.Sum32()), err
		}
	}
}

// sendChunk reads n bytes from source and PATCHes them at offset, in
// pieces of at most maxPatch, resuming from the server's offset after a
// cut connection or a 409.
func (u *tusUpload) sendChunk(ctx context.Context, source io.Reader, offset, n int64) (http.Header, error) {
	buf := multipart.NewRW()
	defer func() { _ = buf.Close() }()
	if _, err := io.CopyN(buf, source, n); err != nil {
		return nil, fmt.Errorf("putio: reading the source at offset %d: %w", offset, err)
	}
	var sent int64 // bytes of this chunk the server already holds
	for {
		var final http.Header
		err := u.f.retry(ctx, "upload chunk", func() error {
			piece := min(n-sent, u.maxPatch)
			header, got, err := u.patch(ctx, buf, offset+sent, sent, piece)
			if err == nil {
				final, sent = header, got-offset
				return nil
			}
			return u.recover(ctx, err, offset, n, piece, &sent)
		})
		if err != nil || sent >= n {
			return final, err
		}
	}
}

// recover decides how to go on after a failed PATCH: smaller pieces after
// a 413, the server's offset after a cut or a 409, else give up.
func (u *tusUpload) recover(ctx context.Context, err error, offset, n, piece int64, sent *int64) error {
	if hasStatus(err, http.StatusRequestEntityTooLarge) && piece > minPatch {
		u.maxPatch = max(piece/2, minPatch)
		return fmt.Errorf("%w: the server refused %d bytes in one PATCH, sending %d", errResumeUpload, piece, u.maxPatch)
	}
	if !resumable(err) {
		return err
	}
	server, headErr := u.f.uploadOffset(ctx, u.location)
	switch {
	case offset+n == u.size && (server == u.size || hasStatus(headErr, http.StatusNotFound)):
		// The server may have made the file and lost only the reply.
		return fmt.Errorf("%w: %v", errReplyLost, err)
	case headErr != nil:
		return fmt.Errorf("%w (and asking for the offset failed: %v)", err, headErr)
	case server < offset || server > offset+n:
		return fmt.Errorf("putio: upload server is at byte %d, outside the chunk %d-%d being sent: %v", server, offset, offset+n, err)
	}
	*sent = server - offset
	return fmt.Errorf("%w at byte %d after: %v", errResumeUpload, server, err)
}

// resumable reports a PATCH failure after which asking the server for its
// offset and continuing can work.
func resumable(err error) bool {
	return hasStatus(err, http.StatusConflict) || (!isRateLimited(err) && shouldRetry(context.Background(), err))
}

// patch sends piece bytes of the buffered chunk from position from in the
// buffer, at upload offset at, and returns the server's new offset.
func (u *tusUpload) patch(ctx context.Context, buf *pool.RW, at, from, piece int64) (http.Header, int64, error) {
	if _, err := buf.Seek(from, io.SeekStart); err != nil {
		return nil, 0, err
	}
	req, err := u.f.newRequest(ctx, apiCall{method: http.MethodPatch, path: u.location})
	if err != nil {
		return nil, 0, err
	}
	// NopCloser: the transport closes bodies, which would free the buffer.
	req.Body = io.NopCloser(io.LimitReader(buf, piece))
	req.ContentLength = piece
	if piece == 0 {
		req.Body = http.NoBody
	}
	req.Header.Set("Tus-Resumable", tusVersion)
	req.Header.Set("Upload-Offset", strconv.FormatInt(at, 10))
	req.Header.Set("Content-Type", "application/offset+octet-stream")
	resp, err := u.f.send(req)
	if err != nil {
		return nil, 0, err
	}
	_ = resp.Body.Close()
	got, err := strconv.ParseInt(resp.Header.Get("Upload-Offset"), 10, 64)
	if err != nil {
		return resp.Header, at + piece, nil // no offset given: trust the 2xx
	}
	if got < at || got > at+piece || (got == at && piece > 0) {
		return nil, 0, fmt.Errorf("%w: the server reports offset %d after a PATCH of bytes %d-%d", errResumeUpload, got, at, at+piece)
	}
	return resp.Header, got, nil
}

// uploadOffset asks the server how many bytes it holds.
func (f *Fs) uploadOffset(ctx context.Context, location string) (int64, error) {
	var offset int64
	err := f.tusRequest(ctx, http.MethodHead, location, nil, func(resp *http.Response) (err error) {
		offset, err = strconv.ParseInt(resp.Header.Get("Upload-Offset"), 10, 64)
		if err != nil || offset < 0 {
			return fmt.Errorf("putio: upload server sent a bad Upload-Offset %q", resp.Header.Get("Upload-Offset"))
		}
		return nil
	})
	return offset, err
}

// finishUpload reads the new file's id from the final reply and checks the
// server's CRC-32 against ours; a corrupt file is deleted.
func (f *Fs) finishUpload(ctx context.Context, final http.Header, sentCRC string) (*api.File, error) {
	id, err := strconv.ParseInt(final.Get("Putio-File-Id"), 10, 64)
	if err != nil || id <= 0 {
		return nil, fmt.Errorf("putio: upload finished without a usable putio-file-id header (%q)", final.Get("Putio-File-Id"))
	}
	item := &api.File{ID: api.ID(id), CRC32: sentCRC}
	serverCRC := strings.ToLower(strings.TrimSpace(final.Get("Putio-File-Crc32")))
	if serverCRC == "" || serverCRC == sentCRC {
		return item, nil
	}
	err = fmt.Errorf("putio: upload corrupted: sent CRC-32 %s but put.io stored %s", sentCRC, serverCRC)
	logIgnored(nil, "deleting the corrupt upload", f.deleteItems(ctx, item.ID.String()))
	return nil, err
}

// findCompleted identifies the file an upload made when the final reply
// was lost: the newest item named leaf, if its size and CRC-32 are what
// was sent.
func (f *Fs) findCompleted(ctx context.Context, dirID, leaf string, size int64, sentCRC string) (*api.File, error) {
	item, err := f.getChild(ctx, dirID, leaf)
	if err == nil && !item.IsDir() && item.Size == size && strings.EqualFold(item.CRC32, sentCRC) {
		return &api.File{ID: item.ID, CRC32: sentCRC}, nil
	}
	return nil, fmt.Errorf("putio: the final upload reply was lost and the uploaded file of %q could not be identified (lookup: %v)", leaf, err)
}

// terminateUpload deletes an unfinished tus upload so nothing is left
// behind, even when ctx was cancelled.
func (f *Fs) terminateUpload(ctx context.Context, location string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), terminateTimeout)
	defer cancel()
	err := f.tusRequest(ctx, http.MethodDelete, location, nil, nil)
	if hasStatus(err, http.StatusNotFound) {
		return
	}
	logIgnored(nil, "terminating the failed upload "+location, err)
}
