package putio

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
	_ "github.com/rclone/rclone/backend/local" // sources on disk
	"github.com/rclone/rclone/fs"
	"github.com/rclone/rclone/fs/accounting"
	"pgregory.net/rapid"
)

// TestSimulation is a seeded, model-based simulation of the backend, in
// the way FoundationDB and TigerBeetle test theirs: rapid draws a world
// (the emulator's plausible behaviours, the backend's options) and a
// sequence of operations by two rclone processes and another client on
// one account, with faults armed on the calls of each step. After every
// step the account is compared with a model of what the user was told:
//
//   - no name holds two items;
//   - every acknowledged write reads back with its bytes and mod time;
//   - a failed operation leaves the state before it or the state it
//     would have made, nothing else, and with no fault armed an operation
//     that can be done does not fail;
//   - nothing is gone or in the trash that no one deleted;
//   - every read returns exactly the range asked for, or an error;
//   - no upload session holding bytes is left without a record;
//   - no token and no signed URL query appears in the log.
//
// A failure is shrunk by rapid to a minimal sequence, printed with its
// seed. make test runs simSequences sequences (-rapid.checks to change);
// make soak runs fresh seeds for PUTIO_SOAK (a duration).
func TestSimulation(t *testing.T) {
	stats := &simStats{}
	log := captureLog(t)                   // searched for secrets after each step
	accounting.Start(context.Background()) // fs.CountError counts from here on, as in rclone
	prop := func(rt *rapid.T) { runSequence(rt, log, stats) }
	soak, err := time.ParseDuration(os.Getenv("PUTIO_SOAK"))
	if err != nil {
		setDefaultFlag(t, "rapid.checks", strconv.Itoa(simSequences))
		rapid.Check(t, prop)
	} else {
		for deadline := time.Now().Add(soak); time.Now().Before(deadline) && !t.Failed(); {
			rapid.Check(t, prop)
		}
	}
	fmt.Printf("simulation: %d sequences, %d steps, %d faults injected, %d violations\n",
		stats.sequences.Load(), stats.steps.Load(), stats.faults.Load(), stats.violations.Load())
}

const (
	// simSequences and simSteps are make test's fixed budget.
	simSequences = 300
	simSteps     = 30
)

// simStats counts what the simulation did, across sequences.
type simStats struct {
	sequences, steps, faults, violations atomic.Int64
}

// setDefaultFlag sets a flag unless the command line or rapid's
// environment variable set it.
func setDefaultFlag(t *testing.T, name, value string) {
	set := os.Getenv(strings.ToUpper(strings.ReplaceAll(name, ".", "_"))) != ""
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	if !set {
		if err := flag.Set(name, value); err != nil {
			t.Fatal(err)
		}
	}
}

// simSeq is one sequence in progress.
type simSeq struct {
	t          *rapid.T
	w          *simWorld
	model      *simModel
	remembered map[string]*Object
	local      fs.Fs
	localDir   string
	localCount int
	history    []string
	faults     []string      // armed for the step under way
	logStart   int           // the step's first entry in the emulator's log
	mayFail    bool          // the step's operation may fail with no fault: the model says it can't be done
	failed     *failedUpload // the last upload that failed, if not run again yet
	steps      int
	lastActor  int // the process that acted last, -1 for the other client
	// replaced is a folder the other client renamed and made again since
	// lastActor's step, which lastActor may remember by the old id: the
	// next step acts on it (see actOnReplaced).
	replaced string
	// excused are upload sessions left by a creation whose reply was
	// lost: no client can learn their address (docs/reliability.md).
	excused map[string]bool
}

