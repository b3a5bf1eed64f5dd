package putio

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/putdotio/go-putio"
	"github.com/rclone-putio/rclone-putio/backend/putio/api"
	"github.com/rclone/rclone/fs"
)

// defaultPollInterval is how often "transfer -o wait" asks for progress.
const defaultPollInterval = 5 * time.Second

// transferCommandHelp describes the transfer commands.
var transferCommandHelp = []fs.CommandHelp{{
	Name:  "transfer",
	Short: "Start put.io transfers (URLs, magnet links, .torrent URLs) into a folder.",
	Long: `put.io downloads each URL itself, into the folder the remote path names
(created if missing). The created transfers are printed as JSON.

    rclone backend transfer putio:incoming "magnet:?xt=urn:btih:..." -o wait
    rclone move putio:incoming other:media

With -o wait the command returns once every transfer has finished,
showing progress on stderr, and fails with put.io's message if one fails.
`,
	Opts: map[string]string{
		"wait":     "Wait until every transfer has finished, showing progress.",
		"interval": "How often to check progress while waiting (default 5s).",
	},
}, {
	Name:  "transfers",
	Short: "List put.io transfers as JSON.",
	Long: `Lists every transfer with its id, name, status, percent done, size,
folder (path and id), put.io's error message if it failed, and the
resulting file once it is done. Paths are from the top of the put.io
account; a folder or file deleted since has an empty path.

    rclone backend transfers putio:
`,
}, {
	Name:  "transfer-cancel",
	Short: "Cancel put.io transfers by id.",
	Long: `Cancels the transfers and removes them from the list; files that
finished transfers made are kept. An id put.io has no transfer for fails
the command, naming it, and nothing is cancelled.

    rclone backend transfer-cancel putio: 123 456
`,
}, {
	Name:  "transfer-retry",
	Short: "Retry failed put.io transfers by id.",
	Long: `Starts failed transfers again and prints them as JSON.

    rclone backend transfer-retry putio: 123
`,
}, {
	Name:  "transfer-clean",
	Short: "Remove finished put.io transfers from the list.",
	Long: `Removes completed transfers from the list; their files are kept.
Failed transfers stay listed: retry or cancel them.

    rclone backend transfer-clean putio:
`,
}}

// TransferInfo is how the commands print a transfer.
type TransferInfo struct {
	ID      int64  `json:"id"`
	Name    string `json:"name"`
	Status  string `json:"status"`
	Percent int    `json:"percent"`
	Size    int64  `json:"size"`
	Source  string `json:"source,omitempty"`
	Folder  string `json:"folder"` // path from the top of the account; "" if gone
	// FolderID is put.io's id of the folder, for a folder deleted since.
	FolderID int64  `json:"folder_id"`
	Error    string `json:"error,omitempty"` // put.io's error_message
	File     string `json:"file,omitempty"`  // the resulting item, once done
}

// transferCommand runs one of the transfer commands.
func (f *Fs) transferCommand(ctx context.Context, name string, arg []string, opt map[string]string) (any, error) {
	if err := checkCommandOptions(name, opt); err != nil {
		return nil, err
	}
	if name == "transfer" {
		return f.startTransfers(ctx, arg, opt)
	}
	if name == "transfers" {
		return f.listTransfers(ctx)
	}
	if name == "transfer-clean" {
		return nil, f.callService(ctx, "clean transfers", func() error { return f.client.Transfers.Clean(ctx) })
	}
	ids, err := transferIDs(name, arg)
	if err != nil {
		return nil, err
	}
	if name == "transfer-cancel" {
		return nil, f.cancelTransfers(ctx, ids)
	}
	return f.retryTransfers(ctx, ids)
}

// checkCommandOptions refuses -o options the command does not take, so that a
// misspelt "-o wait" does not silently skip the wait.
func checkCommandOptions(command string, opt map[string]string) error {
	var known []string
	for _, help := range commandHelp {
		if help.Name == command {
			known = slices.Sorted(maps.Keys(help.Opts))
		}
	}
	for key := range opt {
		if !slices.Contains(known, key) {
			takes := "takes no options"
			if len(known) > 0 {
				takes = "takes -o " + strings.Join(known, ", -o ")
			}
			return fmt.Errorf("putio: %s: unknown option %q; it %s", command, key, takes)
		}
	}
	return nil
}

