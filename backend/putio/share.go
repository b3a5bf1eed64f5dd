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

// publicShareBase is where a share token is opened in a browser. No public
// record gives the form of put.io's public links (the SDK returns only the
// token), so this is our choice: the web app's host with the token.
const publicShareBase = "https://app.put.io/public-share/"

// PublicLink makes (or, with unlink, removes) a put.io public share of the
// file or folder at remote. An existing share is reused where put.io lets
// the token list shares: it refuses that to third-party apps, which is
// what rclone's own OAuth app is, and then every link is a new share and
// links can't be removed here.
func (f *Fs) PublicLink(ctx context.Context, remote string, expire fs.Duration, unlink bool) (string, error) {
	id, err := f.itemID(ctx, remote)
	if err != nil {
		return "", err
	}
	shares, err := f.sharesOf(ctx, id)
	switch {
	case isScopeRefusal(err) && unlink:
		return "", fmt.Errorf("putio: can't remove the public link of %q: put.io does not let third-party apps such as rclone list public links; remove it in the put.io web app", remote)
	case isScopeRefusal(err):
		fs.Debugf(remote, "put.io does not let this token list public links, so a new one is made: %v", err)
	case err != nil:
		return "", err
	case unlink:
		return "", f.deleteShares(ctx, shares)
	}
	share, err := f.shareFor(ctx, id, shares, !isScopeRefusal(err), expire)
	if err != nil {
		return "", goneAs(err, fs.ErrorObjectNotFound)
	}
	warnExpiry(remote, expire, share)
	return publicShareBase + share.Token, nil
}

// itemID finds the id of the file or folder at remote.
func (f *Fs) itemID(ctx context.Context, remote string) (api.ID, error) {
	dirID, err := f.dirCache.FindDir(ctx, remote, false)
	if err == nil {
		return parseID(dirID), nil
	}
	item, _, err := f.findItem(ctx, remote)
	if err != nil {
		return 0, err
	}
	return item.ID, nil
}

// sharesOf lists the account's public shares of item id.
func (f *Fs) sharesOf(ctx context.Context, id api.ID) ([]api.PublicShare, error) {
	var out api.PublicShareListReply
	if err := f.callJSON(ctx, shareListCall, &out); err != nil {
		return nil, err
	}
	return sharesIn(out, id), nil
}

var shareListCall = apiCall{method: http.MethodGet, path: "/v2/public_share/list"}

// sharesIn picks the shares of item id from a share list.
func sharesIn(list api.PublicShareListReply, id api.ID) []api.PublicShare {
	var mine []api.PublicShare
	for _, share := range list.PublicShares {
		if share.FileID() == id && share.Token != "" {
			mine = append(mine, share)
		}
	}
	return mine
}

// shareFor returns the first existing share or creates one. A new share
// asks for the --expire expiry as expiration_date; nothing put.io
// publishes says it honours that, so warnExpiry checks what it answered. A try
// whose reply was lost may have made the share, so where the token may
// list shares (listable) the list is read again before the next try; a
// third-party token may not, and then a lost reply can cost a second share.
func (f *Fs) shareFor(ctx context.Context, id api.ID, shares []api.PublicShare, listable bool, expire fs.Duration) (*api.PublicShare, error) {
	if len(shares) > 0 {
		return &shares[0], nil
	}
	call := apiCall{method: http.MethodPost, path: "/v2/public_share/" + id.String()}
	if expire != fs.DurationOff {
		call.form = url.Values{"expiration_date": {formatTime(time.Now().Add(time.Duration(expire)))}}
	}
	var share *api.PublicShare
	err := f.retryLookingFirst(ctx, call.what(), func() (bool, error) {
		if !listable {
			return false, nil
		}
		var list api.PublicShareListReply
		if err := f.attemptJSON(ctx, shareListCall, &list); err != nil {
			return false, err
		}
		made := sharesIn(list, id)
		if len(made) > 0 {
			share = &made[0]
		}
		return len(made) > 0, nil
	}, func() error {
		var out api.PublicShareReply
		err := f.attemptJSON(ctx, call, &out)
		share = out.PublicShare
		return err
	})
	if err != nil {
		return nil, err
	}
	return share, nil
}

// deleteShares removes shares by their share id.
func (f *Fs) deleteShares(ctx context.Context, shares []api.PublicShare) error {
	if len(shares) == 0 {
		return errors.New("putio: no public link to remove")
	}
	for _, share := range shares {
		if err := f.deleteShare(ctx, share.ID); err != nil {
			return err
		}
	}
	return nil
}

// deleteShare removes one share. Once a try may have worked, the share
// list is read before the next: a share no longer listed is removed. A
// list that can't be read leaves that unknown, and the call fails saying
// so rather than take a refusal for the echo of a lost success.
func (f *Fs) deleteShare(ctx context.Context, id api.ID) error {
	call := apiCall{method: http.MethodDelete, path: "/v2/public_share/" + id.String()}
	return f.mutateJSON(ctx, call, &api.Empty{}, func() (bool, error) {
		var list api.PublicShareListReply
		if err := f.attemptJSON(ctx, shareListCall, &list); err != nil {
			return false, fmt.Errorf("putio: can't tell whether public link %s was removed, as the share list can't be read; check in the put.io web app: %w", id, err)
		}
		return !slices.ContainsFunc(list.PublicShares, func(share api.PublicShare) bool { return share.ID == id }), nil
	})
}

// warnExpiry says so when the expiry put.io answered differs from
// --expire, since it may set its own.
func warnExpiry(remote string, expire fs.Duration, share *api.PublicShare) {
	if expire == fs.DurationOff || share.ExpirationDate.IsZero() {
		return
	}
	wanted := time.Now().Add(time.Duration(expire))
	if share.ExpirationDate.Sub(wanted).Abs() > time.Minute {
		fs.Logf(remote, "put.io sets link expiry itself: this link expires at %v, not at the requested %v", share.ExpirationDate.Time, wanted.UTC().Round(time.Second))
	}
}
