package putio

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"sync"

	"github.com/rclone-putio/rclone-putio/backend/putio/api"
	"github.com/rclone/rclone/fs"
	"github.com/rclone/rclone/fs/config/configmap"
	"github.com/rclone/rclone/lib/oauthutil"
)

// loginKey names what every Fs of one login shares in a process (the
// rate-limit gate, what the upload service supports, signed URLs): a
// SHA-256 of its access token, from the config, so that the process-wide
// maps, which keep every login for the life of the process, do not hold
// the token itself. Remotes with the same login share one put.io
// account's limits; and two servers met at one address, such as the
// emulators a test suite starts one after another on a port the system
// gives out again, are kept apart.
func loginKey(name string, m configmap.Mapper) (string, error) {
	token, err := oauthutil.GetToken(name, m)
	if err != nil {
		return "", tokenError(name, err)
	}
	sum := sha256.Sum256([]byte(token.AccessToken))
	return hex.EncodeToString(sum[:]), nil
}

// perLogin holds one T per login (loginKey) and server URL, made by
// newT the first time and shared by every Fs of the login from then on.
type perLogin[T any] struct {
	byLogin sync.Map
	newT    func() *T
}

// of returns the T of the login key on the server at serverURL.
func (p *perLogin[T]) of(serverURL, key string) *T {
	k := serverURL + "\x00" + key
	if t, ok := p.byLogin.Load(k); ok {
		return t.(*T)
	}
	t, _ := p.byLogin.LoadOrStore(k, p.newT())
	return t.(*T)
}

// accountID caches the put.io user id behind an Fs's token.
type accountID struct {
	mu sync.Mutex
	id string // "" until known
}

// userID returns the user id of f's account, asking put.io once per Fs.
func (f *Fs) userID(ctx context.Context) (string, error) {
	f.account.mu.Lock()
	defer f.account.mu.Unlock()
	if f.account.id == "" {
		info, err := f.accountInfo(ctx)
		if err != nil {
			return "", err
		}
		f.account.id = info.UserID.String()
	}
	return f.account.id, nil
}

// accessToken is f's current OAuth access token, "" if unknown.
func (f *Fs) accessToken() string {
	if f.tokens == nil {
		return ""
	}
	token, err := f.tokens.Token()
	if err != nil {
		return ""
	}
	return token.AccessToken
}

// sameAccount reports whether src's item ids mean the same items with f's
// token: the same server and the same put.io user. A token of another
// account would act on that account's items, or on none. Equal tokens
// need no call; otherwise each side's user id is asked for once. When in
// doubt the answer is no, and rclone copies through the client instead.
func (f *Fs) sameAccount(ctx context.Context, src *Fs) bool {
	if src.apiURL != f.apiURL {
		return false
	}
	if token := f.accessToken(); token != "" && token == src.accessToken() {
		return true
	}
	mine, err := f.userID(ctx)
	if err == nil {
		var theirs string
		theirs, err = src.userID(ctx)
		if err == nil {
			return mine == theirs
		}
	}
	fs.Debugf(f, "can't tell whether %v is the same put.io account, so not server-side: %v", src, err)
	return false
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
