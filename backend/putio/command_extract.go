package putio

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/api"
	"github.com/rclone/rclone/fs"
)

// extractHelp describes the "extract" backend command.
var extractHelp = fs.CommandHelp{
	Name:  "extract",
	Short: "Unpack archives on put.io, into the folder they are in.",
	Long: `put.io unpacks each archive named (a path under the remote) into the
archive's folder; for a RAR set, name its first part. The archive is
named as an argument, as rclone's backend command does not take a file
as the remote:

    rclone backend extract putio:downloads/Show Show.rar -o wait
    rclone backend extract putio: "downloads/Show/Show.part01.rar" -o password=secret

Without -o wait it prints the started extraction (id, archive, status).
With -o wait it logs each change of status and prints, once put.io is
done, the paths of the files it made; it fails with put.io's message if
the extraction fails, and says to run again with -o password if put.io
asks for one (an extraction waiting for its password takes it then).
`,
	Opts: map[string]string{
		"password": "The archive's password, if it has one.",
		"wait":     "Wait until put.io has finished, logging its progress, and print the files made.",
		"interval": "How often to check progress while waiting (default 5s).",
	},
}

// ExtractionInfo is how "extract" prints an extraction.
type ExtractionInfo struct {
	ID      int64    `json:"id"`
	Archive string   `json:"archive"` // the archive's path
	Status  string   `json:"status"`  // put.io's: NEW, SENT_TO_QUEUE, EXTRACTING, EXTRACTED, PASSWORD, ...
	Message string   `json:"message,omitempty"`
	Files   []string `json:"files,omitempty"` // the paths of the files made, once EXTRACTED
}

// extractCommand runs "extract".
func (f *Fs) extractCommand(ctx context.Context, archives []string, opt map[string]string) ([]ExtractionInfo, error) {
	if err := checkCommandOptions("extract", opt); err != nil {
		return nil, err
	}
	interval, err := pollInterval("extract", opt)
	if err != nil {
		return nil, err
	}
	if len(archives) == 0 {
		return nil, fmt.Errorf("putio: extract needs the archive's path, e.g. \"rclone backend extract %s:folder archive.rar\"", f.name)
	}
	password, wantPassword := opt["password"]
	if wantPassword && password == "" {
		return nil, errors.New("putio: extract: -o password is empty; give the archive's password as -o password=PASSWORD")
	}
	_, wait := opt["wait"]
	out := make([]ExtractionInfo, 0, len(archives))
	for _, remote := range archives {
		info, err := f.extract(ctx, remote, password, wait, interval)
		if err != nil {
			return nil, err
		}
		out = append(out, info)
	}
	return out, nil
}

// extract starts the extraction of one archive and, with wait, sees it
// through.
func (f *Fs) extract(ctx context.Context, remote, password string, wait bool, interval time.Duration) (ExtractionInfo, error) {
	archive, err := f.findArchive(ctx, remote)
	if err != nil {
		return ExtractionInfo{}, err
	}
	x, err := f.startExtraction(ctx, archive, password)
	if err != nil {
		return ExtractionInfo{}, err
	}
	if wait {
		if x, err = f.waitExtraction(ctx, archive.remote, x, password != "", interval); err != nil {
			return ExtractionInfo{}, err
		}
	}
	return f.extractionInfo(ctx, archive.remote, x), nil
}

// findArchive finds the archive remote names, with errors that say what
// to give instead.
func (f *Fs) findArchive(ctx context.Context, remote string) (*Object, error) {
	o, err := f.NewObject(ctx, remote)
	switch {
	case errors.Is(err, fs.ErrorIsDir):
		return nil, fmt.Errorf("putio: extract: %q is a folder; name the archive in it (for a RAR set, its first part)", remote)
	case errors.Is(err, fs.ErrorObjectNotFound):
		return nil, fmt.Errorf("putio: extract: no file %q under %s (list the folder with \"rclone lsf\"): %w", remote, fs.ConfigString(f), err)
	case err != nil:
		return nil, err
	}
	return o.(*Object), nil
}

