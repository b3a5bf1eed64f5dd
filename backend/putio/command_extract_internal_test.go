package putio

import (
	"context"
	"testing"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const extractRoute = "POST /v2/files/extract"

// runExtract runs "extract" and returns what it printed.
func runExtract(f *Fs, archives []string, opt map[string]string) ([]ExtractionInfo, error) {
	out, err := f.Command(context.Background(), "extract", archives, opt)
	infos, _ := out.([]ExtractionInfo)
	return infos, err
}

// extractInBackground runs "extract" on its own and returns where its
// outcome will arrive.
func extractInBackground(f *Fs, archives []string, opt map[string]string) <-chan extractOutcome {
	done := make(chan extractOutcome, 1)
	go func() {
		infos, err := runExtract(f, archives, opt)
		done <- extractOutcome{infos, err}
	}()
	return done
}

type extractOutcome struct {
	infos []ExtractionInfo
	err   error
}

// seedArchive puts an archive at remote and returns the Fs rooted at the
// top of the account, with its account.
func seedArchive(t *testing.T, remote string) (*Fs, *putiotest.Server, *putiotest.Account, putiotest.File) {
	t.Helper()
	f, srv, acct := newTestFs(t, nil)
	archive, err := acct.Put(remote, []byte("Rar!"), testModTime)
	require.NoError(t, err)
	return f, srv, acct, archive
}

// waitExtraction waits for the account's only extraction.
func waitExtraction(t *testing.T, acct *putiotest.Account) putiotest.Extraction {
	t.Helper()
	require.Eventually(t, func() bool { return len(acct.Extractions()) == 1 }, hangGuard, 5*time.Millisecond)
	return acct.Extractions()[0]
}

// Without wait the started extraction is printed as put.io has it.
func TestExtractStartsAndPrintsTheTask(t *testing.T) {
	f, srv, acct, archive := seedArchive(t, "dl/Show/Show.rar")
	infos, err := runExtract(f, []string{"dl/Show/Show.rar"}, nil)
	require.NoError(t, err)
	xs := acct.Extractions()
	require.Len(t, xs, 1)
	assert.Equal(t, archive.ID, xs[0].ArchiveID)
	assert.Empty(t, xs[0].Password)
	assert.Equal(t, []ExtractionInfo{{ID: xs[0].ID, Archive: "dl/Show/Show.rar", Status: putiotest.ExtractNew}}, infos)
	assert.Equal(t, 1, srv.Calls(extractRoute))
}

// With wait the command follows the extraction and prints the paths of
// the files it made, which are then listed in the archive's folder.
func TestExtractWaitPrintsTheFilesMade(t *testing.T) {
	f, _, acct, _ := seedArchive(t, "dl/Show/Show.rar")
	ctx := context.Background()
	done := extractInBackground(f, []string{"dl/Show/Show.rar"}, fastWait)
	x := waitExtraction(t, acct)
	_, err := acct.CompleteExtraction(x.ID, map[string][]byte{"Show S01E01.mkv": []byte("episode"), "Show S01E01.srt": []byte("subs")})
	require.NoError(t, err)
	outcome := <-done
	require.NoError(t, outcome.err)
	require.Len(t, outcome.infos, 1)
	assert.Equal(t, putiotest.ExtractExtracted, outcome.infos[0].Status)
	assert.Equal(t, []string{"dl/Show/Show S01E01.mkv", "dl/Show/Show S01E01.srt"}, outcome.infos[0].Files)
	entries, err := f.List(ctx, "dl/Show")
	require.NoError(t, err)
	assert.Len(t, entries, 3, "the archive and the two files it held: %v", entries)
	data, err := acct.ReadFile("dl/Show/Show S01E01.mkv")
	require.NoError(t, err)
	assert.Equal(t, "episode", string(data))
}

// A failed extraction fails the wait with put.io's message.
func TestExtractWaitFailsWithPutiosMessage(t *testing.T) {
	f, _, acct, _ := seedArchive(t, "dl/broken.rar")
	done := extractInBackground(f, []string{"dl/broken.rar"}, fastWait)
	require.NoError(t, acct.FailExtraction(waitExtraction(t, acct).ID, "CRC failed in the encrypted file"))
	outcome := <-done
	require.Error(t, outcome.err)
	assert.Contains(t, outcome.err.Error(), `extracting "dl/broken.rar" failed: CRC failed in the encrypted file`)
}

// An archive that needs a password says to give one; run again with it,
// the waiting extraction takes it (no second extraction) and completes.
func TestExtractAsksForThePasswordThenTakesIt(t *testing.T) {
	logs := captureLog(t)
	f, srv, acct, _ := seedArchive(t, "dl/locked.rar")
	done := extractInBackground(f, []string{"dl/locked.rar"}, fastWait)
	x := waitExtraction(t, acct)
	require.NoError(t, acct.AskExtractionPassword(x.ID))
	outcome := <-done
	require.Error(t, outcome.err)
	assert.Contains(t, outcome.err.Error(), `"dl/locked.rar" needs a password: run again with -o password=PASSWORD`)

	withPassword := map[string]string{"wait": "", "interval": "20ms", "password": "s3cret"}
	done = extractInBackground(f, []string{"dl/locked.rar"}, withPassword)
	require.Eventually(t, func() bool { return acct.Extractions()[0].Status == putiotest.ExtractPasswordObtained }, hangGuard, 5*time.Millisecond)
	require.Len(t, acct.Extractions(), 1, "the waiting extraction took the password")
	assert.Equal(t, "s3cret", acct.Extractions()[0].Password)
	_, err := acct.CompleteExtraction(x.ID, map[string][]byte{"inside.mkv": []byte("x")})
	require.NoError(t, err)
	outcome = <-done
	require.NoError(t, outcome.err)
	assert.Equal(t, []string{"dl/inside.mkv"}, outcome.infos[0].Files)
	assert.Equal(t, 2, srv.Calls(extractRoute))
	assert.NotContains(t, logs.String(), "s3cret", "the password is not logged")
}

// A password put.io cannot open the archive with is reported as such.
func TestExtractWrongPassword(t *testing.T) {
	f, _, acct, _ := seedArchive(t, "dl/locked.rar")
	done := extractInBackground(f, []string{"dl/locked.rar"}, map[string]string{"wait": "", "interval": "20ms", "password": "wrong"})
	require.NoError(t, acct.AskExtractionPassword(waitExtraction(t, acct).ID))
	outcome := <-done
	require.Error(t, outcome.err)
	assert.Contains(t, outcome.err.Error(), `could not open "dl/locked.rar" with the password given`)
	assert.NotContains(t, outcome.err.Error(), "wrong", "the password is not in the error")
}

// What is not an archive, not a file or not there is refused with what
// to give instead, and starts nothing.
func TestExtractRefusals(t *testing.T) {
	f, srv, acct, _ := seedArchive(t, "dl/Show/Show.rar")
	_, err := acct.Put("dl/notes.txt", []byte("text"), testModTime)
	require.NoError(t, err)
	for archive, want := range map[string]string{
		"dl/notes.txt":     `put.io won't extract "dl/notes.txt" (file`,
		"dl/Show":          `"dl/Show" is a folder; name the archive in it`,
		"dl/Show/gone.rar": `no file "dl/Show/gone.rar" under`,
	} {
		_, err := runExtract(f, []string{archive}, nil)
		require.Error(t, err, archive)
		assert.Contains(t, err.Error(), want)
	}
	_, err = runExtract(f, nil, nil)
	assert.ErrorContains(t, err, `extract needs the archive's path`)
	_, err = runExtract(f, []string{"dl/Show/Show.rar"}, map[string]string{"passwd": "x"})
	assert.ErrorContains(t, err, `unknown option "passwd"`)
	assert.Empty(t, acct.Extractions())
	assert.Equal(t, 1, srv.Calls(extractRoute), "only the text file reached put.io")
}

// A lost reply to the start is settled by looking at the extractions,
// not by sending the request again, which might start a second one.
func TestExtractLostReplyIsNotSentAgain(t *testing.T) {
	f, srv, acct, archive := seedArchive(t, "dl/Show.rar")
	require.NoError(t, srv.Inject(putiotest.Fault{Route: extractRoute, AfterWork: true, Cut: putiotest.CutResponse, Times: 1}))
	infos, err := runExtract(f, []string{"dl/Show.rar"}, nil)
	require.NoError(t, err)
	xs := acct.Extractions()
	require.Len(t, xs, 1)
	assert.Equal(t, archive.ID, xs[0].ArchiveID)
	assert.Equal(t, xs[0].ID, infos[0].ID, "the extraction found is the one started")
	assert.Equal(t, 1, srv.Calls(extractRoute), "the start was not sent again")
}
