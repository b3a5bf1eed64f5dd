package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// excerptLimit bounds how much of a non-JSON error body goes into a message.
const excerptLimit = 200

// Error is a failed put.io call, decoded by us whatever the reply looked like.
type Error struct {
	Status  int    // HTTP status
	Type    string // error_type (or OAuth's "error")
	Message string // error_message
	Excerpt string // start of the body when it was not a put.io error object
	// RetryAfter is the body's retry_after (put.io's 429s), 0 if absent.
	RetryAfter time.Duration
	Method     string // request method, for the message
	Path       string // request path without the query, for the message
	// Extra is the body's "extra" object, such as existing_id with
	// TRANSFER_ALREADY_ADDED; nil if absent or not an object.
	Extra map[string]json.RawMessage
	// Location is the reply's Location header, absolute, if it had one: a
	// tus creation refused after it made its upload names the upload there.
	Location string
}

// ExtraID reads an id from Extra, given as a number or a numeric string;
// it is 0 if absent or anything else.
func (e *Error) ExtraID(key string) int64 {
	text := strings.Trim(string(e.Extra[key]), `"`)
	id, err := strconv.ParseInt(text, 10, 64)
	if err != nil || id < 0 {
		return 0
	}
	return id
}

// Error gives a one-line description naming the call that failed.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("putio:")
	if e.Method != "" {
		fmt.Fprintf(&b, " %s %s:", e.Method, e.Path)
	}
	fmt.Fprintf(&b, " HTTP %d", e.Status)
	if text := http.StatusText(e.Status); text != "" {
		fmt.Fprintf(&b, " %s", text)
	}
	if e.Type != "" {
		fmt.Fprintf(&b, ": %s", e.Type)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	if e.Excerpt != "" {
		fmt.Fprintf(&b, ": body %q", e.Excerpt)
	}
	return b.String()
}

// errorBody is put.io's error object; OAuth routes say "error" instead of
// "error_type".
type errorBody struct {
	ErrorType    string  `json:"error_type"`
	ErrorMessage string  `json:"error_message"`
	OAuthError   string  `json:"error"`
	RetryAfter   seconds `json:"retry_after"`
	// Extra is decoded on its own, so that an odd one never hides the error.
	Extra json.RawMessage `json:"extra"`
}

// seconds is a delay in seconds given as a number or a numeric string;
// anything else reads as 0, so that an odd value never hides the error.
type seconds time.Duration

// UnmarshalJSON implements json.Unmarshaler; it never fails.
func (s *seconds) UnmarshalJSON(data []byte) error {
	text := strings.Trim(string(data), `"`)
	if n, err := strconv.ParseFloat(text, 64); err == nil && n > 0 && n < 1e6 {
		*s = seconds(n * float64(time.Second))
	}
	return nil
}

// ParseError decodes an error reply. It never fails: a body that is not a
// put.io error object is kept as a short, printable excerpt.
func ParseError(status int, body []byte) *Error {
	e := &Error{Status: status}
	var parsed errorBody
	if json.Unmarshal(body, &parsed) == nil && (parsed.ErrorType != "" || parsed.ErrorMessage != "" || parsed.OAuthError != "") {
		e.Type = firstNonEmpty(parsed.ErrorType, parsed.OAuthError)
		e.Message = Redact(parsed.ErrorMessage)
		e.RetryAfter = time.Duration(parsed.RetryAfter)
		_ = json.Unmarshal(parsed.Extra, &e.Extra) // a non-object leaves it nil
		return e
	}
	e.Excerpt = Excerpt(body)
	return e
}

// Excerpt is the start of body as printable text without secrets (see
// Redact): invalid UTF-8 is replaced first (which can grow it), then it
// is cut on a rune boundary.
func Excerpt(body []byte) string {
	body = body[:min(len(body), 4*excerptLimit)]
	text := Redact(strings.TrimSpace(strings.ToValidUTF8(string(body), "\uFFFD")))
	if len(text) <= excerptLimit {
		return text
	}
	cut := excerptLimit
	for cut > 0 && !utf8.RuneStart(text[cut]) {
		cut--
	}
	return text[:cut]
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
