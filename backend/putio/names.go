package putio

import (
	"strings"

	"github.com/rclone-putio/rclone-putio/backend/putio/api"
	"golang.org/x/text/unicode/norm"
)

// serverName is the name put.io is sent for the rclone name leaf.
func (f *Fs) serverName(leaf string) string {
	return f.opt.Enc.FromStandardName(leaf)
}

// standardName is the rclone name of an item put.io calls name.
func (f *Fs) standardName(name string) string {
	return f.opt.Enc.ToStandardName(name)
}

// hasOtherSpellings reports whether an item listed as leaf may be stored
// under a name other than serverName(leaf), so that /child does not find
// it: a name with "%" made elsewhere, or by an older version.
func hasOtherSpellings(leaf string) bool {
	return strings.Contains(leaf, "%")
}

// isNamed reports whether the listed item is called leaf in rclone, with
// put.io's Unicode normalisation of names.
func (f *Fs) isNamed(item *api.File, leaf string) bool {
	return norm.NFC.String(f.standardName(item.Name)) == norm.NFC.String(leaf)
}
