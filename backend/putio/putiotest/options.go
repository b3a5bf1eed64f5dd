package putiotest

import "time"

// Options tune the emulator. The zero value is a permissive server: any
// token is accepted, no quota pressure, no rate limit, no faults.
type Options struct {
	// Tokens are registered up front, each as its own account.
	Tokens []string
	// AppTokens are registered up front as third-party app tokens
	// (ScopeApp), each its own account.
	AppTokens []string
	// FirstPartyClients are the OAuth client ids whose tokens are
	// first-party (ScopeFull); the OAuth flow gives every other client,
	// rclone's 4131 included, a third-party app token.
	FirstPartyClients []string
	// Users maps usernames to passwords for the password login
	// (PUT /v2/oauth2/authorizations/clients/...), each user one account.
	Users map[string]string
	// Strict accepts only registered tokens and tokens issued by the OAuth
	// flow; otherwise every new token silently gets a fresh account.
	Strict bool
	// AdminSecret, if set, is required by every admin request (under
	// /_emulator/), as "Authorization: Bearer <secret>", from any address.
	// Without it the admin API serves only requests from a loopback address
	// that carry no relay header (Forwarded, Via, X-Forwarded-*,
	// X-Real-IP, CF-Connecting-IP and other *-IP client address headers).
	// A relay on this machine that adds no header (ssh -L, socat, kubectl
	// port-forward) makes its clients look local: whoever relays must set
	// a secret, which also stops loopback fetches (TransferFetchHosts).
	AdminSecret string
	// TransferFetchHosts are host names or IP addresses, beyond loopback,
	// that the emulator fetches transfer URLs from itself (for any client);
	// a transfer of another URL is never fetched and waits for a test to
	// complete or fail it. A URL on a loopback host is fetched only for a
	// transfer added by a request from this machine (as the admin API
	// judges it) while AdminSecret is empty, unless this lists a loopback
	// host. Each fetch connects only to the
	// addresses it checked (never unspecified, link-local or multicast) and
	// follows redirects only to hosts it fetches from; a refused fetch ends
	// the transfer in ERROR with the reason.
	TransferFetchHosts []string
	// DataDir is where file bodies go, in a subdirectory that Close
	// removes (and that the next emulator sweeps up if this one is
	// killed). Empty means the system's temporary directory.
	DataDir string
	// Quota is the disk size of each account in bytes (default 1 TiB).
	Quota int64
	// Latency is added to every API, upload and download request.
	Latency time.Duration
	// RateLimit, when Requests > 0, limits each token.
	RateLimit RateLimit
	// PublicURL, if set, is the base of every absolute URL handed out (tus
	// Location, download URLs) instead of the request's scheme and host.
	PublicURL string
	// URLExpiry is how long a signed download URL works (default 6 h).
	URLExpiry time.Duration
	// IgnoreRange answers every download with 200 and the whole file,
	// whatever Range asks, as a host or proxy without range support does.
	IgnoreRange bool
	// UploadExpiry is how long an idle tus upload is kept (default 24 h).
	UploadExpiry time.Duration
	// MaxPatchSize, if > 0, rejects larger tus PATCH bodies with 413.
	MaxPatchSize int64
	// MaxPatchSizeAfterBody refuses a PATCH over MaxPatchSize only once
	// its whole body has been read, keeping none of it, instead of from
	// its Content-Length before reading: the 413 then always comes after
	// the client sent every byte, the latest a server could answer.
	MaxPatchSizeAfterBody bool
	// DropPartialPatch forgets every byte of a PATCH whose body was cut
	// short. By default the bytes that arrived are kept, as put.io's
	// storage server does and tus recommends; both are plausible.
	DropPartialPatch bool
	// OmitUploadCRC leaves Putio-File-Crc32 out of the reply that completes
	// an upload (the last PATCH, or a creation POST that carried the whole
	// file); Putio-File-Id is still sent. The record has put.io send both;
	// a client must not take an upload unchecked if it does not.
	OmitUploadCRC bool
	// TusExtensions is what OPTIONS /files/ advertises in Tus-Extension
	// (default "creation", "termination"). Listing "creation-with-upload"
	// also makes a creation POST with a body store that body.
	TusExtensions []string
	// TusMaxSize, if > 0, is advertised as Tus-Max-Size and a creation
	// with a larger Upload-Length is refused with 413.
	TusMaxSize int64
	// RefuseOptions answers OPTIONS /files/ with 405, as a server that
	// does not support tus discovery might.
	RefuseOptions bool
	// HideHiddenItems leaves hidden items (Account.SetHidden) out of
	// files/list, its continuation pages and files/{id}/child unless the
	// request asks for them with hidden=1 (or true). The record only says
	// that listings take hidden=1; by default every item is shown.
	HideHiddenItems bool
	// ShuffleListing returns each page of a listing in a random order.
	ShuffleListing bool
	// Seed drives every random choice (listing shuffle, fault probability).
	Seed uint64
	// TrashLockWait, if > 0, is how long a trash operation waits for the
	// per-account trash lock before failing with TRASH_LOCK_TIMEOUT.
	TrashLockWait time.Duration
	// TrashHold is how long each trash operation keeps the trash lock, to
	// make contention reproducible.
	TrashHold time.Duration
	// NormalizeNamesNFC stores every name in Unicode NFC, as a server that
	// normalises names would: an item made as "e\u0301" is listed as
	// "\u00e9". By default names are stored as given (lookups by name
	// compare after NFC either way); the record does not say which.
	NormalizeNamesNFC bool
	// KeepPercentEscapes stores names as given, "%" and hex digits
	// included, instead of percent-decoding them as put.io is seen to do.
	KeepPercentEscapes bool
	// SpuriousCopyConflict makes the first copy of each file fail with
	// NAME_ALREADY_EXIST, as put.io sometimes does.
	SpuriousCopyConflict bool
	// RefuseSameName makes a rename, or a move into the folder an item is
	// already in, to the name it already has fail with NAME_ALREADY_EXIST:
	// the item is taken for a clash with itself. The record is silent; by
	// default such a repeat succeeds and changes nothing.
	RefuseSameName bool
	// CancelMissingTransferNotFound makes POST /v2/transfers/cancel refuse
	// an id with no transfer (404 TRANSFER_NOT_FOUND, nothing cancelled).
	// By default the cancel is idempotent, as put.io's own SDK live tests
	// find: the transfers that exist are cancelled and missing ids are
	// ignored, so a repeated cancel answers 200.
	CancelMissingTransferNotFound bool
	// CreateFolderReturnsExisting makes POST /v2/files/create-folder of a
	// name a folder already has answer 200 with that folder, as a server
	// that treats create-folder as "make sure it exists" might. The record
	// is silent; by default the name is refused with NAME_ALREADY_EXIST. A
	// name only a file has is refused either way.
	CreateFolderReturnsExisting bool
	// FeedHeartbeat is the interval of the feed's ping frames (default
	// 10 s, as on put.io; negative: none).
	FeedHeartbeat time.Duration
	// FeedTextHeartbeat sends each heartbeat as a text message "h" (SockJS's
	// heartbeat frame) instead of a ping: the record does not say which.
	FeedTextHeartbeat bool
	// FeedFileObjects makes file events carry the whole File object; by
	// default they carry only the id, the least the record promises.
	FeedFileObjects bool
	// TransferSourceNormalize stores a magnet link reduced to
	// magnet:?xt=urn:btih:<lowercase hex hash>, as put.io may: the record
	// does not say whether source and magneturi echo the link as added.
	TransferSourceNormalize bool
	// CursorExpiry, if > 0, is how long a listing cursor (files, trash,
	// transfers) works; an older one is refused with 400, as put.io does.
	CursorExpiry time.Duration
	// UploadClockSkew and DownloadClockSkew run the clocks of the upload
	// host (the routes under /files/) and the download host (/download/)
	// apart from the API's: every instant their replies state (Date, and
	// x-ratelimit-reset while RateLimit is on) is Now plus the skew, as if
	// those hosts' clocks ran that far ahead (or behind, if negative). The
	// API's replies and every created_at and updated_at stay on Now.
	UploadClockSkew   time.Duration
	DownloadClockSkew time.Duration
	// OnRequest, if set, is called with each request's log entry as it
	// finishes (from the request's goroutine).
	OnRequest func(LogEntry)
	// Now is the clock (default time.Now); tests move it to expire URLs.
	Now func() time.Time
	// TasksDoneAtOnce makes zips and download_links tasks DONE from their
	// first status read. By default a task is NEW on its first read and
	// PROCESSING on its second, as put.io works on them in the
	// background, so a client must poll; the record does not say how long
	// put.io takes.
	TasksDoneAtOnce bool
	// ClampPerPage cuts a per_page over 1000 to 1000 on every listing, as
	// a lenient server might. By default it is refused with 400
	// INVALID_PER_PAGE, as put.io's SDK live suite finds for transfers.
	ClampPerPage bool
	// SeedFixtures gives each account of Tokens and AppTokens, at New, what
	// put.io's SDK live suite looks for (see fixtures.go): a folder
	// codex-sdk-fixtures with two videos whose MP4 is available and a zip
	// archive, the completed transfer that brought the first video, and
	// the history events (transfer_completed, upload) of all three.
	SeedFixtures bool
	// UserTokens binds tokens of Tokens to users of Users (token →
	// username): the token then stands for that user's account, the one
	// its password login reaches, instead of an account of its own.
	UserTokens map[string]string
	// SeedUserInvites gives every Users account, when made, one unused
	// family invite and one unused friend invite: put.io's own live
	// suite expects its secondary account to hold both.
	SeedUserInvites bool
}

