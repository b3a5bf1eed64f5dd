package main

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
)

// adminSecretEnv names the environment variable that gives the admin
// secret; unlike -admin-secret, it does not show in the process list.
const adminSecretEnv = "PUTIO_EMULATOR_ADMIN_SECRET"

// lookupFunc resolves a host name, as net.Resolver.LookupNetIP does.
type lookupFunc func(ctx context.Context, network, host string) ([]netip.Addr, error)

// checkExposure reports whether other machines can connect to addr, and
// refuses that without an admin secret: the admin API would let them read
// every request and change any account. It runs before anything listens.
func checkExposure(ctx context.Context, addr, adminSecret string, lookup lookupFunc) (exposed bool, err error) {
	local, err := loopbackOnly(ctx, addr, lookup)
	if err != nil {
		return false, err
	}
	if !local && adminSecret == "" {
		return true, fmt.Errorf("-addr %s can be reached from other machines, and so could the admin API (/_emulator/), which reads every request and changes any account: "+
			"set an admin secret in %s (or -admin-secret, which ps shows), or listen on 127.0.0.1", addr, adminSecretEnv)
	}
	return !local, nil
}

// loopbackOnly reports whether listening on addr (HOST:PORT) is reachable
// from this machine alone: every address HOST resolves to is loopback. An
// empty host, 0.0.0.0 and :: mean every interface.
func loopbackOnly(ctx context.Context, addr string, lookup lookupFunc) (bool, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false, fmt.Errorf("-addr %q: %v (want HOST:PORT)", addr, err)
	}
	if host == "" {
		return false, nil
	}
	if ip, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		return ip.Unmap().IsLoopback(), nil
	}
	ips, err := lookup(ctx, "ip", host)
	if err != nil {
		return false, fmt.Errorf("-addr %s: cannot resolve %s: %v", addr, host, err)
	}
	for _, ip := range ips {
		if !ip.Unmap().IsLoopback() {
			return false, nil
		}
	}
	return len(ips) > 0, nil
}
