// Package emu is the benchmark's view of a putio-emulator process: it
// starts one through internal/emuproc and adds what seeding and checking
// need (folders by path, listings, whole trees), independently of either
// rclone backend under test.
package emu

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/rclone-putio/rclone-putio/internal/emuproc"
)

// Emulator is a running putio-emulator process and a client of the
// account the benchmark seeds and checks; give the same token to the
// rclone under test.
type Emulator struct {
	// URL, Token, API, Calls, ResetCounters; Upload below takes the
	// place of the client's, by parent id and name.
	*emuproc.Client

	proc   *emuproc.Process
	dirIDs map[string]int64 // folder path -> id, filled by MkdirAll
}

// Start launches bin on a free loopback port with its own data directory
// and any extra flags.
func Start(ctx context.Context, bin, dataDir, token string, extra []string, stderr io.Writer) (*Emulator, error) {
	args := append([]string{"-data-dir", dataDir, "-seed", "1"}, extra...)
	proc, err := emuproc.Start(ctx, bin, args, stderr)
	if err != nil {
		return nil, err
	}
	return newEmulator(proc.URL, token, proc), nil
}

func newEmulator(baseURL, token string, proc *emuproc.Process) *Emulator {
	client := &emuproc.Client{URL: baseURL, Token: token, HTTP: &http.Client{Timeout: 10 * time.Minute}}
	return &Emulator{Client: client, proc: proc, dirIDs: map[string]int64{"": 0}}
}

// Stop ends the emulator and waits for it.
func (e *Emulator) Stop() error {
	e.HTTP.CloseIdleConnections()
	return e.proc.Stop()
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
	if err := e.API(ctx, http.MethodPost, "/v2/files/create-folder", form, &reply); err != nil {
		return 0, fmt.Errorf("create folder %s: %w", dir, err)
	}
	e.dirIDs[dir] = reply.File.ID
	return reply.File.ID, nil
}

// Upload stores body as name in folder parentID with a tus create and one
// PATCH.
func (e *Emulator) Upload(ctx context.Context, parentID int64, name string, body io.Reader, size int64, modTime time.Time) error {
	return e.Client.Upload(ctx, emuproc.TusFile{ParentID: parentID, Name: name, Body: body, Size: size, ModTime: modTime})
}

// List returns every item of a folder, following the cursor.
func (e *Emulator) List(ctx context.Context, folderID int64) ([]File, error) {
	var page struct {
		Files  []File
		Cursor *string
	}
	query := url.Values{"parent_id": {itoa(folderID)}, "per_page": {"1000"}}
	if err := e.API(ctx, http.MethodGet, "/v2/files/list?"+query.Encode(), nil, &page); err != nil {
		return nil, err
	}
	files := page.Files
	for page.Cursor != nil && *page.Cursor != "" {
		form := url.Values{"cursor": {*page.Cursor}}
		page.Files, page.Cursor = nil, nil
		if err := e.API(ctx, http.MethodPost, "/v2/files/list/continue", form, &page); err != nil {
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
		if err := e.API(ctx, http.MethodGet, "/v2/files/"+itoa(id)+"/child?"+query.Encode(), nil, &reply); err != nil {
			return 0, fmt.Errorf("look up %s: %w", p, err)
		}
		id = reply.File.ID
	}
	return id, nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
