package putiotest

import (
	"net/url"
	"slices"
)

func (e *Emulator) accountListRoutes() []*route {
	return []*route{
		newRoute("GET /v2/account/subtitle_languages", authed, e.subtitleLanguages),
		newRoute("GET /v2/account/confirmation/list", authed, firstParty(e.listConfirmations)),
	}
}

// subtitleLanguages are the languages a subtitle_languages setting may
// name, by ISO 639-2 code; the SDK suite expects {eng, English} among them.
var subtitleLanguages = [][2]string{
	{"ara", "Arabic"}, {"chi", "Chinese"}, {"cze", "Czech"}, {"dan", "Danish"},
	{"dut", "Dutch"}, {"eng", "English"}, {"fin", "Finnish"}, {"fre", "French"},
	{"ger", "German"}, {"gre", "Greek"}, {"heb", "Hebrew"}, {"hun", "Hungarian"},
	{"ita", "Italian"}, {"jpn", "Japanese"}, {"kor", "Korean"}, {"nor", "Norwegian"},
	{"per", "Persian"}, {"pol", "Polish"}, {"por", "Portuguese"}, {"rum", "Romanian"},
	{"rus", "Russian"}, {"spa", "Spanish"}, {"swe", "Swedish"}, {"tur", "Turkish"},
}

// subtitleLanguages serves GET /v2/account/subtitle_languages:
// {languages: [{code, name}]}, for app tokens too.
func (e *Emulator) subtitleLanguages(c *call) {
	languages := make([]obj, len(subtitleLanguages))
	for i, l := range subtitleLanguages {
		languages[i] = obj{"code": l[0], "name": l[1]}
	}
	c.ok(obj{"languages": languages})
}

// confirmationSubjects are what account/confirmation/list's type may name.
var confirmationSubjects = []string{"mail_change", "password_change", "subscription_upgrade"}

// listConfirmations serves GET /v2/account/confirmation/list[?type=]: the
// confirmations mailed and not yet followed. The emulator sends no mail,
// so there are none; an unknown type is refused.
func (e *Emulator) listConfirmations(c *call) {
	c.locked(func(v url.Values) (obj, error) {
		if t := v.Get("type"); t != "" && !slices.Contains(confirmationSubjects, t) {
			return nil, errBadRequest("BadRequest", "type must be one of mail_change, password_change, subscription_upgrade")
		}
		return obj{"confirmations": []obj{}}, nil
	})
}
