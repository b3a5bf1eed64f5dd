package putio

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"net/http"
	"net/url"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/putdotio/go-putio"
	"github.com/rclone-putio/rclone-putio/backend/putio/api"
	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
	"github.com/rclone/rclone/fs"
	"github.com/rclone/rclone/fs/hash"
	"github.com/rclone/rclone/fs/object"
	"github.com/rclone/rclone/fstest/fstests"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The backend's own tests that need nothing but a remote: no fault
// injection, no emulator clock, no admin API. rclone's suite calls
// InternalTest with whatever remote it runs on, so
//
//	go test ./backend/putio -run TestIntegration -remote TestPutio:
//
// runs them on a real account as well as on the emulator. Each works in a
// folder of its own under the suite's test folder, touches only what it
// made there, and purges that folder when it ends.

// InternalTest runs the backend's remote-agnostic tests on f.
func (f *Fs) InternalTest(t *testing.T) {
	t.Run("Update", f.internalTestUpdate)
	t.Run("LostReply", f.internalTestLostReply)
	t.Run("LostFinalUploadReply", f.internalTestLostFinalUploadReply)
	t.Run("ResumedSession", f.internalTestResumedSession)
	t.Run("ChangeNotify", f.internalTestChangeNotify)
	t.Run("Transfer", f.internalTestTransfer)
	t.Run("FaultFreeSequence", f.internalTestFaultFreeSequence)
}

var _ fstests.InternalTester = (*Fs)(nil)

// remoteDeadline bounds waits on what put.io does in its own time (a feed
// event, a transfer's end) so that one that never comes fails the test;
// no assertion depends on how long it takes.
const remoteDeadline = 10 * time.Minute

// scratch makes the folder name under f's root and returns a new Fs on
// it, a process of its own with its own cache directory. The folder is
// purged with everything in it when the test ends.
func (f *Fs) scratch(t *testing.T, name string) *Fs {
	t.Helper()
	dir := "putio-internal-" + name
	sub := f.newFsAt(t, path.Join(f.root, dir), newFileSessions(t.TempDir()))
	require.NoError(t, sub.Mkdir(context.Background(), ""))
	t.Cleanup(func() {
		assert.NoError(t, f.Purge(context.Background(), dir), "removing the test's folder %q", dir)
	})
	return sub
}

// another is a second process on f's folder, as another device or the
// next run of rclone on this machine (it shares f's cache directory).
func (f *Fs) another(t *testing.T) *Fs {
	t.Helper()
	return f.newFsAt(t, f.root, f.sessions)
}

// newFsAt is a new Fs of f's remote at root, keeping upload sessions in
// sessions.
func (f *Fs) newFsAt(t *testing.T, root string, sessions sessionStore) *Fs {
	t.Helper()
	// rclone suffixes the name with "{hash}" when options come from
	// outside the config file; they are found again from the bare name.
	// (fs.ConfigStringFull would spell them out, token included, and
	// rclone logs that string.)
	configName, _, _ := strings.Cut(f.name, "{")
	other, err := fs.NewFs(context.Background(), configName+":"+root)
	require.NoError(t, err)
	sub, ok := other.(*Fs)
	require.True(t, ok, "%T is not a put.io Fs", other)
	sub.sessions = sessions
	return sub
}

// listed is f's folder dir as put.io lists it, folders included.
func (f *Fs) listed(ctx context.Context, dir string) ([]putiotest.File, error) {
	dirID, err := f.dirCache.FindDir(ctx, dir, false)
	if err != nil {
		return nil, err
	}
	var out []putiotest.File
	err = f.listPages(ctx, dirID, f.pageSize, func(items []api.File, _ int) error {
		for _, item := range items {
			out = append(out, putiotest.File{ID: int64(item.ID), Name: f.standardName(item.Name), Size: item.Size,
				IsDir: item.IsDir(), CRC32: item.CRC32, CreatedAt: item.CreatedAt.Time, UpdatedAt: item.UpdatedAt.Time})
		}
		return nil
	})
	return out, err
}

// named is the items of f's root called name.
func (f *Fs) named(t *testing.T, name string) []putiotest.File {
	t.Helper()
	items, err := f.listed(context.Background(), "")
	require.NoError(t, err)
	var out []putiotest.File
	for _, item := range items {
		if item.Name == name {
			out = append(out, item)
		}
	}
	return out
}

func crcOf(data []byte) string { return fmt.Sprintf("%08x", crc32.ChecksumIEEE(data)) }

