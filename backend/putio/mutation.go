package putio

import (
	"context"
	"net/url"
	"strings"

	"github.com/rclone-putio/rclone-putio/backend/putio/api"
)

// mutation is one call that is not safe to repeat: what it is called in
// logs, its attempt, the probe that tells whether its work is done, and
// the folders it changes. The caches of the tree follow those changes
// through mutate, never by hand at the call site.
type mutation struct {
	what    string
	attempt func() error
	done    func() (bool, error)
	// doneByOthers, if set, tells a refusal that says another writer may
	// have done the work (a name clash on a new folder): done is asked
	// before the refusal stands.
	doneByOthers func(error) bool
	changes      []folderChange
}

// mutate makes the call m, retried as tryLookingFirst says, and then
// has the caches of the tree follow the folders m changes. They follow
// whatever the outcome: a failure may have done the work (a lost reply),
// and a refusal may stem from a folder that is not what the caches say
// (a 404 for a folder another device removed). Each change only makes
// the caches know less, or what the call itself reported, so following
// one that did not happen costs at most a lookup later.
func (f *Fs) mutate(ctx context.Context, m mutation) error {
	err := f.tryLookingFirst(ctx, m)
	for _, change := range m.changes {
		change.follow(f)
	}
	return err
}

// retryLookingFirst is mutate for a call that names no folders.
func (f *Fs) retryLookingFirst(ctx context.Context, what string, done func() (bool, error), attempt func() error) error {
	return f.mutate(ctx, mutation{what: what, done: done, attempt: attempt})
}

// tryLookingFirst is the one way calls that are not safe to repeat
// (deletes, renames, moves, copies, new folders and shares, restores,
// cancels) are retried. m.attempt is one try; m.done is the probe that
// tells whether the call's work is done. The probe is asked only once a
// try has failed in a way that may still have done the work
// (mayHaveWorked), and then before every re-send: a lost reply is settled
// by looking, never by reading a later refusal as its echo. A probe that
// can't tell (an error) is never taken for "not done": the pacer asks it
// again when its error is worth retrying, else the call fails with it.
//
// When the tries run out after one that may have worked, or on a refusal
// that says another writer may have done the work (m.doneByOthers), the
// probe is asked once more, with retries of its own: the work may be done
// although no reply said so, and a failure reported for work that was
// done leaves the user a state that is neither before nor after the call.
func (f *Fs) tryLookingFirst(ctx context.Context, m mutation) error {
	mayBeDone := false
	err := f.retry(ctx, m.what, func() error {
		if mayBeDone {
			if isDone, err := m.done(); err != nil || isDone {
				return err
			}
		}
		err := m.attempt()
		mayBeDone = mayBeDone || mayHaveWorked(ctx, err)
		return err
	})
	doneByOthers := m.doneByOthers != nil && err != nil && m.doneByOthers(err)
	if err == nil || !(mayBeDone || doneByOthers) || ctx.Err() != nil {
		return err
	}
	var isDone bool
	if probeErr := f.retry(ctx, m.what+": was it done?", func() (probeErr error) {
		isDone, probeErr = m.done()
		return probeErr
	}); probeErr == nil && isDone {
		return nil
	}
	return err
}

// mutateJSON is mutate for one API call, decoded into out.
func (f *Fs) mutateJSON(ctx context.Context, call apiCall, out reply, done func() (bool, error), changes ...folderChange) error {
	return f.mutate(ctx, mutation{what: call.what(), done: done, changes: changes, attempt: func() error {
		return f.attemptJSON(ctx, call, out)
	}})
}

// mutateItems sends call for the items ids (form file_ids). Once a try
// may have worked, isDone is asked of each id, and only the ids whose work
// is not done are sent again.
func (f *Fs) mutateItems(ctx context.Context, call apiCall, ids []string, isDone func(id string) (bool, error), changes ...folderChange) error {
	pending := ids
	return f.mutate(ctx, mutation{what: call.what(), done: pendingProbe(&pending, isDone), changes: changes, attempt: func() error {
		call.form = url.Values{"file_ids": {strings.Join(pending, ",")}}
		return f.attemptJSON(ctx, call, &api.Empty{})
	}})
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
