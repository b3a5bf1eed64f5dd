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
// from any address: behind a reverse proxy on this machine every request
// looks local. Without one, only local requests are served.
func (e *Emulator) admitAdmin(w http.ResponseWriter, r *http.Request) bool {
	if e.opts.AdminSecret == "" {
		if isLocalRequest(r) {
			return true
		}
		writeJSON(w, http.StatusForbidden, errorBody(http.StatusForbidden, "Forbidden",
			"the admin API serves only requests from this machine unless the emulator has an admin secret "+
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

// isLocalRequest reports whether r came straight from this machine: from
// a loopback address, and not relayed by a proxy for someone else
// (Forwarded or X-Forwarded-For).
func isLocalRequest(r *http.Request) bool {
	if r.Header.Get("Forwarded") != "" || r.Header.Get("X-Forwarded-For") != "" {
		return false
	}
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	return err == nil && peer.Addr().Unmap().IsLoopback()
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
