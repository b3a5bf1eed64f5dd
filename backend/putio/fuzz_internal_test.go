package putio

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/putdotio/go-putio"
	"github.com/rclone-putio/rclone-putio/backend/putio/api"
	"github.com/rclone/rclone/lib/encoder"
)

// FuzzEncodingRoundTrip checks every name survives the default encoding
// and that what is sent to put.io never carries what it refuses or rewrites.
func FuzzEncodingRoundTrip(f *testing.F) {
	for _, seed := range []string{"plain.txt", "a/b", `back\slash`, ".", "..", "test%46.txt", "100% Pure.txt", "‛％41%", "％%‛‛%4", "\x00nul", "ctl\x01\x1f\x7f", "\xff\xfe bad utf8", "日本語", " lead", "trail "} {
		f.Add(seed)
	}
	fsys := &Fs{opt: Options{Enc: defaultEncoding}}
	f.Fuzz(func(t *testing.T, raw string) {
		// rclone hands backends names in its standard encoding.
		name := encoder.Standard.Encode(raw)
		sent := fsys.serverName(name)
		if back := fsys.standardName(sent); back != name {
			t.Fatalf("round trip changed %q -> %q -> %q", name, sent, back)
		}
		for _, other := range fsys.otherSpellings(name) {
			if back := fsys.standardName(other); back != name {
				t.Fatalf("other spelling %q of %q reads back as %q", other, name, back)
			}
		}
		if name == "" {
			return
		}
		if !utf8.ValidString(sent) {
			t.Fatalf("encoded %q is not valid UTF-8: %q", name, sent)
		}
		if sent == "." || sent == ".." {
			t.Fatalf("encoded %q is a dot name", name)
		}
		if strings.ContainsAny(sent, "/\\\x00\x7f") || strings.ContainsFunc(sent, func(r rune) bool { return r < 0x20 }) {
			t.Fatalf("encoded %q still has a character put.io refuses or rewrites: %q", name, sent)
		}
		if hasPercentEscape(sent) {
			t.Fatalf("encoded %q has a %%xx escape put.io would decode: %q", name, sent)
		}
	})
}

// hasPercentEscape reports whether s has "%" and two hex digits anywhere.
func hasPercentEscape(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && startsWithHexPair(s[i+1:]) {
			return true
		}
	}
	return false
}

// FuzzTranslateError feeds arbitrary error replies through the error
// translation: never a panic, always a message naming the call.
func FuzzTranslateError(f *testing.F) {
	for _, seed := range []string{"", "{", `{"error_type":"X"}`, "<html>gateway</html>", strings.Repeat("z", 300)} {
		f.Add(seed, 500, "application/json")
		f.Add(seed, 401, "text/html")
	}
	f.Fuzz(func(t *testing.T, body string, status int, contentType string) {
		req := &http.Request{Method: http.MethodGet, URL: &url.URL{Path: "/v2/files/list"}}
		resp := &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {contentType}}, Request: req}
		reply := &putio.ErrorResponse{Response: resp, Body: []byte(body)}
		fsys := &Fs{name: "remote"}
		err := fsys.translateError(reply)
		var apiErr *api.Error
		if !errors.As(err, &apiErr) {
			t.Fatalf("got %T, want an *api.Error inside", err)
		}
		if msg := err.Error(); !strings.Contains(msg, "/v2/files/list") {
			t.Fatalf("message %q does not name the call", msg)
		}
		if status == http.StatusUnauthorized && !strings.Contains(err.Error(), "rclone config reconnect remote:") {
			t.Fatalf("401 message %q does not say how to reconnect", err)
		}
	})
}