// transferIDs parses the ids a command was given.
func transferIDs(command string, arg []string) ([]int64, error) {
	if len(arg) == 0 {
		return nil, fmt.Errorf("putio: %s needs transfer ids (see \"rclone backend transfers remote:\")", command)
	}
	ids := make([]int64, len(arg))
	for i, s := range arg {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return nil, fmt.Errorf("putio: %s: %q is not a transfer id (see \"rclone backend transfers remote:\")", command, s)
		}
		ids[i] = id
	}
	return ids, nil
}

// checkTransferArgs checks the URLs and options of "transfer" and returns
// the interval to wait with.
func checkTransferArgs(urls []string, opt map[string]string) (time.Duration, error) {
	if len(urls) == 0 {
		return 0, errors.New("putio: transfer needs at least one URL or magnet link")
	}
	for _, u := range urls {
		if !isTransferURL(u) {
			return 0, fmt.Errorf("putio: transfer: %q is not an http(s) URL or a magnet link", u)
		}
	}
	return pollInterval("transfer", opt)
}

// isTransferURL accepts what put.io can fetch.
func isTransferURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "magnet" || (u.Scheme == "http" || u.Scheme == "https") && u.Host != "")
}

// startTransfers adds a transfer per URL into the Fs's root folder,
// creating it, and with opt "wait" waits for them.
func (f *Fs) startTransfers(ctx context.Context, urls []string, opt map[string]string) ([]TransferInfo, error) {
	interval, err := checkTransferArgs(urls, opt)
	if err != nil {
		return nil, err
	}
	dirID, err := f.dirCache.FindDir(ctx, "", true)
	if err != nil {
		return nil, err
	}
	parent := int64(parseID(dirID))
	known, err := f.transferIDSet(ctx)
	if err != nil {
		return nil, err
	}
	var added []putio.Transfer
	for _, u := range urls {
		t, err := f.addTransfer(ctx, u, parent, known)
		if err != nil {
			return nil, fmt.Errorf("putio: adding a transfer of %q failed%s: %w", u, addedSoFar(added), err)
		}
		known[t.ID] = true
		added = append(added, t)
	}
	if _, wait := opt["wait"]; wait {
		if added, err = f.waitTransfers(ctx, added, interval); err != nil {
			return nil, err
		}
	}
	return f.describeTransfers(ctx, added)
}

// addedSoFar names the transfers already added when a later one fails.
func addedSoFar(added []putio.Transfer) string {
	if len(added) == 0 {
		return ""
	}
	ids := make([]string, len(added))
	for i, t := range added {
		ids[i] = strconv.FormatInt(t.ID, 10)
	}
	return " (transfers " + strings.Join(ids, ", ") + " were added)"
}

// pollInterval reads the interval option of command.
func pollInterval(command string, opt map[string]string) (time.Duration, error) {
	value, ok := opt["interval"]
	if !ok {
		return defaultPollInterval, nil
	}
	d, err := fs.ParseDuration(value)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("putio: %s: -o interval=%q is not a positive duration such as 10s", command, value)
	}
	return d, nil
}

// listTransfers describes every transfer.
func (f *Fs) listTransfers(ctx context.Context) ([]TransferInfo, error) {
	all, err := f.allTransfers(ctx)
	if err != nil {
		return nil, err
	}
	transfers := make([]putio.Transfer, len(all))
	for i, t := range all {
		transfers[i] = t.Transfer
	}
	return f.describeTransfers(ctx, transfers)
}

// cancelTransfers cancels transfers by id; put.io drops a cancelled one
// from the list. Each is looked up first: put.io ignores a cancel of an id
// it has no transfer for (its SDK's live suite), so a mistyped id would go
// unreported; one missing fails the command before anything is cancelled.
// Once a try may have worked, each is looked up again, and only the
// transfers still listed are cancelled again: a repeat never meets
// TRANSFER_NOT_FOUND for one the lost try cancelled, on a put.io that
// refuses missing ids as on one that ignores them.
func (f *Fs) cancelTransfers(ctx context.Context, ids []int64) error {
	const what = "cancel transfers"
	gone := func(id int64) (bool, error) {
		_, err := f.client.Transfers.Get(ctx, id)
		if err = f.serviceError(what, err); hasStatus(err, http.StatusNotFound) {
			return true, nil
		}
		return false, err
	}
	if err := f.refuseMissingTransfers(ctx, ids, gone); err != nil {
		return err
	}
	pending := ids
	return f.retryLookingFirst(ctx, what, pendingProbe(&pending, gone), func() error {
		return f.serviceError(what, f.client.Transfers.Cancel(ctx, pending...))
	})
}

