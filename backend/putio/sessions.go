package putio

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rclone/rclone/fs"
)

// An upload session outlives the process: when a large upload is created
// its URL is written under rclone's cache directory, one small file per
// session, and the next run of the same file to the same place resumes it
// from the server's offset. The record's name comes from the remote,
// folder, name, size and modification time; a fingerprint of the content
// (CRC-32 of its first and last MiB, or of its first MiB only for a
// source that can't be opened again, given a window that holds it) is
// checked before any byte is sent, so another file at the same path
// starts afresh. The final CRC-32 still covers the whole file, as the
// bytes the server holds are read through (not sent) to compute it. A
// record unused for a week (its file's time: its making or last resume)
// is pruned.

const (
	sessionDirName = "putio-uploads"
	// sessionMaxAge is how long a record is kept; put.io's upload expiry
	// is not on record, and a session it forgot is dropped on first use.
	sessionMaxAge = 7 * 24 * time.Hour
	// fingerprintSpan is how much of each end of the file is fingerprinted.
	fingerprintSpan = 1 << 20
)

// sessionRecord is one upload session on record.
type sessionRecord struct {
	store       sessionStore // where it is kept; nil for none
	key         string       // its name in store
	used        time.Time    // when store last put it: made or resumed
	Remote      string       `json:"remote"`
	UploadURL   string       `json:"upload_url"`
	FolderID    string       `json:"folder_id"`
	Name        string       `json:"name"`
	Size        int64        `json:"size"`
	ModTime     time.Time    `json:"mod_time"`
	Fingerprint string       `json:"fingerprint"`
	Location    string       `json:"location"`
	Created     time.Time    `json:"created"`
}

// sessionStore keeps session records by key. Get fails for a key it
// does not hold, and sets the record's used time to that of its last
// Put; List names every record held, readable or not.
type sessionStore interface {
	Get(key string) (*sessionRecord, error)
	Put(key string, r *sessionRecord) error
	Delete(key string) error
	List() ([]string, error)
}

// resumeSession finds the session a previous run left for this upload and,
// if the server still has it, positions u at the server's offset. It
// returns the record to keep up to date, nil when sessions are off or the
// source can't be fingerprinted.
func (f *Fs) resumeSession(ctx context.Context, u *tusUpload) (record *sessionRecord, resumed bool, err error) {
	src := u.src
	if !f.opt.ResumeUploads || u.job.size <= f.window || !src.CanReopen() && !oneWayResumable(u.job, f.window) {
		return nil, false, nil
	}
	f.pruneSessionsOnce()
	fp, err := u.fingerprint(ctx)
	if err != nil {
		if !src.CanReopen() {
			return nil, false, err // the source failed as the upload read it
		}
		fs.Debugf(u.job, "no resumable session: can't fingerprint the source: %v", err)
		return nil, false, nil
	}
	record = f.newSessionRecord(u.job, fp)
	old, err := f.sessions.Get(record.key)
	if err != nil {
		return record, false, nil // none, or unreadable: start afresh
	}
	if old.Fingerprint != fp || old.Location == "" {
		fs.Infof(u.job, "the content changed since the interrupted upload; starting afresh")
		f.abandonSession(ctx, old)
		return record, false, nil
	}
	offset, err := f.uploadOffset(ctx, old.Location)
	switch classify(ctx, err) {
	case succeeded:
	case absent, lostForGood:
		fs.Debugf(u.job, "the interrupted upload has expired on the server; starting afresh")
		record.forget()
		return record, false, nil
	case refusal, accountFull: // a fresh upload meets no refusal of this session
		fs.Logf(u.job, "the upload service refuses the interrupted upload (%v); starting afresh", err)
		f.abandonSession(ctx, old)
		return record, false, nil
	default:
		return nil, false, err
	}
	if offset > u.job.size {
		f.abandonSession(ctx, old)
		return record, false, nil
	}
	if err := u.tus.Resume(old.Location, offset); err != nil {
		return nil, false, err
	}
	*record = *old
	record.touch() // in use again: the week before it counts as stale starts anew
	fs.Infof(u.job, "resuming an interrupted upload at byte %d of %d", offset, u.job.size)
	return record, true, nil
}

// processStart is when this process began: a modification time after it
// was stamped by this run.
var processStart = time.Now()

