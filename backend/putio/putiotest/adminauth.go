package putiotest

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"net/netip"
	"strings"
)

// admitAdmin lets an admin request through or refuses it with a JSON
// error. With Options.AdminSecret set, every admin request must carry it,
// from any address (see fromThisMachine). Without one, only requests from
// this machine are served.
func (e *Emulator) admitAdmin(w http.ResponseWriter, r *http.Request) bool {
	if e.fromThisMachine(r) {
		return true
	}
	if e.opts.AdminSecret == "" {
		writeJSON(w, http.StatusForbidden, errorBody(http.StatusForbidden, "Forbidden",
			"the admin API serves only requests from this machine, not relayed ones, unless the emulator has an admin secret "+
				"(putio-emulator: PUTIO_EMULATOR_ADMIN_SECRET or -admin-secret; Go: Options.AdminSecret)"))
		return false
	}
	if sameSecret(bearerCredential(r), e.opts.AdminSecret) {
		return true
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="putio-emulator admin"`)
	writeJSON(w, http.StatusUnauthorized, errorBody(http.StatusUnauthorized, "Unauthorized",
		"the admin API needs the emulator's admin secret: send Authorization: Bearer <secret>"))
	return false
}

// fromThisMachine reports whether the emulator trusts r to come from a
// client on this machine: what the admin API serves without a secret and
// what may make the emulator fetch from its own loopback. An admin secret
// means the operator exposes the emulator, maybe through a relay on this
// machine that adds no header (ssh -L, socat, kubectl port-forward, a bare
// nginx proxy_pass), which makes every client look local: then no request
// is trusted for where it comes from.
func (e *Emulator) fromThisMachine(r *http.Request) bool {
	return e.opts.AdminSecret == "" && isLocalRequest(r)
}

// isLocalRequest reports whether r came straight from this machine: from
// a loopback address, and carrying no header a relay adds for the client
// it relays (relayHeader).
func isLocalRequest(r *http.Request) bool {
	for name := range r.Header {
		if relayHeader(name) {
			return false
		}
	}
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	return err == nil && peer.Addr().Unmap().IsLoopback()
}

// relayHeader reports whether a header of this name marks a request that
// a proxy relayed: Forwarded and Via (the standard ones), any
// X-Forwarded-* or X-Original-Forwarded-For, and the client address
// headers of proxies and CDNs, which end in "-IP" (X-Real-IP,
// X-Client-IP, CF-Connecting-IP, True-Client-IP, Fastly-Client-IP,
// X-Cluster-Client-IP...), or Envoy's X-Envoy-External-Address. The
// broad match errs towards distrust: a local client sends none of them.
func relayHeader(name string) bool {
	name = strings.ToLower(name)
	return name == "via" || strings.Contains(name, "forwarded") || strings.HasSuffix(name, "-ip") ||
		name == "x-envoy-external-address"
}

// bearerCredential is the credential of "Authorization: Bearer <c>" (the
// scheme in any case), or "".
func bearerCredential(r *http.Request) string {
	scheme, credential, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	if !ok || !strings.EqualFold(scheme, "bearer") {
		return ""
	}
	return strings.TrimSpace(credential)
}

// sameSecret compares in constant time, lengths included: both sides are
// hashed first.
func sameSecret(given, secret string) bool {
	a, b := sha256.Sum256([]byte(given)), sha256.Sum256([]byte(secret))
	return given != "" && subtle.ConstantTimeCompare(a[:], b[:]) == 1
}
