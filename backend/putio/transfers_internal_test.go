package putio

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
	"github.com/rclone/rclone/fs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testMagnet = "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567&dn=Show+S01E01.mkv"

// fastWait is the wait option with a short poll interval.
var fastWait = map[string]string{"wait": "", "interval": "20ms"}

// serveBytes serves body on a loopback port for the emulator to fetch.
func serveBytes(t *testing.T, body []byte) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(body) }))
	t.Cleanup(srv.Close)
	return srv.URL
}

// transferFs is an Fs rooted at root on a fresh emulator.
func transferFs(t *testing.T, root string, opts ...putiotest.Options) (*Fs, *putiotest.Server, *putiotest.Account) {
	t.Helper()
	srv := putiotest.NewServer(t, opts...)
	f, err := newFsOn(srv, testRemote, root, nil)
	require.NoError(t, err)
	return f.(*Fs), srv, srv.Account(srv.Token)
}

func runCommand(t *testing.T, f *Fs, name string, arg []string, opt map[string]string) []TransferInfo {
	t.Helper()
	out, err := f.Command(context.Background(), name, arg, opt)
	require.NoError(t, err)
	infos, _ := out.([]TransferInfo)
	return infos
}

func TestTransferWaitFetchesIntoANewFolder(t *testing.T) {
	f, _, acct := transferFs(t, "incoming/new")
	body := bytes.Repeat([]byte("0123456789"), 30000)
	source := serveBytes(t, body) + "/dl/movie.mkv"

	infos := runCommand(t, f, "transfer", []string{source}, fastWait)

	require.Len(t, infos, 1)
	assert.Equal(t, "COMPLETED", infos[0].Status)
	assert.Equal(t, 100, infos[0].Percent)
	assert.Equal(t, int64(len(body)), infos[0].Size)
	assert.Equal(t, "incoming/new", infos[0].Folder)
	assert.Equal(t, "incoming/new/movie.mkv", infos[0].File)
	got, err := acct.ReadFile("incoming/new/movie.mkv")
	require.NoError(t, err)
	assert.True(t, bytes.Equal(body, got), "fetched bytes differ")
	o, err := f.NewObject(context.Background(), "movie.mkv")
	require.NoError(t, err)
	assert.Equal(t, body, readAll(context.Background(), t, o))
}

func TestTransferWithoutWaitPrintsTheAddedTransfers(t *testing.T) {
	f, srv, acct := transferFs(t, "tv")

	infos := runCommand(t, f, "transfer", []string{testMagnet, "https://example.com/a.iso"}, nil)

	require.Len(t, infos, 2)
	assert.Equal(t, "WAITING", infos[0].Status)
	assert.Equal(t, "Show S01E01.mkv", infos[0].Name)
	assert.Equal(t, "tv", infos[1].Folder)
	assert.Len(t, acct.Transfers(), 2)
	assert.Equal(t, 2, srv.Calls("POST /v2/transfers/add"))
}

// waitForTransfers returns the ids of the account's transfers once there
// are n. It runs on the goroutine that plays put.io, so it only asserts.
func waitForTransfers(t *testing.T, acct *putiotest.Account, n int) []int64 {
	ids := make([]int64, n) // zeros if they never come: the assertion has failed the test
	if assert.Eventually(t, func() bool { return len(acct.Transfers()) == n }, hangGuard, 5*time.Millisecond) {
		for i, tr := range acct.Transfers() {
			ids[i] = tr.ID
		}
	}
	return ids
}

func TestTransferWaitFailsWithPutiosMessage(t *testing.T) {
	f, _, acct := transferFs(t, "")
	go func() {
		id := waitForTransfers(t, acct, 1)[0]
		assert.NoError(t, acct.FailTransfer(id, "No peers found for this torrent"))
	}()

	_, err := f.Command(context.Background(), "transfer", []string{testMagnet}, fastWait)

	require.Error(t, err)
	assert.Contains(t, err.Error(), "No peers found for this torrent")
	assert.Contains(t, err.Error(), "Show S01E01.mkv")
}

