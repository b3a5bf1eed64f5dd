// Package putio provides an interface to the put.io storage system.
package putio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/putdotio/go-putio"
	"github.com/rclone-putio/rclone-putio/backend/putio/api"
	"github.com/rclone/rclone/backend/overview"
	"github.com/rclone/rclone/fs"
	"github.com/rclone/rclone/fs/config"
	"github.com/rclone/rclone/fs/config/configmap"
	"github.com/rclone/rclone/fs/config/configstruct"
	"github.com/rclone/rclone/fs/config/obscure"
	"github.com/rclone/rclone/fs/fshttp"
	"github.com/rclone/rclone/fs/hash"
	"github.com/rclone/rclone/fs/list"
	"github.com/rclone/rclone/lib/dircache"
	"github.com/rclone/rclone/lib/encoder"
	"github.com/rclone/rclone/lib/oauthutil"
)

const (
	// rclone's own put.io app, so existing tokens keep working.
	rcloneClientID             = "4131"
	rcloneObscuredClientSecret = "cMwrjWVmrHZp3gf1ZpCrlyGAmPpB-YY5BbVnO1fj-G9evcd8"

	defaultAPIURL    = "https://api.put.io"
	defaultUploadURL = "https://upload.put.io/files/"
	defaultChunkSize = 16 * fs.Mebi
	rootID           = "0"
	// listPageSize is the largest page put.io is known to serve.
	listPageSize = 1000
)

// oauthConfig is the put.io OAuth app; auth_url/token_url override it.
var oauthConfig = &oauthutil.Config{
	Scopes:       nil,
	AuthURL:      defaultAPIURL + "/v2/oauth2/authenticate",
	TokenURL:     defaultAPIURL + "/v2/oauth2/access_token",
	ClientID:     rcloneClientID,
	ClientSecret: obscure.MustReveal(rcloneObscuredClientSecret),
	RedirectURL:  oauthutil.RedirectLocalhostURL,
}

// defaultEncoding escapes what put.io rejects or rewrites: "/" and NUL are
// refused, "\" becomes "-", "." and ".." are refused, JSON cannot carry
// invalid UTF-8, control characters are unsafe, and "%xx" is URL-decoded.
const defaultEncoding = encoder.EncodeZero |
	encoder.EncodeSlash |
	encoder.EncodeBackSlash |
	encoder.EncodeDot |
	encoder.EncodeInvalidUtf8 |
	encoder.EncodeCtl |
	encoder.EncodeDel |
	encoder.EncodePercent

// regInfo is the backend's registration; the e2e checks read it.
var regInfo = &fs.RegInfo{
	Name:        "putio",
	Description: "Put.io",
	NewFs:       NewFs,
	Config: func(ctx context.Context, name string, m configmap.Mapper, config fs.ConfigIn) (*fs.ConfigOut, error) {
		return oauthutil.ConfigOut("", &oauthutil.Options{
			OAuth2Config: oauthConfig,
			NoOffline:    true,
		})
	},
	CommandHelp:  commandHelp,
	MetadataInfo: metadataInfo,
	Overview: &overview.BackendConfig{
		Backend:          "putio",
		Name:             "Put.io",
		Tier:             "Tier 2",
		Maintainers:      "External",
		IntegrationTests: "Passing",
		DataIntegrity:    "Hash",
		Docs:             "Full",
		Security:         "High",
		Remote:           "TestPutio:",
		// Every feature the Fs enables; a test keeps the list in step.
		Features:  []string{"About", "CanHaveEmptyDirectories", "ChangeNotify", "CleanUp", "Command", "Copy", "DirCacheFlush", "DirMove", "DuplicateFiles", "ListP", "MergeDirs", "Move", "PublicLink", "Purge", "PutUnchecked", "ReadMetadata", "ReadMimeType", "UserInfo"},
		Hashes:    []string{"crc32"},
		Precision: int64(time.Second),
	},
	Options: append(oauthOptions(), []fs.Option{{
		Name:    "chunk_size",
		Help:    "Upload chunk size.\n\nEach upload sends the file in PATCH requests of this size and\nkeeps one chunk in memory per transfer.",
		Default: defaultChunkSize,
	}, {
		Name:    "hard_delete",
		Help:    "Delete files permanently rather than putting them into the trash.",
		Default: false,
	}, {
		Name:     "api_url",
		Help:     "API base URL; paths under /v2/ are appended.\n\nChange it only to use a put.io emulator.",
		Default:  defaultAPIURL,
		Advanced: true,
	}, {
		Name:     "upload_url",
		Help:     "The tus upload creation URL.\n\nChange it only to use a put.io emulator.",
		Default:  defaultUploadURL,
		Advanced: true,
	}, {
		Name:     "feed_url",
		Help:     "The websocket URL of put.io's real-time change feed.\n\nChange it only to use a put.io emulator.",
		Default:  defaultFeedURL,
		Advanced: true,
	}, {
		Name:     config.ConfigEncoding,
		Help:     config.ConfigEncodingHelp,
		Advanced: true,
		Default:  defaultEncoding,
	}}...),
}

