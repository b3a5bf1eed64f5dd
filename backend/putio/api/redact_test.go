package api

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		`Get "https://s.put.io/download/5?a=1&e=9&u=abc": EOF`:     `Get "https://s.put.io/download/5?REDACTED": EOF`,
		`<a href="/download/5?u=abc&e=9">again</a>`:                `<a href="/download/5?REDACTED">again</a>`,
		`redirect to https://app.put.io/#access_token=tok123 done`: `redirect to https://app.put.io/?REDACTED done`,
		`{"access_token":"tok123","user_id":1`:                     `{"access_token":"REDACTED","user_id":1`,
		`{"refresh_token" : "tok123"}`:                             `{"refresh_token" : "REDACTED"}`,
		`echo: Authorization: Bearer tok123`:                       `echo: Authorization: Bearer REDACTED`,
		`header authorization=token tok123.x`:                      `header authorization=token REDACTED`,
		`sent bearer tok123`:                                       `sent bearer REDACTED`,
		`Why? the token was rejected (a=b is fine)`:                `Why? the token was rejected (a=b is fine)`,
	} {
		assert.Equal(t, want, Redact(in), "%s", in)
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://s.put.io/download/5?a=1&u=abc": "https://s.put.io/download/5?REDACTED",
		"https://s.put.io/download/5":           "https://s.put.io/download/5",
		"/download/5?u=abc#x":                   "/download/5?REDACTED",
		"https://h/p#access_token=tok":          "https://h/p?REDACTED",
	} {
		assert.Equal(t, want, RedactURL(in), "%s", in)
	}
}

// Whatever the server echoes in an error reply leaves its secrets out.
func TestParseErrorRedacts(t *testing.T) {
	page := ParseError(403, []byte(`<html>Denied: https://s.put.io/download/5?u=sig123</html>`))
	assert.NotContains(t, page.Error(), "sig123")
	message := ParseError(400, []byte(`{"error_type":"X","error_message":"bad link /download/5?u=sig123"}`))
	assert.NotContains(t, message.Error(), "sig123")
	reply := URLReply{URL: "//s.put.io/download/5?u=sig123"}
	assert.NotContains(t, reply.Validate().Error(), "sig123")
}
