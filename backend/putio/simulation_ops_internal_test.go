package putio

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"slices"
	"time"

	"github.com/rclone/rclone/fs"
	"github.com/rclone/rclone/fs/object"
	"github.com/rclone/rclone/fs/operations"
	"pgregory.net/rapid"
)

// The simulation's operations. Each draws what it does, runs it through
// rclone's own entry point, and says what the account must hold if it
// succeeds (after); the step checks the outcome. An operation that can't
// apply to the model as it is (nothing to delete, say) returns nil.

// The names the simulation uses: folder and file names never meet, so
// no path is a file in one step and a folder in another.
var (
	simDirs   = []string{"", "a", "b", "a/c"}
	simLeaves = []string{"x", "y", "z"}
	simTimes  = []time.Time{testModTime, testModTime.Add(time.Hour), time.Date(2024, 2, 29, 23, 59, 59, 0, time.UTC)}
)

// simSizes are file sizes: empty, small enough for the creation POST,
// and larger than the window and than a PATCH cap, which need PATCHes.
var simSizes = []int{0, 1, 700, 50 << 10, 150 << 10}

// simOp is one operation: it runs and returns the model it should leave,
// or nil if it does not apply.
type simOp func(s *simSeq) (after *simModel, desc string, err error)

// simOps are the operations by name; the first is the one rapid shrinks
// towards, so it is harmless.
var simOps = []struct {
	name string
	run  simOp
}{
	{"list", (*simSeq).list},
	{"read", (*simSeq).read},
	{"put", (*simSeq).put},
	{"update a remembered object", (*simSeq).updateRemembered},
	{"server-side copy", (*simSeq).serverCopy},
	{"move", (*simSeq).move},
	{"delete", (*simSeq).deleteFile},
	{"set modification time", (*simSeq).setModTime},
	{"mkdir", (*simSeq).mkdir},
	{"rmdir", (*simSeq).rmdir},
	{"purge", (*simSeq).purge},
	{"dirmove", (*simSeq).dirMove},
	{"other client", (*simSeq).otherClient},
	{"rerun a failed upload", (*simSeq).rerunUpload},
	{"restart a process", (*simSeq).restart},
}

// fs draws which rclone process acts. Its folder cache is dropped when
// another actor acted since its last step: the simulation leaves out the
// window in which a process's cache is older than another's change
// (docs/reliability.md says how the feed and the cache's expiry bound
// it), and keeps Objects remembered across steps to test the rest.
func (s *simSeq) fs() *Fs {
	return s.use(rapid.IntRange(0, len(s.w.fses)-1).Draw(s.t, "process"))
}

// use makes process i the actor, dropping its folder cache if another
// actor acted since.
func (s *simSeq) use(i int) *Fs {
	if s.lastActor != i {
		s.w.fses[i].DirCacheFlush()
		s.lastActor = i
	}
	return s.w.fses[i]
}

func (s *simSeq) drawFile() simFile {
	size := rapid.SampledFrom(simSizes).Draw(s.t, "size")
	data := make([]byte, size)
	rng := rand.New(rand.NewPCG(rapid.Uint64().Draw(s.t, "content"), 0))
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	return simFile{data: data, modTime: rapid.SampledFrom(simTimes).Draw(s.t, "mod time")}
}

func (s *simSeq) drawPath() string {
	return path.Join(rapid.SampledFrom(simDirs).Draw(s.t, "dir"), rapid.SampledFrom(simLeaves).Draw(s.t, "leaf"))
}

// existingFile draws a file of the model, "" if it has none.
func (s *simSeq) existingFile() string {
	files := slices.Sorted(keysOfMap(s.model.files))
	if len(files) == 0 {
		return ""
	}
	return rapid.SampledFrom(files).Draw(s.t, "file")
}

// existingDir draws a folder of the model, "" if it has none.
func (s *simSeq) existingDir() string {
	dirs := slices.Sorted(keysOfMap(s.model.dirs))
	if len(dirs) == 0 {
		return ""
	}
	return rapid.SampledFrom(dirs).Draw(s.t, "folder")
}

