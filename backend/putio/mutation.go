package putio

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/rclone-putio/rclone-putio/backend/putio/api"
)

// retryLookingFirst is the one way calls that are not safe to repeat
// (deletes, renames, moves, copies, new folders and shares, restores,
// cancels) are retried. attempt is one try; done is the probe that tells
// whether the call's work is done. The probe is asked only once a try has
// failed in a way that may still have done the work (mayHaveWorked), and
// then before every re-send: a lost reply is settled by looking, never by
// reading a later refusal as its echo. A probe that can't tell (an error)
// is never taken for "not done": the pacer asks it again when its error is
// worth retrying, else the call fails with it.
//
// When the tries run out after one that may have worked, the probe is
// asked once more, with retries of its own: the work may be done although
// no reply said so, and a failure reported for work that was done leaves
// the user a state that is neither before nor after the call.
func (f *Fs) retryLookingFirst(ctx context.Context, what string, done func() (bool, error), attempt func() error) error {
	mayBeDone := false
	err := f.retry(ctx, what, func() error {
		if mayBeDone {
			if isDone, err := done(); err != nil || isDone {
				return err
			}
		}
		err := attempt()
		mayBeDone = mayBeDone || mayHaveWorked(ctx, err)
		return err
	})
	if err == nil || !mayBeDone || ctx.Err() != nil {
		return err
	}
	var isDone bool
	if probeErr := f.retry(ctx, what+": was it done?", func() (probeErr error) {
		isDone, probeErr = done()
		return probeErr
	}); probeErr == nil && isDone {
		return nil
	}
	return err
}

// mutateJSON is retryLookingFirst for one API call, decoded into out.
func (f *Fs) mutateJSON(ctx context.Context, call apiCall, out reply, done func() (bool, error)) error {
	return f.retryLookingFirst(ctx, call.method+" "+call.path, done, func() error {
		return f.attemptJSON(ctx, call, out)
	})
}

// mutateItems sends call for the items ids (form file_ids). Once a try
// may have worked, isDone is asked of each id, and only the ids whose work
// is not done are sent again.
func (f *Fs) mutateItems(ctx context.Context, call apiCall, ids []string, isDone func(id string) (bool, error)) error {
	pending := ids
	return f.retryLookingFirst(ctx, call.method+" "+call.path, pendingProbe(&pending, isDone), func() error {
		call.form = url.Values{"file_ids": {strings.Join(pending, ",")}}
		return f.attemptJSON(ctx, call, &api.Empty{})
	})
}

// mayHaveWorked reports whether a failed try may have reached the server
// and done its work: anything but a put.io refusal (4xx, token) or our
// own cancellation.
func mayHaveWorked(ctx context.Context, err error) bool {
	var auth *authError
	switch apiErr, isAPI := apiError(err); {
	case err == nil || ctx.Err() != nil || errors.As(err, &auth):
		return false
	case isAPI:
		return apiErr.Status >= http.StatusInternalServerError
	}
	return true
}

// placedProbe is the probe of a rename or move: the item id is called
// leaf in dirID.
func (f *Fs) placedProbe(ctx context.Context, id api.ID, dirID, leaf string) func() (bool, error) {
	return func() (bool, error) {
		item, err := f.probe(ctx, itemSpec{id: id, dirID: dirID, leaf: leaf})
		return item != nil, err
	}
}

// pendingProbe is the probe of a call on several ids that can be sent
// again for the ids whose work is not done yet: it narrows *ids to those,
// asking isDone of each, and reports whether none is left. On an error
// *ids is left as it was.
func pendingProbe[T any](ids *[]T, isDone func(T) (bool, error)) func() (bool, error) {
	return func() (bool, error) {
		var left []T
		for _, id := range *ids {
			done, err := isDone(id)
			if err != nil {
				return false, err
			}
			if !done {
				left = append(left, id)
			}
		}
		*ids = left
		return len(left) == 0, nil
	}
}
