package putiotest

import (
	"net/url"
	"slices"
	"strings"
)

func (e *Emulator) podcastRoutes() []*route {
	return []*route{
		newRoute("GET /v2/podcast/links", authed, firstParty(e.podcastLinks)),
	}
}

// podcastTypes are the feeds of a folder, in put.io's order.
var podcastTypes = []string{"all", "audio", "video", "mp4"}

// podcastLinks serves GET /v2/podcast/links?parent_id=[&type=a,b]: the
// podcast feed URLs of a folder, one per type asked (all four by default),
// and the account's podcast token they carry: {links: {type: url}, token}.
// The emulator hands the URLs out but serves no feed at them.
func (e *Emulator) podcastLinks(c *call) {
	c.locked(func(v url.Values) (obj, error) {
		parentID, err := requiredInt(v, "parent_id")
		if err != nil {
			return nil, err
		}
		if _, err := e.lookupFolder(c.acct, parentID); err != nil {
			return nil, err
		}
		types := podcastTypes
		if s := strings.TrimSpace(v.Get("type")); s != "" {
			types = strings.Split(s, ",")
		}
		token := c.acct.secret("podcast")
		links := obj{}
		for _, t := range types {
			if !slices.Contains(podcastTypes, t) {
				return nil, errBadRequest("BadRequest", "type must be a comma-separated list of all, audio, video, mp4; got "+t)
			}
			links[t] = e.baseURL(c.r) + "/v2/podcast/" + token + "/" + itoa(parentID) + "/" + t
		}
		return obj{"links": links, "token": token}, nil
	})
}
