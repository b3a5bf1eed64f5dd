package putiotest

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// event is one entry of an account's history (events/list): uploads and
// finished or failed transfers, never moves, renames or deletes.
type event struct {
	id      int64
	kind    string // "upload", "transfer_completed", "transfer_error", ...
	created time.Time
	fields  obj // the fields of its kind, e.g. file_id, file_name, file_size
}

// eventTimeLayout is events/list's timestamp: a space, not a T.
const eventTimeLayout = "2006-01-02 15:04:05"

// maxEvents bounds an account's history; the oldest go first.
const maxEvents = 10_000

// recordEventLocked adds an event to a's history. Call with e.mu held.
func (e *Emulator) recordEventLocked(a *account, kind string, fields obj) {
	ev := event{id: e.nextEvent, kind: kind, created: e.now(), fields: fields}
	e.nextEvent++
	if len(a.events) >= maxEvents {
		a.events = a.events[1:]
	}
	a.events = append(a.events, ev)
}

// recordUploadLocked logs the upload of file n.
func (e *Emulator) recordUploadLocked(n *node) {
	e.recordEventLocked(n.acct, "upload", obj{"file_id": n.id, "file_name": n.name, "file_size": n.size})
}

// recordTransferLocked logs a transfer that completed or failed, with the
// fields of the TS SDK's transfer_completed and transfer_error events.
func (e *Emulator) recordTransferLocked(t *transfer) {
	fields := obj{"source": t.source, "transfer_name": t.name}
	kind := "transfer_error"
	if t.status == StatusCompleted {
		kind = "transfer_completed"
		fields["file_id"], fields["transfer_size"] = t.fileID, t.size
	}
	e.recordEventLocked(t.acct, kind, fields)
}

func (ev event) json(a *account) obj {
	out := obj{"id": ev.id, "type": ev.kind, "user_id": a.userID, "created_at": ev.created.UTC().Format(eventTimeLayout)}
	for k, v := range ev.fields {
		out[k] = v
	}
	return out
}

// listEvents serves GET /v2/events/list: newest first, before=<event id>
// pages back, has_more says whether older events remain.
func (e *Emulator) listEvents(c *call) {
	c.locked(func(v url.Values) (obj, error) {
		n, err := e.eventsPerPage(v)
		if err != nil {
			return nil, err
		}
		before, err := intParam(v, "before", 0)
		if err != nil || before < 0 {
			return nil, errBadRequest("BadRequest", "before must be an event id")
		}
		events := []obj{}
		more := false
		for i := len(c.acct.events) - 1; i >= 0; i-- {
			ev := c.acct.events[i]
			if before > 0 && ev.id >= before {
				continue
			}
			if int64(len(events)) == n {
				more = true
				break
			}
			events = append(events, ev.json(c.acct))
		}
		return obj{"events": events, "has_more": more}, nil
	})
}

// eventsPerPage reads per_page: a positive number (default 100, at most
// 1000, see pageAtMost); anything else is INVALID_PER_PAGE, as on put.io
// for 0.
func (e *Emulator) eventsPerPage(v url.Values) (int64, error) {
	s := strings.TrimSpace(v.Get("per_page"))
	if s == "" {
		return defaultPerPage, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, errBadRequest("INVALID_PER_PAGE", "per_page must be a positive number, got "+strconv.Quote(s))
	}
	return e.pageAtMost(n)
}

// clearEvents serves POST /v2/events/delete: the whole history goes.
func (e *Emulator) clearEvents(c *call) {
	c.locked(func(url.Values) (obj, error) {
		c.acct.events = nil
		return nil, nil
	})
}

// deleteEvent serves POST /v2/events/delete/{id}. An id with no event
// answers OK too: put.io's SDK live suite finds deleting a missing event
// harmless, so a repeated delete is idempotent.
func (e *Emulator) deleteEvent(c *call) {
	id, ok := c.idVar()
	if !ok {
		return
	}
	c.locked(func(url.Values) (obj, error) {
		c.acct.events = slices.DeleteFunc(c.acct.events, func(ev event) bool { return ev.id == id })
		return nil, nil
	})
}

// eventTorrent serves GET /v2/events/{id}/torrent, the .torrent file of
// an event. The emulator keeps no .torrent files, so it answers 404 for
// every id, as put.io's SDK live suite finds for a missing event and for
// one that is not an upload.
func (e *Emulator) eventTorrent(c *call) {
	id, ok := c.idVar()
	if !ok {
		return
	}
	c.locked(func(url.Values) (obj, error) {
		if !slices.ContainsFunc(c.acct.events, func(ev event) bool { return ev.id == id }) {
			return nil, errNotFound("event " + itoa(id))
		}
		return nil, errNotFound("a torrent file of event " + itoa(id))
	})
}
