package emuproc

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// TusFile is one file for TusUpload.
type TusFile struct {
	ParentID int64
	Name     string
	// Body is streamed as the PATCH body, never buffered; net/http closes
	// it once sent if it is an io.Closer.
	Body    io.Reader
	Size    int64
	ModTime time.Time
	// NoTorrent asks put.io not to start a transfer for a .torrent file.
	NoTorrent bool
}

// Upload stores f in the client's account through the emulator's tus
// service, with TusUpload.
func (c *Client) Upload(ctx context.Context, f TusFile) error {
	return TusUpload(ctx, c.httpClient(), c.URL+"/files/", c.Token, f)
}

// TusUpload is the plainest tus client: one creation POST to createURL,
// then the whole body in one streaming PATCH to the Location it returns.
// The benchmark also runs it through its proxy, as the baseline a
// backend's single-stream upload is measured against.
func TusUpload(ctx context.Context, client *http.Client, createURL, token string, f TusFile) error {
	create, err := newRequest(ctx, token, http.MethodPost, createURL, nil)
	if err != nil {
		return err
	}
	create.Header.Set("Tus-Resumable", "1.0.0")
	create.Header.Set("Upload-Length", strconv.FormatInt(f.Size, 10))
	create.Header.Set("Upload-Metadata", f.metadata())
	resp, err := send(client, create, http.StatusCreated)
	if err != nil {
		return fmt.Errorf("tus create %s: %w", f.Name, err)
	}
	patch, err := newRequest(ctx, token, http.MethodPatch, resp.Header.Get("Location"), f.Body)
	if err != nil {
		return fmt.Errorf("tus patch %s: %w", f.Name, err)
	}
	patch.ContentLength = f.Size
	patch.Header.Set("Tus-Resumable", "1.0.0")
	patch.Header.Set("Upload-Offset", "0")
	patch.Header.Set("Content-Type", "application/offset+octet-stream")
	if _, err := send(client, patch, http.StatusNoContent); err != nil {
		return fmt.Errorf("tus patch %s: %w", f.Name, err)
	}
	return nil
}

// metadata is the Upload-Metadata header for f.
func (f TusFile) metadata() string {
	meta := []string{
		"name " + b64(f.Name),
		"parent_id " + b64(strconv.FormatInt(f.ParentID, 10)),
		"updated-at " + b64(f.ModTime.UTC().Format(time.RFC3339)),
	}
	if f.NoTorrent {
		meta = append(meta, "no-torrent "+b64("true"))
	}
	return strings.Join(meta, ",")
}

// send does req and wants status; the reply's body is drained and closed.
func send(client *http.Client, req *http.Request, status int) (resp *http.Response, err error) {
	resp, err = client.Do(req)
	if err != nil {
		return nil, err
	}
	defer closeBody(resp, &err)
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if err != nil {
		return nil, fmt.Errorf("reading reply: %w", err)
	}
	if resp.StatusCode != status {
		return nil, fmt.Errorf("%s: %s", resp.Status, data)
	}
	return resp, nil
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
