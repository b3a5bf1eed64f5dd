package main

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
)

// fakeLookup resolves names from a table, as DNS would.
func fakeLookup(table map[string][]string) lookupFunc {
	return func(_ context.Context, _, host string) ([]netip.Addr, error) {
		names, ok := table[host]
		if !ok {
			return nil, errors.New("no such host")
		}
		var ips []netip.Addr
		for _, name := range names {
			ips = append(ips, netip.MustParseAddr(name))
		}
		return ips, nil
	}
}

func TestLoopbackOnly(t *testing.T) {
	lookup := fakeLookup(map[string][]string{
		"localhost":     {"127.0.0.1", "::1"},
		"mixed.example": {"127.0.0.1", "192.0.2.1"},
		"lan.example":   {"192.168.1.5"},
		"empty.example": {},
	})
	for addr, want := range map[string]bool{
		"127.0.0.1:8080": true, "127.1.2.3:0": true, "[::1]:0": true, "[::ffff:127.0.0.1]:0": true, "localhost:0": true,
		":8080": false, "0.0.0.0:8080": false, "[::]:8080": false, "192.0.2.1:0": false, "[2001:db8::1]:0": false,
		"mixed.example:0": false, "lan.example:0": false, "empty.example:0": false,
	} {
		got, err := loopbackOnly(context.Background(), addr, lookup)
		if err != nil || got != want {
			t.Errorf("loopbackOnly(%q) = %v, %v; want %v", addr, got, err, want)
		}
	}
	for _, bad := range []string{"nope.example:0", "no-port", "1.2.3.4"} {
		if _, err := loopbackOnly(context.Background(), bad, lookup); err == nil {
			t.Errorf("loopbackOnly(%q) gave no error", bad)
		}
	}
	if local, err := loopbackOnly(context.Background(), "localhost:0", net.DefaultResolver.LookupNetIP); err != nil || !local {
		t.Errorf("the system's localhost: %v, %v", local, err)
	}
}

// Every interface, or any address another machine can reach, needs the
// admin secret; with one it is allowed.
func TestCheckExposure(t *testing.T) {
	lookup := fakeLookup(nil)
	for _, addr := range []string{"0.0.0.0:8080", ":8080", "[::]:8080", "192.0.2.1:8080"} {
		_, err := checkExposure(context.Background(), addr, "", lookup)
		if err == nil || !strings.Contains(err.Error(), adminSecretEnv) || !strings.Contains(err.Error(), "-admin-secret") {
			t.Errorf("%s without a secret: %v, want a refusal naming %s and -admin-secret", addr, err, adminSecretEnv)
		}
		if exposed, err := checkExposure(context.Background(), addr, "s3cret", lookup); err != nil || !exposed {
			t.Errorf("%s with a secret: %v, %v", addr, exposed, err)
		}
	}
	if exposed, err := checkExposure(context.Background(), "127.0.0.1:8080", "", lookup); err != nil || exposed {
		t.Errorf("loopback without a secret: %v, %v", exposed, err)
	}
}

// The command refuses before it listens: 192.0.2.1 is no address of this
// machine, so had it tried to listen, the error would be listen's.
func TestRefusesExposedAddressBeforeListening(t *testing.T) {
	t.Setenv(adminSecretEnv, "")
	err := run(context.Background(), []string{"-addr", "192.0.2.1:0"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), adminSecretEnv) {
		t.Fatalf("run on 192.0.2.1: %v, want the refusal", err)
	}
}

func TestAdminSecretFromEnvironmentOrFlag(t *testing.T) {
	t.Setenv(adminSecretEnv, "from-env")
	cfg, err := parseFlags(nil, io.Discard)
	if err != nil || cfg.opts.AdminSecret != "from-env" {
		t.Fatalf("secret %q (%v), want the environment's", cfg.opts.AdminSecret, err)
	}
	cfg, err = parseFlags([]string{"-admin-secret", "from-flag"}, io.Discard)
	if err != nil || cfg.opts.AdminSecret != "from-flag" {
		t.Fatalf("secret %q (%v), want the flag's", cfg.opts.AdminSecret, err)
	}
	cfg, err = parseFlags([]string{"-transfer-fetch-hosts", "files.example, 10.0.0.9"}, io.Discard)
	if err != nil || strings.Join(cfg.opts.TransferFetchHosts, ",") != "files.example,10.0.0.9" {
		t.Fatalf("fetch hosts %q (%v)", cfg.opts.TransferFetchHosts, err)
	}
}

// The served admin API asks for the secret the environment gave.
func TestServedAdminAPINeedsTheSecret(t *testing.T) {
	t.Setenv(adminSecretEnv, "env-s3cret")
	base, stop := start(t, "-addr", "127.0.0.1:0")
	defer stop()
	for credential, want := range map[string]int{"": http.StatusUnauthorized, "wrong": http.StatusUnauthorized, "env-s3cret": http.StatusOK} {
		if code := get(t, base+"/_emulator/calls", credential); code != want {
			t.Errorf("admin calls with %q: %d, want %d", credential, code, want)
		}
	}
	if code := get(t, base+"/v2/account/info", "any-token"); code != http.StatusOK {
		t.Errorf("the API: %d", code)
	}
}
