package putiotest

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/websocket"
)

// The real-time feed: put.io's raw websocket endpoint. A client sends its
// token as the first message, then receives {"type", "value"} messages for
// its account's changes. Nothing is replayed.
const (
	feedPath = "/socket/sockjs/websocket"

	feedFileCreate = "file_create"
	feedFileUpdate = "file_update"
	feedFileMove   = "file_move"
	feedFileDelete = "file_delete"

	closeUnauthorized = 4001 // put.io's code for a bad token
	closeGoingAway    = 1001 // the emulator shuts down
	closeTooSlow      = 1008 // the client let its queue overflow

	defaultFeedHeartbeat = 10 * time.Second
	feedQueue            = 1024             // events a connection may fall behind by
	feedTokenWait        = 30 * time.Second // for the first message
	feedWriteWait        = 10 * time.Second // for one message to a client that stopped reading
	dropNow              = 0                // close code meaning "cut the TCP connection"
	stallNow             = -1               // close code meaning "fall silent"
)

// feedEvent is one change: what happened to which item. The value is
// rendered when it is sent, after the change is complete.
type feedEvent struct {
	kind string
	n    *node
}

// feedHub holds the open feed connections. Its lock is taken after
// Emulator.mu (changes are published under it) and is held only to reach
// the connections' queues, which never block.
type feedHub struct {
	mu     sync.Mutex // guards conns and closed
	conns  map[*feedConn]struct{}
	closed bool

	open sync.WaitGroup // one per connection, so Close can wait for them
}

// feedConn is one client's connection.
type feedConn struct {
	token    string
	acct     *account
	events   chan feedEvent
	kick     chan int // a close code, dropNow or stallNow
	stalled  atomic.Bool
	released chan struct{} // closed when the sender is done
}

// changed publishes a change of n to the feed connections of its account.
// It is the one hook every mutation goes through; call it with e.mu held,
// once the item is where the change put it (newNode calls it for every
// item created, whoever creates it).
func (e *Emulator) changed(n *node, kind string) {
	e.feeds.publish(feedEvent{kind, n})
}

// publish queues ev on the connections of its item's account; one that
// has fallen feedQueue events behind is closed instead.
func (h *feedHub) publish(ev feedEvent) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.conns {
		if c.acct != ev.n.acct {
			continue
		}
		select {
		case c.events <- ev:
		default:
			c.close(closeTooSlow)
		}
	}
}

// close asks the connection to end with code, once.
func (c *feedConn) close(code int) {
	select {
	case c.kick <- code:
	default:
	}
}

func (h *feedHub) add(c *feedConn) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	if h.conns == nil {
		h.conns = map[*feedConn]struct{}{}
	}
	h.conns[c] = struct{}{}
	h.open.Add(1)
	return true
}

func (h *feedHub) remove(c *feedConn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.conns, c)
	h.open.Done()
}

// each calls fn on every connection, or on those of token if it is set.
func (h *feedHub) each(token string, fn func(*feedConn)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.conns {
		if token == "" || c.token == token {
			fn(c)
		}
	}
}

// shutdown ends every connection and waits for them to be gone.
func (h *feedHub) shutdown() {
	h.mu.Lock()
	h.closed = true
	h.mu.Unlock()
	h.each("", func(c *feedConn) { c.close(closeGoingAway) })
	h.open.Wait()
}

// FeedURL is the websocket URL of the real-time feed, for the backend's
// feed_url.
func (s *Server) FeedURL() string { return feedURL(s.URL) }

// FeedConnections is the number of open feed connections.
func (e *Emulator) FeedConnections() int {
	n := 0
	e.feeds.each("", func(*feedConn) { n++ })
	return n
}

// DropFeeds cuts every feed connection without a close frame, as a
// network failure would.
func (e *Emulator) DropFeeds() {
	e.feeds.each("", func(c *feedConn) { c.close(dropNow) })
}

// StallFeeds makes every feed connection fall silent, as a half-open
// connection does: no events, no heartbeats, no answer to pings, until
// DropFeeds or Close ends it.
func (e *Emulator) StallFeeds() {
	e.feeds.each("", func(c *feedConn) {
		// Silent from now on, not from when the sender reads its kick; and
		// one stall kick at most, so a later close code always has room.
		if c.stalled.CompareAndSwap(false, true) {
			c.close(stallNow)
		}
	})
}

// RevokeToken withdraws a token, as logging out of an app does: API calls
// with it get 401 and its feed connections close with code 4001. Its
// account stays, unreachable.
func (e *Emulator) RevokeToken(token string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.revokeLocked(func(t string, _ *grant) bool { return t == token })
	e.revoked[token] = true // also when it was never used
}

// feedAccount is the account a feed token opens, or nil if it is refused
// (with the same rules as the API).
func (e *Emulator) feedAccount(token string) *account {
	e.mu.Lock()
	defer e.mu.Unlock()
	if g, known := e.tokens[token]; known {
		return g.acct
	}
	if token == "" || e.opts.Strict || e.revoked[token] {
		return nil
	}
	return e.grantLocked(token, ScopeFull, nil, "").acct
}

