// Package putio provides an interface to the put.io storage system.
package putio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/putdotio/go-putio"
	"github.com/rclone-putio/rclone-putio/backend/putio/api"
	"github.com/rclone-putio/rclone-putio/backend/putio/internal/tus"
	"github.com/rclone/rclone/fs"
	"github.com/rclone/rclone/fs/config"
	"github.com/rclone/rclone/fs/config/configmap"
	"github.com/rclone/rclone/fs/config/configstruct"
	"github.com/rclone/rclone/fs/fshttp"
	"github.com/rclone/rclone/fs/hash"
	"github.com/rclone/rclone/lib/dircache"
	"github.com/rclone/rclone/lib/oauthutil"
)

// Fs represents a remote put.io folder.
type Fs struct {
	name       string
	root       string
	opt        Options
	features   *liveFeatures
	client     *putio.Client // go-putio over the OAuth client
	downloader *http.Client  // plain client for signed download URLs
	dirCache   *dircache.DirCache
	pacer      *fs.Pacer    // retries and backoff
	gate       *gate        // server-requested delays, shared per login
	apiURL     string       // api_url without a trailing slash
	pageSize   int          // files per listing page
	uploads    *tus.Service // what the upload service supports, per login
	pages      tus.Pages    // where resend windows get their memory
	window     int64        // upload_window, within --max-buffer-memory
	sessions   sessionStore // upload sessions a later run can resume
	madeDirs   *madeDirs    // folders this Fs made, for uploads without lookups
	tokens     *oauthutil.TokenSource
	account    *accountID    // who the token belongs to, once asked
	feed       *feedState    // change notification
	urls       *signedURLs   // signed download URLs by file id, per login
	readAhead  *urlReadAhead // URLs of the files after an opened one; nil if off

	// rangeless is set once the download host ignores Range.
	rangeless *atomic.Bool
}

// liveFeatures holds an Fs's features, which a download host that ignores
// Range changes while the Fs is in use (see hostIgnoresRange).
type liveFeatures = atomic.Pointer[fs.Features]

// Name of the remote (as passed into NewFs).
func (f *Fs) Name() string { return f.name }

// Root of the remote (as passed into NewFs).
func (f *Fs) Root() string { return f.root }

// String converts this Fs to a string.
func (f *Fs) String() string { return fmt.Sprintf("put.io root '%s'", f.root) }

// Features returns the optional features of this Fs.
func (f *Fs) Features() *fs.Features { return f.features.Load() }

// Precision of put.io modification times: whole seconds.
func (f *Fs) Precision() time.Duration { return time.Second }

// Hashes returns the supported hash types.
func (f *Fs) Hashes() hash.Set { return hash.Set(hash.CRC32) }

// NewFs constructs an Fs from the path, container:path.
func NewFs(ctx context.Context, name, root string, m configmap.Mapper) (fs.Fs, error) {
	reportDuplicates()
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
	apiURL := strings.TrimRight(opt.APIURL, "/")
	login, err := loginKey(name, m)
	if err != nil {
		return nil, err
	}
	client, tokens, err := newAPIClient(ctx, name, m, baseURL)
	if err != nil {
		return nil, err
	}
	f := &Fs{
		name:       name,
		root:       strings.Trim(root, "/"),
		opt:        *opt,
		client:     client,
		downloader: fshttp.NewClient(ctx),
		pacer:      newPacer(ctx),
		gate:       gates.of(apiURL, login),
		apiURL:     apiURL,
		pageSize:   listPageSize,
		tokens:     tokens,
		account:    &accountID{},
		uploads:    uploadServices.of(strings.TrimRight(opt.UploadURL, "/"), login),
		madeDirs:   &madeDirs{},
		sessions:   newFileSessions(config.GetCacheDir()),
		feed:       newFeedState(feedURL),
		urls:       signedURLCaches.of(apiURL, login),
		rangeless:  &atomic.Bool{},
	}
	f.readAhead = newURLReadAhead(ctx, opt.URLReadAhead, f.urls, f.fetchDownloadURL)
	f.setWindow()
	f.warnStrayEndpoints()
	f.fillFeatures(ctx)
	f.dirCache = dircache.New(f.root, rootID, f)
	return f.findRoot(ctx)
}

