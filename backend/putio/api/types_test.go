package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFileDecodesPutioShapes(t *testing.T) {
	var reply FileReply
	body := `{"file":{"id":"42","parent_id":null,"name":"a.txt","size":3,"content_type":"text/plain",
		"file_type":"TEXT","crc32":"0A0B0C0D","created_at":"2013-09-07 21:32:03","updated_at":"2013-09-07T21:32:04"},"status":"OK"}`
	require.NoError(t, json.Unmarshal([]byte(body), &reply))
	require.NoError(t, reply.Validate())
	assert.Equal(t, ID(42), reply.File.ID)
	assert.Equal(t, ID(-1), reply.File.ParentID, "null parent_id reads as -1")
	assert.Equal(t, time.Date(2013, 9, 7, 21, 32, 4, 0, time.UTC), reply.File.ModTime())
	assert.Equal(t, time.Date(2013, 9, 7, 21, 32, 3, 0, time.UTC), reply.File.CreatedAt.Time)
	assert.False(t, reply.File.IsDir())
}

func TestModTimeFallsBackToCreatedAt(t *testing.T) {
	var f File
	require.NoError(t, json.Unmarshal([]byte(`{"id":1,"name":"d","created_at":"2020-01-02T03:04:05Z","updated_at":null,"file_type":"FOLDER"}`), &f))
	assert.Equal(t, time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC), f.ModTime())
	assert.True(t, f.IsDir())
}

func TestMalformedRepliesAreErrors(t *testing.T) {
	for name, body := range map[string]string{
		"string id":       `{"file":{"id":"abc","name":"x"}}`,
		"time not string": `{"file":{"id":1,"name":"x","updated_at":12}}`,
		"bad time":        `{"file":{"id":1,"name":"x","updated_at":"yesterday"}}`,
	} {
		var reply FileReply
		assert.Error(t, json.Unmarshal([]byte(body), &reply), name)
	}
	for name, body := range map[string]string{
		"null file":     `{"file":null}`,
		"missing file":  `{"status":"OK"}`,
		"zero id":       `{"file":{"id":0,"name":"x"}}`,
		"negative id":   `{"file":{"id":-5,"name":"x"}}`,
		"missing name":  `{"file":{"id":5}}`,
		"negative size": `{"file":{"id":5,"name":"x","size":-1}}`,
	} {
		var reply FileReply
		require.NoError(t, json.Unmarshal([]byte(body), &reply), name)
		assert.Error(t, reply.Validate(), name)
	}
	var list ListReply
	require.NoError(t, json.Unmarshal([]byte(`{"files":[{"id":1,"name":"ok"},{"id":0,"name":"bad"},{"id":2,"name":""}],"cursor":null}`), &list))
	good, problems := list.Usable()
	require.Len(t, good, 1)
	assert.Equal(t, "ok", good[0].Name)
	assert.Len(t, problems, 2)
	var url URLReply
	require.NoError(t, json.Unmarshal([]byte(`{"url":"/relative"}`), &url))
	assert.Error(t, url.Validate())
}

func TestParseError(t *testing.T) {
	e := ParseError(400, []byte(`{"status":"ERROR","status_code":400,"error_type":"NAME_ALREADY_EXIST","error_message":"Name already exist"}`))
	assert.Equal(t, "NAME_ALREADY_EXIST", e.Type)
	assert.Equal(t, "Name already exist", e.Message)
	assert.Empty(t, e.Excerpt)

	oauth := ParseError(400, []byte(`{"error":"invalid_request"}`))
	assert.Equal(t, "invalid_request", oauth.Type)

	html := ParseError(502, []byte("<html>"+strings.Repeat("x", 1000)+"</html>"))
	assert.Empty(t, html.Type)
	assert.LessOrEqual(t, len(html.Excerpt), excerptLimit)
	assert.Contains(t, html.Error(), "HTTP 502 Bad Gateway")

	short := ParseError(500, []byte("{"))
	assert.Equal(t, "{", short.Excerpt)

	e.Method, e.Path = http.MethodPost, "/v2/files/copy"
	assert.Equal(t, "putio: POST /v2/files/copy: HTTP 400 Bad Request: NAME_ALREADY_EXIST: Name already exist", e.Error())
}

func TestMoveReplyErr(t *testing.T) {
	var reply MoveReply
	require.NoError(t, json.Unmarshal([]byte(`{"status":"OK","errors":[{"id":7,"name":"a","error_type":"NAME_ALREADY_EXIST","status_code":400}]}`), &reply))
	err := reply.Err()
	require.Error(t, err)
	assert.Equal(t, "NAME_ALREADY_EXIST", err.(*Error).Type)
	assert.NoError(t, (&MoveReply{}).Err())
}

