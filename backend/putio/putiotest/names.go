package putiotest

import "strings"

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
