package putiotest_test

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"io"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/websocket"
)

// feedClient is a raw feed connection: x/net/websocket for the handshake
// and the token, then frames read off the wire, so tests see close codes
// and pings that x/net hides.
type feedClient struct {
	t    testing.TB
	conn net.Conn
	r    *bufio.Reader
}

func dialFeed(t testing.TB, srv *putiotest.Server, token string) *feedClient {
	t.Helper()
	u, err := url.Parse(srv.FeedURL())
	require.NoError(t, err)
	conn, err := net.Dial("tcp", u.Host)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	config, err := websocket.NewConfig(srv.FeedURL(), "http://localhost/")
	require.NoError(t, err)
	ws, err := websocket.NewClient(config, conn)
	require.NoError(t, err)
	require.NoError(t, websocket.Message.Send(ws, token))
	return &feedClient{t: t, conn: conn, r: bufio.NewReader(conn)}
}

// frame reads one server frame (never masked, payload < 64 KiB here).
func (c *feedClient) frame() (opcode byte, payload []byte, err error) {
	_ = c.conn.SetReadDeadline(time.Now().Add(hangGuard)) // only so that a hang fails
	var head [2]byte
	if _, err = io.ReadFull(c.r, head[:]); err != nil {
		return 0, nil, err
	}
	length := int(head[1] & 0x7f)
	if length == 126 {
		var ext [2]byte
		if _, err = io.ReadFull(c.r, ext[:]); err != nil {
			return 0, nil, err
		}
		length = int(binary.BigEndian.Uint16(ext[:]))
	}
	payload = make([]byte, length)
	_, err = io.ReadFull(c.r, payload)
	return head[0] & 0x0f, payload, err
}

type feedMessage struct {
	Type  string         `json:"type"`
	Value map[string]any `json:"value"`
}

// next returns the next message, skipping pings.
func (c *feedClient) next() feedMessage {
	c.t.Helper()
	for {
		opcode, payload, err := c.frame()
		require.NoError(c.t, err)
		if opcode == websocket.PingFrame {
			continue
		}
		require.Equal(c.t, byte(websocket.TextFrame), opcode, "payload %q", payload)
		var msg feedMessage
		require.NoError(c.t, json.Unmarshal(payload, &msg))
		return msg
	}
}

// closeCode reads until the close frame and returns its code.
func (c *feedClient) closeCode() int {
	c.t.Helper()
	for {
		opcode, payload, err := c.frame()
		require.NoError(c.t, err)
		if opcode == websocket.CloseFrame {
			require.GreaterOrEqual(c.t, len(payload), 2)
			return int(binary.BigEndian.Uint16(payload))
		}
	}
}

// waitConnections waits until the emulator holds n feed connections.
func waitConnections(t testing.TB, srv *putiotest.Server, n int) {
	t.Helper()
	require.Eventually(t, func() bool { return srv.FeedConnections() == n }, hangGuard, 5*time.Millisecond)
}

type event struct {
	kind string
	id   int64
}

func (c *feedClient) expect(t *testing.T, want ...event) {
	t.Helper()
	for _, w := range want {
		msg := c.next()
		assert.Equal(t, w, event{msg.Type, num(msg.Value, "id")})
	}
}

