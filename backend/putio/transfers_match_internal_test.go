package putio

import (
	"context"
	"net/http"
	"strconv"
	"testing"

	"github.com/putdotio/go-putio"
	"github.com/rclone-putio/rclone-putio/backend/putio/api"
	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testMagnetBase32 is testMagnet's info hash in base32, with a tracker.
const testMagnetBase32 = "magnet:?xt=urn:btih:AERUKZ4JVPG66AJDIVTYTK6N54ASGRLH&tr=udp%3A%2F%2Ftracker.example%3A80"

func TestSameSourceSeesWhatPutioMayHaveStored(t *testing.T) {
	const hex = "0123456789abcdef0123456789abcdef01234567"
	for _, c := range []struct {
		stored api.Transfer
		source string
		same   bool
	}{
		{api.Transfer{Transfer: putio.Transfer{Source: testMagnet}}, testMagnet, true},
		{api.Transfer{Transfer: putio.Transfer{Source: "magnet:?xt=urn:btih:" + hex}}, testMagnet, true},
		{api.Transfer{Transfer: putio.Transfer{MagnetURI: "magnet:?dn=x&xt=urn:btih:" + hex}}, testMagnetBase32, true},
		{api.Transfer{Hash: "0123456789ABCDEF0123456789ABCDEF01234567"}, testMagnet, true},
		{api.Transfer{Hash: "AERUKZ4JVPG66AJDIVTYTK6N54ASGRLH"}, testMagnet, true},
		{api.Transfer{Hash: "ffffffffffffffffffffffffffffffffffffffff", Transfer: putio.Transfer{Source: "magnet:?xt=urn:btih:ff"}}, testMagnet, false},
		{api.Transfer{Transfer: putio.Transfer{Source: "https://example.com/a%20b.iso?y=2&x=1"}}, "HTTPS://Example.com:443/a b.iso?x=1&y=2", true},
		{api.Transfer{Transfer: putio.Transfer{Source: "http://example.com"}}, "http://example.com:80/", true},
		{api.Transfer{Transfer: putio.Transfer{Source: "https://example.com/a.iso"}}, "https://example.com/b.iso", false},
		{api.Transfer{Transfer: putio.Transfer{Source: "https://example.com/a.iso"}}, "http://example.com/a.iso", false},
		{api.Transfer{Transfer: putio.Transfer{Source: "https://example.com:8443/a.iso"}}, "https://example.com/a.iso", false},
		{api.Transfer{}, "https://example.com/a.iso", false},
	} {
		assert.Equal(t, c.same, sameSource(&c.stored, c.source), "%+v vs %q", c.stored, c.source)
	}
}

// put.io may store a magnet reduced to its hash: the transfer a lost
// reply made is still found, and the add is not sent again.
func TestTransferAddSurvivesALostReplyWhenPutioNormalisesTheMagnet(t *testing.T) {
	for _, magnet := range []string{testMagnet, testMagnetBase32} {
		t.Run(magnet, func(t *testing.T) {
			f, srv, acct := transferFs(t, "in", putiotest.Options{TransferSourceNormalize: true})
			require.NoError(t, srv.Inject(putiotest.Fault{Route: "POST /v2/transfers/add", AfterWork: true, Status: http.StatusBadGateway, Times: 1}))

			infos := runCommand(t, f, "transfer", []string{magnet}, nil)

			require.Len(t, infos, 1)
			assert.Len(t, acct.Transfers(), 1, "one transfer, not two")
			assert.Equal(t, 1, srv.Calls("POST /v2/transfers/add"), "not sent again")
		})
	}
}

// emptyTransferList is a transfers/list reply that misses every transfer.
var emptyTransferList = putiotest.Fault{Route: "GET /v2/transfers/list", Status: http.StatusOK,
	Body: `{"status":"OK","transfers":[],"cursor":null,"total":0}`}

// When the search after a lost reply misses the transfer, the add is sent
// again and put.io refuses it as a duplicate of the one it made: success.
func TestTransferAddTakesAlreadyAddedAfterALostReply(t *testing.T) {
	f, srv, acct := transferFs(t, "in", putiotest.Options{TransferSourceNormalize: true})
	missing := emptyTransferList
	missing.Times = 2 // the ids before, and the search
	require.NoError(t, srv.Inject(missing))
	require.NoError(t, srv.Inject(putiotest.Fault{Route: "POST /v2/transfers/add", AfterWork: true, Status: http.StatusBadGateway, Times: 1}))

	infos := runCommand(t, f, "transfer", []string{testMagnet}, nil)

	require.Len(t, infos, 1)
	require.Len(t, acct.Transfers(), 1, "one transfer, not two")
	assert.Equal(t, acct.Transfers()[0].ID, infos[0].ID)
	assert.Equal(t, "Show S01E01.mkv", infos[0].Name)
	assert.Equal(t, 2, srv.Calls("POST /v2/transfers/add"))
}

// A torrent put.io already has, from before, is a clear error naming it.
func TestTransferOfADuplicateNamesTheExistingOne(t *testing.T) {
	for name, retried := range map[string]bool{"first try": false, "after a lost reply": true} {
		t.Run(name, func(t *testing.T) {
			f, srv, acct := transferFs(t, "in")
			existing := runCommand(t, f, "transfer", []string{testMagnet}, nil)[0].ID
			if retried { // the existing one is no transfer the lost try made
				require.NoError(t, srv.Inject(putiotest.Fault{Route: "POST /v2/transfers/add", Status: http.StatusBadGateway, Times: 1}))
			}

			_, err := f.Command(context.Background(), "transfer", []string{testMagnetBase32}, nil)

			require.Error(t, err)
			assert.Contains(t, err.Error(), "putio: this transfer is already on put.io: id "+strconv.FormatInt(existing, 10))
			assert.Len(t, acct.Transfers(), 1)
		})
	}
}
