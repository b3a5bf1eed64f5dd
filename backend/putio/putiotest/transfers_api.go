package putiotest

import (
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"time"
)

// transferJSON renders a transfer as put.io's Transfer object, every
// field the TS SDK's TransferSchema requires present (null where the
// emulator has nothing to say, as for a transfer put.io has not started).
func (e *Emulator) transferJSON(t *transfer) obj {
	status, percent := e.currentStatus(t)
	out := obj{
		"id": t.id, "name": t.name, "status": status, "status_message": statusMessage(status, t),
		"type": t.kind, "source": t.source, "save_parent_id": t.parentID,
		"percent_done": percent, "completion_percent": percent,
		"size": t.size, "downloaded": t.downloaded.Load(), "uploaded": 0,
		"down_speed": 0, "up_speed": 0, "estimated_time": nil, "availability": nil,
		"current_ratio": 0, "seconds_seeding": nil, "is_private": false, "links": []obj{},
		"peers_connected": 0, "peers_getting_from_us": 0, "peers_sending_to_us": 0,
		"created_at": formatTime(t.created), "started_at": formatTime(t.created),
		"finished_at": nil, "file_id": nil, "error_message": nil, "callback_url": nil,
		"hash": nil, "magneturi": nil, "userfile_exists": false,
		"client_ip": nil, "created_torrent": false, "download_id": nil, "simulated": false,
		"subscription_id": nil, "torrent_link": nil, "tracker": nil, "tracker_message": nil,
	}
	if t.kind == "TORRENT" {
		out["seconds_seeding"] = 0
	}
	if t.hash != "" {
		out["hash"] = t.hash
	}
	if !t.finished.IsZero() {
		out["finished_at"] = formatTime(t.finished)
	}
	if t.fileID != 0 {
		out["file_id"], out["userfile_exists"] = t.fileID, true
	}
	if t.errorMessage != "" {
		out["error_message"] = t.errorMessage
	}
	if t.callback != "" {
		out["callback_url"] = t.callback
	}
	if strings.HasPrefix(t.source, "magnet:") {
		out["magneturi"] = t.source
	}
	return out
}

func statusMessage(status string, t *transfer) string {
	switch status {
	case StatusCompleted:
		return "Completed"
	case StatusError:
		return t.errorMessage
	case StatusDownloading:
		return "Downloading"
	}
	return "Waiting"
}

func (e *Emulator) transfersJSON(list []*transfer) []obj {
	out := make([]obj, len(list))
	for i, t := range list {
		out[i] = e.transferJSON(t)
	}
	return out
}

// transferPage renders up to cur.PerPage transfers after cur.After, with
// the cursor of the next page (null at the end).
func (e *Emulator) transferPage(a *account, cur cursor) obj {
	all := e.transfers.of(a)
	var page []*transfer
	more := false
	for _, t := range all {
		if t.id <= cur.After {
			continue
		}
		if int64(len(page)) == cur.PerPage {
			more = true
			break
		}
		page = append(page, t)
	}
	reply := obj{"transfers": e.transfersJSON(page), "cursor": nil, "total": len(all)}
	if more {
		next := cur
		next.After = page[len(page)-1].id
		reply["cursor"] = e.encodeCursor(next)
	}
	return reply
}

// listTransfers serves GET /v2/transfers/list.
func (e *Emulator) listTransfers(c *call) {
	c.locked(func(v url.Values) (obj, error) {
		n, err := e.perPage(v, defaultPerPage)
		if err != nil {
			return nil, err
		}
		return e.transferPage(c.acct, cursor{Kind: "transfers", User: c.acct.userID, PerPage: n}), nil
	})
}

// continueTransfers serves POST /v2/transfers/list/continue.
func (e *Emulator) continueTransfers(c *call) {
	c.locked(func(v url.Values) (obj, error) {
		cur, err := e.continuation(v, "transfers", c.acct)
		if err != nil {
			return nil, err
		}
		return e.transferPage(c.acct, cur), nil
	})
}

// countTransfers serves GET /v2/transfers/count.
func (e *Emulator) countTransfers(c *call) {
	c.locked(func(url.Values) (obj, error) {
		return obj{"count": len(e.transfers.of(c.acct))}, nil
	})
}

// getTransfer serves GET /v2/transfers/{id}.
func (e *Emulator) getTransfer(c *call) {
	c.locked(func(url.Values) (obj, error) {
		id, err := intParam(url.Values{"id": {c.r.PathValue("id")}}, "id", 0)
		if err != nil {
			return nil, err
		}
		t, err := e.transfers.lookup(c.acct, id)
		if err != nil {
			return nil, err
		}
		return obj{"transfer": e.transferJSON(t)}, nil
	})
}

// addTransfer serves POST /v2/transfers/add.
func (e *Emulator) addTransfer(c *call) {
	c.locked(func(v url.Values) (obj, error) {
		parentID, err := intParam(v, "save_parent_id", 0)
		if err != nil {
			return nil, err
		}
		t, err := e.addOne(c.acct, e.fromThisMachine(c.r), v.Get("url"), parentID, v.Get("callback_url"))
		if err != nil {
			return nil, err
		}
		return obj{"transfer": t}, nil
	})
}

// addOne adds a transfer and renders it as added ; then it starts.
func (e *Emulator) addOne(a *account, local bool, source string, parentID int64, callback string) (obj, error) {
	t, err := e.newTransfer(a, local, source, parentID, callback)
	if err != nil {
		return nil, err
	}
	added := e.transferJSON(t)
	e.begin(t)
	return added, nil
}