// Every change through the API, the Go Account and tus reaches the feed,
// by id, in order.
func TestFeedAnnouncesEveryChange(t *testing.T) {
	srv, api := newAPI(t)
	feed := dialFeed(t, srv, srv.Token)
	waitConnections(t, srv, 1)
	acct := srv.Account(srv.Token)

	dir := api.mkdir(0, "dir")
	feed.expect(t, event{"file_create", dir})
	file, err := acct.Put("dir/a.txt", []byte("hello"), time.Time{})
	require.NoError(t, err)
	feed.expect(t, event{"file_create", file.ID})
	sub, err := acct.Mkdir("dir/sub")
	require.NoError(t, err)
	feed.expect(t, event{"file_create", sub.ID})
	uploaded := api.upload(dir, "b.txt", []byte("bytes"), nil)
	feed.expect(t, event{"file_create", uploaded})

	mustStatus(t, api.post("/v2/files/rename", url.Values{"file_id": {itoa(file.ID)}, "name": {"c.txt"}}), 200)
	feed.expect(t, event{"file_update", file.ID})
	mustStatus(t, api.post("/v2/files/move", url.Values{"file_id": {itoa(file.ID)}, "parent_id": {itoa(sub.ID)}}), 200)
	feed.expect(t, event{"file_move", file.ID})
	mustStatus(t, api.post("/v2/files/touch", url.Values{"file_id": {itoa(file.ID)}, "updated_at": {"2024-05-01T12:00:00Z"}}), 200)
	feed.expect(t, event{"file_update", file.ID})
	copied := api.post("/v2/files/copy", url.Values{"file_id": {itoa(uploaded)}, "parent_id": {"0"}})
	mustStatus(t, copied, 200)
	feed.expect(t, event{"file_create", num(copied.file(), "id")})
	mustStatus(t, api.post("/v2/files/delete", url.Values{"file_ids": {itoa(uploaded)}}), 200)
	feed.expect(t, event{"file_delete", uploaded})
	mustStatus(t, api.post("/v2/trash/restore", url.Values{"file_ids": {itoa(uploaded)}}), 200)
	feed.expect(t, event{"file_create", uploaded})
	mustStatus(t, api.post("/v2/files/delete", url.Values{"file_ids": {itoa(dir)}, "skip_trash": {"1"}}), 200)
	feed.expect(t, event{"file_delete", dir})
}

// Events go only to the account they belong to.
func TestFeedIsPerAccount(t *testing.T) {
	srv, api := newAPI(t)
	other := dialFeed(t, srv, "someone-else")
	mine := dialFeed(t, srv, srv.Token)
	waitConnections(t, srv, 2)
	theirs, err := srv.Account("someone-else").Put("theirs.txt", nil, time.Time{})
	require.NoError(t, err)
	dir := api.mkdir(0, "mine")
	mine.expect(t, event{"file_create", dir})
	other.expect(t, event{"file_create", theirs.ID})
}

func TestFeedFileObjects(t *testing.T) {
	srv, api := newAPI(t, putiotest.Options{FeedFileObjects: true})
	feed := dialFeed(t, srv, srv.Token)
	waitConnections(t, srv, 1)
	id := api.upload(0, "movie.mkv", []byte("frames"), nil)
	msg := feed.next()
	assert.Equal(t, "file_create", msg.Type)
	assert.Equal(t, "movie.mkv", msg.Value["name"])
	assert.EqualValues(t, 0, msg.Value["parent_id"])
	assert.EqualValues(t, id, msg.Value["id"])
	assert.EqualValues(t, 6, msg.Value["size"], "rendered once the upload is complete")
}

// A token the API would refuse is refused with close code 4001.
func TestFeedUnauthorized(t *testing.T) {
	srv := putiotest.NewServer(t, putiotest.Options{Strict: true})
	for _, token := range []string{"never-issued", ""} {
		assert.Equal(t, 4001, dialFeed(t, srv, token).closeCode(), "token %q", token)
	}
	assert.Equal(t, 0, srv.FeedConnections())
}

func TestFeedRevokedToken(t *testing.T) {
	srv, api := newAPI(t)
	feed := dialFeed(t, srv, srv.Token)
	waitConnections(t, srv, 1)
	srv.RevokeToken(srv.Token)
	assert.Equal(t, 4001, feed.closeCode())
	mustError(t, api.get("/v2/account/info", nil), 401, "invalid_grant")
	assert.Equal(t, 4001, dialFeed(t, srv, srv.Token).closeCode(), "and stays refused")
	waitConnections(t, srv, 0)
}

