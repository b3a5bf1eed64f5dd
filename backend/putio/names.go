package putio

import (
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/rclone-putio/rclone-putio/backend/putio/api"
	"github.com/rclone/rclone/lib/encoder"
	"golang.org/x/text/unicode/norm"
)

// serverName is the name put.io is sent for the rclone name leaf.
//
// put.io percent-decodes the names it is given ("test%46.txt" would be
// stored as "testF.txt"; see docs/architecture.md), so a "%" followed by
// two hex digits must not reach it. The encoding's fullwidth "％" is kept
// only there: every other "%" is sent as it is, so that names such as
// "100% Pure.txt", made by the web app, a torrent or another client, are
// reached by path. Reading a name back undoes both, with no special case.
func (f *Fs) serverName(leaf string) string {
	return f.restorePercents(leaf, startsWithHexPair)
}

// withPlainPercents is leaf encoded with every "%" sent as it is.
func (f *Fs) withPlainPercents(leaf string) string {
	return f.restorePercents(leaf, func(string) bool { return false })
}

// restorePercents encodes leaf, then puts back "%" for each "％" the
// encoding made for one, unless keepEscaped says so of the text after it.
func (f *Fs) restorePercents(leaf string, keepEscaped func(rest string) bool) string {
	name := f.opt.Enc.FromStandardName(leaf)
	if !f.opt.Enc.Has(encoder.EncodePercent) || !strings.ContainsRune(name, fullwidthPercent) {
		return name
	}
	var b strings.Builder
	quotes := 0 // QuoteRunes just before: an odd count quotes the next rune
	for i, r := range name {
		rest := name[i+utf8.RuneLen(r):]
		if r == fullwidthPercent && quotes%2 == 0 && !keepEscaped(rest) {
			r = '%'
		}
		if r == encoder.QuoteRune {
			quotes++
		} else {
			quotes = 0
		}
		b.WriteRune(r)
	}
	return b.String()
}

// fullwidthPercent is what lib/encoder's EncodePercent puts for "%".
const fullwidthPercent = '％'

// startsWithHexPair reports whether s begins with two hex digits, which
// put.io would decode together with a "%" before them.
func startsWithHexPair(s string) bool {
	return len(s) >= 2 && isHexDigit(s[0]) && isHexDigit(s[1])
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// standardName is the rclone name of an item put.io calls name.
func (f *Fs) standardName(name string) string {
	return f.opt.Enc.ToStandardName(name)
}

// otherSpellings are the names other than serverName(leaf) that put.io
// may hold the rclone name leaf by: with "％" for every "%", as earlier
// versions of this backend sent, and with every "%" as it is, as a
// torrent or a server that keeps "%xx" would have it.
func (f *Fs) otherSpellings(leaf string) []string {
	if !strings.Contains(leaf, "%") {
		return nil
	}
	canonical := f.serverName(leaf)
	var names []string
	for _, name := range []string{f.opt.Enc.FromStandardName(leaf), f.withPlainPercents(leaf)} {
		if name != canonical && !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	return names
}

// isNamed reports whether the listed item is called leaf in rclone, with
// put.io's Unicode normalisation of names.
func (f *Fs) isNamed(item *api.File, leaf string) bool {
	return norm.NFC.String(f.standardName(item.Name)) == norm.NFC.String(leaf)
}