// RateLimit is a per-token budget of Requests per Window.
type RateLimit struct {
	Requests int
	Window   time.Duration // default 1 minute
	// Omit names response headers to leave out (e.g. "Retry-After",
	// "X-Ratelimit-Reset"), or "retry_after" for the body field, to test
	// a client's fall-backs.
	Omit []string
	// Captcha answers an over-budget request as put.io does when it wants
	// a captcha solved: 429 with x-ratelimit-action: captcha-needed and an
	// x-ratelimit-id; waiting does not clear it.
	Captcha bool
}

const (
	defaultQuota        = 1 << 40
	defaultURLExpiry    = 6 * time.Hour
	defaultUploadExpiry = 24 * time.Hour
	defaultRateWindow   = time.Minute
)

func (o Options) withDefaults() Options {
	if o.Quota <= 0 {
		o.Quota = defaultQuota
	}
	if o.URLExpiry <= 0 {
		o.URLExpiry = defaultURLExpiry
	}
	if o.UploadExpiry <= 0 {
		o.UploadExpiry = defaultUploadExpiry
	}
	if o.RateLimit.Window <= 0 {
		o.RateLimit.Window = defaultRateWindow
	}
	if o.TusExtensions == nil {
		o.TusExtensions = []string{"creation", "termination"}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}