// oneWayResumable reports whether a later run could resume the upload of
// a source that can't be opened again: only if the window holds the
// first MiB that tells contents apart, and the source's modification time
// was not stamped by this run (rcat and serve give the time they began),
// as no later run's record would match it.
func oneWayResumable(job *uploadJob, window int64) bool {
	return window >= fingerprintSpan && job.modTime.Before(processStart)
}

// newSessionRecord names the record of an upload.
func (f *Fs) newSessionRecord(job *uploadJob, fp string) *sessionRecord {
	r := &sessionRecord{store: f.sessions, Remote: f.name, UploadURL: f.opt.UploadURL, FolderID: job.dirID, Name: job.name,
		Size: job.size, ModTime: job.modTime.UTC(), Fingerprint: fp}
	key := strings.Join([]string{r.Remote, r.UploadURL, r.FolderID, r.Name, strconv.FormatInt(r.Size, 10), r.ModTime.Format(time.RFC3339Nano)}, "\x00")
	sum := sha256.Sum256([]byte(key))
	r.key = hex.EncodeToString(sum[:16])
	return r
}

// fingerprint identifies the upload's content before any byte is sent.
// A source that can be opened at any offset is fingerprinted by both its
// ends; any other by its first MiB, which is read into the window now
// and sent from there. Those bytes are accounted as they are read, so a
// resume past them counts up to a MiB the server already held.
func (u *tusUpload) fingerprint(ctx context.Context) (string, error) {
	if u.src.CanReopen() {
		return fingerprint(ctx, u.src.obj)
	}
	head := crc32.NewIEEE()
	if err := u.tus.ReadAhead(head, fingerprintSpan); err != nil {
		return "", &sourceError{Err: fmt.Errorf("reading the first %d bytes: %w", fingerprintSpan, err)}
	}
	return fmt.Sprintf("head%d:%08x", fingerprintSpan, head.Sum32()), nil
}

// fingerprint is the CRC-32 of the first and the last MiB of obj.
func fingerprint(ctx context.Context, obj fs.Object) (string, error) {
	size := obj.Size()
	head, err := crcOfRange(ctx, obj, 0, min(size, fingerprintSpan))
	if err != nil {
		return "", err
	}
	tailStart := max(size-fingerprintSpan, 0)
	tail, err := crcOfRange(ctx, obj, tailStart, size-tailStart)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("crc32:%08x:%08x", head, tail), nil
}

func crcOfRange(ctx context.Context, obj fs.Object, start, n int64) (uint32, error) {
	rc, err := obj.Open(ctx, &fs.RangeOption{Start: start, End: start + n - 1})
	if err != nil {
		return 0, err
	}
	defer func() { _ = rc.Close() }()
	crc := crc32.NewIEEE()
	got, err := io.Copy(crc, io.LimitReader(rc, n))
	if err == nil && got != n {
		err = fmt.Errorf("read %d bytes of %d at %d", got, n, start)
	}
	return crc.Sum32(), err
}

// save puts the record with the upload's URL.
func (r *sessionRecord) save(location string) {
	if r == nil {
		return
	}
	r.Location, r.Created = location, time.Now().UTC()
	logIgnored(nil, "recording the upload session for a later run", r.store.Put(r.key, r))
}

// touch marks the record as used now, by putting it again.
func (r *sessionRecord) touch() {
	logIgnored(nil, "marking the upload session record as used", r.store.Put(r.key, r))
}

// forget removes the record, if any.
func (r *sessionRecord) forget() {
	if r == nil {
		return
	}
	logIgnored(nil, "removing the upload session record", r.store.Delete(r.key))
}

// abandonSession terminates a session on the server and forgets it.
func (f *Fs) abandonSession(ctx context.Context, r *sessionRecord) {
	if r.Location != "" {
		f.terminateUpload(ctx, r.Location)
	}
	r.forget()
}

var pruneOnce sync.Map // sessionStore → *sync.Once