func init() {
	fs.Register(regInfo)
}

// oauthOptions are rclone's shared OAuth options without the client
// credentials flow, which put.io does not offer.
func oauthOptions() []fs.Option {
	return slices.DeleteFunc(slices.Clone(oauthutil.SharedOptions), func(o fs.Option) bool {
		return o.Name == config.ConfigClientCredentials
	})
}

// Options defines the configuration for this backend.
type Options struct {
	ChunkSize  fs.SizeSuffix        `config:"chunk_size"`
	HardDelete bool                 `config:"hard_delete"`
	APIURL     string               `config:"api_url"`
	UploadURL  string               `config:"upload_url"`
	FeedURL    string               `config:"feed_url"`
	Enc        encoder.MultiEncoder `config:"encoding"`
}

// Fs represents a remote put.io folder.
type Fs struct {
	name       string
	root       string
	opt        Options
	features   *fs.Features
	client     *putio.Client // go-putio over the OAuth client
	downloader *http.Client  // plain client for signed download URLs
	dirCache   *dircache.DirCache
	pacer      *fs.Pacer  // retries and backoff
	gate       *gate      // server-requested delays, shared per account
	apiURL     string     // api_url without a trailing slash
	pageSize   int        // files per listing page
	feed       *feedState // change notification
}

// Object describes a put.io file.
type Object struct {
	fs          *Fs
	remote      string
	info        api.File
	urlMu       sync.Mutex
	downloadURL string // signed URL, fetched once and shared by all streams
}

// Name of the remote (as passed into NewFs).
func (f *Fs) Name() string { return f.name }

// Root of the remote (as passed into NewFs).
func (f *Fs) Root() string { return f.root }

// String converts this Fs to a string.
func (f *Fs) String() string { return fmt.Sprintf("put.io root '%s'", f.root) }

// Features returns the optional features of this Fs.
func (f *Fs) Features() *fs.Features { return f.features }

// Precision of put.io modification times: whole seconds.
func (f *Fs) Precision() time.Duration { return time.Second }

// Hashes returns the supported hash types.
func (f *Fs) Hashes() hash.Set { return hash.Set(hash.CRC32) }

// parseURLOption checks an URL option is absolute http(s).
func parseURLOption(name, value string) (*url.URL, error) {
	parsed, err := url.Parse(value)
	if err == nil && (parsed.Scheme != "http" && parsed.Scheme != "https" || parsed.Host == "") {
		err = errors.New("need an absolute http:// or https:// URL")
	}
	if err != nil {
		return nil, fmt.Errorf("putio: option %s = %q is invalid: %v", name, value, err)
	}
	return parsed, nil
}

// checkOptions rejects option values the backend cannot work with.
func checkOptions(opt *Options) (*url.URL, error) {
	if opt.ChunkSize <= 0 {
		return nil, fmt.Errorf("putio: option chunk_size = %v is invalid: it must be greater than 0", opt.ChunkSize)
	}
	if _, err := parseURLOption("upload_url", opt.UploadURL); err != nil {
		return nil, err
	}
	return parseURLOption("api_url", opt.APIURL)
}

