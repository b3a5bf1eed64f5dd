package putio

import (
	"context"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/putdotio/go-putio"
	"github.com/rclone-putio/rclone-putio/backend/putio/api"
)

// errTypeAlreadyAdded is put.io's refusal of a torrent it is already
// transferring; extra.existing_id names that transfer.
const errTypeAlreadyAdded = "TRANSFER_ALREADY_ADDED"

// findAddedTransfer looks for a transfer of source into parent that is
// not in known.
func (f *Fs) findAddedTransfer(ctx context.Context, source string, parent int64, known map[int64]bool) (putio.Transfer, bool, error) {
	all, err := f.allTransfers(ctx)
	for _, t := range all {
		if !known[t.ID] && t.SaveParentID == parent && sameSource(&t, source) {
			return t.Transfer, true, nil
		}
	}
	return putio.Transfer{}, false, err
}

// sameSource reports whether t is a transfer of source, as put.io may
// have stored it: a magnet by its info hash, a URL after normalising.
func sameSource(t *api.Transfer, source string) bool {
	if t.Source == source || t.MagnetURI == source {
		return true
	}
	if hash := magnetHash(source); hash != "" {
		return btihHex(t.Hash) == hash || magnetHash(t.Source) == hash || magnetHash(t.MagnetURI) == hash
	}
	want := normalURL(source)
	return want != "" && normalURL(t.Source) == want
}

// magnetHash is the btih info hash of a magnet link in lowercase hex, or
// "" if s is not a magnet link with one.
func magnetHash(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "magnet" {
		return ""
	}
	for _, xt := range u.Query()["xt"] {
		if len(xt) > len("urn:btih:") && strings.EqualFold(xt[:len("urn:btih:")], "urn:btih:") {
			return btihHex(xt[len("urn:btih:"):])
		}
	}
	return ""
}

// btihHex turns an info hash, 40 hex digits or 32 base32 letters, into
// lowercase hex; anything else is only lowercased.
func btihHex(hash string) string {
	if len(hash) == 32 {
		if raw, err := base32.StdEncoding.DecodeString(strings.ToUpper(hash)); err == nil {
			return hex.EncodeToString(raw)
		}
	}
	return strings.ToLower(hash)
}

// normalURL is an http(s) URL in a canonical form, so that one re-encoded
// (case of scheme and host, default port, escapes, order of the query)
// still matches; "" if s is not one.
func normalURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return ""
	}
	scheme, host := strings.ToLower(u.Scheme), strings.ToLower(u.Hostname())
	if scheme != "http" && scheme != "https" {
		return ""
	}
	if port := u.Port(); port != "" && !(scheme == "http" && port == "80" || scheme == "https" && port == "443") {
		host += ":" + port
	}
	return scheme + "://" + host + "/" + strings.TrimPrefix(u.Path, "/") + "?" + u.Query().Encode()
}

// alreadyAdded handles put.io refusing an add as a duplicate. After a try
// that may have worked, a new transfer into parent that put.io names is
// the one that try made: success. Otherwise the error names it.
func (f *Fs) alreadyAdded(ctx context.Context, refusal error, retried bool, parent int64, known map[int64]bool) (putio.Transfer, error) {
	apiErr, _ := apiError(refusal)
	id := apiErr.ExtraID("existing_id")
	if id == 0 {
		return putio.Transfer{}, fmt.Errorf("putio: this transfer is already on put.io (see \"rclone backend transfers remote:\"): %w", refusal)
	}
	if retried && !known[id] {
		t, err := f.getTransfer(ctx, id)
		if err == nil && t.SaveParentID == parent {
			return t, nil
		}
		if err != nil && !hasStatus(err, http.StatusNotFound) {
			return t, err
		}
	}
	return putio.Transfer{}, fmt.Errorf("putio: this transfer is already on put.io: id %d (see \"rclone backend transfers remote:\"): %w", id, refusal)
}
