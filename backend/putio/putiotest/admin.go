package putiotest

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
)

// adminPrefix is the root of the admin API. It sits outside /v2 and is
// neither counted, logged, rate limited nor subject to faults.
const adminPrefix = "/_emulator/"

// serveAdmin serves the admin API:
//
//	GET    /_emulator/calls   {"calls": {route: n}, "total": n}
//	GET    /_emulator/log     {"log": [LogEntry...]}
//	POST   /_emulator/reset   zero counters and log
//	POST   /_emulator/faults  body: a Fault or an array of Faults
//	DELETE /_emulator/faults  remove all faults
//	POST   /_emulator/tokens  body or query: token=..., scope=default|app, owner=<token>
//	                          (registers it, on owner's account if given)
//	POST   /_emulator/feeds/drop  cut every real-time feed connection
func (e *Emulator) serveAdmin(w http.ResponseWriter, r *http.Request) {
	switch r.Method + " " + strings.TrimPrefix(r.URL.Path, adminPrefix) {
	case "GET calls":
		writeJSON(w, http.StatusOK, obj{"status": "OK", "calls": e.AllCalls(), "total": e.TotalCalls()})
	case "GET log":
		writeJSON(w, http.StatusOK, obj{"status": "OK", "log": e.Log()})
	case "POST reset":
		e.ResetCounters()
		writeJSON(w, http.StatusOK, obj{"status": "OK"})
	case "POST faults":
		e.adminInject(w, r)
	case "DELETE faults":
		e.ClearFaults()
		writeJSON(w, http.StatusOK, obj{"status": "OK"})
	case "POST tokens":
		e.adminToken(w, r)
	case "POST feeds/drop":
		e.DropFeeds()
		writeJSON(w, http.StatusOK, obj{"status": "OK"})
	default:
		writeJSON(w, http.StatusNotFound, errorBody(http.StatusNotFound, "NotFound", "no such admin route; see the putiotest package documentation"))
	}
}

func (e *Emulator) adminInject(w http.ResponseWriter, r *http.Request) {
	faults, err := decodeFaults(r.Body)
	if err == nil {
		for _, f := range faults {
			if err = e.checkFault(f); err != nil {
				break
			}
		}
	}
	if err != nil {
		writeJSON(w, http.StatusBadRequest, errorBody(http.StatusBadRequest, "BadRequest", "fault: "+err.Error()))
		return
	}
	for _, f := range faults {
		_ = e.Inject(f) // validated above
	}
	writeJSON(w, http.StatusOK, obj{"status": "OK", "injected": len(faults)})
}

// decodeFaults reads one Fault or an array of them.
func decodeFaults(body io.Reader) ([]Fault, error) {
	data, err := io.ReadAll(io.LimitReader(body, maxParamBody))
	if err != nil {
		return nil, err
	}
	var faults []Fault
	if err := json.Unmarshal(data, &faults); err == nil {
		return faults, nil
	}
	var f Fault
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, err
	}
	return []Fault{f}, nil
}

func (e *Emulator) adminToken(w http.ResponseWriter, r *http.Request) {
	values, err := parseParams(r)
	token := values.Get("token")
	if err != nil || token == "" {
		writeJSON(w, http.StatusBadRequest, errorBody(http.StatusBadRequest, "BadRequest", "give token=... (and optionally scope=default|app, owner=<token of the account to join>) as query, form or JSON"))
		return
	}
	scope := Scope(values.Get("scope"))
	if scope == "" {
		scope = ScopeFull
	}
	owner := values.Get("owner")
	if owner == "" {
		owner = token
	}
	if err := e.Account(owner).AddToken(token, scope); err != nil {
		writeJSON(w, http.StatusBadRequest, errorBody(http.StatusBadRequest, "BadRequest", err.Error()))
		return
	}
	writeJSON(w, http.StatusOK, obj{"status": "OK"})
}