// refuseMissingTransfers fails, naming them, if put.io has no transfer for
// some of ids; gone is one try of that question for one id.
func (f *Fs) refuseMissingTransfers(ctx context.Context, ids []int64, gone func(int64) (bool, error)) error {
	var missing []string
	for _, id := range ids {
		var isGone bool
		err := f.retry(ctx, "look up transfer "+strconv.FormatInt(id, 10), func() (err error) {
			isGone, err = gone(id)
			return err
		})
		if err != nil {
			return err
		}
		if isGone {
			missing = append(missing, strconv.FormatInt(id, 10))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("putio: transfer-cancel: put.io has no transfer %s (see \"rclone backend transfers remote:\"); nothing was cancelled", strings.Join(missing, ", "))
	}
	return nil
}

// retryTransfers restarts failed transfers.
func (f *Fs) retryTransfers(ctx context.Context, ids []int64) ([]TransferInfo, error) {
	var retried []putio.Transfer
	for _, id := range ids {
		t, err := f.callTransfer(ctx, "retry transfer "+strconv.FormatInt(id, 10), func() (putio.Transfer, error) {
			return f.client.Transfers.Retry(ctx, id)
		})
		if err != nil {
			return nil, err
		}
		retried = append(retried, t)
	}
	return f.describeTransfers(ctx, retried)
}

// describeTransfers turns transfers into what the commands print,
// resolving folder and file ids to paths.
func (f *Fs) describeTransfers(ctx context.Context, transfers []putio.Transfer) ([]TransferInfo, error) {
	paths := itemPaths{f: f, known: map[int64]string{0: ""}}
	out := make([]TransferInfo, 0, len(transfers))
	for _, t := range transfers {
		info := TransferInfo{ID: t.ID, Name: t.Name, Status: t.Status, Percent: t.PercentDone,
			Size: int64(t.Size), Source: t.Source, FolderID: t.SaveParentID, Error: t.ErrorMessage}
		var err error
		if info.Folder, err = paths.ofExisting(ctx, t.SaveParentID); err != nil {
			return nil, fmt.Errorf("putio: finding the folder of transfer %d: %w", t.ID, err)
		}
		if t.FileID > 0 && transferDone(&t) {
			if info.File, err = paths.ofExisting(ctx, t.FileID); err != nil {
				return nil, fmt.Errorf("putio: finding the file of transfer %d: %w", t.ID, err)
			}
		}
		out = append(out, info)
	}
	return out, nil
}

// maxDepth bounds the walk up a folder chain, against a looping reply.
const maxDepth = 256

// itemPaths resolves item ids to paths from the top of the account,
// remembering the folders it has seen.
type itemPaths struct {
	f     *Fs
	known map[int64]string
}

// of returns the path of item id; a missing item is ErrorObjectNotFound.
func (p *itemPaths) of(ctx context.Context, id int64) (string, error) {
	var chain []api.File
	for len(chain) < maxDepth {
		if known, ok := p.known[id]; ok {
			return p.remember(known, chain), nil
		}
		item, err := p.f.getItem(ctx, strconv.FormatInt(id, 10))
		if err != nil {
			return "", notFoundAs(err, fs.ErrorObjectNotFound)
		}
		chain = append(chain, *item)
		id = int64(item.ParentID)
		if id < 0 {
			id = 0 // put.io gives the top folder's children no parent
		}
	}
	return "", fmt.Errorf("putio: the server reports folders nested over %d deep", maxDepth)
}

// ofExisting is of, with "" for an item deleted or moved away since: a
// transfer whose folder is gone is still listed.
func (p *itemPaths) ofExisting(ctx context.Context, id int64) (string, error) {
	found, err := p.of(ctx, id)
	if errors.Is(err, fs.ErrorObjectNotFound) {
		return "", nil
	}
	return found, err
}

// remember records the paths of chain, an item and its ancestors up to
// one whose path is base, and returns the item's.
func (p *itemPaths) remember(base string, chain []api.File) string {
	for i := len(chain) - 1; i >= 0; i-- {
		base = path.Join(base, p.f.standardName(chain[i].Name))
		p.known[int64(chain[i].ID)] = base
	}
	return base
}
