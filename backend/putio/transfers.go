package putio

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/putdotio/go-putio"
	"github.com/rclone-putio/rclone-putio/backend/putio/api"
	"github.com/rclone/rclone/fs"
)

// callService runs a go-putio TransfersService call as callJSON runs
// ours: through the gate and the pacer, with our error translation, on a
// client without go-putio's 30 s deadline. The services keep a successful
// reply to themselves, so its x-ratelimit-remaining goes unobserved (the
// transfer commands make few calls); a failed reply, 429s included, comes
// with the error and is observed.
func (f *Fs) callService(ctx context.Context, what string, call func() error) error {
	return f.retry(ctx, what, func() error { return f.serviceError(what, call()) })
}

// serviceError translates the error of one go-putio service call.
func (f *Fs) serviceError(what string, err error) error {
	var reply *putio.ErrorResponse
	if errors.As(err, &reply) {
		err = f.translateError(err)
		f.gate.observe(reply.Response, err)
		return err
	}
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &syntaxErr) || errors.As(err, &typeErr) {
		return fmt.Errorf("putio: %s: malformed reply: %w", what, err)
	}
	return err
}

// transferReply checks a transfer a service call returned.
func transferReply(what string, t putio.Transfer, err error) (putio.Transfer, error) {
	if err == nil {
		if invalid := api.ValidateTransfer(&t); invalid != nil {
			err = fmt.Errorf("putio: %s: unusable reply: %w", what, invalid)
		}
	}
	return t, err
}

// callTransfer runs, as callService does, a service call that answers
// with one transfer, and checks that transfer.
func (f *Fs) callTransfer(ctx context.Context, what string, call func() (putio.Transfer, error)) (t putio.Transfer, err error) {
	err = f.callService(ctx, what, func() (err error) {
		t, err = call()
		t, err = transferReply(what, t, err)
		return err
	})
	return t, err
}

// getTransfer fetches one transfer.
func (f *Fs) getTransfer(ctx context.Context, id int64) (putio.Transfer, error) {
	return f.callTransfer(ctx, "get transfer "+strconv.FormatInt(id, 10), func() (putio.Transfer, error) {
		return f.client.Transfers.Get(ctx, id)
	})
}

// addTransfer adds one transfer of source into the folder parent, through
// the mutation path: once a try may have made it, the transfers are
// searched for one of source in parent that is not in known (those that
// existed before), and the add is sent again only if there is none.
func (f *Fs) addTransfer(ctx context.Context, source string, parent int64, known map[int64]bool) (putio.Transfer, error) {
	var t putio.Transfer
	mayBeAdded := false // a try before the last may have made the transfer
	err := f.mutate(ctx, mutation{
		what: "add transfer",
		done: func() (found bool, err error) {
			t, found, err = f.findAddedTransfer(ctx, source, parent, known)
			return found, err
		},
		attempt: func() error {
			added, err := f.client.Transfers.Add(ctx, source, parent, "")
			if err = f.serviceError("add transfer", err); err == nil {
				added, err = transferReply("add transfer", added, err)
			}
			t, mayBeAdded = added, mayBeAdded || mayHaveWorked(ctx, err)
			return err
		},
		// A transfer adds names this Fs does not track, whenever it ends.
		changes: []folderChange{addsUntracked(strconv.FormatInt(parent, 10))},
	})
	if hasType(err, errTypeAlreadyAdded) {
		return f.alreadyAdded(ctx, err, mayBeAdded, parent, known)
	}
	return t, err
}

// transferIDSet is the ids of every transfer there is now.
func (f *Fs) transferIDSet(ctx context.Context) (map[int64]bool, error) {
	all, err := f.allTransfers(ctx)
	ids := make(map[int64]bool, len(all))
	for _, t := range all {
		ids[t.ID] = true
	}
	return ids, err
}

// transferDone reports a transfer whose file is there: completed, or
// seeding after completing.
func transferDone(t *putio.Transfer) bool {
	return t.Status == "COMPLETED" || t.Status == "SEEDING"
}

// transferFinished reports a transfer that will not change any more.
func transferFinished(t *putio.Transfer) bool {
	return transferDone(t) || t.Status == "ERROR"
}

// waitTransfers polls every unfinished transfer each interval until all
// have finished, logging progress as it changes; it fails, naming each,
// if any failed.
func (f *Fs) waitTransfers(ctx context.Context, transfers []putio.Transfer, interval time.Duration) ([]putio.Transfer, error) {
	last := map[int64]string{}
	for {
		pending := 0
		for i := range transfers {
			t := &transfers[i]
			if progress := fmt.Sprintf("%s %d%%", t.Status, t.PercentDone); last[t.ID] != progress {
				fs.Logf(nil, "put.io transfer %d %q: %s", t.ID, t.Name, progress)
				last[t.ID] = progress
			}
			if !transferFinished(t) {
				pending++
			}
		}
		if pending == 0 {
			return transfers, failedTransfers(transfers)
		}
		if err := sleepCtx(ctx, interval); err != nil {
			return nil, err
		}
		for i := range transfers {
			if err := f.refreshTransfer(ctx, &transfers[i]); err != nil {
				return nil, err
			}
		}
	}
}

// refreshTransfer re-reads t unless it has finished.
func (f *Fs) refreshTransfer(ctx context.Context, t *putio.Transfer) error {
	if transferFinished(t) {
		return nil
	}
	next, err := f.getTransfer(ctx, t.ID)
	if hasStatus(err, http.StatusNotFound) {
		return fmt.Errorf("putio: transfer %d %q was cancelled or removed while waiting for it", t.ID, t.Name)
	}
	if err == nil {
		*t = next
	}
	return err
}

// failedTransfers is an error naming each failed transfer with put.io's
// message, or nil.
func failedTransfers(transfers []putio.Transfer) error {
	var failures []string
	for _, t := range transfers {
		if t.Status == "ERROR" {
			failures = append(failures, fmt.Sprintf("transfer %d %q failed: %s", t.ID, t.Name, t.ErrorMessage))
		}
	}
	if len(failures) == 0 {
		return nil
	}
	return fmt.Errorf("putio: %d of %d transfers failed: %s", len(failures), len(transfers), strings.Join(failures, "; "))
}

// allTransfers reads every transfer, page by page.
func (f *Fs) allTransfers(ctx context.Context) ([]api.Transfer, error) {
	var all []api.Transfer
	first := apiCall{method: http.MethodGet, path: "/v2/transfers/list", query: url.Values{"per_page": {strconv.Itoa(f.pageSize)}}}
	err := walkPages[api.Transfer](ctx, f, first, "/v2/transfers/list/continue", f.pageSize, nil, func(page []api.Transfer, _ int) error {
		all = append(all, page...)
		return nil
	})
	return all, err
}
