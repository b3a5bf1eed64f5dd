package putio

import (
	"context"
	"testing"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
	"github.com/rclone/rclone/fs"
	"github.com/rclone/rclone/lib/encoder"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// percentRules are the emulator's two readings of what put.io does with
// "%xx" in names it is given: decode (the default) or keep.
var percentRules = map[string]putiotest.Options{"decode": {}, "keep": {KeepPercentEscapes: true}}

// Names with "%" made elsewhere are reached by path, and overwriting one
// makes no duplicate, whichever way put.io reads "%xx".
func TestPercentNamesMadeElsewhere(t *testing.T) {
	for rule, opts := range percentRules {
		t.Run(rule, func(t *testing.T) {
			ctx := context.Background()
			f, _, acct := newTestFs(t, nil, opts)
			for p, data := range map[string]string{
				"pct/100% Pure.txt":      "pure",
				"pct/50% off/inner.txt":  "inner",
				"pct/raw%46.txt":         "raw",  // a torrent's name, "%46" and all
				"pct/rawF.txt":           "F",    // what "raw%46.txt" decodes to
				"pct/old\uff05 name.txt": "old",  // "％": an earlier encoding of "%"
				"pct/a%zz":               "a%zz", // "%" before non-hex
			} {
				_, err := acct.Put(p, []byte(data), testModTime)
				require.NoError(t, err)
			}
			checkPercentNamesReachable(ctx, t, f, rule == "keep")
			checkPercentNamesListed(ctx, t, f)
			checkPercentNamesOverwritten(ctx, t, f, acct)
		})
	}
}

// checkPercentNamesReachable reads each name TestPercentNamesMadeElsewhere
// made by path. A server that decodes lookups (keep false) cannot be asked
// for a literal "%46": it looks up "rawF.txt", which must not be taken for
// it; the file is still listed and copied from a listing.
func checkPercentNamesReachable(ctx context.Context, t *testing.T, f *Fs, keep bool) {
	reachable := map[string]string{
		"pct/100% Pure.txt": "pure", "pct/50% off/inner.txt": "inner",
		"pct/old% name.txt": "old", "pct/a%zz": "a%zz", "pct/rawF.txt": "F",
	}
	if keep {
		reachable["pct/raw%46.txt"] = "raw"
	} else {
		_, err := f.NewObject(ctx, "pct/raw%46.txt")
		assert.ErrorIs(t, err, fs.ErrorObjectNotFound)
	}
	for remote, data := range reachable {
		o, err := f.NewObject(ctx, remote)
		require.NoError(t, err, remote)
		assert.Equal(t, data, string(readAll(ctx, t, o)), remote)
	}
}

// checkPercentNamesListed lists the names with "%" as they were made.
func checkPercentNamesListed(ctx context.Context, t *testing.T, f *Fs) {
	listed, err := f.List(ctx, "pct")
	require.NoError(t, err)
	var listedNames []string
	for _, entry := range listed {
		listedNames = append(listedNames, entry.Remote())
	}
	assert.Contains(t, listedNames, "pct/raw%46.txt")
	entries, err := f.List(ctx, "pct/50% off")
	require.NoError(t, err)
	require.Len(t, entries, 1)
	assert.Equal(t, "pct/50% off/inner.txt", entries[0].Remote())
}

// checkPercentNamesOverwritten puts and copies onto names with "%": each
// is replaced in place, with no duplicate.
func checkPercentNamesOverwritten(ctx context.Context, t *testing.T, f *Fs, acct *putiotest.Account) {
	put(ctx, t, f, "pct/100% Pure.txt", []byte("new"))
	src := put(ctx, t, f, "src.txt", []byte("copied"))
	_, err := f.Copy(ctx, src, "pct/a%zz")
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"100% Pure.txt", "50% off", "raw%46.txt", "rawF.txt", "old\uff05 name.txt", "a%zz"}, names(t, acct, "pct"))
	got, err := acct.ReadFile("pct/100% Pure.txt")
	require.NoError(t, err)
	assert.Equal(t, "new", string(got))
	got, err = acct.ReadFile("pct/a%zz")
	require.NoError(t, err)
	assert.Equal(t, "copied", string(got))
}

