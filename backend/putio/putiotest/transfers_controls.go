package putiotest

import (
	"net/http"
	"net/url"
)

// reannounceTransfer serves POST /v2/transfers/reannounce (id): a torrent
// under way asks its trackers for peers again. put.io's SDK live suite
// finds both a missing id and a URL transfer refused with 400 BadRequest
// (not 404); a torrent that has finished is TORRENT_NOT_ACTIVE.
func (e *Emulator) reannounceTransfer(c *call) {
	c.locked(func(v url.Values) (obj, error) {
		id, err := requiredInt(v, "id")
		if err != nil {
			return nil, err
		}
		t, err := e.transfers.lookup(c.acct, id)
		switch {
		case err != nil:
			return nil, errBadRequest("BadRequest", "no torrent transfer with id "+itoa(id)+" to reannounce")
		case t.kind != "TORRENT":
			return nil, errBadRequest("BadRequest", "transfer "+itoa(id)+" is a "+t.kind+" transfer; only torrents are reannounced")
		case t.status == StatusCompleted || t.status == StatusError:
			return nil, errBadRequest("TORRENT_NOT_ACTIVE", "transfer "+itoa(id)+" is "+t.status+"; only an active torrent is reannounced")
		}
		return nil, nil
	})
}

// stopRecording serves POST /v2/transfers/stop-recording (transfer_id):
// it ends the recording of a live stream. The emulator makes no live
// stream transfers, so an existing transfer is NOT_RECORDING (400) and a
// missing one TRANSFER_NOT_FOUND (404), as put.io's SDK live suite finds.
func (e *Emulator) stopRecording(c *call) {
	c.locked(func(v url.Values) (obj, error) {
		id, err := requiredInt(v, "transfer_id")
		if err != nil {
			return nil, err
		}
		t, err := e.transfers.lookup(c.acct, id)
		if err != nil {
			return nil, err
		}
		return nil, &apiError{http.StatusBadRequest, "NOT_RECORDING", "transfer " + itoa(t.id) + " is a " + t.kind + " transfer, not a live stream being recorded"}
	})
}
