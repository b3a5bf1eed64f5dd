package putio

import (
	"context"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/internal/tus"
	"github.com/rclone/rclone/fs"
	"github.com/rclone/rclone/fs/accounting"
	rhash "github.com/rclone/rclone/fs/hash"
)

// The file being uploaded is read from its source at any offset: from
// the stream rclone hands Put, or from the object behind it opened again.
// A local file needs no resend window (see internal/tus/window.go): opening it
// again costs no request, so it is read again from the server's offset
// after any cut, and rclone's read-ahead of it is dropped for our own
// reading (see takeOverSource).

// sourceError is a failure to read the file being uploaded, the tus
// client's SourceError, which reads it from the source too.
type sourceError = tus.SourceError

// source reads the file being uploaded from any offset. Each byte is
// counted once, the first time it is read: in rclone's accounting
// (progress, --bwlimit, --max-transfer) and in the CRC-32 of the whole
// file, however many times it is sent.
type source struct {
	ctx     context.Context
	obj     fs.Object       // nil: the source can't be opened again
	local   bool            // obj is a local file, cheap to open again
	hashes  []fs.OpenOption // Put's hash requests, passed on when obj is opened
	wrap    accounting.WrapFn
	plain   io.Reader     // the current reader, without accounting
	counted io.Reader     // the same reader, accounted
	opened  io.ReadCloser // a reader we opened ourselves
	pos     int64         // offset of the next byte of plain
	high    int64         // bytes [0, high) have been read at least once
	crc     hash.Hash32   // of bytes [0, high), unless fileCRC
	// fileCRC: the local file computes its CRC-32 as we read it, because
	// rclone asked for it, so computing it a second time is spared.
	fileCRC bool
	// size and modTime are the local file's when the upload began; see
	// unchanged.
	size    int64
	modTime time.Time
}

// newSource reads the file rclone hands Put as in, for src, or the same
// file opened again once takeOverSource has stopped rclone's read-ahead
// of in. Put's options carry the hashes rclone asks of the source, which
// a local file then computes and keeps while we read it, sparing rclone's
// check after the upload a second reading.
func newSource(ctx context.Context, in io.Reader, src fs.ObjectInfo, options []fs.OpenOption) (*source, error) {
	plain, wrap := accounting.UnWrap(in)
	obj := sourceObject(src)
	s := &source{ctx: ctx, obj: obj, local: isLocal(obj), wrap: wrap, plain: plain, counted: in, crc: crc32.NewIEEE()}
	if s.local {
		s.size, s.modTime = obj.Size(), obj.ModTime(ctx)
	}
	asksCRC := false
	for _, option := range options {
		if hashes, ok := option.(*fs.HashesOption); ok {
			s.hashes = append(s.hashes, hashes)
			asksCRC = asksCRC || hashes.Hashes.Contains(rhash.CRC32)
		}
	}
	if takeOverSource(in, src) {
		if err := s.Reopen(0); err != nil {
			return nil, err
		}
		s.fileCRC = asksCRC
	}
	return s, nil
}

// sourceObject is the object rclone opened for the stream it hands Put,
// which the upload may open again: src itself, or the object behind the
// new name operations gives it (fs.OverrideRemote). Never what src wraps
// (fs.UnWrapObjectInfo): a wrapping backend's object (crypt, compress,
// chunker) streams other bytes than its base, and reading the base would
// upload the wrong file with a CRC-32 that matches what was sent.
func sourceObject(src fs.ObjectInfo) fs.Object {
	if renamed, ok := src.(*fs.OverrideRemote); ok {
		return renamed.UnWrap()
	}
	obj, _ := src.(fs.Object)
	return obj
}

// isLocal reports a local file, which opening again costs no request.
func isLocal(obj fs.Object) bool {
	return obj != nil && obj.Fs() != nil && obj.Fs().Features().IsLocal
}

// takeOverSource stops rclone's read-ahead of in when the upload can read
// the file itself, and reports whether it did. rclone buffers each
// transfer's stream (--buffer-size, 16 × 1 MiB by default, filled at once)
// and copies every byte once more; for a local file both buy nothing, so
// the upload opens the file itself and reads it through the same
// accounting (progress, --bwlimit, --max-transfer). Only local files: a
// remote source would be fetched twice, the read-ahead hides its latency.
// The bytes read ahead are dropped unused: the file is read from byte 0
// again. Abandon leaves in for rclone to close, and calling this again is
// harmless, so Put calls it first, before any lookup lets the read-ahead
// fill.
func takeOverSource(in io.Reader, src fs.ObjectInfo) bool {
	acc, ok := in.(*accounting.Account)
	if !ok || acc.GetAsyncReader() == nil || !isLocal(sourceObject(src)) {
		return false
	}
	acc.Abandon()
	return true
}