// fillFeatures sets the optional features of f.
func (f *Fs) fillFeatures(ctx context.Context) {
	f.features = &liveFeatures{}
	f.features.Store((&fs.Features{
		DuplicateFiles:          true,
		ReadMimeType:            true,
		CanHaveEmptyDirectories: true,
		ReadMetadata:            true,
	}).Fill(ctx, f))
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

// newObject makes an Object from an item the server described.
func (f *Fs) newObject(remote string, item *api.File) *Object {
	f.recordLocation(item.ID.String(), remote, false)
	return &Object{fs: f, remote: remote, info: *item}
}

// NewObject finds the Object at remote. One found through a remembered
// folder id is checked before it is deleted or replaced (see
// confirmFolder); one found by lookups from the root needs no check.
func (f *Fs) NewObject(ctx context.Context, remote string) (fs.Object, error) {
	remembered := f.remembersPathTo(remote)
	item, dirID, err := f.findItem(ctx, remote)
	if err != nil {
		return nil, err
	}
	if item.IsDir() {
		return nil, fs.ErrorIsDir
	}
	o := f.newObject(remote, item)
	if remembered {
		o.foundIn = dirID
	}
	return o, nil
}

// Put uploads in to remote; an existing file there is updated. The folder
// is found or made first: one this Fs has just made needs no lookup of
// the file.
func (f *Fs) Put(ctx context.Context, in io.Reader, src fs.ObjectInfo, options ...fs.OpenOption) (fs.Object, error) {
	f.beforeUpload(ctx, in, src)
	leaf, dirID, err := f.dirCache.FindPath(ctx, src.Remote(), true)
	if err != nil {
		return nil, err
	}
	if f.madeDirs.cannotHold(dirID, leaf) {
		return f.putInto(ctx, in, src, leaf, dirID, options)
	}
	existing, err := f.NewObject(ctx, src.Remote())
	switch {
	case err == nil:
		return existing, existing.Update(ctx, in, src, options...)
	case errors.Is(err, fs.ErrorObjectNotFound):
		return f.putInto(ctx, in, src, leaf, dirID, options)
	default:
		return nil, err
	}
}

// PutUnchecked uploads in to remote without looking for an existing file;
// put.io then keeps both.
func (f *Fs) PutUnchecked(ctx context.Context, in io.Reader, src fs.ObjectInfo, options ...fs.OpenOption) (fs.Object, error) {
	f.beforeUpload(ctx, in, src)
	leaf, dirID, err := f.dirCache.FindPath(ctx, src.Remote(), true)
	if err != nil {
		return nil, err
	}
	return f.putInto(ctx, in, src, leaf, dirID, options)
}

// putInto uploads in as leaf into the folder dirID. The upload is a
// session of several calls rather than one mutation, so the name it adds
// is followed here, once the session ends: even a failed upload may have
// made the file.
func (f *Fs) putInto(ctx context.Context, in io.Reader, src fs.ObjectInfo, leaf, dirID string, options []fs.OpenOption) (fs.Object, error) {
	item, err := f.upload(ctx, in, src, leaf, dirID, 0, options)
	addsName(dirID, leaf).follow(f)
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

// DirCacheFlush drops the cached folder ids.
func (f *Fs) DirCacheFlush() {
	f.dirCache.ResetRoot()
	f.madeDirs.reset()
}

// CleanUp empties the trash.
func (f *Fs) CleanUp(ctx context.Context) error {
	return f.callJSON(ctx, apiCall{method: http.MethodPost, path: "/v2/trash/empty"}, &api.Empty{})
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
	_ fs.Shutdowner      = (*Fs)(nil)
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