// Update puts the new version beside the old one and deletes the old one
// by id: one item of the name is left, a new id, with the new bytes and
// modification time.
func (f *Fs) internalTestUpdate(t *testing.T) {
	ctx := context.Background()
	sub := f.scratch(t, "update")
	obj := put(ctx, t, sub, "file.bin", pattern(1000, 1)).(*Object)
	oldID := obj.info.ID
	data, modTime := pattern(5000, 2), testModTime.Add(time.Hour)

	require.NoError(t, obj.Update(ctx, bytesReader(data), object.NewStaticObjectInfo("file.bin", modTime, int64(len(data)), true, nil, nil)))

	assert.NotEqual(t, oldID, obj.info.ID, "put.io has no in-place write: the new version is a new item")
	items := sub.named(t, "file.bin")
	require.Len(t, items, 1, "the old version is gone, the new one there")
	assert.Equal(t, int64(obj.info.ID), items[0].ID)
	assert.Equal(t, crcOf(data), items[0].CRC32)
	assert.Equal(t, int64(len(data)), items[0].Size)
	assert.True(t, modTime.Equal(items[0].UpdatedAt), "modification time %v, want %v", items[0].UpdatedAt, modTime)
	again, err := sub.another(t).NewObject(ctx, "file.bin")
	require.NoError(t, err)
	assert.Equal(t, data, readAll(ctx, t, again))
	sum, err := again.Hash(ctx, hash.CRC32)
	require.NoError(t, err)
	assert.Equal(t, crcOf(data), sum)
}

// errTestReplyLost is a reply lost after the request reached put.io, as
// a connection cut mid-reply leaves it.
var errTestReplyLost = fmt.Errorf("putio: the test dropped the reply: %w", errTruncated)

// A call that is not safe to repeat and whose reply was lost is settled by
// its done probe against the real server: work done is not sent again,
// work not done is, and when the tries run out the probe still decides.
func (f *Fs) internalTestLostReply(t *testing.T) {
	ctx := context.Background()
	sub := f.scratch(t, "lost-reply")
	id := put(ctx, t, sub, "a.txt", []byte("lost reply")).(*Object).info.ID
	dirID, err := sub.dirCache.RootID(ctx, false)
	require.NoError(t, err)
	// renameTo renames the file as a mutation, through attempt, which is
	// given one real try of the rename.
	renameTo := func(name string, attempt func(try int, rename func() error) error) (tries int, err error) {
		name = sub.serverName(name)
		call := apiCall{method: http.MethodPost, path: "/v2/files/rename", form: url.Values{"file_id": {id.String()}, "name": {name}}}
		err = sub.retryLookingFirst(ctx, "rename", sub.placedProbe(ctx, id, dirID, name), func() error {
			tries++
			return attempt(tries, func() error { return sub.attemptJSON(ctx, call, &api.Empty{}) })
		})
		return tries, err
	}
	renamedTo := func(t *testing.T, name string) {
		t.Helper()
		items := sub.named(t, name)
		require.Len(t, items, 1)
		assert.Equal(t, int64(id), items[0].ID)
	}
	// doneThenLost makes the rename, then loses its reply.
	doneThenLost := func(try int, rename func() error) error {
		if try > 1 {
			return errors.New("sent again after the probe found it done")
		}
		if err := rename(); err != nil {
			return err
		}
		return errTestReplyLost
	}

	t.Run("DoneIsNotSentAgain", func(t *testing.T) {
		tries, err := renameTo("b.txt", doneThenLost)
		require.NoError(t, err)
		assert.Equal(t, 1, tries)
		renamedTo(t, "b.txt")
	})
	t.Run("NotDoneIsSentAgain", func(t *testing.T) {
		tries, err := renameTo("c.txt", func(try int, rename func() error) error {
			if try == 1 {
				return errTestReplyLost // lost before it reached put.io
			}
			return rename()
		})
		require.NoError(t, err)
		assert.Equal(t, 2, tries)
		renamedTo(t, "c.txt")
	})
	t.Run("DoneWhenTriesRanOut", func(t *testing.T) {
		sub.pacer.SetRetries(1)
		defer sub.pacer.SetRetries(fs.GetConfig(ctx).LowLevelRetries)
		tries, err := renameTo("d.txt", doneThenLost)
		require.NoError(t, err, "the work was done: the probe says so though no reply did")
		assert.Equal(t, 1, tries)
		renamedTo(t, "d.txt")
	})
	assert.Empty(t, sub.named(t, "a.txt"))
}

