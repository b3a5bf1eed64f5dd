package api

import (
	"regexp"
	"strings"
)

// redacted stands in for a secret left out of a message.
const redacted = "REDACTED"

// Secrets that text from a server (an error body, a message) may echo:
// the query or fragment of a URL, which for a signed download URL is a
// credential (it downloads the file for hours without a token), access
// and refresh tokens in JSON, and Authorization header values.
var (
	urlQuery      = regexp.MustCompile(`[?#][\w.~%-]+=[^\s"'<>]*`)
	jsonToken     = regexp.MustCompile(`(?i)("(?:access|refresh)_token"\s*:\s*")[^"]*"`)
	authorization = regexp.MustCompile(`(?i)\b(authorization\s*[:=]\s*(?:\w+\s+)?|bearer\s+)[\w.~+/=-]+`)
)

// Redact removes from text any secret it may echo (see above), so that it
// can go into an error or a log line.
func Redact(text string) string {
	text = urlQuery.ReplaceAllString(text, "?"+redacted)
	text = jsonToken.ReplaceAllString(text, "${1}"+redacted+`"`)
	return authorization.ReplaceAllString(text, "${1}"+redacted)
}

// RedactURL is rawURL without its query and fragment, which for a signed
// download URL are a credential: scheme://host/path?REDACTED.
func RedactURL(rawURL string) string {
	base, _, hasQuery := strings.Cut(rawURL, "?")
	base, _, hasFragment := strings.Cut(base, "#")
	if hasQuery || hasFragment {
		return base + "?" + redacted
	}
	return base
}