func TestFeedHeartbeat(t *testing.T) {
	srv := putiotest.NewServer(t, putiotest.Options{FeedHeartbeat: 10 * time.Millisecond})
	feed := dialFeed(t, srv, srv.Token)
	opcode, _, err := feed.frame()
	require.NoError(t, err)
	assert.Equal(t, byte(websocket.PingFrame), opcode)
}

// DropFeeds and the admin route cut connections without a close frame.
func TestFeedDrop(t *testing.T) {
	srv, api := newAPI(t)
	for _, drop := range []func(){srv.DropFeeds, func() { mustStatus(t, api.post("/_emulator/feeds/drop", nil), 200) }} {
		feed := dialFeed(t, srv, srv.Token)
		waitConnections(t, srv, 1)
		drop()
		_, _, err := feed.frame()
		assert.ErrorIs(t, err, io.EOF)
		waitConnections(t, srv, 0)
	}
}

// Close ends open feed connections with 1001 instead of leaving them.
func TestFeedClose(t *testing.T) {
	srv := putiotest.NewServer(t)
	feed := dialFeed(t, srv, srv.Token)
	waitConnections(t, srv, 1)
	srv.Close()
	assert.Equal(t, 1001, feed.closeCode())
	assert.Equal(t, 0, srv.FeedConnections())
}

// The feed route is logged like the others.
func TestFeedRouteIsLogged(t *testing.T) {
	srv := putiotest.NewServer(t)
	dialFeed(t, srv, srv.Token)
	waitConnections(t, srv, 1)
	srv.DropFeeds()
	require.Eventually(t, func() bool { return srv.Calls("GET /socket/sockjs/websocket") == 1 }, hangGuard, 5*time.Millisecond)
	require.Eventually(t, func() bool { return len(srv.Log()) == 1 }, hangGuard, 5*time.Millisecond)
	assert.Equal(t, 101, srv.Log()[0].Status)
	assert.True(t, strings.HasPrefix(srv.FeedURL(), "ws://127.0.0.1:"))
}

// A stalled connection stays open, silent, until DropFeeds ends it.
func TestFeedStall(t *testing.T) {
	srv, api := newAPI(t, putiotest.Options{FeedHeartbeat: time.Millisecond})
	feed := dialFeed(t, srv, srv.Token)
	waitConnections(t, srv, 1)
	srv.StallFeeds()
	api.mkdir(0, "unsent")
	srv.DropFeeds()
	for {
		opcode, payload, err := feed.frame()
		if err != nil {
			assert.ErrorIs(t, err, io.EOF)
			break
		}
		assert.NotContains(t, string(payload), "file_create", "opcode %d", opcode)
	}
	waitConnections(t, srv, 0)
}

// A finished transfer's file reaches the feed through the creation path,
// with no call of its own.
func TestFeedAnnouncesFinishedTransfer(t *testing.T) {
	srv, api := newAPI(t, putiotest.Options{FeedFileObjects: true})
	folder := api.mkdir(0, "tv")
	feed := dialFeed(t, srv, srv.Token)
	waitConnections(t, srv, 1)
	id := num(api.addTransfer(testMagnet, folder), "id")
	file, err := srv.Account(srv.Token).CompleteTransfer(id, []byte("episode"))
	require.NoError(t, err)
	msg := feed.next()
	assert.Equal(t, "file_create", msg.Type)
	assert.EqualValues(t, file.ID, msg.Value["id"])
	assert.EqualValues(t, folder, msg.Value["parent_id"])
	assert.EqualValues(t, 7, msg.Value["size"])
}

func TestFeedTextHeartbeat(t *testing.T) {
	srv := putiotest.NewServer(t, putiotest.Options{FeedHeartbeat: 10 * time.Millisecond, FeedTextHeartbeat: true})
	feed := dialFeed(t, srv, srv.Token)
	opcode, payload, err := feed.frame()
	require.NoError(t, err)
	assert.Equal(t, byte(websocket.TextFrame), opcode)
	assert.Equal(t, "h", string(payload))
}
