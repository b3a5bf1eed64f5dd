package putiotest

import (
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"
)

// LogEntry is one request as the emulator saw it.
type LogEntry struct {
	Time     time.Time     `json:"time"`     // arrival
	Duration time.Duration `json:"duration"` // until the handler returned
	Route    string        `json:"route"`    // route name, or "unknown"
	Method   string        `json:"method"`
	Path     string        `json:"path"`   // path and query, credentials in both redacted
	Status   int           `json:"status"` // StatusCut if the connection was cut
	// TokenFingerprint names the request's token (TokenFingerprint): the
	// log may be read by whoever can reach the admin API.
	TokenFingerprint string `json:"token_fingerprint"`
}

// StatusCut is the logged status of a request whose connection was cut
// (by a Cut fault) before a complete reply.
const StatusCut = 0

// maxLogEntries bounds the request log; the oldest half goes when full.
const maxLogEntries = 100_000

// counterSet counts requests and upload bytes and keeps the request log.
// Its lock is its own, never held with another.
type counterSet struct {
	mu       sync.Mutex // guards the fields below
	calls    map[string]int
	log      []LogEntry
	received map[*account]int64 // upload body bytes received, per account
}

// count counts a request to a route as it arrives, so that a client that
// has its reply (a download's last byte may reach it before the handler
// returns) always finds it counted.
func (s *counterSet) count(route string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.calls == nil {
		s.calls = map[string]int{}
	}
	s.calls[route]++
}

// addToLog adds a finished request to the log.
func (s *counterSet) addToLog(entry LogEntry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.log) >= maxLogEntries {
		s.log = slices.Delete(s.log, 0, maxLogEntries/2)
	}
	s.log = append(s.log, entry)
}

// addReceived counts n upload body bytes (PATCH or creation POST) that
// reached the account, whether the server then kept them or not.
func (s *counterSet) addReceived(a *account, n int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.received == nil {
		s.received = map[*account]int64{}
	}
	s.received[a] += n
}

func (s *counterSet) callsTo(route string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[route]
}

func (s *counterSet) allCalls() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.calls)
}

func (s *counterSet) requestLog() []LogEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.log)
}

func (s *counterSet) receivedBy() map[*account]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.received)
}

func (s *counterSet) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls, s.log, s.received = nil, nil, nil
}

// UploadBytes is the number of upload body bytes (tus PATCH and
// creation-with-upload POST) received from every account since the start
// or the last ResetCounters, counting bytes of interrupted or dropped
// requests too: what clients sent, not what was stored.
func (e *Emulator) UploadBytes() int64 {
	var total int64
	for _, n := range e.counters.receivedBy() {
		total += n
	}
	return total
}

// UploadBytes is UploadBytes of this account alone.
func (acc *Account) UploadBytes() int64 {
	return acc.emu.counters.receivedBy()[acc.account]
}

// uploadBytesByToken is UploadBytes per token, keyed by the token's
// fingerprint, for the admin API.
func (e *Emulator) uploadBytesByToken() map[string]int64 {
	received := e.counters.receivedBy()
	e.mu.Lock()
	defer e.mu.Unlock()
	out := map[string]int64{}
	for token, g := range e.tokens {
		if n := received[g.acct]; n > 0 {
			out[TokenFingerprint(token)] = n
		}
	}
	return out
}

// Calls is the number of requests to a route (by route name, e.g.
// "GET /v2/files/{id}/child", or "unknown") since the start or the last
// ResetCounters. It panics on a name that is no route, as a misspelt one
// would otherwise count zero and pass a test that expects none.
func (e *Emulator) Calls(routeName string) int {
	if !e.isRoute(routeName) {
		panic(fmt.Sprintf("putiotest: Calls(%q): no such route; use one of: %s", routeName, e.routeNames()))
	}
	return e.counters.callsTo(routeName)
}

// AllCalls returns every route's counter.
func (e *Emulator) AllCalls() map[string]int { return e.counters.allCalls() }

// TotalCalls is the number of requests to all routes.
func (e *Emulator) TotalCalls() int {
	total := 0
	for _, n := range e.AllCalls() {
		total += n
	}
	return total
}

// Log returns the request log, oldest first. A request is logged when its
// handler returns, which for a download can be just after the client has
// the last byte; Calls counts requests as they arrive.
func (e *Emulator) Log() []LogEntry { return e.counters.requestLog() }

// ResetCounters zeroes the call and byte counters and empties the
// request log.
func (e *Emulator) ResetCounters() { e.counters.reset() }
