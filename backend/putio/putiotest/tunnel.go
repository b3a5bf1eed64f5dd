package putiotest

import "net/url"

func (e *Emulator) tunnelRoutes() []*route {
	return []*route{
		newRoute("GET /v2/tunnel/routes", authed, firstParty(e.tunnelRouteList)),
	}
}

// tunnelRouteNames are the download routes an account may pick (the
// tunnel_route_name setting); the SDK suite expects "default" and "cdn77".
var tunnelRouteNames = [][2]string{
	{"default", "put.io's own storage hosts"},
	{"cdn77", "downloads through the CDN77 network"},
}

// tunnelRouteList serves GET /v2/tunnel/routes, refused to app tokens as
// the SDK suite shows: {routes: [{name, description, hosts}]}. Every route
// leads to the emulator's own download host.
func (e *Emulator) tunnelRouteList(c *call) {
	base, _ := url.Parse(e.baseURL(c.r))
	routes := make([]obj, len(tunnelRouteNames))
	for i, r := range tunnelRouteNames {
		routes[i] = obj{"name": r[0], "description": r[1], "hosts": []string{base.Host}}
	}
	c.ok(obj{"routes": routes})
}
