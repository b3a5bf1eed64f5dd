// Package putio provides an interface to the put.io storage system.
package putio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
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
	defaultWindow    = 4 * fs.Mebi
	rootID           = "0"
	// listPageSize is the largest page put.io is known to serve.
	listPageSize = 1000
	// maxNameBytes is put.io's name limit, in bytes of UTF-8.
	maxNameBytes = 255
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
		Help:    "Largest upload request (tus PATCH); 0 for no limit.\n\nWith 0 a file goes up in one request, or in as few as the server\ntakes. Memory does not depend on it: see upload_window.",
		Default: fs.SizeSuffix(0),
	}, {
		Name:     "upload_window",
		Help:     "Memory per upload for resending after a cut connection.\n\nThe last bytes sent are kept so that those the server did not get\ncan be sent again; older ones are read from the source again when it\ncan be reopened (another remote). A local file needs no window: it is\nread again from where the server is. With chunk_size at most this\nsize, a source that can't be reopened survives any cut. Files up to\nthis size travel in the creation request when the server offers that.",
		Default:  defaultWindow,
		Advanced: true,
	}, {
		Name:     "resume_uploads",
		Help:     "Resume interrupted uploads in a later run.\n\nThe upload URL of a file larger than upload_window is kept under\nrclone's cache directory until the upload ends, so that the next run\nsends only the bytes the server does not hold. See \"rclone backend\nuploads\".",
		Default:  true,
		Advanced: true,
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
	ChunkSize     fs.SizeSuffix        `config:"chunk_size"`
	UploadWindow  fs.SizeSuffix        `config:"upload_window"`
	ResumeUploads bool                 `config:"resume_uploads"`
	HardDelete    bool                 `config:"hard_delete"`
	APIURL        string               `config:"api_url"`
	UploadURL     string               `config:"upload_url"`
	FeedURL       string               `config:"feed_url"`
	Enc           encoder.MultiEncoder `config:"encoding"`
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
	pacer      *fs.Pacer      // retries and backoff
	gate       *gate          // server-requested delays, shared per account
	apiURL     string         // api_url without a trailing slash
	pageSize   int            // files per listing page
	uploads    *uploadService // what the upload service supports, per remote
	cacheDir   string         // rclone's cache directory, for upload sessions
	fresh      *freshDirs     // folders this Fs made, for uploads without lookups
	tokens     *oauthutil.TokenSource
	account    *accountID // who the token belongs to, once asked
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
	if opt.ChunkSize < 0 {
		return nil, fmt.Errorf("putio: option chunk_size = %v is invalid: give a size such as 64M, or 0 for no limit", opt.ChunkSize)
	}
	if opt.UploadWindow < 0 {
		return nil, fmt.Errorf("putio: option upload_window = %v is invalid: give a size such as %v", opt.UploadWindow, defaultWindow)
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
	oauthClient, tokens, err := oauthutil.NewClient(ctx, name, m, oauthConfig)
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
		tokens:     tokens,
		account:    &accountID{},
		uploads:    uploadServiceFor(opt.UploadURL, name),
		fresh:      &freshDirs{},
		cacheDir:   config.GetCacheDir(),
		feed:       newFeedState(feedURL),
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

// Put uploads in to remote; an existing file there is updated. The folder
// is found or made first: one this Fs has just made needs no lookup of
// the file.
func (f *Fs) Put(ctx context.Context, in io.Reader, src fs.ObjectInfo, options ...fs.OpenOption) (fs.Object, error) {
	f.beforeUpload(ctx, in, src)
	leaf, dirID, err := f.dirCache.FindPath(ctx, src.Remote(), true)
	if err != nil {
		return nil, err
	}
	if f.fresh.cannotHold(dirID, leaf) {
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

// putInto uploads in as leaf into the folder dirID.
func (f *Fs) putInto(ctx context.Context, in io.Reader, src fs.ObjectInfo, leaf, dirID string, options []fs.OpenOption) (fs.Object, error) {
	item, err := f.upload(ctx, in, src, leaf, dirID, 0, options)
	if err != nil {
		return nil, err
	}
	f.fresh.added(dirID, leaf)
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
	f.fresh.reset()
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
	o.fs.beforeUpload(ctx, in, src)
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