func TestTransferWaitEndsWhenTheTestCompletesIt(t *testing.T) {
	f, _, acct := transferFs(t, "incoming")
	go func() {
		id := waitForTransfers(t, acct, 1)[0]
		_, err := acct.CompleteTransfer(id, []byte("episode one"))
		assert.NoError(t, err)
	}()

	infos := runCommand(t, f, "transfer", []string{testMagnet}, fastWait)

	require.Len(t, infos, 1)
	assert.Equal(t, "incoming/Show S01E01.mkv", infos[0].File)
}

func TestTransfersListRetryCancelClean(t *testing.T) {
	f, srv, acct := transferFs(t, "in")
	f.pageSize = 1 // every transfer on its own page
	runCommand(t, f, "transfer", []string{"magnet:?xt=urn:btih:aa&dn=done.bin", "magnet:?xt=urn:btih:bb&dn=bad", "magnet:?xt=urn:btih:cc&dn=busy"}, nil)
	ids := []int64{acct.Transfers()[0].ID, acct.Transfers()[1].ID, acct.Transfers()[2].ID}
	_, err := acct.CompleteTransfer(ids[0], []byte("done"))
	require.NoError(t, err)
	require.NoError(t, acct.FailTransfer(ids[1], "Tracker unreachable"))

	listed := runCommand(t, f, "transfers", nil, nil)

	require.Len(t, listed, 3)
	inID, err := acct.Stat("in")
	require.NoError(t, err)
	assert.Equal(t, TransferInfo{ID: ids[0], Name: "done.bin", Status: "COMPLETED", Percent: 100, Size: 4,
		Source: "magnet:?xt=urn:btih:aa&dn=done.bin", Folder: "in", FolderID: inID.ID, File: "in/done.bin"}, listed[0])
	assert.Equal(t, "ERROR", listed[1].Status)
	assert.Equal(t, "Tracker unreachable", listed[1].Error)
	assert.Empty(t, listed[2].File)
	assert.Equal(t, 2, srv.Calls("POST /v2/transfers/list/continue"))

	retried := runCommand(t, f, "transfer-retry", []string{itoa(ids[1])}, nil)
	require.Len(t, retried, 1)
	assert.Equal(t, "WAITING", retried[0].Status)
	assert.Empty(t, retried[0].Error)

	runCommand(t, f, "transfer-cancel", []string{itoa(ids[2])}, nil)
	runCommand(t, f, "transfer-clean", nil, nil)
	left := acct.Transfers()
	require.Len(t, left, 1, "clean removed the completed one, cancel the busy one")
	assert.Equal(t, ids[1], left[0].ID)
	_, err = acct.Stat("in/done.bin")
	assert.NoError(t, err, "clean keeps the files")
}

func TestTransferCommandsRefuseBadInput(t *testing.T) {
	f, srv, _ := transferFs(t, "")
	for _, c := range []struct {
		name string
		arg  []string
		opt  map[string]string
		want string
	}{
		{"transfer", nil, nil, "at least one URL"},
		{"transfer", []string{"./local.torrent"}, nil, "not an http(s) URL or a magnet link"},
		{"transfer", []string{testMagnet}, map[string]string{"wait": "", "interval": "soon"}, "interval"},
		{"transfer", []string{testMagnet}, map[string]string{"wiat": ""}, `unknown option "wiat"; it takes -o interval, -o wait`},
		{"transfers", nil, map[string]string{"all": ""}, "takes no options"},
		{"transfer-cancel", nil, nil, "needs transfer ids"},
		{"transfer-retry", []string{"12x"}, nil, `"12x" is not a transfer id`},
	} {
		_, err := f.Command(context.Background(), c.name, c.arg, c.opt)
		require.Error(t, err, c.name)
		assert.Contains(t, err.Error(), c.want)
	}
	assert.Zero(t, srv.Calls("POST /v2/transfers/add"), "nothing was added")

	_, err := f.Command(context.Background(), "transfer-retry", []string{"999"}, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "TRANSFER_NOT_FOUND")
}

func TestTransferAddIsRetriedThroughThePacer(t *testing.T) {
	f, srv, _ := transferFs(t, "")
	require.NoError(t, srv.Inject(putiotest.Fault{Route: "POST /v2/transfers/add", Status: http.StatusServiceUnavailable, Times: 1}))

	infos := runCommand(t, f, "transfer", []string{testMagnet}, nil)

	require.Len(t, infos, 1)
	assert.Equal(t, 2, srv.Calls("POST /v2/transfers/add"))
}

