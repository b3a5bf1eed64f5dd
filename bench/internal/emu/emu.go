// Package emu runs bin/putio-emulator as a child process and talks to it
// directly over HTTP: its admin API (request counters) and just enough of
// the put.io API to seed state and check results, independently of either
// rclone backend under test.
package emu

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"path"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Emulator is a running putio-emulator process.
type Emulator struct {
	// URL is its base, "http://127.0.0.1:PORT".
	URL string
	// Token is the account seeding and checking use; give the same one to
	// the rclone under test.
	Token string

	cmd    *exec.Cmd
	client *http.Client
	dirIDs map[string]int64 // folder path -> id, filled by MkdirAll
}

// Start launches bin on a free loopback port with its own data directory
// and any extra flags.
func Start(ctx context.Context, bin, dataDir, token string, extra []string, stderr io.Writer) (*Emulator, error) {
	args := append([]string{"-addr", "127.0.0.1:0", "-data-dir", dataDir, "-seed", "1"}, extra...)
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	e := &Emulator{Token: token, cmd: cmd, client: &http.Client{Timeout: 10 * time.Minute}, dirIDs: map[string]int64{"": 0}}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	const prefix = "putio-emulator listening on "
	if err != nil || !strings.HasPrefix(line, prefix) {
		_ = e.Stop()
		return nil, fmt.Errorf("emulator did not report its address (got %q): %v", line, err)
	}
	e.URL = strings.TrimSpace(strings.TrimPrefix(line, prefix))
	return e, nil
}

// Stop ends the emulator and waits for it.
func (e *Emulator) Stop() error {
	e.client.CloseIdleConnections()
	_ = e.cmd.Process.Signal(syscall.SIGTERM)
	err := e.cmd.Wait()
	var exit *exec.ExitError
	if errors.As(err, &exit) && !exit.Exited() {
		return nil // ended by our signal
	}
	return err
}

// Calls is a snapshot of the emulator's request counters.
type Calls struct {
	Routes map[string]int `json:"calls"`
	Total  int            `json:"total"`
}

// Calls reads the counters.
func (e *Emulator) Calls(ctx context.Context) (Calls, error) {
	var c Calls
	err := e.do(ctx, http.MethodGet, "/_emulator/calls", nil, nil, &c)
	return c, err
}

// ResetCounters zeroes the counters, e.g. after seeding.
func (e *Emulator) ResetCounters(ctx context.Context) error {
	return e.do(ctx, http.MethodPost, "/_emulator/reset", nil, nil, nil)
}

// File is the part of a put.io file record the benchmark checks.
type File struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Size     int64  `json:"size"`
	CRC32    string `json:"crc32"`
	FileType string `json:"file_type"`
}

// IsDir reports whether f is a folder.
func (f File) IsDir() bool { return f.FileType == "FOLDER" }

// MkdirAll creates the folders of dir ("a/b/c") as needed and returns the
// id of the last one.
func (e *Emulator) MkdirAll(ctx context.Context, dir string) (int64, error) {
	dir = strings.Trim(dir, "/")
	if id, ok := e.dirIDs[dir]; ok {
		return id, nil
	}
	parent, name := path.Split(dir)
	parentID, err := e.MkdirAll(ctx, parent)
	if err != nil {
		return 0, err
	}
	var reply struct{ File File }
	form := url.Values{"parent_id": {itoa(parentID)}, "name": {name}}
	if err := e.do(ctx, http.MethodPost, "/v2/files/create-folder", form, nil, &reply); err != nil {
		return 0, fmt.Errorf("create folder %s: %w", dir, err)
	}
	e.dirIDs[dir] = reply.File.ID
	return reply.File.ID, nil
}

// Upload stores body as name in folder parentID with a tus create and one
// PATCH.
func (e *Emulator) Upload(ctx context.Context, parentID int64, name string, body io.Reader, size int64, modTime time.Time) error {
	return TusUpload(ctx, e.client, e.URL+"/files/", e.Token, TusFile{ParentID: parentID, Name: name, Body: body, Size: size, ModTime: modTime})
}

// TusFile is one file for TusUpload.
type TusFile struct {
	ParentID int64
	Name     string
	Body     io.Reader // streamed as the PATCH body, never buffered
	Size     int64
	ModTime  time.Time
}