func runSequence(t *rapid.T, log *syncBuffer, stats *simStats) {
	stats.sequences.Add(1)
	w := newSimWorld(t, log, stats)
	s := &simSeq{t: t, w: w, model: newSimModel(), remembered: map[string]*Object{}, excused: map[string]bool{}}
	var err error
	if s.localDir, err = os.MkdirTemp("", "putio-sim-src-"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(s.localDir) })
	if s.local, err = fs.NewFs(w.ctx, s.localDir); err != nil {
		t.Fatal(err)
	}
	log.take()
	// Operations that don't apply to the model as it is are drawn again,
	// within a bound, so that each sequence makes simSteps steps.
	for tries := 0; s.steps < simSteps && tries < 4*simSteps; tries++ {
		s.step()
	}
}

// step runs one drawn operation with drawn faults and checks every
// invariant afterwards.
func (s *simSeq) step() {
	op := simOpOnReplaced
	if s.replaced == "" {
		op = rapid.SampledFrom(simOps).Draw(s.t, "operation")
	}
	other := op.name == "other client"
	var faults []string
	creationReplyMayBeLost := false
	if !other {
		faults, creationReplyMayBeLost = s.w.armFaults()
	}
	s.faults, s.mayFail = faults, false
	logStart := len(s.w.emu.Log())
	s.logStart = logStart
	errorsBefore := accounting.GlobalStats().GetErrors()
	after, desc, err := op.run(s)
	counted := accounting.GlobalStats().GetErrors() > errorsBefore
	s.w.emu.ClearFaults()
	if after == nil {
		return // did not apply
	}
	s.steps++
	s.w.stats.steps.Add(1)
	outcome := fmt.Sprint(err)
	if counted {
		outcome += " (an error logged and counted)"
	}
	s.history = append(s.history, fmt.Sprintf("%s [faults: %s] -> %s", desc, strings.Join(faults, "; "), outcome))
	if other && err != nil {
		s.t.Fatalf("the other client failed: %v", err)
	}
	if err != nil && len(faults) == 0 && !s.mayFail {
		s.violation("%s failed with no fault armed: %v", desc, err)
	}
	s.checkOutcome(after, err, counted)
	s.checkSessions(logStart, creationReplyMayBeLost)
	if secrets := secretsIn(s.w.log.take(), s.w.token); len(secrets) > 0 {
		s.violation("the log shows %s", strings.Join(secrets, ", "))
	}
}

// checkOutcome compares the account with the model: the state after the
// operation if it succeeded, either before or after if it failed. A
// failed write may also leave the folders it made on its way.
func (s *simSeq) checkOutcome(after *simModel, err error, counted bool) {
	state := s.readState()
	if err != nil || counted {
		state = s.keepReportedLeftovers(after, state, err != nil)
	}
	afterDiff := after.differences(state)
	switch {
	case err == nil && len(afterDiff) > 0:
		s.violation("the operation succeeded but the account is not what it made: %s", strings.Join(afterDiff, "; "))
	case err == nil || len(afterDiff) == 0:
		s.model = after
	case len(s.model.withFoldersFrom(after, state).differences(state)) == 0:
		s.model = s.model.withFoldersFrom(after, state) // the folders it made before failing
	default:
		if beforeDiff := s.model.differences(state); len(beforeDiff) > 0 {
			s.violation("the operation failed (%v) and left neither the state before it (%s) nor after it (%s)",
				err, strings.Join(beforeDiff, "; "), strings.Join(afterDiff, "; "))
		}
	}
	s.model.adopt(state)
}

func (s *simSeq) readState() *simState {
	state, err := readState(s.w.acct)
	if err != nil {
		s.t.Fatalf("reading the emulator's state: %v", err)
	}
	return state
}

// keepReportedLeftovers accepts what an operation may leave when rclone
// reports a problem (it failed, or logged and counted an error): the
// version an update replaced but could not delete, beside the new one,
// and, when it succeeded, a modification time it could not restore. The
// user removes the old version, as the error asks; so does the
// simulation. It returns the state as it is then.
func (s *simSeq) keepReportedLeftovers(after *simModel, state *simState, failed bool) *simState {
	written := s.model.written(after)
	if s.removeReplacedVersions(after, state, written) {
		state = s.readState()
	}
	for _, p := range written {
		want := after.files[p]
		if got, ok := state.files[p]; ok && !failed && !got.UpdatedAt.Equal(want.modTime) {
			want.modTime = got.UpdatedAt
			after.files[p] = want
		}
	}
	return state
}

