package putiotest

import "slices"

// sdkAreaRoutes are the routes the TS SDK's live suite showed the
// emulator lacked in these areas: zips, download links, the config store,
// the account's lists, OAuth apps and sessions, tunnel and podcast.
func (e *Emulator) sdkAreaRoutes() []*route {
	return slices.Concat(e.zipRoutes(), e.downloadLinkRoutes(), e.configRoutes(),
		e.accountListRoutes(), e.oauthAppRoutes(), e.tunnelRoutes(), e.podcastRoutes())
}