// serveFeed serves GET /socket/sockjs/websocket. Any Origin is accepted:
// the emulator has no browser clients to protect.
func (e *Emulator) serveFeed(c *call) {
	if rec, ok := c.w.(*recorder); ok {
		rec.status = http.StatusSwitchingProtocols // for the log; the reply goes out hijacked
	}
	websocket.Server{Handler: e.feedSession}.ServeHTTP(hijacker{c.w}, c.r)
}

// hijacker reaches the connection through the recorder's Unwrap, which
// x/net/websocket's own type assertion would miss.
type hijacker struct{ http.ResponseWriter }

func (h hijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(h.ResponseWriter).Hijack()
}

// feedSession runs one connection: the token first, then events and
// heartbeats until either side ends it.
func (e *Emulator) feedSession(ws *websocket.Conn) {
	var token string
	_ = ws.SetReadDeadline(time.Now().Add(feedTokenWait))
	if err := websocket.Message.Receive(ws, &token); err != nil {
		return
	}
	_ = ws.SetReadDeadline(time.Time{})
	token = strings.TrimSpace(token)
	acct := e.feedAccount(token)
	if acct == nil {
		closeFeed(ws, closeUnauthorized, "unauthorized")
		return
	}
	c := &feedConn{token: token, acct: acct, events: make(chan feedEvent, feedQueue), kick: make(chan int, 2),
		released: make(chan struct{})}
	if !e.feeds.add(c) {
		closeFeed(ws, closeGoingAway, "shutting down")
		return
	}
	defer e.feeds.remove(c)
	clientGone := make(chan struct{})
	go func() {
		defer close(clientGone)
		discardMessages(ws, c) // x/net/websocket answers pings while reading
	}()
	e.sendFeed(ws, c, clientGone)
	close(c.released)
	<-clientGone
}

// discardMessages reads until the connection ends; clients have nothing
// to say after the token. A stalled connection stops reading, so pings go
// unanswered, until the sender is done.
func discardMessages(ws *websocket.Conn, c *feedConn) {
	var ignored []byte
	for websocket.Message.Receive(ws, &ignored) == nil {
	}
	if c.stalled.Load() {
		<-c.released
	}
}

// sendFeed writes events and heartbeats until the client goes or the
// connection is told to close; it always leaves the connection closed.
func (e *Emulator) sendFeed(ws *websocket.Conn, c *feedConn, clientGone <-chan struct{}) {
	var heartbeat <-chan time.Time
	if e.opts.FeedHeartbeat >= 0 {
		interval := e.opts.FeedHeartbeat
		if interval == 0 {
			interval = defaultFeedHeartbeat
		}
		t := time.NewTicker(interval)
		defer t.Stop()
		heartbeat = t.C
	}
	for {
		var err error
		select {
		case ev := <-c.events:
			if !c.stalled.Load() {
				_ = ws.SetWriteDeadline(time.Now().Add(feedWriteWait))
				err = websocket.Message.Send(ws, string(e.renderEvent(ev)))
			}
		case <-heartbeat:
			if !c.stalled.Load() {
				err = e.heartbeat(ws)
			}
		case code := <-c.kick:
			if code == stallNow {
				_ = ws.SetReadDeadline(time.Now()) // stop the reader, and so the pongs
				continue
			}
			closeFeed(ws, code, "")
			return
		case <-clientGone:
			_ = ws.Close()
			return
		}
		if err != nil {
			_ = ws.Close()
			return
		}
	}
}

// heartbeat sends one heartbeat, a ping or with Options.FeedTextHeartbeat
// the text "h".
func (e *Emulator) heartbeat(ws *websocket.Conn) error {
	_ = ws.SetWriteDeadline(time.Now().Add(feedWriteWait))
	if e.opts.FeedTextHeartbeat {
		return websocket.Message.Send(ws, "h")
	}
	return writeFrame(ws, websocket.PingFrame, nil)
}

// renderEvent is the message for ev: the item's id, or with
// Options.FeedFileObjects its whole File object.
func (e *Emulator) renderEvent(ev feedEvent) []byte {
	value := obj{"id": ev.n.id}
	if e.opts.FeedFileObjects {
		e.mu.Lock()
		value = fileJSON(ev.n)
		e.mu.Unlock()
	}
	data, _ := json.Marshal(obj{"type": ev.kind, "value": value})
	return data
}

// writeFrame sends one frame of the given opcode.
func writeFrame(ws *websocket.Conn, opcode byte, payload []byte) error {
	ws.PayloadType = opcode
	defer func() { ws.PayloadType = websocket.TextFrame }()
	_, err := ws.Write(payload)
	return err
}

// closeFeed ends a connection with a close frame carrying code, or with
// none for dropNow. The deadline stops x/net's Close from sending a second
// close frame of its own.
func closeFeed(ws *websocket.Conn, code int, reason string) {
	if code != dropNow {
		_ = ws.SetWriteDeadline(time.Now().Add(feedWriteWait))
		payload := binary.BigEndian.AppendUint16(nil, uint16(code))
		_ = writeFrame(ws, websocket.CloseFrame, append(payload, reason...))
	}
	_ = ws.SetWriteDeadline(time.Now().Add(-time.Second))
	_ = ws.Close()
}
