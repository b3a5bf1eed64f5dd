package putiotest

import (
	"strings"
	"unicode/utf8"
)

// maxNameBytes is put.io's name limit, in bytes of UTF-8.
const maxNameBytes = 255

// cleanName checks a new item name against put.io's rules and returns the
// name as stored (a backslash becomes "-", silently, as on put.io).
func cleanName(name string) (string, error) {
	switch {
	case name == "":
		return "", errBadRequest("EMPTY_NAME", "the name is empty; give the item a name")
	case strings.Contains(name, "/"):
		return "", errBadRequest("SLASH_IN_NAME", "names cannot contain '/'")
	case len(name) > maxNameBytes:
		return "", errBadRequest("NAME_TOO_LONG", "names are limited to 255 bytes of UTF-8, this one has "+itoa(int64(len(name))))
	case strings.ContainsRune(name, 0):
		return "", errBadRequest("INVALID_NAME", "names cannot contain the NUL character")
	case name == "." || name == "..":
		return "", errBadRequest("INVALID_NAME", "'.' and '..' are not valid names")
	}
	return strings.ReplaceAll(name, `\`, "-"), nil
}

// givenName is a name as the server reads it from a request. put.io is
// seen to percent-decode names (a name like "test%46.txt" does not survive
// a round trip; rclone excludes its test of it since 2022), so unless
// KeepPercentEscapes is set, every "%" followed by two hex digits becomes
// that byte, and bytes that do not form UTF-8 become U+FFFD, as a
// URL-unquote would do. Any other "%" stays: "100% Pure.txt" is stored as
// it is. This applies to every name a request gives (create-folder,
// rename, copy, move, tus and child?name=), not to names seeded through
// the Go API, which model names made elsewhere (torrents).
func (e *Emulator) givenName(name string) string {
	if e.opts.KeepPercentEscapes || !strings.Contains(name, "%") {
		return name
	}
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		if name[i] == '%' && i+2 < len(name) && isHex(name[i+1]) && isHex(name[i+2]) {
			b.WriteByte(unhex(name[i+1])<<4 | unhex(name[i+2]))
			i += 2
			continue
		}
		b.WriteByte(name[i])
	}
	decoded := b.String()
	if !utf8.ValidString(decoded) {
		decoded = strings.ToValidUTF8(decoded, "\uFFFD")
	}
	return decoded
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}