// FuzzDecodeReplies feeds arbitrary bodies to every reply type and to the
// error parser: they may fail, never panic, and errors stay printable.
func FuzzDecodeReplies(f *testing.F) {
	for _, seed := range []string{
		`{"file":{"id":1,"name":"a","updated_at":"2020-01-01T00:00:00"}}`,
		`{"files":[{"id":"2","name":"b","parent_id":0}],"cursor":"abc"}`,
		`{"file":null}`, `{"files":null,"cursor":null}`, `{"info":{"disk":{"size":1}}}`,
		`{"url":"https://x/download/1"}`, `{"public_share":{"id":1,"token":"t","user_file":null}}`,
		`{"errors":[{"id":1}]}`, `{"error_type":"TRASH_LOCK_TIMEOUT"}`, `{"sta`, "<html>", "", "\xff\xfe",
	} {
		f.Add([]byte(seed), 400)
	}
	f.Fuzz(func(t *testing.T, body []byte, status int) {
		replies := []interface{ Validate() error }{
			&FileReply{}, &ListReply{}, &URLReply{}, &AccountReply{}, &MoveReply{},
			&PublicShareReply{}, &PublicShareListReply{}, &TrashListReply{},
		}
		for _, r := range replies {
			if json.Unmarshal(body, r) == nil {
				_ = r.Validate()
			}
			if page, ok := r.(*ListReply); ok {
				_, _ = page.Usable()
			}
		}
		e := ParseError(status, body)
		msg := e.Error()
		if !utf8.ValidString(msg) {
			t.Fatalf("error message is not valid UTF-8: %q", msg)
		}
		if len(e.Excerpt) > excerptLimit || !utf8.ValidString(e.Excerpt) {
			t.Fatalf("excerpt is %d bytes", len(e.Excerpt))
		}
	})
}

func TestParseErrorReadsRetryAfter(t *testing.T) {
	for body, want := range map[string]time.Duration{
		`{"error_type":"RATE_LIMIT_ERROR","retry_after":3}`:      3 * time.Second,
		`{"error_type":"RATE_LIMIT_ERROR","retry_after":"1.5"}`:  1500 * time.Millisecond,
		`{"error_type":"RATE_LIMIT_ERROR","retry_after":"soon"}`: 0,
		`{"error_type":"RATE_LIMIT_ERROR","retry_after":-4}`:     0,
		`{"error_type":"RATE_LIMIT_ERROR"}`:                      0,
	} {
		e := ParseError(http.StatusTooManyRequests, []byte(body))
		assert.Equal(t, want, e.RetryAfter, body)
		assert.Equal(t, "RATE_LIMIT_ERROR", e.Type, "an odd retry_after keeps the error type: %s", body)
	}
}

func TestParseErrorReadsExtraIDs(t *testing.T) {
	for body, want := range map[string]int64{
		`{"error_type":"TRANSFER_ALREADY_ADDED","extra":{"existing_id":42}}`:   42,
		`{"error_type":"TRANSFER_ALREADY_ADDED","extra":{"existing_id":"42"}}`: 42,
		`{"error_type":"TRANSFER_ALREADY_ADDED","extra":{"existing_id":"x"}}`:  0,
		`{"error_type":"TRANSFER_ALREADY_ADDED","extra":{"existing_id":-1}}`:   0,
		`{"error_type":"TRANSFER_ALREADY_ADDED","extra":{"existing_id":null}}`: 0,
		`{"error_type":"TRANSFER_ALREADY_ADDED","extra":[]}`:                   0,
		`{"error_type":"TRANSFER_ALREADY_ADDED","extra":"existing_id"}`:        0,
		`{"error_type":"TRANSFER_ALREADY_ADDED"}`:                              0,
	} {
		e := ParseError(http.StatusBadRequest, []byte(body))
		assert.Equal(t, want, e.ExtraID("existing_id"), body)
		assert.Equal(t, "TRANSFER_ALREADY_ADDED", e.Type, "an odd extra keeps the error type: %s", body)
	}
}

// A CRC-32 compares as 8 lower-case hex digits whatever form it came in.
func TestNormalizeCRC32(t *testing.T) {
	for _, tc := range [][2]string{
		{"66a1512f", "66a1512f"}, {"66A1512F", "66a1512f"}, {"6a1512f", "06a1512f"}, {"0", "00000000"},
		{" 1f ", "0000001f"}, {"", ""}, {"xyz", "xyz"}, {"123456789", "123456789"}, {"-1", "-1"},
	} {
		if got := NormalizeCRC32(tc[0]); got != tc[1] {
			t.Errorf("NormalizeCRC32(%q) = %q, want %q", tc[0], got, tc[1])
		}
	}
}
