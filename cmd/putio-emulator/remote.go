package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
)

// defaultRemoteName is the remote the printed config defines.
const defaultRemoteName = "putio_emulator"

// defaultPrintedToken is the token the printed remote uses when -tokens
// gives none and the emulator listens on loopback only: without -strict
// every token works.
const defaultPrintedToken = "emulator-token"

// remoteNamePattern keeps a remote name usable in RCLONE_CONFIG_<NAME>_*
// variables that a shell can export: rclone keeps a "-" in the name.
var remoteNamePattern = regexp.MustCompile(`^[A-Za-z0-9_]+$`)

func checkRemoteName(name string) error {
	if !remoteNamePattern.MatchString(name) {
		return fmt.Errorf("-remote-name %q: use letters, digits and _ only, so that a shell can export its RCLONE_CONFIG_%s_* variables", name, strings.ToUpper(name))
	}
	return nil
}

// printedToken is the token of the printed remote: the first of -tokens,
// else, when any token works, defaultPrintedToken on loopback, or a
// random one where other machines can connect: every client could open
// the account of a well-known token. With -strict and no -tokens there is
// none to print.
func (cfg config) printedToken(exposed bool) (string, error) {
	switch {
	case len(cfg.opts.Tokens) > 0:
		return cfg.opts.Tokens[0], nil
	case cfg.opts.Strict:
		return "", nil
	case !exposed:
		return defaultPrintedToken, nil
	}
	secret := make([]byte, 16)
	if _, err := rand.Read(secret); err != nil {
		return "", fmt.Errorf("cannot make a token for the printed remote: %w", err)
	}
	return "emulator-" + hex.EncodeToString(secret), nil
}

// announce prints the ready line, which whoever started the emulator
// waits for (the only way to learn a port picked by -addr HOST:0), then,
// unless -print-config=false, a remote to paste, in one write.
func (cfg config) announce(w io.Writer, listenURL, token string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "putio-emulator listening on %s\n", listenURL)
	if cfg.printConfig {
		base := listenURL
		if cfg.opts.PublicURL != "" {
			base = cfg.opts.PublicURL
		}
		writeRemote(&b, cfg.remoteName, base, token, cfg.tls.rcloneFlag())
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeRemote prints a remote on the emulator at baseURL, first as
// environment variables to paste into a shell, then as a config file
// section, and an example command with rcloneFlags. It prints the
// account's token, which is the point, and never the admin secret.
func writeRemote(b *strings.Builder, name, baseURL, token, rcloneFlags string) {
	options := putiotest.RemoteOptions(baseURL, token)
	fmt.Fprintf(b, "\n# rclone remote %q on this emulator, as environment variables:\n", name)
	for _, o := range options {
		fmt.Fprintf(b, "export RCLONE_CONFIG_%s_%s=%s\n", strings.ToUpper(name), strings.ToUpper(o.Name), shellQuote(o.Value))
	}
	if token == "" {
		b.WriteString("# no token: -strict without -tokens accepts only tokens from the OAuth flow; get one with: rclone config reconnect " + name + ":\n")
	}
	fmt.Fprintf(b, "\n# or as a section of rclone.conf:\n[%s]\n", name)
	for _, o := range options {
		fmt.Fprintf(b, "%s = %s\n", o.Name, o.Value)
	}
	if rcloneFlags != "" {
		b.WriteString("\n# it serves HTTPS with a certificate made at start, which rclone trusts given --ca-cert and the file -tls-ca-out wrote\n")
	}
	fmt.Fprintf(b, "\n# then, e.g.: rclone %slsf %s:\n", rcloneFlags, name)
}

// rcloneFlag is what rclone needs to trust the emulator's certificate,
// followed by a space ("" without -tls); without -tls-ca-out there is no
// file to name yet.
func (t tlsFlags) rcloneFlag() string {
	switch {
	case !t.enabled:
		return ""
	case t.caOut == "":
		return "--ca-cert FILE "
	}
	return "--ca-cert " + shellQuote(t.caOut) + " "
}

// shellQuote quotes s for a POSIX shell: the JSON token has quotes and
// braces of its own.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