// Names with "%xx" that rclone writes arrive intact: put.io is sent "％xx",
// which it cannot decode, and rclone reads "%xx" back.
func TestPercentEscapeNamesArriveIntact(t *testing.T) {
	for rule, opts := range percentRules {
		t.Run(rule, func(t *testing.T) {
			ctx := context.Background()
			f, _, acct := newTestFs(t, nil, opts)
			put(ctx, t, f, "dir%41/test%46.txt", []byte("x"))
			src := put(ctx, t, f, "a.txt", []byte("y"))
			_, err := f.Copy(ctx, src, "dir%41/copy%2F.txt")
			require.NoError(t, err)
			_, err = f.Move(ctx, src, "dir%41/moved%20.txt")
			require.NoError(t, err)

			assert.Equal(t, []string{"dir\uff0541"}, names(t, acct, ""))
			assert.ElementsMatch(t, []string{"test\uff0546.txt", "copy\uff052F.txt", "moved\uff0520.txt"}, names(t, acct, "dir\uff0541"))
			entries, err := f.List(ctx, "dir%41")
			require.NoError(t, err)
			var listed []string
			for _, entry := range entries {
				listed = append(listed, entry.Remote())
			}
			assert.ElementsMatch(t, []string{"dir%41/test%46.txt", "dir%41/copy%2F.txt", "dir%41/moved%20.txt"}, listed)
			o, err := f.NewObject(ctx, "dir%41/test%46.txt")
			require.NoError(t, err)
			assert.Equal(t, "x", string(readAll(ctx, t, o)))
		})
	}
}

// serverName sends "%" as it is except before two hex digits, and keeps a
// literal "％" quoted; standardName undoes it all. (FuzzEncodingRoundTrip
// tries the rest.)
func TestServerName(t *testing.T) {
	f := &Fs{opt: Options{Enc: defaultEncoding}}
	for leaf, sent := range map[string]string{
		"100% Pure.txt": "100% Pure.txt",
		"test%46.txt":   "test\uff0546.txt",
		"%":             "%",
		"%4":            "%4",
		"%4g%41":        "%4g\uff0541",
		"\uff05 lit":    "\u201b\uff05 lit",
		"\uff0541":      "\u201b\uff0541",
	} {
		assert.Equal(t, sent, f.serverName(leaf), leaf)
		assert.Equal(t, leaf, f.standardName(sent), sent)
	}
	assert.Equal(t, []string{"100\uff05 Pure.txt"}, f.otherSpellings("100% Pure.txt"), "an earlier version's spelling")
	assert.Equal(t, []string{"a%41"}, f.otherSpellings("a%41"), "a torrent's spelling")
	assert.Equal(t, []string{"\uff05 a\uff0541", "% a%41"}, f.otherSpellings("% a%41"))
	assert.Empty(t, f.otherSpellings("plain.txt"))
	plain := &Fs{opt: Options{Enc: defaultEncoding &^ encoder.EncodePercent}}
	assert.Equal(t, "\uff05 x%41", plain.serverName("\uff05 x%41"), "without EncodePercent nothing changes")
}

// The names the built-in backend skips in Update are stored like any
// other, by Put and by Update alike: put.io is not known to refuse them.
func TestSystemFileNamesAreStored(t *testing.T) {
	ctx := context.Background()
	f, _, acct := newTestFs(t, nil)
	for _, name := range []string{"desktop.ini", "Thumbs.db", ".DS_Store", "Icon\r"} {
		o := put(ctx, t, f, "dir/"+name, []byte("first"))
		require.NoError(t, o.Update(ctx, bytesReader([]byte("second")), srcInfo("dir/"+name, 6)))
		got, err := f.NewObject(ctx, "dir/"+name)
		require.NoError(t, err, name)
		assert.Equal(t, "second", string(readAll(ctx, t, got)), name)
	}
	assert.Len(t, names(t, acct, "dir"), 4, "one file each")
}

// Looking up a new name with "%" costs a few lookups, never a listing,
// so writing many such files into a large folder stays linear.
func TestPercentNewNameNeedsNoListing(t *testing.T) {
	ctx := context.Background()
	f, srv, acct := newTestFs(t, nil)
	for i := range 5 {
		_, err := acct.Put("big/f"+string(rune('a'+i)), []byte("x"), testModTime)
		require.NoError(t, err)
	}
	require.NoError(t, f.Mkdir(ctx, "big"))
	srv.ResetCounters()

	put(ctx, t, f, "big/new 100%41 50% off.txt", []byte("x"))
	require.NoError(t, f.Mkdir(ctx, "big/new%20dir"))

	assert.Zero(t, srv.Calls(listRoute)+srv.Calls(continueRoute))
	assert.LessOrEqual(t, srv.Calls("GET /v2/files/{id}/child"), 6)
}