// addMultiple serves POST /v2/transfers/add-multi: urls is a JSON array
// of {url, save_parent_id, callback_url}; failures go in errors[].
func (e *Emulator) addMultiple(c *call) {
	c.locked(func(v url.Values) (obj, error) {
		var items []struct {
			URL          string `json:"url"`
			SaveParentID int64  `json:"save_parent_id"`
			CallbackURL  string `json:"callback_url"`
		}
		if err := json.Unmarshal([]byte(v.Get("urls")), &items); err != nil {
			return nil, errBadRequest("BadRequest", "urls must be a JSON array of {url, save_parent_id, callback_url}")
		}
		added, failures := []obj{}, []obj{}
		for _, item := range items {
			t, err := e.addOne(c.acct, e.fromThisMachine(c.r), item.URL, item.SaveParentID, item.CallbackURL)
			var ae *apiError
			if errors.As(err, &ae) {
				failures = append(failures, obj{"url": item.URL, "error_type": ae.errorType, "status_code": ae.status})
				continue
			}
			added = append(added, t)
		}
		return obj{"transfers": added, "errors": failures}, nil
	})
}

// transferInfo serves POST /v2/transfers/info: what adding urls (one a
// line) would give, without adding them.
func (e *Emulator) transferInfo(c *call) {
	c.locked(func(v url.Values) (obj, error) {
		ret := []obj{}
		for _, line := range strings.Split(v.Get("urls"), "\n") {
			if line = strings.TrimSpace(line); line == "" {
				continue
			}
			kind, name, _, err := parseTransferURL(line)
			item := obj{"url": line, "name": name, "type_name": kind, "file_size": 0, "human_size": "0 B"}
			if ae, ok := err.(*apiError); ok {
				item["error"] = ae.errorType
			}
			ret = append(ret, item)
		}
		return obj{"ret": ret, "disk_avail": c.acct.avail(e.opts.Quota)}, nil
	})
}

// selected reads transfer_ids and looks every one up; one unknown id
// fails the whole call, changing nothing, unless skipMissing.
func (e *Emulator) selected(a *account, v url.Values, skipMissing bool) ([]*transfer, error) {
	ids, err := idsParam(v, "transfer_ids")
	if err != nil {
		return nil, err
	}
	var out []*transfer
	for _, id := range ids {
		t, err := e.transfers.lookup(a, id)
		switch {
		case err != nil && skipMissing:
		case err != nil:
			return nil, err
		default:
			out = append(out, t)
		}
	}
	return out, nil
}

// drop removes transfers from the list, stopping their fetches; files
// they made stay.
func (e *Emulator) drop(list []*transfer) []int64 {
	ids := []int64{}
	for _, t := range list {
		if t.cancel != nil {
			t.cancel()
		}
		delete(e.transfers.byID, t.id)
		ids = append(ids, t.id)
	}
	return ids
}

// cancelTransfers serves POST /v2/transfers/cancel: ids with no transfer
// are ignored, or with Options.CancelMissingTransferNotFound refused.
func (e *Emulator) cancelTransfers(c *call) {
	c.locked(func(v url.Values) (obj, error) {
		list, err := e.selected(c.acct, v, !e.opts.CancelMissingTransferNotFound)
		if err != nil {
			return nil, err
		}
		e.drop(list)
		return nil, nil
	})
}

// retryTransfer serves POST /v2/transfers/retry: a failed transfer starts
// over; one still under way is answered as it is, as put.io's SDK live
// suite finds for a fresh transfer. A completed one is refused.
func (e *Emulator) retryTransfer(c *call) {
	c.locked(func(v url.Values) (obj, error) {
		id, err := requiredInt(v, "id")
		if err != nil {
			return nil, err
		}
		t, err := e.transfers.lookup(c.acct, id)
		if err != nil {
			return nil, err
		}
		switch t.status {
		case StatusCompleted:
			return nil, errBadRequest("TRANSFER_INVALID", "transfer "+itoa(id)+" has completed; only a failed or unfinished transfer can be retried")
		case StatusError:
			t.status, t.errorMessage, t.finished, t.created = "", "", time.Time{}, e.opts.Now()
			e.begin(t)
		}
		return obj{"transfer": e.transferJSON(t)}, nil
	})
}

// finishedTransfers are the completed transfers among list.
func finishedTransfers(list []*transfer) []*transfer {
	var out []*transfer
	for _, t := range list {
		if t.finishedOK() {
			out = append(out, t)
		}
	}
	return out
}

// cleanTransfers serves POST /v2/transfers/clean: completed transfers
// (all, or those of transfer_ids) leave the list; failed ones stay.
func (e *Emulator) cleanTransfers(c *call) {
	c.locked(func(v url.Values) (obj, error) {
		list := e.transfers.of(c.acct)
		if v.Get("transfer_ids") != "" {
			var err error
			if list, err = e.selected(c.acct, v, false); err != nil {
				return nil, err
			}
		}
		return obj{"deleted_ids": e.drop(finishedTransfers(list))}, nil
	})
}

// removeTransfers serves POST /v2/transfers/remove: transfer_ids, or
// filter=all|completed.
func (e *Emulator) removeTransfers(c *call) {
	c.locked(func(v url.Values) (obj, error) {
		var list []*transfer
		var err error
		switch filter := v.Get("filter"); {
		case v.Get("transfer_ids") != "":
			list, err = e.selected(c.acct, v, false)
		case filter == "all":
			list = e.transfers.of(c.acct)
		case filter == "completed":
			list = finishedTransfers(e.transfers.of(c.acct))
		default:
			err = errBadRequest("BadRequest", "give transfer_ids or filter=all|completed")
		}
		if err != nil {
			return nil, err
		}
		return obj{"deleted_ids": e.drop(list)}, nil
	})
}