// put.io may make the transfer and lose the reply: the add is not sent
// again, so the same download does not start twice.
func TestTransferAddSurvivesALostReply(t *testing.T) {
	for name, fault := range map[string]putiotest.Fault{
		"503 after the work":      {Status: http.StatusServiceUnavailable},
		"connection cut after it": {Cut: putiotest.CutResponse},
	} {
		t.Run(name, func(t *testing.T) {
			f, srv, acct := transferFs(t, "in")
			runCommand(t, f, "transfer", []string{"https://example.com/old.iso"}, nil) // there before
			fault.Route, fault.AfterWork, fault.Times = "POST /v2/transfers/add", true, 1
			require.NoError(t, srv.Inject(fault))

			infos := runCommand(t, f, "transfer", []string{"https://example.com/new.iso"}, nil)

			require.Len(t, infos, 1)
			assert.Equal(t, "new.iso", infos[0].Name)
			assert.Len(t, acct.Transfers(), 2, "one transfer of new.iso, not two")
			assert.Equal(t, 2, srv.Calls("POST /v2/transfers/add"), "not sent again")
		})
	}
}

func TestTransferListRestartsOnceOnARefusedCursor(t *testing.T) {
	f, srv, _ := transferFs(t, "")
	f.pageSize = 1
	runCommand(t, f, "transfer", []string{"magnet:?xt=urn:btih:aa", "magnet:?xt=urn:btih:bb", "magnet:?xt=urn:btih:cc"}, nil)
	srv.ResetCounters()
	require.NoError(t, srv.Inject(putiotest.Fault{Route: "POST /v2/transfers/list/continue", Status: http.StatusBadRequest,
		ErrorType: "INVALID_CURSOR", Times: 1}))

	listed := runCommand(t, f, "transfers", nil, nil)

	require.Len(t, listed, 3, "every transfer once, none twice")
	assert.NotEqual(t, listed[0].ID, listed[1].ID)
	assert.Equal(t, 2, srv.Calls("GET /v2/transfers/list"), "restarted once")
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// A reply without a usable transfer is an error that names the call, never
// a transfer with id 0. As after any mutation's unusable reply, the add is
// not sent again: the transfers are looked at for one it may have made.
func TestTransferAddRefusesAnUnusableReply(t *testing.T) {
	f, srv, acct := transferFs(t, "")
	require.NoError(t, srv.Inject(putiotest.Fault{Route: "POST /v2/transfers/add", Status: http.StatusOK, Body: `{"status":"OK"}`}))
	ctx, ci := fs.AddConfig(context.Background())
	ci.LowLevelRetries = 2
	listedBefore := srv.Calls("GET /v2/transfers/list")

	_, err := f.Command(ctx, "transfer", []string{testMagnet}, nil)

	require.Error(t, err)
	assert.Contains(t, err.Error(), "add transfer: unusable reply")
	assert.Equal(t, 1, srv.Calls("POST /v2/transfers/add"), "not sent again")
	assert.Equal(t, listedBefore+2, srv.Calls("GET /v2/transfers/list"), "the transfers known before, then a look for the one it may have made")
	assert.Empty(t, acct.Transfers())
}

// Waiting on several transfers waits for all of them and names each that
// failed.
func TestTransferWaitOnSeveralNamesTheFailedOnes(t *testing.T) {
	f, srv, acct := transferFs(t, "")
	go func() {
		ids := waitForTransfers(t, acct, 2)
		_, err := acct.CompleteTransfer(ids[1], []byte("fine"))
		assert.NoError(t, err)
		polls := srv.Calls("GET /v2/transfers/{id}")
		assert.Eventually(t, func() bool { return srv.Calls("GET /v2/transfers/{id}") >= polls+2 }, hangGuard, 5*time.Millisecond,
			"the wait goes on past the completed one")
		assert.NoError(t, acct.FailTransfer(ids[0], "Disk quota exceeded"))
	}()

	_, err := f.Command(context.Background(), "transfer", []string{"magnet:?xt=urn:btih:aa&dn=one", "magnet:?xt=urn:btih:bb&dn=two"}, fastWait)

	require.Error(t, err)
	assert.Contains(t, err.Error(), `1 of 2 transfers failed: transfer 1 "one" failed: Disk quota exceeded`)
	assert.Equal(t, "COMPLETED", acct.Transfers()[1].Status)
}

// A transfer whose folder was deleted since is still listed, by folder id.
func TestTransfersListsATransferWhoseFolderIsGone(t *testing.T) {
	f, srv, acct := transferFs(t, "gone")
	runCommand(t, f, "transfer", []string{testMagnet}, nil)
	folder, err := acct.Stat("gone")
	require.NoError(t, err)
	top, err := newFsOn(srv, testRemote, "", nil)
	require.NoError(t, err)
	require.NoError(t, top.(*Fs).Purge(context.Background(), "gone"))

	listed := runCommand(t, f, "transfers", nil, nil)

	require.Len(t, listed, 1)
	assert.Empty(t, listed[0].Folder)
	assert.Equal(t, folder.ID, listed[0].FolderID)
}

// A cancel naming an id with no transfer fails, naming it, and cancels
// nothing: put.io ignores such an id (its SDK's live suite), so without a
// look first a mistyped id would go unreported, and under a put.io that
// refuses it the others would not be cancelled either.
func TestTransferCancelOfAMissingIDFailsAndCancelsNothing(t *testing.T) {
	for _, strict := range []bool{false, true} {
		t.Run(fmt.Sprintf("CancelMissingTransferNotFound=%v", strict), func(t *testing.T) {
			f, srv, acct := transferFs(t, "", putiotest.Options{CancelMissingTransferNotFound: strict})
			runCommand(t, f, "transfer", []string{testMagnet}, nil)
			real := acct.Transfers()[0].ID
			const missing = 987654

			_, err := f.Command(context.Background(), "transfer-cancel", []string{itoa(real), itoa(missing)}, nil)

			require.Error(t, err)
			assert.Contains(t, err.Error(), itoa(missing))
			assert.NotContains(t, err.Error(), itoa(real)+",")
			require.Len(t, acct.Transfers(), 1)
			assert.Equal(t, real, acct.Transfers()[0].ID)
			assert.Zero(t, srv.Calls("POST /v2/transfers/cancel"))
		})
	}
}

// A cancel whose reply is lost is settled by looking the transfers up:
// those no longer listed were cancelled, and only those still listed are
// sent again. That holds whether put.io ignores a cancel of a missing id
// (its SDK's live tests) or refuses it with TRANSFER_NOT_FOUND.
func TestTransferCancelReplyLost(t *testing.T) {
	for _, strict := range []bool{false, true} {
		for name, lost := range map[string]putiotest.Fault{
			"502 after the work":    {AfterWork: true, Status: http.StatusBadGateway},
			"cut after the work":    {AfterWork: true, Cut: putiotest.CutResponse},
			"cut before it arrived": {Cut: putiotest.CutRequest},
		} {
			t.Run(fmt.Sprintf("%s/CancelMissingTransferNotFound=%v", name, strict), func(t *testing.T) {
				const cancelRoute = "POST /v2/transfers/cancel"
				f, srv, acct := transferFs(t, "", putiotest.Options{CancelMissingTransferNotFound: strict})
				runCommand(t, f, "transfer", []string{"magnet:?xt=urn:btih:aa&dn=a", "magnet:?xt=urn:btih:bb&dn=b", "magnet:?xt=urn:btih:cc&dn=c"}, nil)
				all := acct.Transfers()
				require.Len(t, all, 3)
				lost.Route, lost.Times = cancelRoute, 1
				require.NoError(t, srv.Inject(lost))

				runCommand(t, f, "transfer-cancel", []string{itoa(all[0].ID), itoa(all[1].ID)}, nil)

				left := acct.Transfers()
				require.Len(t, left, 1)
				assert.Equal(t, all[2].ID, left[0].ID)
				assert.Equal(t, map[bool]int{true: 1, false: 2}[lost.AfterWork], srv.Calls(cancelRoute))
			})
		}
	}
}
