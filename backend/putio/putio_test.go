// Test the put.io backend against the in-process emulator, or with
// -remote TestPutio: against a real account.
package putio

import (
	"testing"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
	"github.com/rclone/rclone/fs"
	"github.com/rclone/rclone/fstest"
	"github.com/rclone/rclone/fstest/fstests"
)

// minTestChunkSize keeps multi-chunk uploads small enough for a real
// account while still crossing several chunk boundaries.
const minTestChunkSize = 256 * fs.Kibi

// TestIntegration runs rclone's backend suite. Without -remote it starts
// an emulator and points a remote at it through api_url/upload_url.
//
// No subtest is skipped by us. fstests skips these itself because put.io
// cannot support what they test:
//   - FsListR*, FromRoot/ListR: no recursive listing in the API.
//   - FsOpenWriterAt, FsOpenChunkWriter: tus uploads are sequential.
//   - FsPutStream, FsPutChunked/*/Streamed: tus needs the length up front.
//   - FsNewObjectCaseInsensitive: put.io names are case-sensitive.
//   - FsCopy/Metadata, FsMove/Metadata, ObjectSetMetadata, FsMkdirMetadata,
//     FsDirSetModTime, FsDirectory: metadata is read-only and folder times
//     cannot be set.
//   - SetTier, Bucket, FsCheckWrap, ObjectCheckWrap: no tiers, not
//     bucket based, not a wrapper.
//   - FsCopyChunked: server-side copy is one call, there is no copy cutoff.
//
// Its Internal subtest runs the backend's tests that need no emulator
// (Fs.InternalTest, putio_remote_internal_test.go), so -remote runs them
// on a real account too; the rest are plain Go tests in *_internal_test.go.
func TestIntegration(t *testing.T) {
	opt := &fstests.Opt{
		RemoteName:  "TestPutio:",
		NilObject:   (*Object)(nil),
		QuickTestOK: true,
		ChunkedUpload: fstests.ChunkedUploadConfig{
			MinChunkSize:  minTestChunkSize,
			CeilChunkSize: fstests.NextPowerOfTwo,
		},
	}
	if *fstest.RemoteName == "" {
		srv := putiotest.NewServer(t)
		// rclone's OAuth app gets a third-party token from put.io: test
		// with what users have.
		token, err := srv.Account(srv.Token).NewToken(putiotest.ScopeApp)
		if err != nil {
			t.Fatal(err)
		}
		opt.ExtraConfig = emulatorConfig(opt.RemoteName, srv, token)
	}
	fstests.Run(t, opt)
}

// TestIntegrationAdverse runs the suite again against an emulator taking
// the awkward choices the API record allows: listings in random order,
// the spurious NAME_ALREADY_EXIST on copy, and a contended trash lock.
func TestIntegrationAdverse(t *testing.T) {
	if *fstest.RemoteName != "" {
		t.Skip("emulator only")
	}
	srv := putiotest.NewServer(t, putiotest.Options{
		ShuffleListing:       true,
		SpuriousCopyConflict: true,
		TrashLockWait:        time.Millisecond,
		TrashHold:            5 * time.Millisecond,
	})
	opt := &fstests.Opt{
		RemoteName:  "TestPutioAdverse:",
		NilObject:   (*Object)(nil),
		QuickTestOK: true,
	}
	opt.ExtraConfig = emulatorConfig(opt.RemoteName, srv, srv.Token) // first-party: shares are listed
	fstests.Run(t, opt)
}

// emulatorConfig is the config of a remote named remoteName (with its
// colon) using srv with token.
func emulatorConfig(remoteName string, srv *putiotest.Server, token string) []fstests.ExtraConfigItem {
	name := remoteName[:len(remoteName)-1]
	return []fstests.ExtraConfigItem{
		{Name: name, Key: "type", Value: "putio"},
		{Name: name, Key: "token", Value: `{"access_token":"` + token + `","expiry":"0001-01-01T00:00:00Z"}`},
		{Name: name, Key: "api_url", Value: srv.URL},
		{Name: name, Key: "upload_url", Value: srv.UploadURL()},
		{Name: name, Key: "feed_url", Value: srv.FeedURL()},
	}
}

// SetUploadChunkSize is the fstests hook for multi-chunk uploads.
func (f *Fs) SetUploadChunkSize(cs fs.SizeSuffix) (fs.SizeSuffix, error) {
	if cs < 0 {
		return f.opt.ChunkSize, fs.ErrorNotImplemented
	}
	old := f.opt.ChunkSize
	f.opt.ChunkSize = cs
	return old, nil
}

var _ fstests.SetUploadChunkSizer = (*Fs)(nil)