// NewFs constructs an Fs from the path, container:path.
func NewFs(ctx context.Context, name, root string, m configmap.Mapper) (fs.Fs, error) {
	opt := new(Options)
	if err := configstruct.Set(m, opt); err != nil {
		return nil, err
	}
	baseURL, err := checkOptions(opt)
	if err != nil {
		return nil, err
	}
	feedURL, err := checkFeedURL(opt.FeedURL)
	if err != nil {
		return nil, err
	}
	oauthClient, tokenSource, err := oauthutil.NewClient(ctx, name, m, oauthConfig)
	if err != nil {
		return nil, fmt.Errorf("putio: no usable login token (%w): %s", err, reconnectAdvice(name))
	}
	client := putio.NewClient(oauthClient)
	// go-putio's default 30 s deadline covers a whole request including the
	// body, which kills long uploads and downloads; contexts and rclone's
	// fshttp timeouts bound our calls instead.
	client.Timeout = 0
	client.BaseURL = baseURL
	f := &Fs{
		name:       name,
		root:       strings.Trim(root, "/"),
		opt:        *opt,
		client:     client,
		downloader: fshttp.NewClient(ctx),
		pacer:      newPacer(ctx),
		gate:       gateFor(opt.APIURL, name),
		apiURL:     strings.TrimRight(opt.APIURL, "/"),
		pageSize:   listPageSize,
		feed:       newFeedState(feedURL, tokenSource),
	}
	f.fillFeatures(ctx)
	f.dirCache = dircache.New(f.root, rootID, f)
	return f.findRoot(ctx)
}

// fillFeatures sets the optional features of f.
func (f *Fs) fillFeatures(ctx context.Context) {
	f.features = (&fs.Features{
		DuplicateFiles:          true,
		ReadMimeType:            true,
		CanHaveEmptyDirectories: true,
		ReadMetadata:            true,
	}).Fill(ctx, f)
}

// findRoot resolves the root; a root naming a file gives ErrorIsFile with
// the Fs pointing at its parent, as rclone requires.
func (f *Fs) findRoot(ctx context.Context) (fs.Fs, error) {
	err := f.dirCache.FindRoot(ctx, false)
	if !errors.Is(err, fs.ErrorDirNotFound) {
		return f, err // found, or a real failure such as a revoked token
	}
	newRoot, leaf := dircache.SplitPath(f.root)
	parent := *f
	parent.root = newRoot
	parent.dirCache = dircache.New(newRoot, rootID, &parent)
	parent.fillFeatures(ctx)
	err = parent.dirCache.FindRoot(ctx, false)
	if err == nil {
		_, err = parent.NewObject(ctx, leaf)
		if err == nil {
			return &parent, fs.ErrorIsFile
		}
	}
	if errors.Is(err, fs.ErrorDirNotFound) || errors.Is(err, fs.ErrorObjectNotFound) || errors.Is(err, fs.ErrorIsDir) {
		return f, nil // not there yet: Mkdir will create it
	}
	return nil, err
}

// itemPath is the API path of one item.
func itemPath(id, suffix string) string {
	return "/v2/files/" + id + suffix
}

// getChild looks up leaf in the folder dirID: one call, never a listing.
func (f *Fs) getChild(ctx context.Context, dirID, leaf string) (*api.File, error) {
	var out api.FileReply
	err := f.callJSON(ctx, apiCall{
		method: http.MethodGet,
		path:   itemPath(dirID, "/child"),
		query:  url.Values{"name": {f.opt.Enc.FromStandardName(leaf)}},
	}, &out)
	if err != nil {
		return nil, err
	}
	return out.File, nil
}