// removeReplacedVersions deletes, at each path the operation wrote, the
// version it replaced (by its id), left beside the new one or moved aside
// under a name a copy gives it, and a temporary copy left behind, and
// reports whether it removed any.
func (s *simSeq) removeReplacedVersions(after *simModel, state *simState, written []string) (removed bool) {
	for _, p := range written {
		// A copy made under a temporary name that could not be removed.
		for q, item := range state.files {
			if strings.HasPrefix(q, p+".rclone-copy-") {
				removed = true
				s.deleteLeftover(after, item)
			}
		}
		old, replaced := s.model.files[p]
		if !replaced {
			continue
		}
		items := append([]putiotest.File{state.files[p]}, state.duplicates[p]...)
		for q, item := range state.files {
			if strings.HasPrefix(q, p+".rclone-old-") {
				items = append(items, item)
			}
		}
		for _, item := range items {
			if item.ID == old.id && len(items) > 1 {
				s.deleteLeftover(after, item)
				removed = true
			}
		}
	}
	return removed
}

// deleteLeftover moves an item rclone reported it left to the trash, as
// the user would.
func (s *simSeq) deleteLeftover(after *simModel, item putiotest.File) {
	if err := s.w.acct.DeleteID(item.ID); err != nil {
		s.t.Fatalf("removing %s (id %d): %v", item.Name, item.ID, err)
	}
	after.deleted[contentKey(item.CRC32, item.Size)] = true
}

// checkSessions fails on an unfinished upload that no process keeps a
// record of: nothing could ever resume or end it. A creation whose reply
// was lost leaves one no client can know of (its address was in the
// reply), holding what a creation-with-upload carried before the cut:
// as many such sessions as creation replies were lost in the step (to
// faults that lose a reply after the work) are excused, and so is one the backend tried to end, when put.io refused
// that until the retries ran out (docs/reliability.md).
func (s *simSeq) checkSessions(logStart int, creationReplyMayBeLost bool) {
	records := s.w.records()
	lostCreations, refusedEnds := 0, map[string]bool{}
	for _, entry := range s.w.emu.Log()[logStart:] {
		failed := entry.Status < 200 || entry.Status >= 300
		switch {
		case entry.Route == "POST /files/" && failed && creationReplyMayBeLost:
			lostCreations++
		case entry.Route == "DELETE /files/{upload}" && failed:
			refusedEnds[path.Base(entry.Path)] = true
		}
	}
	for _, session := range s.w.acct.UploadSessions() {
		switch {
		case records[session.ID] || s.excused[session.ID]:
		case refusedEnds[session.ID]:
			s.excused[session.ID] = true // the backend tried to end it, and logged that it could not
		case lostCreations > 0:
			lostCreations--
			s.excused[session.ID] = true
		default:
			s.violation("upload session %s of %q holds %d of %d bytes and no process keeps a record of it", session.ID, session.Name, session.Offset, session.Length)
		}
	}
}

// violation fails the sequence, with the steps that led to it.
func (s *simSeq) violation(format string, args ...any) {
	s.w.stats.violations.Add(1)
	if os.Getenv("PUTIO_SIM_LOG") != "" {
		var requests []string
		for _, entry := range s.w.emu.Log()[s.logStart:] {
			requests = append(requests, fmt.Sprintf("%s %d", entry.Path, entry.Status))
		}
		s.t.Logf("the step's log:\n%s\nits requests:\n%s", s.w.log.take(), strings.Join(requests, "\n"))
	}
	s.t.Fatalf("violation: %s [faults: %s]\nsteps before:\n  %s", fmt.Sprintf(format, args...), strings.Join(s.faults, "; "), strings.Join(s.history, "\n  "))
}