// pruneSessionsOnce removes stale and unreadable records, once per process
// and store. It ends no session: a record may belong to another remote,
// login or process, and put.io expires what it no longer wants.
func (f *Fs) pruneSessionsOnce() {
	once, _ := pruneOnce.LoadOrStore(f.sessions, &sync.Once{})
	once.(*sync.Once).Do(func() {
		keys, _ := f.sessions.List()
		for _, key := range keys {
			if r, err := f.sessions.Get(key); err != nil || time.Since(r.used) > sessionMaxAge {
				logIgnored(nil, "pruning an old upload session record", f.sessions.Delete(key))
			}
		}
	})
}

// PendingUpload is one interrupted upload a later run can resume.
type PendingUpload struct {
	Name     string    `json:"name"`
	FolderID string    `json:"folder_id"`
	Size     int64     `json:"size"`
	ModTime  time.Time `json:"mod_time"`
	Created  time.Time `json:"created"`
	Offset   int64     `json:"offset"` // bytes the server holds; -1 if it could not say
	Status   string    `json:"status"` // "pending", "expired" or "abandoned"
}

// uploadsHelp describes the "uploads" backend command.
var uploadsHelp = fs.CommandHelp{
	Name:  "uploads",
	Short: "List interrupted uploads that a later run can resume.",
	Long: `Lists the upload sessions of this remote recorded under rclone's cache
directory, with the bytes the server holds. Sessions the server has let go
are forgotten. With -o abandon, the listed sessions are terminated on the
server and forgotten; names given as arguments limit it to those files.

    rclone backend uploads putio:
    rclone backend uploads putio: -o abandon [name ...]
`,
	Opts: map[string]string{"abandon": "terminate the sessions on the server and forget them"},
}

// uploadsCommand runs "rclone backend uploads".
func (f *Fs) uploadsCommand(ctx context.Context, names []string, opt map[string]string) ([]PendingUpload, error) {
	_, abandon := opt["abandon"]
	keys, err := f.sessions.List()
	if err != nil {
		return nil, err
	}
	out := []PendingUpload{}
	for _, key := range keys {
		r, err := f.sessions.Get(key)
		if err != nil || r.Remote != f.name || r.UploadURL != f.opt.UploadURL {
			continue
		}
		name := f.standardName(r.Name)
		if len(names) > 0 && !slices.Contains(names, name) {
			continue
		}
		pending := PendingUpload{Name: name, FolderID: r.FolderID, Size: r.Size, ModTime: r.ModTime, Created: r.Created, Offset: -1, Status: "pending"}
		offset, err := f.uploadOffset(ctx, r.Location)
		switch {
		case isNotFound(err):
			pending.Status = "expired"
			r.forget()
		case err == nil:
			pending.Offset = offset
		}
		if abandon && pending.Status == "pending" {
			f.abandonSession(ctx, r)
			pending.Status = "abandoned"
		}
		out = append(out, pending)
	}
	return out, nil
}

// fileSessions keeps each record as a JSON file in dir, named by its key;
// a file's modification time is when its record was last put.
type fileSessions struct{ dir string }

// newFileSessions keeps records under rclone's cache directory cacheDir.
func newFileSessions(cacheDir string) fileSessions {
	return fileSessions{dir: filepath.Join(cacheDir, sessionDirName)}
}

func (s fileSessions) path(key string) string { return filepath.Join(s.dir, key+".json") }

// Get reads the record of key.
func (s fileSessions) Get(key string) (*sessionRecord, error) {
	path := s.path(key)
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	r := &sessionRecord{store: s, key: key, used: info.ModTime()}
	if err := json.Unmarshal(data, r); err != nil {
		return nil, fmt.Errorf("session record %s is unreadable: %w", path, err)
	}
	return r, nil
}

// Put writes the record atomically.
func (s fileSessions) Put(key string, r *sessionRecord) error {
	data, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(s.dir, ".session-*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync() // after a crash, the renamed record is whole, never empty
	}
	if closeErr := tmp.Close(); err == nil {
		err = closeErr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), s.path(key))
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
	}
	return err
}

// Delete removes the record of key, if there is one.
func (s fileSessions) Delete(key string) error {
	if err := os.Remove(s.path(key)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// List names the records in dir.
func (s fileSessions) List() ([]string, error) {
	paths, err := filepath.Glob(s.path("*"))
	keys := make([]string, len(paths))
	for i, path := range paths {
		keys[i] = strings.TrimSuffix(filepath.Base(path), ".json")
	}
	return keys, err
}