// FindLeaf finds the folder leaf in the folder pathID.
func (f *Fs) FindLeaf(ctx context.Context, pathID, leaf string) (string, bool, error) {
	item, err := f.getChild(ctx, pathID, leaf)
	if hasStatus(err, http.StatusNotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	if !item.IsDir() {
		return "", false, nil
	}
	f.sawDir(pathID, leaf, item.ID.String())
	return item.ID.String(), true, nil
}

// CreateDir makes the folder leaf in pathID. A name clash means another
// writer got there first, so the existing folder is used.
func (f *Fs) CreateDir(ctx context.Context, pathID, leaf string) (string, error) {
	var out api.FileReply
	err := f.callJSON(ctx, apiCall{
		method: http.MethodPost,
		path:   "/v2/files/create-folder",
		form:   url.Values{"name": {f.opt.Enc.FromStandardName(leaf)}, "parent_id": {pathID}},
	}, &out)
	if hasType(err, errTypeNameExists) {
		if id, found, findErr := f.FindLeaf(ctx, pathID, leaf); findErr == nil && found {
			return id, nil
		}
	}
	if err != nil {
		return "", err
	}
	f.sawDir(pathID, leaf, out.File.ID.String())
	return out.File.ID.String(), nil
}

// listPages calls page for each page of the folder dirID, one paced call
// per page, so callers can stream them.
func (f *Fs) listPages(ctx context.Context, dirID string, perPage int, page func([]api.File) error) error {
	first := apiCall{
		method: http.MethodGet,
		path:   "/v2/files/list",
		query:  url.Values{"parent_id": {dirID}, "per_page": {strconv.Itoa(perPage)}},
	}
	err := walkPages[api.File](ctx, f, first, "/v2/files/list/continue", perPage, page)
	return notFoundAs(err, fs.ErrorDirNotFound)
}

// walkPages reads a paged listing: first opens it, continuePath takes the
// cursor of each next page. The usable items of each page go to each as
// the page arrives; malformed ones are reported and skipped.
func walkPages[T any, P interface {
	*T
	Validate() error
}](ctx context.Context, f *Fs, first apiCall, continuePath string, perPage int, each func([]T) error) error {
	call := first
	var previous string
	for {
		var out api.Page[T, P]
		if err := f.callJSON(ctx, call, &out); err != nil {
			return err
		}
		items, problems := out.Usable()
		reportSkipped(ctx, f, problems)
		if err := each(items); err != nil {
			return err
		}
		cursor := out.NextCursor()
		switch {
		case cursor == "":
			return nil
		case cursor == previous && len(out.Files) == 0:
			return fmt.Errorf("putio: listing %s: the server repeats an empty page; try again later", first.path)
		}
		previous = cursor
		call = apiCall{
			method: http.MethodPost,
			path:   continuePath,
			form:   url.Values{"cursor": {cursor}, "per_page": {strconv.Itoa(perPage)}},
		}
	}
}

// reportSkipped logs malformed items left out of a listing and counts
// them as errors, so that a sync does not delete on an incomplete view.
func reportSkipped(ctx context.Context, f *Fs, problems []error) {
	for _, err := range problems {
		fs.Errorf(f, "skipping a malformed item put.io listed: %v", err)
		_ = fs.CountError(ctx, err)
	}
}

// List the objects and directories in dir into entries.
func (f *Fs) List(ctx context.Context, dir string) (fs.DirEntries, error) {
	return list.WithListP(ctx, dir, f)
}

// ListP lists dir, handing each page of entries to callback as it arrives.
func (f *Fs) ListP(ctx context.Context, dir string, callback fs.ListRCallback) error {
	dirID, err := f.dirCache.FindDir(ctx, dir, false)
	if err != nil {
		return err
	}
	return f.listPages(ctx, dirID, f.pageSize, func(items []api.File) error {
		entries := make(fs.DirEntries, 0, len(items))
		for i := range items {
			entries = append(entries, f.entryFor(dir, &items[i]))
		}
		return callback(entries)
	})
}

// entryFor turns a listed item into a directory or an object.
func (f *Fs) entryFor(dir string, item *api.File) fs.DirEntry {
	remote := path.Join(dir, f.opt.Enc.ToStandardName(item.Name))
	if item.IsDir() {
		id := item.ID.String()
		f.dirCache.Put(remote, id)
		f.saw(id, remote, true)
		return fs.NewDir(remote, item.ModTime()).SetID(id).SetParentID(item.ParentID.String()).SetSize(item.Size)
	}
	return f.newObject(remote, item)
}

// newObject makes an Object from an item the server described.
func (f *Fs) newObject(remote string, item *api.File) *Object {
	f.saw(item.ID.String(), remote, false)
	return &Object{fs: f, remote: remote, info: *item}
}

// NewObject finds the Object at remote.
func (f *Fs) NewObject(ctx context.Context, remote string) (fs.Object, error) {
	item, err := f.findItem(ctx, remote)
	if err != nil {
		return nil, err
	}
	if item.IsDir() {
		return nil, fs.ErrorIsDir
	}
	return f.newObject(remote, item), nil
}

// findItem looks up a file or folder by path without creating anything.
func (f *Fs) findItem(ctx context.Context, remote string) (*api.File, error) {
	leaf, dirID, err := f.dirCache.FindPath(ctx, remote, false)
	if errors.Is(err, fs.ErrorDirNotFound) {
		return nil, fs.ErrorObjectNotFound
	}
	if err != nil {
		return nil, err
	}
	item, err := f.getChild(ctx, dirID, leaf)
	return item, notFoundAs(err, fs.ErrorObjectNotFound)
}

// Put uploads in to remote; an existing file there is updated.
func (f *Fs) Put(ctx context.Context, in io.Reader, src fs.ObjectInfo, options ...fs.OpenOption) (fs.Object, error) {
	existing, err := f.NewObject(ctx, src.Remote())
	switch {
	case err == nil:
		return existing, existing.Update(ctx, in, src, options...)
	case errors.Is(err, fs.ErrorObjectNotFound):
		return f.PutUnchecked(ctx, in, src, options...)
	default:
		return nil, err
	}
}

// PutUnchecked uploads in to remote without looking for an existing file;
// put.io then keeps both.
func (f *Fs) PutUnchecked(ctx context.Context, in io.Reader, src fs.ObjectInfo, options ...fs.OpenOption) (fs.Object, error) {
	leaf, dirID, err := f.dirCache.FindPath(ctx, src.Remote(), true)
	if err != nil {
		return nil, err
	}
	item, err := f.upload(ctx, in, src, leaf, dirID)
	if err != nil {
		return nil, err
	}
	return f.newObject(src.Remote(), item), nil
}

// Mkdir creates the folder dir and any missing parents.
func (f *Fs) Mkdir(ctx context.Context, dir string) error {
	_, err := f.dirCache.FindDir(ctx, dir, true)
	return err
}

// deleteItems removes items by id, to the trash unless hard_delete is set.
func (f *Fs) deleteItems(ctx context.Context, ids ...string) error {
	call := apiCall{method: http.MethodPost, path: "/v2/files/delete", form: url.Values{"file_ids": {strings.Join(ids, ",")}}}
	if f.opt.HardDelete {
		// A query flag, as the official SDK sends it.
		call.query = url.Values{"skip_trash": {"1"}}
	}
	return f.callJSON(ctx, call, &api.Empty{})
}

// purgeCheck removes dir, refusing a non-empty one when check is set.
func (f *Fs) purgeCheck(ctx context.Context, dir string, check bool) error {
	dirID, err := f.dirCache.FindDir(ctx, dir, false)
	if err != nil {
		return err
	}
	if dirID == rootID {
		return errors.New("putio: can't remove the root folder")
	}
	if check {
		if err := f.checkEmpty(ctx, dirID); err != nil {
			return err
		}
	}
	if err := f.deleteItems(ctx, dirID); err != nil {
		return notFoundAs(err, fs.ErrorDirNotFound)
	}
	f.dirCache.FlushDir(dir)
	return nil
}

// checkEmpty fails unless dirID has no children; one item is enough to tell.
func (f *Fs) checkEmpty(ctx context.Context, dirID string) error {
	errStop := errors.New("stop")
	err := f.listPages(ctx, dirID, 1, func(items []api.File) error {
		if len(items) > 0 {
			return fs.ErrorDirectoryNotEmpty
		}
		return errStop
	})
	if errors.Is(err, errStop) {
		return nil
	}
	return err
}

// Rmdir removes the empty folder dir.
func (f *Fs) Rmdir(ctx context.Context, dir string) error {
	return f.purgeCheck(ctx, dir, true)
}

// Purge removes dir and everything in it with one call.
func (f *Fs) Purge(ctx context.Context, dir string) error {
	return f.purgeCheck(ctx, dir, false)
}

// DirCacheFlush drops the cached folder ids.
func (f *Fs) DirCacheFlush() {
	f.dirCache.ResetRoot()
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

// serverSideTarget checks src is one of our Objects on the same server
// (else notOurs) and finds, creating it if needed, the folder of remote.
func (f *Fs) serverSideTarget(ctx context.Context, src fs.Object, remote string, notOurs error) (srcObj *Object, leaf, dirID string, err error) {
	srcObj, ok := src.(*Object)
	if !ok || srcObj.fs.opt.APIURL != f.opt.APIURL {
		return nil, "", "", notOurs
	}
	leaf, dirID, err = f.dirCache.FindPath(ctx, remote, true)
	return srcObj, leaf, dirID, err
}

// Copy src to remote server-side: a copy straight to the final name and a
// touch to restore the modification time, which put.io resets.
func (f *Fs) Copy(ctx context.Context, src fs.Object, remote string) (fs.Object, error) {
	srcObj, leaf, dirID, err := f.serverSideTarget(ctx, src, remote, fs.ErrorCantCopy)
	if err != nil {
		return nil, err
	}
	item, err := f.copyItem(ctx, srcObj.id(), dirID, leaf)
	if hasType(err, errTypeNameExists) {
		item, err = f.copyViaTempName(ctx, srcObj.id(), dirID, leaf)
	}
	if err != nil {
		return nil, err
	}
	dst := f.newObject(remote, item)
	return dst, dst.setModTime(ctx, srcObj.ModTime(ctx))
}

// copyItem copies id into dirID as leaf and returns the new item. A reply
// without the item is tolerated, as the copy exists by then: it is looked
// up by name instead.
func (f *Fs) copyItem(ctx context.Context, id, dirID, leaf string) (*api.File, error) {
	out := api.FileReply{AllowMissing: true}
	err := f.callJSON(ctx, apiCall{
		method: http.MethodPost,
		path:   "/v2/files/copy",
		form:   url.Values{"file_id": {id}, "parent_id": {dirID}, "name": {f.opt.Enc.FromStandardName(leaf)}},
	}, &out)
	if err != nil || out.File != nil {
		return out.File, err
	}
	return f.getChild(ctx, dirID, leaf)
}

// copyViaTempName handles a copy refused for a name clash (real or the
// spurious one put.io is known for): copy under a temporary name, and
// only once that copy exists delete the file in the way and rename.
func (f *Fs) copyViaTempName(ctx context.Context, id, dirID, leaf string) (*api.File, error) {
	tempLeaf := leaf + ".rclone-copy-" + strconv.FormatInt(time.Now().UnixNano()%1e8, 36)
	item, err := f.copyItem(ctx, id, dirID, tempLeaf)
	if err != nil {
		return nil, err
	}
	existing, err := f.getChild(ctx, dirID, leaf)
	switch {
	case err == nil && existing.ID.String() == id:
		logIgnored(nil, "removing the temporary copy", f.deleteItems(ctx, item.ID.String()))
		return nil, fmt.Errorf("putio: can't copy %q onto itself", leaf)
	case err == nil && existing.IsDir():
		return nil, fmt.Errorf("putio: can't copy over folder %q; the copy is kept as %q", leaf, tempLeaf)
	case err == nil:
		err = f.deleteItems(ctx, existing.ID.String())
	case hasStatus(err, http.StatusNotFound):
		err = nil
	}
	if err == nil {
		err = f.rename(ctx, item.ID.String(), leaf)
	}
	if err != nil {
		return nil, fmt.Errorf("putio: copy kept as %q: %w", tempLeaf, err)
	}
	item.Name = f.opt.Enc.FromStandardName(leaf)
	return item, nil
}

// rename gives the item id a new name in place.
func (f *Fs) rename(ctx context.Context, id, leaf string) error {
	return f.callJSON(ctx, apiCall{
		method: http.MethodPost,
		path:   "/v2/files/rename",
		form:   url.Values{"file_id": {id}, "name": {f.opt.Enc.FromStandardName(leaf)}},
	}, &api.Empty{})
}

// moveItem moves and renames one item.
func (f *Fs) moveItem(ctx context.Context, id, dirID, leaf string) error {
	return f.move(ctx, url.Values{"file_id": {id}, "parent_id": {dirID}, "name": {f.opt.Enc.FromStandardName(leaf)}})
}

// move calls files/move. Its per-item failures can come back with HTTP
// 200, so the body is checked too.
func (f *Fs) move(ctx context.Context, form url.Values) error {
	var out api.MoveReply
	err := f.callJSON(ctx, apiCall{method: http.MethodPost, path: "/v2/files/move", form: form}, &out)
	if err != nil {
		return err
	}
	return out.Err()
}

// Move src to remote server-side: one move and a touch, as put.io resets
// the modification time. The item keeps its id.
func (f *Fs) Move(ctx context.Context, src fs.Object, remote string) (fs.Object, error) {
	srcObj, leaf, dirID, err := f.serverSideTarget(ctx, src, remote, fs.ErrorCantMove)
	if err != nil {
		return nil, err
	}
	if err := f.moveItem(ctx, srcObj.id(), dirID, leaf); err != nil {
		return nil, err
	}
	item := srcObj.info
	item.Name = f.opt.Enc.FromStandardName(leaf)
	item.ParentID = parseID(dirID)
	dst := f.newObject(remote, &item)
	return dst, dst.setModTime(ctx, srcObj.ModTime(ctx))
}

// parseID turns a dircache id back into an api.ID.
func parseID(id string) api.ID {
	n, _ := strconv.ParseInt(id, 10, 64)
	return api.ID(n)
}

// DirMove moves the folder srcRemote of src to dstRemote in one call.
func (f *Fs) DirMove(ctx context.Context, src fs.Fs, srcRemote, dstRemote string) error {
	srcFs, ok := src.(*Fs)
	if !ok || srcFs.opt.APIURL != f.opt.APIURL {
		return fs.ErrorCantDirMove
	}
	srcID, _, _, dstDirID, dstLeaf, err := f.dirCache.DirMove(ctx, srcFs.dirCache, srcFs.root, srcRemote, f.root, dstRemote)
	if err != nil {
		return err
	}
	if err := f.moveItem(ctx, srcID, dstDirID, dstLeaf); err != nil {
		return err
	}
	srcFs.dirCache.FlushDir(srcRemote)
	return nil
}

// accountInfo fetches /account/info.
func (f *Fs) accountInfo(ctx context.Context) (*api.AccountInfo, error) {
	var out api.AccountReply
	err := f.callJSON(ctx, apiCall{method: http.MethodGet, path: "/v2/account/info"}, &out)
	return out.Info, err
}

// About reports the account's quota.
func (f *Fs) About(ctx context.Context) (*fs.Usage, error) {
	info, err := f.accountInfo(ctx)
	if err != nil {
		return nil, err
	}
	return &fs.Usage{
		Total:   fs.NewUsageValue(info.Disk.Size),
		Used:    fs.NewUsageValue(info.Disk.Used),
		Free:    fs.NewUsageValue(info.Disk.Avail),
		Trashed: fs.NewUsageValue(info.TrashSize),
	}, nil
}

// UserInfo reports who the token belongs to.
func (f *Fs) UserInfo(ctx context.Context) (map[string]string, error) {
	info, err := f.accountInfo(ctx)
	if err != nil {
		return nil, err
	}
	return map[string]string{
		"UserID":        info.UserID.String(),
		"Username":      info.Username,
		"Mail":          info.Mail,
		"AccountStatus": info.AccountStatus,
	}, nil
}

// CleanUp empties the trash.
func (f *Fs) CleanUp(ctx context.Context) error {
	return f.callJSON(ctx, apiCall{method: http.MethodPost, path: "/v2/trash/empty"}, &api.Empty{})
}

// MergeDirs moves the contents of dirs[1:] into dirs[0], one bulk move per
// page of ids, then deletes the emptied folders.
func (f *Fs) MergeDirs(ctx context.Context, dirs []fs.Directory) error {
	if len(dirs) < 2 {
		return nil
	}
	dstID := dirs[0].ID()
	for _, dir := range dirs[1:] {
		// Collect first: moving items out would shift a listing cursor.
		var ids []string
		err := f.listPages(ctx, dir.ID(), f.pageSize, func(items []api.File) error {
			for i := range items {
				ids = append(ids, items[i].ID.String())
			}
			return nil
		})
		if err == nil {
			err = f.bulkMove(ctx, ids, dstID)
		}
		if err != nil {
			return fmt.Errorf("putio: merging %q into %q: %w", dir, dirs[0], err)
		}
		if err := f.deleteItems(ctx, dir.ID()); err != nil {
			return fmt.Errorf("putio: removing merged folder %q: %w", dir, err)
		}
	}
	f.DirCacheFlush()
	return nil
}

// bulkMove moves the items ids into dirID, listPageSize per call.
func (f *Fs) bulkMove(ctx context.Context, ids []string, dirID string) error {
	for len(ids) > 0 {
		batch := ids[:min(len(ids), listPageSize)]
		ids = ids[len(batch):]
		if err := f.move(ctx, url.Values{"file_ids": {strings.Join(batch, ",")}, "parent_id": {dirID}}); err != nil {
			return err
		}
	}
	return nil
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

// SetModTime sets the modification time, retried like every other call.
func (o *Object) SetModTime(ctx context.Context, modTime time.Time) error {
	return o.setModTime(ctx, modTime)
}

// setModTime touches the file and records the time put.io will report.
func (o *Object) setModTime(ctx context.Context, modTime time.Time) error {
	if err := o.fs.touch(ctx, o.id(), modTime); err != nil {
		return notFoundAs(err, fs.ErrorObjectNotFound)
	}
	o.info.UpdatedAt = api.Time{Time: modTime.UTC().Truncate(time.Second)}
	return nil
}

// Remove deletes the file.
func (o *Object) Remove(ctx context.Context) error {
	return notFoundAs(o.fs.deleteItems(ctx, o.id()), fs.ErrorObjectNotFound)
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
	// The folder comes from the path, not from parent_id, which a reply
	// could leave out (reading as 0, the root).
	leaf, dirID, err := o.fs.dirCache.FindPath(ctx, o.remote, false)
	if err != nil {
		return err
	}
	item, err := o.fs.upload(ctx, in, src, leaf, dirID)
	if err != nil {
		return err
	}
	oldID := o.id()
	o.info = *item
	o.urlMu.Lock()
	o.downloadURL = ""
	o.urlMu.Unlock()
	if oldID == o.id() {
		return nil // never delete what may be the new version
	}
	if err := o.fs.deleteItems(ctx, oldID); err != nil && !hasStatus(err, http.StatusNotFound) {
		return fmt.Errorf("putio: new version of %q uploaded, but the old one (id %s) could not be deleted: %w", o.remote, oldID, err)
	}
	return nil
}

// Check the interfaces are satisfied.
var (
	_ fs.Fs              = (*Fs)(nil)
	_ fs.Purger          = (*Fs)(nil)
	_ fs.PutUncheckeder  = (*Fs)(nil)
	_ fs.Copier          = (*Fs)(nil)
	_ fs.Mover           = (*Fs)(nil)
	_ fs.DirMover        = (*Fs)(nil)
	_ fs.ListPer         = (*Fs)(nil)
	_ fs.Abouter         = (*Fs)(nil)
	_ fs.UserInfoer      = (*Fs)(nil)
	_ fs.CleanUpper      = (*Fs)(nil)
	_ fs.ChangeNotifier  = (*Fs)(nil)
	_ fs.MergeDirser     = (*Fs)(nil)
	_ fs.PublicLinker    = (*Fs)(nil)
	_ fs.Commander       = (*Fs)(nil)
	_ fs.DirCacheFlusher = (*Fs)(nil)
	_ dircache.DirCacher = (*Fs)(nil)
	_ fs.Object          = (*Object)(nil)
	_ fs.MimeTyper       = (*Object)(nil)
	_ fs.IDer            = (*Object)(nil)
	_ fs.ParentIDer      = (*Object)(nil)
	_ fs.Metadataer      = (*Object)(nil)
)