func keysOfMap[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// put uploads a file through rclone's copy, from a source of a drawn
// kind, over the file at that path if there is one.
func (s *simSeq) put() (*simModel, string, error) {
	f, p, file := s.fs(), s.drawPath(), s.drawFile()
	after := s.model.clone()
	after.write(p, file, s.w.opts.hardDelete)
	var dst fs.Object
	if _, exists := s.model.files[p]; exists {
		var err error
		if dst, err = f.NewObject(s.w.ctx, p); err != nil {
			return after, "put over " + p + ": lookup", err
		}
	}
	kind, obj, err := s.upload(f, dst, p, file)
	desc := fmt.Sprintf("put %s (%d bytes, %s source)", p, len(file.data), kind)
	s.noteUpload(p, file, kind, obj, err)
	return after, desc, err
}

// noteUpload remembers the Object an upload made, or the upload if it
// failed, for a later run to retry.
func (s *simSeq) noteUpload(p string, file simFile, kind string, obj fs.Object, err error) {
	if err != nil {
		s.failed = &failedUpload{path: p, file: file, kind: kind}
		return
	}
	s.remember(p, obj)
}

// failedUpload is an upload that failed, as a user would run it again.
type failedUpload struct {
	path string
	file simFile
	kind string
}

// rerunUpload runs the last failed upload again, in a process drawn
// anew, as the user runs the same command again: the same bytes, time
// and kind of source, so that a session kept for it can be resumed.
func (s *simSeq) rerunUpload() (*simModel, string, error) {
	if s.failed == nil {
		return nil, "", nil
	}
	failed := *s.failed
	s.failed = nil
	f, p := s.fs(), failed.path
	after := s.model.clone()
	after.write(p, failed.file, s.w.opts.hardDelete)
	var dst fs.Object
	if _, exists := s.model.files[p]; exists {
		var err error
		if dst, err = f.NewObject(s.w.ctx, p); err != nil {
			return after, "rerun the upload to " + p + ": lookup", err
		}
	}
	obj, err := s.uploadFrom(f, dst, p, failed.file, failed.kind)
	s.noteUpload(p, failed.file, failed.kind, obj, err)
	return after, fmt.Sprintf("rerun the upload to %s (%d bytes, %s source)", p, len(failed.file.data), failed.kind), err
}

// restart ends a process and starts another on the same cache
// directory, as a new run of rclone.
func (s *simSeq) restart() (*simModel, string, error) {
	i := rapid.IntRange(0, len(s.w.fses)-1).Draw(s.t, "restarted process")
	s.w.fses[i] = s.w.newFs()
	return s.model, fmt.Sprintf("restart process %d", i), nil
}

// upload writes file to p through f, over dst if set, from a source whose
// kind it draws: in memory (read again on demand, through rclone's copy),
// a local file (likewise), or a stream that can't be read again (as a
// mount writes).
func (s *simSeq) upload(f *Fs, dst fs.Object, p string, file simFile) (string, fs.Object, error) {
	kind := rapid.SampledFrom([]string{"memory", "local", "one-way"}).Draw(s.t, "source")
	obj, err := s.uploadFrom(f, dst, p, file, kind)
	return kind, obj, err
}

// uploadFrom is upload from a source of the given kind.
func (s *simSeq) uploadFrom(f *Fs, dst fs.Object, p string, file simFile, kind string) (fs.Object, error) {
	s.mayFail = s.mayFail || s.w.opts.emu.Quota == simSmallQuota // the account may be full
	ctx := s.w.ctx
	switch kind {
	case "memory":
		return operations.Copy(ctx, f, dst, p, object.NewMemoryObject(p, file.modTime, file.data))
	case "local":
		src, err := s.localSource(file)
		if err != nil {
			return nil, err
		}
		return operations.Copy(ctx, f, dst, p, src)
	}
	info := object.NewStaticObjectInfo(p, file.modTime, int64(len(file.data)), true, nil, nil)
	in := io.MultiReader(bytes.NewReader(file.data)) // hides the bytes.Reader: one pass only
	if dst != nil {
		return dst, dst.Update(ctx, in, info)
	}
	return f.Put(ctx, in, info)
}

// localSource writes file to the sequence's local folder and returns it
// as a local Object.
func (s *simSeq) localSource(file simFile) (fs.Object, error) {
	s.localCount++
	name := fmt.Sprintf("src%d", s.localCount)
	full := filepath.Join(s.localDir, name)
	if err := os.WriteFile(full, file.data, 0o600); err != nil {
		return nil, err
	}
	if err := os.Chtimes(full, file.modTime, file.modTime); err != nil {
		return nil, err
	}
	return s.local.NewObject(s.w.ctx, name)
}

// remember keeps an Object as a mount or a long sync keeps it, to be used
// later when another client may have changed its file.
func (s *simSeq) remember(p string, obj fs.Object) {
	if o, ok := obj.(*Object); ok {
		s.remembered[p] = o
	}
}

// updateRemembered writes new content through an Object obtained
// earlier. Its file may since have been moved away or deleted by the
// other client: the new version goes to the Object's path all the same,
// and only the version it replaces, if still there, may be deleted.
func (s *simSeq) updateRemembered() (*simModel, string, error) {
	keys := slices.Sorted(keysOfMap(s.remembered))
	if len(keys) == 0 {
		return nil, "", nil
	}
	o := s.remembered[rapid.SampledFrom(keys).Draw(s.t, "remembered")]
	process := slices.Index(s.w.fses, o.fs)
	if process < 0 {
		return nil, "", nil // its process has ended
	}
	s.use(process)
	p := o.Remote()
	at, isAt := s.model.files[p]
	if isAt && at.id != int64(o.info.ID) {
		return nil, "", nil // another file took the name: which one to replace is the user's call
	}
	file := s.drawFile()
	after := s.model.clone()
	after.write(p, file, s.w.opts.hardDelete)
	where, _ := s.model.pathOfID(int64(o.info.ID))
	s.mayFail = parentDir(p) != "" && !s.model.dirs[parentDir(p)] // its folder is gone
	kind, obj, err := s.upload(o.fs, o, p, file)
	s.noteUpload(p, file, kind, obj, err)
	return after, fmt.Sprintf("update remembered %s (its file now at %q) with %d bytes from a %s source", p, where, len(file.data), kind), err
}

// serverCopy copies a file server-side, over the target if it exists.
func (s *simSeq) serverCopy() (*simModel, string, error) {
	src := s.existingFile()
	dstPath := s.drawPath()
	if src == "" || src == dstPath {
		return nil, "", nil
	}
	f := s.fs()
	after := s.model.clone()
	after.write(dstPath, s.model.files[src], s.w.opts.hardDelete)
	desc := "copy " + src + " to " + dstPath
	srcObj, err := f.NewObject(s.w.ctx, src)
	if err != nil {
		return after, desc + ": source lookup", err
	}
	var dst fs.Object
	if _, exists := s.model.files[dstPath]; exists {
		if dst, err = f.NewObject(s.w.ctx, dstPath); err != nil {
			return after, desc + ": target lookup", err
		}
	}
	s.mayFail = s.w.opts.emu.Quota == simSmallQuota // a copy needs room too
	_, err = operations.Copy(s.w.ctx, f, dst, dstPath, srcObj)
	return after, desc, err
}

// move moves a file server-side to a free path.
func (s *simSeq) move() (*simModel, string, error) {
	src, dstPath := s.existingFile(), s.drawPath()
	if _, taken := s.model.files[dstPath]; src == "" || taken {
		return nil, "", nil
	}
	f := s.fs()
	after := s.model.clone()
	after.rename(src, dstPath)
	desc := "move " + src + " to " + dstPath
	srcObj, err := f.NewObject(s.w.ctx, src)
	if err != nil {
		return after, desc + ": lookup", err
	}
	_, err = operations.Move(s.w.ctx, f, nil, dstPath, srcObj)
	return after, desc, err
}

func (s *simSeq) deleteFile() (*simModel, string, error) {
	p := s.existingFile()
	if p == "" {
		return nil, "", nil
	}
	f := s.fs()
	after := s.model.clone()
	after.remove(p, s.w.opts.hardDelete)
	obj, err := f.NewObject(s.w.ctx, p)
	if err != nil {
		return after, "delete " + p + ": lookup", err
	}
	return after, "delete " + p, operations.DeleteFile(s.w.ctx, obj)
}

func (s *simSeq) setModTime() (*simModel, string, error) {
	p := s.existingFile()
	if p == "" {
		return nil, "", nil
	}
	f, t := s.fs(), rapid.SampledFrom(simTimes).Draw(s.t, "new mod time")
	after := s.model.clone()
	file := after.files[p]
	file.modTime = t
	after.files[p] = file
	desc := fmt.Sprintf("set the modification time of %s to %v", p, t)
	obj, err := f.NewObject(s.w.ctx, p)
	if err != nil {
		return after, desc + ": lookup", err
	}
	return after, desc, obj.SetModTime(s.w.ctx, t)
}

func (s *simSeq) mkdir() (*simModel, string, error) {
	dir := rapid.SampledFrom(simDirs[1:]).Draw(s.t, "new folder")
	after := s.model.clone()
	after.mkdirAll(dir)
	return after, "mkdir " + dir, operations.Mkdir(s.w.ctx, s.fs(), dir)
}

// rmdir removes a folder, which must fail and change nothing unless the
// model says it is empty.
func (s *simSeq) rmdir() (*simModel, string, error) {
	dir := s.existingDir()
	if dir == "" {
		return nil, "", nil
	}
	after := s.model.clone()
	if len(s.model.below(dir)) == 0 {
		after.remove(dir, s.w.opts.hardDelete)
	} else {
		s.mayFail = true // refused: not empty
	}
	return after, "rmdir " + dir, operations.Rmdir(s.w.ctx, s.fs(), dir)
}

func (s *simSeq) purge() (*simModel, string, error) {
	dir := s.existingDir()
	if dir == "" {
		return nil, "", nil
	}
	after := s.model.clone()
	after.remove(dir, s.w.opts.hardDelete)
	return after, "purge " + dir, operations.Purge(s.w.ctx, s.fs(), dir)
}

// dirMove moves a folder to a free folder name outside itself.
func (s *simSeq) dirMove() (*simModel, string, error) {
	src, dst := s.existingDir(), rapid.SampledFrom(simDirs[1:]).Draw(s.t, "folder target")
	if src == "" || s.model.dirs[dst] || dst == src || isUnder(dst, src) || parentDir(dst) != "" && !s.model.dirs[parentDir(dst)] {
		return nil, "", nil
	}
	after := s.model.clone()
	after.rename(src, dst)
	return after, "dirmove " + src + " to " + dst, operations.DirMove(s.w.ctx, s.fs(), src, dst)
}

func isUnder(p, dir string) bool { return len(p) > len(dir) && p[:len(dir)+1] == dir+"/" }

// read opens a file with a drawn range and checks every byte it gives.
func (s *simSeq) read() (*simModel, string, error) {
	p := s.existingFile()
	if p == "" {
		return nil, "", nil
	}
	file := s.model.files[p]
	size := int64(len(file.data))
	start := rapid.Int64Range(0, size).Draw(s.t, "offset")
	end := rapid.Int64Range(start-1, size).Draw(s.t, "end") // start-1: to the end
	desc := fmt.Sprintf("read %s bytes %d-%d", p, start, end)
	obj, err := s.fs().NewObject(s.w.ctx, p)
	if err != nil {
		return s.model, desc + ": lookup", err
	}
	option := fs.OpenOption(&fs.RangeOption{Start: start, End: end})
	if end < start {
		option = &fs.SeekOption{Offset: start}
	}
	got, err := readRange(s.w.ctx, obj, option)
	if err != nil {
		return s.model, desc, err
	}
	want := file.data[start:]
	if end >= start {
		want = file.data[start:min(end+1, size)]
	}
	if !bytes.Equal(got, want) {
		s.violation("%s returned %d bytes that are not the range asked for (%d bytes)", desc, len(got), len(want))
	}
	return s.model, desc, nil
}

// list lists a folder; a listing that succeeds must be whole.
func (s *simSeq) list() (*simModel, string, error) {
	dir := rapid.SampledFrom(simDirs).Draw(s.t, "listed folder")
	if dir != "" && !s.model.dirs[dir] {
		return nil, "", nil
	}
	desc := "list " + dir
	entries, err := s.fs().List(s.w.ctx, dir)
	if err != nil {
		return s.model, desc, err
	}
	var got []string
	for _, entry := range entries {
		got = append(got, path.Base(entry.Remote()))
	}
	slices.Sort(got)
	if want := s.model.children(dir); !slices.Equal(got, want) {
		s.violation("%s gave %q, want %q", desc, got, want)
	}
	return s.model, desc, nil
}

// otherClient is the web app or another device acting on the account
// between our steps: it uploads, moves, hides and deletes files, and
// renames folders and makes them again.
func (s *simSeq) otherClient() (*simModel, string, error) {
	after := s.model.clone()
	acct := s.w.acct
	switch rapid.SampledFrom([]string{"upload", "move", "hide", "delete", "replace a folder"}).Draw(s.t, "other client does") {
	case "replace a folder":
		return s.replaceFolder(after)
	case "hide":
		p := s.existingFile()
		if p == "" {
			return nil, "", nil
		}
		return after, "another client hides " + p, acct.SetHidden(p, true)
	case "upload":
		p := s.drawPath()
		if _, taken := s.model.files[p]; taken {
			return nil, "", nil
		}
		file := s.drawFile()
		_, err := acct.Put(p, file.data, file.modTime)
		after.write(p, file, false)
		s.lastActor = -1
		return after, "another client uploads " + p, err
	case "move":
		src, dst := s.existingFile(), s.drawPath()
		if _, taken := s.model.files[dst]; src == "" || taken {
			return nil, "", nil
		}
		if _, err := acct.Mkdir(parentDir(dst)); err != nil {
			return after, "another client makes " + parentDir(dst), err
		}
		moved, err := acct.Move(src, dst)
		after.rename(src, dst)
		s.lastActor = -1
		file := after.files[dst]
		file.modTime = moved.UpdatedAt // a move resets it
		after.files[dst] = file
		return after, "another client moves " + src + " to " + dst, err
	}
	p := s.existingFile()
	if dir := s.existingDir(); rapid.Bool().Draw(s.t, "a folder") && dir != "" {
		p = dir
	}
	if p == "" {
		return nil, "", nil
	}
	after.remove(p, false)
	s.lastActor = -1
	return after, "another client deletes " + p, acct.Delete(p)
}

// readRange reads what obj gives for option.
func readRange(ctx context.Context, obj fs.Object, option fs.OpenOption) ([]byte, error) {
	rc, err := obj.Open(ctx, option)
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(rc)
	return data, errors.Join(err, rc.Close())
}

// replaceFolder is the other client renaming a folder (to its name with
// "-moved") and making an empty one at its path. Unlike the other client's
// other acts, it leaves the last process's folder cache as it is, so that
// process may still remember the folder's old id: the next step is that
// process acting on the path (actOnReplaced).
func (s *simSeq) replaceFolder(after *simModel) (*simModel, string, error) {
	dir := s.existingDir()
	moved := dir + "-moved"
	if dir == "" || s.lastActor < 0 || after.dirs[moved] {
		return nil, "", nil
	}
	acct := s.w.acct
	if _, err := acct.Move(dir, moved); err != nil {
		return after, "another client renames " + dir + " to " + moved, err
	}
	after.rename(dir, moved)
	after.mkdirAll(dir)
	s.replaced = dir
	_, err := acct.Mkdir(dir)
	return after, "another client renames " + dir + " to " + moved + " and makes " + dir + " again", err
}

// simOpOnReplaced is the step after replaceFolder.
var simOpOnReplaced = struct {
	name string
	run  simOp
}{"act on a replaced folder", (*simSeq).actOnReplaced}

// actOnReplaced has the process that may remember the old id of a folder
// the other client renamed and made again list, purge, remove or move the
// folder at that path: each must act on the new, empty folder and leave
// the renamed one and its files alone. The processes' caches are then
// dropped, as for any other act of the other client (see fs).
func (s *simSeq) actOnReplaced() (*simModel, string, error) {
	dir, f := s.replaced, s.w.fses[s.lastActor]
	s.replaced, s.lastActor = "", -1
	after := s.model.clone()
	switch rapid.SampledFrom([]string{"list", "purge", "rmdir", "dirmove"}).Draw(s.t, "on the replaced folder") {
	case "purge":
		after.remove(dir, s.w.opts.hardDelete)
		return after, "purge the replaced " + dir, operations.Purge(s.w.ctx, f, dir)
	case "rmdir":
		after.remove(dir, s.w.opts.hardDelete)
		return after, "rmdir the replaced " + dir, operations.Rmdir(s.w.ctx, f, dir)
	case "dirmove":
		dst := dir + "-new"
		if after.dirs[dst] {
			return nil, "", nil
		}
		after.rename(dir, dst)
		return after, "dirmove the replaced " + dir + " to " + dst, operations.DirMove(s.w.ctx, f, dir, dst)
	}
	desc := "list the replaced " + dir
	entries, err := f.List(s.w.ctx, dir)
	if err == nil && len(entries) > 0 {
		s.violation("%s gave %d entries of the renamed folder, want none", desc, len(entries))
	}
	return s.model, desc, err
}