// startExtraction asks put.io to extract the archive. A lost reply is not
// sent again blindly, as a second request may start a second extraction:
// once a try may have worked, the list of extractions is looked at first,
// and an extraction of the archive that was not there before is taken as
// the one started.
func (f *Fs) startExtraction(ctx context.Context, archive *Object, password string) (*api.Extraction, error) {
	before, err := f.listExtractions(ctx)
	if err != nil {
		return nil, err
	}
	known := map[int64]bool{}
	for _, x := range before {
		known[x.ID] = true
	}
	form := url.Values{"user_file_ids": {archive.info.ID.String()}}
	if password != "" {
		form.Set("password", password)
	}
	call := apiCall{method: http.MethodPost, path: "/v2/files/extract", form: form}
	var started *api.Extraction
	// The files appear in the archive's folder, under names this Fs does
	// not track.
	changes := []folderChange{addsUntracked(archive.info.ParentID.String())}
	err = f.mutate(ctx, mutation{what: "POST /v2/files/extract", changes: changes, done: func() (bool, error) {
		var list api.ExtractionsReply
		if err := f.attemptJSON(ctx, apiCall{method: http.MethodGet, path: "/v2/files/extract"}, &list); err != nil {
			return false, err
		}
		for _, x := range list.Extractions {
			if !known[x.ID] && x.Name == archive.info.Name {
				started = &x
				return true, nil
			}
		}
		return false, nil
	}, attempt: func() error {
		var out api.ExtractionsReply
		if err := f.attemptJSON(ctx, call, &out); err != nil {
			return err
		}
		if len(out.Extractions) != 1 {
			return fmt.Errorf("putio: extract: put.io answered with %d extractions for one archive", len(out.Extractions))
		}
		started = &out.Extractions[0]
		return nil
	}})
	if err != nil {
		return nil, extractRefusal(archive.remote, err)
	}
	return started, nil
}

// extractRefusal explains put.io's refusal to extract remote.
func extractRefusal(remote string, err error) error {
	apiErr, ok := apiError(err)
	if !ok || apiErr.Status != http.StatusBadRequest {
		return err
	}
	return fmt.Errorf("putio: extract: put.io won't extract %q (%s): name an archive such as .rar (a set's first part), .zip or .7z", remote, apiErr.Message)
}

// listExtractions reads the account's extractions.
func (f *Fs) listExtractions(ctx context.Context) ([]api.Extraction, error) {
	var list api.ExtractionsReply
	err := f.callJSON(ctx, apiCall{method: http.MethodGet, path: "/v2/files/extract"}, &list)
	return list.Extractions, err
}

// waitExtraction polls until the extraction is done, logging each new
// status, and fails with what to do if it ends in error or waits for a
// password.
func (f *Fs) waitExtraction(ctx context.Context, remote string, x *api.Extraction, sentPassword bool, interval time.Duration) (*api.Extraction, error) {
	status := ""
	for {
		if x.Status != status {
			status = x.Status
			fs.Logf(f, "extract %s: %s", remote, status)
		}
		switch x.Status {
		case api.ExtractExtracted:
			return x, nil
		case api.ExtractError:
			return nil, fmt.Errorf("putio: extracting %q failed: %s", remote, messageOf(x))
		case api.ExtractPassword:
			if sentPassword {
				return nil, fmt.Errorf("putio: extract: put.io could not open %q with the password given (%s): check it and run again with -o password=PASSWORD", remote, messageOf(x))
			}
			return nil, fmt.Errorf("putio: extract: %q needs a password: run again with -o password=PASSWORD", remote)
		}
		if err := sleepCtx(ctx, interval); err != nil {
			return nil, err
		}
		list, err := f.listExtractions(ctx)
		if err != nil {
			return nil, err
		}
		i := slices.IndexFunc(list, func(y api.Extraction) bool { return y.ID == x.ID })
		if i < 0 {
			return nil, fmt.Errorf("putio: extract: extraction %d of %q is no longer listed by put.io (cancelled elsewhere?)", x.ID, remote)
		}
		x = &list[i]
	}
}

// messageOf is put.io's message, or a stand-in when it gave none.
func messageOf(x *api.Extraction) string {
	if x.Message == nil || *x.Message == "" {
		return "put.io gave no reason"
	}
	return *x.Message
}

// extractionInfo describes x, with the paths of the files it made.
func (f *Fs) extractionInfo(ctx context.Context, remote string, x *api.Extraction) ExtractionInfo {
	info := ExtractionInfo{ID: x.ID, Archive: remote, Status: x.Status}
	if x.Message != nil {
		info.Message = *x.Message
	}
	for i := range x.Files {
		if remote, ok := f.extractedPath(ctx, &x.Files[i].File); ok {
			info.Files = append(info.Files, remote)
		}
	}
	return info
}

// extractedPath is where a file an extraction made is now, under the root;
// a file given by id alone is looked up first. A file that is gone, or
// outside the root, has no path.
func (f *Fs) extractedPath(ctx context.Context, file *api.File) (string, bool) {
	if file.Name == "" {
		found, err := f.getItem(ctx, file.ID.String())
		if err != nil || found == nil {
			return "", false
		}
		file = found
	}
	return f.pathIn(ctx, file.ParentID.String(), file.Name, true)
}
