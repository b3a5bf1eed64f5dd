package putio

import (
	"context"
	"testing"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
	"github.com/rclone/rclone/fs"
	"github.com/rclone/rclone/fs/object"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The simulation's fault-free invariants, on any remote. TestSimulation
// itself needs the emulator: it arms faults on calls, reads the whole
// account (the trash included) through the emulator's Account API to
// compare with its model, plays the other client through that API, and
// counts tus sessions no client can list. Here a fixed sequence of its
// operations runs through rclone's entry points with no fault, and after
// each step the folder as a fresh process lists it is compared with the
// simulation's model (simModel.differences): no name holds two items,
// every acknowledged write has its bytes (CRC-32 and size) and mod time,
// nothing is there or gone that the sequence did not make or delete; an
// operation that can be done succeeds, one that can't fails and changes
// nothing. At the end every file reads back byte for byte and a range as
// asked, no session record is left, and the log holds no token. The trash
// is the account's, shared with whatever else the user deletes, and is
// not checked.

// remoteSeq is the sequence in progress.
type remoteSeq struct {
	t        *testing.T
	ctx      context.Context
	actor    *Fs // the process that acts
	observer *Fs // a fresh process that lists what the account holds
	model    *simModel
	objs     map[string]fs.Object // the Objects the actor was given, by path
}

func (f *Fs) internalTestFaultFreeSequence(t *testing.T) {
	sub := f.scratch(t, "sequence")
	// As in the simulation's worlds: files beyond the window go in PATCHes.
	sub.opt.UploadWindow, sub.opt.ChunkSize = 64<<10, 48<<10
	sub.setWindow()
	logs := captureLog(t)
	s := &remoteSeq{t: t, ctx: context.Background(), actor: sub, observer: sub.another(t), model: newSimModel(), objs: map[string]fs.Object{}}
	hardDelete := sub.opt.HardDelete
	small := simFile{data: pattern(700, 5), modTime: simTimes[0]}
	big := simFile{data: pattern(150<<10, 6), modTime: simTimes[1]}
	empty := simFile{data: []byte{}, modTime: simTimes[2]}
	bigger := simFile{data: pattern(160<<10, 7), modTime: simTimes[2]}

	s.step("put a/x", func(m *simModel) error { m.write("a/x", small, hardDelete); return s.put("a/x", small) })
	s.step("put b/y", func(m *simModel) error { m.write("b/y", big, hardDelete); return s.put("b/y", big) })
	s.step("put z", func(m *simModel) error { m.write("z", empty, hardDelete); return s.put("z", empty) })
	s.step("update a/x", func(m *simModel) error {
		m.write("a/x", bigger, hardDelete)
		return s.objs["a/x"].Update(s.ctx, bytesReader(bigger.data), fileInfo("a/x", bigger))
	})
	s.step("copy a/x to b/x", func(m *simModel) error {
		m.write("b/x", m.files["a/x"], hardDelete)
		return s.keep("b/x")(s.actor.Copy(s.ctx, s.objs["a/x"], "b/x"))
	})
	s.step("move b/y to a/c/y", func(m *simModel) error {
		m.rename("b/y", "a/c/y")
		return s.keep("a/c/y")(s.actor.Move(s.ctx, s.objs["b/y"], "a/c/y"))
	})
	s.step("set the mod time of z", func(m *simModel) error {
		file := m.files["z"]
		file.modTime = simTimes[1]
		m.files["z"] = file
		return s.objs["z"].SetModTime(s.ctx, simTimes[1])
	})
	s.step("mkdir d", func(m *simModel) error { m.mkdirAll("d"); return s.actor.Mkdir(s.ctx, "d") })
	s.stepFails("rmdir a, which is not empty", func() error { return s.actor.Rmdir(s.ctx, "a") })
	s.step("rmdir d", func(m *simModel) error { m.remove("d", hardDelete); return s.actor.Rmdir(s.ctx, "d") })
	s.step("dirmove b to e", func(m *simModel) error { m.rename("b", "e"); return s.actor.DirMove(s.ctx, s.actor, "b", "e") })
	s.step("delete z", func(m *simModel) error { m.remove("z", hardDelete); return s.objs["z"].Remove(s.ctx) })
	s.step("purge e", func(m *simModel) error { m.remove("e", hardDelete); return s.actor.Purge(s.ctx, "e") })

	s.readsBack()
	ranged, err := s.observer.NewObject(s.ctx, "a/c/y")
	require.NoError(t, err)
	assert.Equal(t, big.data[1000:70001], readAll(s.ctx, t, ranged, &fs.RangeOption{Start: 1000, End: 70000}))
	assert.Empty(t, sessionRecords(t, sub), "a finished upload's session record is left")
	token, err := sub.tokens.Token()
	require.NoError(t, err)
	assert.Empty(t, secretsIn(logs.String(), token.AccessToken))
}

// fileInfo describes file as the source of an upload to p.
func fileInfo(p string, file simFile) fs.ObjectInfo {
	return object.NewStaticObjectInfo(p, file.modTime, int64(len(file.data)), true, nil, nil)
}

func (s *remoteSeq) put(p string, file simFile) error {
	return s.keep(p)(s.actor.Put(s.ctx, bytesReader(file.data), fileInfo(p, file)))
}

// keep remembers the Object an operation gave for p, as a mount keeps it.
func (s *remoteSeq) keep(p string) func(fs.Object, error) error {
	return func(obj fs.Object, err error) error {
		if err == nil {
			s.objs[p] = obj
		}
		return err
	}
}

// step runs op, which also applies to the model what it should do, and
// checks that it succeeded and left the folder as the model says.
func (s *remoteSeq) step(desc string, op func(after *simModel) error) {
	s.t.Helper()
	after := s.model.clone()
	require.NoError(s.t, op(after), desc)
	state := s.state()
	require.Empty(s.t, after.differences(state), "after %s", desc)
	s.model = after
	s.model.adopt(state)
}

// stepFails runs op, which can't be done: it must fail and change nothing.
func (s *remoteSeq) stepFails(desc string, op func() error) {
	s.t.Helper()
	require.Error(s.t, op(), desc)
	require.Empty(s.t, s.model.differences(s.state()), "after %s", desc)
}

// state is the folder as the observer lists it now.
func (s *remoteSeq) state() *simState {
	s.t.Helper()
	s.observer.DirCacheFlush()
	state, err := walkState(func(dir string) ([]putiotest.File, error) { return s.observer.listed(s.ctx, dir) })
	require.NoError(s.t, err)
	return state
}

// readsBack reads every file of the model through the observer.
func (s *remoteSeq) readsBack() {
	s.t.Helper()
	for p, file := range s.model.files {
		obj, err := s.observer.NewObject(s.ctx, p)
		require.NoError(s.t, err, p)
		assert.Equal(s.t, file.data, readAll(s.ctx, s.t, obj), p)
		assert.True(s.t, obj.ModTime(s.ctx).Equal(file.modTime), "%s: mod time %v, want %v", p, obj.ModTime(s.ctx), file.modTime)
	}
}