// CanReopen reports whether the source can be read again from any offset.
func (s *source) CanReopen() bool { return s.obj != nil }

// sum is the CRC-32 of the file, as put.io writes it: of bytes [0, high),
// or the local file's own. The local backend keeps the CRC-32 it computed
// when a reader that read the whole file is closed, so sum closes ours
// (reading on opens the file again); else, or if the file changed since,
// the local backend reads the file again.
func (s *source) sum() (string, error) {
	if !s.fileCRC {
		return fmt.Sprintf("%08x", s.crc.Sum32()), nil
	}
	s.close()
	s.plain, s.counted = nil, nil
	sum, err := s.obj.Hash(s.ctx, rhash.CRC32)
	if err == nil && len(sum) != 8 {
		err = fmt.Errorf("the local backend gave %q", sum)
	}
	if err != nil {
		return "", &sourceError{Err: fmt.Errorf("getting the CRC-32 of the file: %w", err)}
	}
	return sum, nil
}

// ready opens the source again at pos when sum closed it.
func (s *source) ready() error {
	if s.plain != nil {
		return nil
	}
	return s.Reopen(s.pos)
}

// countNewBytes counts bytes read for the first time: into the CRC-32,
// and into high.
func (s *source) countNewBytes(p []byte) {
	if !s.fileCRC {
		s.crc.Write(p)
	}
	s.high += int64(len(p))
}

// Read reads on from pos, accounting only bytes never read before.
func (s *source) Read(p []byte) (n int, err error) {
	if err := s.ready(); err != nil {
		return 0, err
	}
	if s.pos < s.high {
		n, err = s.plain.Read(p[:min(int64(len(p)), s.high-s.pos)])
	} else {
		n, err = s.counted.Read(p)
		s.countNewBytes(p[:n])
	}
	s.pos += int64(n)
	return n, err
}

// Skip reads through the source up to off without accounting the bytes,
// which the server already holds, keeping them in the CRC-32.
func (s *source) Skip(off int64) error {
	if err := s.ready(); err != nil {
		return err
	}
	buf := make([]byte, 64*1024)
	for s.pos < off {
		n, err := s.plain.Read(buf[:min(int64(len(buf)), off-s.pos)])
		if s.pos+int64(n) > s.high {
			s.countNewBytes(buf[max(s.high-s.pos, 0):n])
		}
		s.pos += int64(n)
		if err == io.EOF && s.pos < off {
			err = io.ErrUnexpectedEOF
		}
		if err != nil && err != io.EOF {
			return &sourceError{Err: fmt.Errorf("skipping to byte %d: %w", off, err)}
		}
	}
	return nil
}

// Reopen opens the source again at off, which must not be past high.
func (s *source) Reopen(off int64) error {
	if s.obj == nil {
		return tus.ErrCannotRewind
	}
	rc, err := s.obj.Open(s.ctx, append([]fs.OpenOption{&fs.SeekOption{Offset: off}}, s.hashes...)...)
	if err != nil {
		return &sourceError{Err: fmt.Errorf("opening again at byte %d: %w", off, err)}
	}
	if err := s.unchanged(); err != nil {
		logIgnored(nil, "closing the changed source", rc.Close())
		return err
	}
	s.close()
	s.plain, s.counted, s.opened, s.pos = rc, s.wrap(rc), rc, off
	return nil
}

// unchanged refuses a local file that changed since the upload began.
// The local backend refuses a file that changes while one reader reads
// it, but each opening takes the file as it is then, so a change between
// rclone's opening and ours, or between two of ours, would go through:
// the new content sent under the old size and time, or a file made of
// both versions.
func (s *source) unchanged() error {
	if !s.local {
		return nil
	}
	size, modTime := s.obj.Size(), s.obj.ModTime(s.ctx)
	if size == s.size && modTime.Equal(s.modTime) {
		return nil
	}
	return &sourceError{Err: fmt.Errorf("the file changed since its upload began (size %d, modified %v; now %d, %v): copy it again once it is no longer being written",
		s.size, s.modTime, size, modTime)}
}

// close closes the reader we opened, if any; rclone closes its own.
func (s *source) close() {
	if s.opened != nil {
		logIgnored(nil, "closing the reopened source", s.opened.Close())
		s.opened = nil
	}
}