// An upload whose final reply was lost is identified by what was sent
// (name, size, CRC-32, modification time, made after the upload began),
// using the real server's listing and clock; a version it replaced is not
// taken for it.
func (f *Fs) internalTestLostFinalUploadReply(t *testing.T) {
	ctx := context.Background()
	sub := f.scratch(t, "lost-final-reply")
	data := pattern(3000, 3)
	job := &uploadJob{leaf: "up.bin", name: sub.serverName("up.bin"), size: int64(len(data)), modTime: testModTime, started: time.Now()}
	var err error
	job.dirID, err = sub.dirCache.RootID(ctx, false)
	require.NoError(t, err)
	obj := put(ctx, t, sub, "up.bin", data).(*Object)

	found, err := sub.identifyUpload(ctx, job, crcOf(data))
	require.NoError(t, err)
	require.NotNil(t, found, "the upload's file is not identified")
	assert.Equal(t, obj.info.ID, found.ID)

	job.replacing = obj.info.ID
	found, err = sub.identifyUpload(ctx, job, crcOf(data))
	require.NoError(t, err)
	assert.Nil(t, found, "the version being replaced is taken for the upload")
}

// A run cancelled mid-upload keeps its session; the next run resumes it
// and leaves one file with the right bytes, and no session record.
func (f *Fs) internalTestResumedSession(t *testing.T) {
	sub := f.scratch(t, "session")
	useSessions := func(f *Fs) {
		f.opt.ResumeUploads, f.opt.UploadWindow, f.opt.ChunkSize = true, 1<<20, 256<<10
		f.setWindow() // the window is taken from the options when the Fs is made
	}
	useSessions(sub)
	data := pattern(3<<20, 4)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	_, err := sub.Put(ctx, &cancellingReader{data: data, n: 3 << 19, cancel: cancel}, newReopenable("big.bin", data))
	require.ErrorIs(t, err, context.Canceled)
	require.Len(t, sessionRecords(t, sub), 1, "the session is kept for the next run")
	assert.Empty(t, sub.named(t, "big.bin"))

	next := sub.another(t)
	useSessions(next)
	logs := captureLog(t)
	obj, err := next.Put(context.Background(), bytesReader(data), newReopenable("big.bin", data))

	require.NoError(t, err)
	assert.Contains(t, logs.String(), "resuming an interrupted upload at byte", "the next run started afresh")
	items := next.named(t, "big.bin")
	require.Len(t, items, 1)
	assert.Equal(t, crcOf(data), items[0].CRC32)
	assert.Equal(t, data, readAll(context.Background(), t, obj))
	assert.Empty(t, sessionRecords(t, sub), "the finished session is forgotten")
}

// ChangeNotify reports a file another process uploads.
func (f *Fs) internalTestChangeNotify(t *testing.T) {
	sub := f.scratch(t, "changenotify")
	n := &notified{}
	ctx, cancel := context.WithCancel(context.Background())
	intervals := make(chan time.Duration)
	sub.ChangeNotify(ctx, n.notify, intervals)
	t.Cleanup(func() {
		close(intervals)
		cancel()
		sub.feed.watchers.Wait()
	})
	intervals <- time.Minute
	waitNotified(t, n, " dir") // the root, resynced once put.io took the token

	put(context.Background(), t, sub.another(t), "new.txt", []byte("from another device"))

	waitNotified(t, n, "new.txt file")
}

// A transfer of a URL put.io can never fetch (RFC 6761's .invalid) ends
// in ERROR, and cancelling it leaves no trace: no transfer, no file.
func (f *Fs) internalTestTransfer(t *testing.T) {
	sub := f.scratch(t, "transfer")
	source := "https://rclone-putio-internal-test.invalid/never.bin"
	infos := runCommand(t, sub, "transfer", []string{source}, nil)
	require.Len(t, infos, 1)
	id := infos[0].ID
	cancelled := false
	t.Cleanup(func() {
		if !cancelled { // don't leave the user a transfer the test made
			_, err := sub.Command(context.Background(), "transfer-cancel", []string{itoa(id)}, nil)
			assert.NoError(t, err)
		}
	})

	ctx, cancel := context.WithTimeout(context.Background(), remoteDeadline)
	defer cancel()
	ended, err := sub.waitTransfers(ctx, []putio.Transfer{{ID: id, Name: infos[0].Name, Status: infos[0].Status}}, 250*time.Millisecond)
	require.Error(t, err, "a transfer of an unresolvable host did not fail")
	require.NotErrorIs(t, err, context.DeadlineExceeded)
	require.Len(t, ended, 1)
	assert.Equal(t, "ERROR", ended[0].Status)
	assert.NotEmpty(t, ended[0].ErrorMessage)

	runCommand(t, sub, "transfer-cancel", []string{itoa(id)}, nil)
	cancelled = true
	all, err := sub.allTransfers(context.Background())
	require.NoError(t, err)
	for _, tr := range all {
		assert.NotEqual(t, id, tr.ID, "the cancelled transfer is still listed")
	}
	items, err := sub.listed(context.Background(), "")
	require.NoError(t, err)
	assert.Empty(t, items)
}
