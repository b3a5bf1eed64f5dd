package putio

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/rclone/rclone/fs"
	"github.com/rclone/rclone/fs/config"
	"github.com/rclone/rclone/fs/config/obscure"
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
	// defaultURLReadAhead covers a scan's next files while one is read.
	defaultURLReadAhead = 4
	rootID              = "0"
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

// backendOptions are the options the backend registers.
func backendOptions() []fs.Option {
	return append(oauthOptions(), []fs.Option{{
		Name:    "chunk_size",
		Help:    "Largest upload request (tus PATCH); 0 for no limit.\n\nWith 0 a file goes up in one request, or in as few as the server\ntakes. Memory does not depend on it: see upload_window.",
		Default: fs.SizeSuffix(0),
	}, {
		Name:     "upload_window",
		Help:     "Memory per upload for resending after a cut connection.\n\nThe last bytes sent are kept so that those the server did not get\ncan be sent again; older ones are read from the source again when it\ncan be reopened (another remote). A local file needs no window: it is\nread again from where the server is. With chunk_size at most this\nsize, a source that can't be reopened survives any cut. Files up to\nthis size travel in the creation request when the server offers that.\n\nThe window is taken from rclone's buffer pool in 1 MiB pages, so it\ncounts against --max-buffer-memory (an upload waits for memory as\nrclone's chunked uploads do, and a window larger than that limit\nshrinks to it) and --use-mmap allocates it.",
		Default:  defaultWindow,
		Advanced: true,
	}, {
		Name:     "resume_uploads",
		Help:     "Resume interrupted uploads in a later run.\n\nThe upload URL of a file larger than upload_window is kept under\nrclone's cache directory until the upload ends, so that the next run\nsends only the bytes the server does not hold. See \"rclone backend\nuploads\".",
		Default:  true,
		Advanced: true,
	}, {
		Name:     "url_read_ahead",
		Help:     "Files after an opened one whose download URLs are fetched ahead.\n\nEach open of a file in a listed folder also asks put.io, in the\nbackground, for the signed download URLs of up to this many files that\nfollow it in the folder (by name), unless their URLs are kept already.\nA media server's library scan, which opens the files of a folder one\nafter the other, then waits for a URL only at the first file of each\nfolder instead of at every file.\n\nThe cost is API calls for files that may not be opened: at most this\nmany per opened file, only in folders files are opened in, and none\nfor files whose URLs rclone keeps already (for up to an hour). Playing\none episode of a season asks for the URLs of the next few. 0 turns it\noff.",
		Default:  defaultURLReadAhead,
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
	}}...)
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
	URLReadAhead  int                  `config:"url_read_ahead"`
	HardDelete    bool                 `config:"hard_delete"`
	APIURL        string               `config:"api_url"`
	UploadURL     string               `config:"upload_url"`
	FeedURL       string               `config:"feed_url"`
	Enc           encoder.MultiEncoder `config:"encoding"`
}

// parseURLOption checks an URL option is absolute, with the scheme plain
// or secure.
func parseURLOption(name, value, plain, secure string) (*url.URL, error) {
	parsed, err := url.Parse(value)
	if err == nil && (parsed.Scheme != plain && parsed.Scheme != secure || parsed.Host == "") {
		err = fmt.Errorf("need an absolute %s:// or %s:// URL", plain, secure)
	}
	if err != nil {
		return nil, fmt.Errorf("putio: option %s = %q is invalid: %v", name, value, err)
	}
	return parsed, nil
}

// warnStrayEndpoints warns when the endpoints do not all point at put.io
// or all away from it. With api_url away from put.io while upload_url or
// feed_url still point at it, uploads would go to put.io, and change
// notification would quietly watch put.io's feed, with a token put.io
// never issued. With api_url at put.io while upload_url or feed_url point
// elsewhere, put.io's token would go to that other server.
func (f *Fs) warnStrayEndpoints() {
	apiAtPutio := isPutioURL(f.opt.APIURL)
	var stray []string
	for _, endpoint := range []struct{ name, url string }{{"upload_url", f.opt.UploadURL}, {"feed_url", f.opt.FeedURL}} {
		atPutio := endpoint.url == "" || isPutioURL(endpoint.url) // "" is put.io's default
		if atPutio != apiAtPutio {
			stray = append(stray, endpoint.name)
		}
	}
	if len(stray) == 0 {
		return
	}
	names := strings.Join(stray, " and ")
	if apiAtPutio {
		fs.Logf(f, "api_url points at put.io, but %s point elsewhere, so your put.io login token would be sent there: unless you trust that server, set %s back to put.io's", names, names)
		return
	}
	fs.Logf(f, "api_url points away from put.io, but %s still point at put.io: set %s for the same server too (putio-emulator prints a remote with all of them)", names, names)
}

// isPutioURL reports whether rawURL's host is put.io or one of its
// subdomains.
func isPutioURL(rawURL string) bool {
	u, err := url.Parse(rawURL)
	if err != nil {
		return false
	}
	host := strings.ToLower(u.Hostname())
	return host == "put.io" || strings.HasSuffix(host, ".put.io")
}

// checkOptions rejects option values the backend cannot work with.
func checkOptions(opt *Options) (*url.URL, error) {
	if opt.ChunkSize < 0 {
		return nil, fmt.Errorf("putio: option chunk_size = %v is invalid: give a size such as 64M, or 0 for no limit", opt.ChunkSize)
	}
	if opt.UploadWindow < 0 {
		return nil, fmt.Errorf("putio: option upload_window = %v is invalid: give a size such as %v", opt.UploadWindow, defaultWindow)
	}
	if opt.URLReadAhead < 0 {
		return nil, fmt.Errorf("putio: option url_read_ahead = %d is invalid: give a number of files, or 0 for none", opt.URLReadAhead)
	}
	if _, err := parseURLOption("upload_url", opt.UploadURL, "http", "https"); err != nil {
		return nil, err
	}
	return parseURLOption("api_url", opt.APIURL, "http", "https")
}