// TusUpload is the plainest tus client: one creation POST to createURL,
// then the whole body in one streaming PATCH to the Location it returns.
// The benchmark also runs it through the proxy as the baseline a backend's
// single-stream upload is measured against.
func TusUpload(ctx context.Context, client *http.Client, createURL, token string, f TusFile) error {
	meta := []string{
		"name " + b64(f.Name),
		"parent_id " + b64(itoa(f.ParentID)),
		"updated-at " + b64(f.ModTime.UTC().Format(time.RFC3339)),
	}
	create, err := newRequest(ctx, token, http.MethodPost, createURL, nil)
	if err != nil {
		return err
	}
	create.Header.Set("Tus-Resumable", "1.0.0")
	create.Header.Set("Upload-Length", strconv.FormatInt(f.Size, 10))
	create.Header.Set("Upload-Metadata", strings.Join(meta, ","))
	resp, err := send(client, create, http.StatusCreated)
	if err != nil {
		return fmt.Errorf("tus create %s: %w", f.Name, err)
	}
	location := resp.Header.Get("Location")
	patch, err := newRequest(ctx, token, http.MethodPatch, location, f.Body)
	if err != nil {
		return err
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

// List returns every item of a folder, following the cursor.
func (e *Emulator) List(ctx context.Context, folderID int64) ([]File, error) {
	var page struct {
		Files  []File
		Cursor *string
	}
	query := url.Values{"parent_id": {itoa(folderID)}, "per_page": {"1000"}}
	if err := e.do(ctx, http.MethodGet, "/v2/files/list?"+query.Encode(), nil, nil, &page); err != nil {
		return nil, err
	}
	files := page.Files
	for page.Cursor != nil && *page.Cursor != "" {
		form := url.Values{"cursor": {*page.Cursor}}
		page.Files, page.Cursor = nil, nil
		if err := e.do(ctx, http.MethodPost, "/v2/files/list/continue", form, nil, &page); err != nil {
			return nil, err
		}
		files = append(files, page.Files...)
	}
	return files, nil
}

// Tree returns every file under dir, keyed by path relative to dir. A
// missing dir and duplicate names (put.io allows them) are errors.
func (e *Emulator) Tree(ctx context.Context, dir string) (map[string]File, error) {
	id, err := e.Lookup(ctx, dir)
	if err != nil {
		return nil, err
	}
	out := map[string]File{}
	return out, e.walk(ctx, id, "", out)
}

func (e *Emulator) walk(ctx context.Context, folderID int64, prefix string, out map[string]File) error {
	files, err := e.List(ctx, folderID)
	if err != nil {
		return err
	}
	for _, f := range files {
		if f.IsDir() {
			if err := e.walk(ctx, f.ID, prefix+f.Name+"/", out); err != nil {
				return err
			}
			continue
		}
		if _, dup := out[prefix+f.Name]; dup {
			return fmt.Errorf("two files named %s%s", prefix, f.Name)
		}
		out[prefix+f.Name] = f
	}
	return nil
}

// Lookup finds the id of the item at p ("" is the root).
func (e *Emulator) Lookup(ctx context.Context, p string) (int64, error) {
	var id int64
	for _, name := range strings.Split(strings.Trim(p, "/"), "/") {
		if name == "" {
			continue
		}
		var reply struct{ File File }
		query := url.Values{"name": {name}}
		if err := e.do(ctx, http.MethodGet, "/v2/files/"+itoa(id)+"/child?"+query.Encode(), nil, nil, &reply); err != nil {
			return 0, fmt.Errorf("look up %s: %w", p, err)
		}
		id = reply.File.ID
	}
	return id, nil
}

// do sends an API request (a form if given) and decodes a JSON reply.
func (e *Emulator) do(ctx context.Context, method, pathQuery string, form url.Values, body io.Reader, reply any) error {
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := newRequest(ctx, e.Token, method, e.URL+pathQuery, body)
	if err != nil {
		return err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %s: %s", method, pathQuery, resp.Status, data)
	}
	if reply == nil {
		return nil
	}
	return json.Unmarshal(data, reply)
}

func newRequest(ctx context.Context, token, method, u string, body io.Reader) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	return req, nil
}

// send does req and wants status; the body is drained and closed.
func send(client *http.Client, req *http.Request, status int) (*http.Response, error) {
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode != status {
		return nil, fmt.Errorf("%s: %s", resp.Status, data)
	}
	return resp, nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
