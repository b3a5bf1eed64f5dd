package putiotest

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"testing"
)

// A name that resolves to a refused address is never dialled: the guard
// dials only what it checked, so a second lookup cannot lead elsewhere.
func TestFetchGuardDialsOnlyCheckedAddresses(t *testing.T) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = listener.Close() }()
	_, port, _ := net.SplitHostPort(listener.Addr().String())
	lookups := 0
	rebinding := func(context.Context, string, string) ([]netip.Addr, error) {
		lookups++
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
	}
	refused := &fetchGuard{lookup: rebinding}
	if conn, err := refused.dial(context.Background(), "tcp", net.JoinHostPort("files.example", port)); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("dial of a name resolving to loopback: %v, %v", conn, err)
	}
	allowed := &fetchGuard{lookup: rebinding, loopback: true}
	conn, err := allowed.dial(context.Background(), "tcp", net.JoinHostPort("files.example", port))
	if err != nil {
		t.Fatalf("dial with loopback allowed: %v", err)
	}
	_ = conn.Close()
	if lookups != 2 {
		t.Fatalf("%d lookups for two dials, want one each", lookups)
	}
}

func TestFetchGuardRefusesAddressesOfNoRemoteHost(t *testing.T) {
	for addr, wantAllowed := range map[string]bool{
		"203.0.113.5": true, "2001:db8::5": true, "10.1.2.3": true,
		"127.0.0.1": false, "127.3.2.1": false, "::1": false,
		"0.0.0.0": false, "::": false, "169.254.169.254": false, "fe80::1": false, "224.0.0.1": false, "ff02::1": false,
	} {
		err := (&fetchGuard{}).check(netip.MustParseAddr(addr))
		if (err == nil) != wantAllowed {
			t.Errorf("check(%s) = %v, want allowed %v", addr, err, wantAllowed)
		}
	}
	if err := (&fetchGuard{loopback: true}).check(netip.MustParseAddr("::1")); err != nil {
		t.Errorf("loopback refused where allowed: %v", err)
	}
}
