package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/websocket"
)

// trustingClient trusts only the certificate in the PEM file caFile.
func trustingClient(t *testing.T, caFile string) *http.Client {
	t.Helper()
	pemData, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pemData) {
		t.Fatalf("%s holds no PEM certificate: %q", caFile, pemData)
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
}

// getJSON GETs u as token with client and decodes the JSON reply into out.
func getJSON(t *testing.T, client *http.Client, u, token string, out any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", u, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
}

// With -tls the API and the signed download URLs it hands out are
// HTTPS, verified against the certificate -tls-ca-out wrote.
func TestTLSServesAPIAndDownloads(t *testing.T) {
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	base, stop := start(t, "-addr", "127.0.0.1:0", "-tls", "-tls-ca-out", caFile, "-tokens", "owner", "-put", "owner:/probe.txt", "-print-config=false")
	defer stop()
	if !strings.HasPrefix(base, "https://127.0.0.1:") {
		t.Fatalf("ready line URL %q, want https://127.0.0.1:PORT", base)
	}
	client := trustingClient(t, caFile)
	var list struct {
		Files []struct {
			ID   int64  `json:"id"`
			Name string `json:"name"`
		} `json:"files"`
	}
	getJSON(t, client, base+"/v2/files/list?parent_id=0", "owner", &list)
	if len(list.Files) != 1 || list.Files[0].Name != "probe.txt" {
		t.Fatalf("root listing %+v, want probe.txt alone", list.Files)
	}
	var link struct {
		URL string `json:"url"`
	}
	getJSON(t, client, base+"/v2/files/"+strconv.FormatInt(list.Files[0].ID, 10)+"/url", "owner", &link)
	if !strings.HasPrefix(link.URL, base+"/") {
		t.Fatalf("download URL %q is not on %s", link.URL, base)
	}
	resp, err := client.Get(link.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if want := "putio-emulator seed file /probe.txt\n"; err != nil || resp.StatusCode != http.StatusOK || string(body) != want {
		t.Fatalf("download: %s %q (%v), want %q", resp.Status, body, err, want)
	}
	// A client that does not trust the certificate is refused: the
	// server really speaks TLS with it.
	_, err = http.Get(base + "/v2/files/list")
	var unknown x509.UnknownAuthorityError
	if !errors.As(err, &unknown) {
		t.Fatalf("an untrusting client got %v, want an unknown authority", err)
	}
}

// With -tls the real-time feed is a wss websocket, verified against the
// same certificate.
func TestTLSFeedIsWSS(t *testing.T) {
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	base, stop := start(t, "-addr", "127.0.0.1:0", "-tls", "-tls-ca-out", caFile, "-feed-heartbeat", "1ms", "-feed-text-heartbeat", "-print-config=false")
	defer stop()
	config, err := websocket.NewConfig("wss"+strings.TrimPrefix(base, "https")+"/socket/sockjs/websocket", base)
	if err != nil {
		t.Fatal(err)
	}
	config.TlsConfig = trustingClient(t, caFile).Transport.(*http.Transport).TLSClientConfig
	ws, err := websocket.DialConfig(config)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ws.Close() }()
	var beat string
	if err := websocket.Message.Send(ws, "anything"); err != nil {
		t.Fatal(err)
	}
	if err := websocket.Message.Receive(ws, &beat); err != nil || beat != "h" {
		t.Fatalf("feed over wss sent %q (%v), want the heartbeat h", beat, err)
	}
}

// The printed remote points at https and wss and tells how rclone trusts
// the certificate.
func TestTLSPrintedRemote(t *testing.T) {
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	base, stop := start(t, "-addr", "127.0.0.1:0", "-tls", "-tls-ca-out", caFile)
	out := stop()
	p := parsePrinted(t, out)
	if !strings.HasPrefix(base, "https://") || p.options["api_url"] != base || p.options["feed_url"] != "wss"+strings.TrimPrefix(base, "https")+"/socket/sockjs/websocket" {
		t.Errorf("printed remote %v is not on %s", p.options, base)
	}
	if want := "rclone --ca-cert '" + caFile + "' lsf " + defaultRemoteName + ":"; !strings.Contains(out, want) {
		t.Errorf("printed remote lacks %q:\n%s", want, out)
	}
}

func TestTLSCAOutNeedsTLS(t *testing.T) {
	if _, err := parseFlags([]string{"-tls-ca-out", "ca.pem"}, io.Discard); err == nil || !strings.Contains(err.Error(), "-tls") {
		t.Fatalf("-tls-ca-out without -tls: %v", err)
	}
}

// The certificate names the loopback host names and addresses and the
// host -addr and -public-url give, never an address meaning every
// interface.
func TestCertHosts(t *testing.T) {
	for _, c := range []struct {
		addr, publicURL string
		want            []string
	}{
		{"127.0.0.1:0", "", []string{"127.0.0.1", "::1", "localhost"}},
		{"[::1]:8080", "", []string{"127.0.0.1", "::1", "localhost"}},
		{"emu.localhost:8080", "https://proxy.example:8443/", []string{"127.0.0.1", "::1", "emu.localhost", "localhost", "proxy.example"}},
		{"0.0.0.0:8080", "", []string{"127.0.0.1", "::1", "localhost"}},
		{":8080", "", []string{"127.0.0.1", "::1", "localhost"}},
	} {
		if got := certHosts(c.addr, c.publicURL); !slices.Equal(got, c.want) {
			t.Errorf("certHosts(%q, %q) = %v, want %v", c.addr, c.publicURL, got, c.want)
		}
	}
}
