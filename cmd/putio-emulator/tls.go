package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"
)

// certLifetime is how long the certificate made at start is valid: long
// enough for any test run or manual session, short enough that a copy
// of it left behind soon trusts nothing.
const certLifetime = 7 * 24 * time.Hour

// certBackdate covers clients whose clock runs a little behind ours.
const certBackdate = time.Hour

// tlsFlags are the -tls flags.
type tlsFlags struct {
	// enabled serves HTTPS with a certificate made at start.
	enabled bool
	// caOut is where to write that certificate, PEM, for clients to
	// trust ("": nowhere).
	caOut string
}

func (t tlsFlags) check() error {
	if t.caOut != "" && !t.enabled {
		return errors.New("-tls-ca-out needs -tls")
	}
	return nil
}

// serverTLS makes the certificate for addr (and publicURL's host, if
// set), writes it to -tls-ca-out and returns the server's TLS settings;
// nil without -tls. The private key stays in memory.
func (t tlsFlags) serverTLS(addr, publicURL string) (*tls.Config, error) {
	if !t.enabled {
		return nil, nil
	}
	cert, certPEM, err := selfSignedCert(certHosts(addr, publicURL), time.Now())
	if err != nil {
		return nil, fmt.Errorf("-tls: making a certificate: %w", err)
	}
	if t.caOut != "" {
		if err := os.WriteFile(t.caOut, certPEM, 0o644); err != nil { // a certificate is public
			return nil, fmt.Errorf("-tls-ca-out: %w", err)
		}
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// certHosts are the names and addresses clients on this machine reach
// the emulator by: the loopback ones, -addr's host and -public-url's.
func certHosts(addr, publicURL string) []string {
	hosts := []string{"localhost", "127.0.0.1", "::1"}
	if host, _, err := net.SplitHostPort(addr); err == nil && !listensEverywhere(host) {
		hosts = append(hosts, host)
	}
	if u, err := url.Parse(publicURL); err == nil && u.Hostname() != "" {
		hosts = append(hosts, u.Hostname())
	}
	slices.Sort(hosts)
	return slices.Compact(hosts)
}

// listensEverywhere reports whether -addr's host means every interface,
// which names no host a client would ask for.
func listensEverywhere(host string) bool {
	ip, err := netip.ParseAddr(strings.Trim(host, "[]"))
	return host == "" || err == nil && ip.IsUnspecified()
}

// selfSignedCert makes an ECDSA certificate for hosts that is its own
// CA, so that clients can trust it alone (rclone --ca-cert, node
// NODE_EXTRA_CA_CERTS), and returns it with its PEM.
func selfSignedCert(hosts []string, now time.Time) (tls.Certificate, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	template := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "putio-emulator", Organization: []string{"putio-emulator"}},
		NotBefore:             now.Add(-certBackdate),
		NotAfter:              now.Add(certLifetime),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	for _, host := range hosts {
		if ip, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
			template.IPAddresses = append(template.IPAddresses, ip.AsSlice())
		} else {
			template.DNSNames = append(template.DNSNames, host)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, certPEM, nil
}
