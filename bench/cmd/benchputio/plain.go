package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"

	"github.com/rclone-putio/rclone-putio/internal/emuproc"
)

// The baseline runs as a process of its own, as each rclone does: in the
// benchmark's process it would share a Go runtime (its scheduler, its
// garbage collector) with the proxy it sends through, and be slowed by it.

// plainUploadCommand is the argument that makes benchputio the baseline
// child: `benchputio plain-upload -proxy URL -ca FILE -token T -name N FILE`.
const plainUploadCommand = "plain-upload"

// plainUpload is the baseline: the file in one creation and one streaming
// PATCH, over the same proxy, TLS and latency as rclone, run and measured
// as the rclones are.
func (b *bench) plainUpload(ctx context.Context, env rcloneEnv, local, name string) rcloneRun {
	args := []string{plainUploadCommand, "-proxy", env.proxyURL, "-ca", env.caFile, "-token", env.token, "-name", name, local}
	return runMeasured(ctx, b.baseline, args, env, nil)
}

// asPlainUploadChild runs the baseline child's main and exits, if this
// process was started as one.
func asPlainUploadChild() {
	if len(os.Args) < 2 || os.Args[1] != plainUploadCommand {
		return
	}
	if err := runPlainUpload(os.Args[2:]); err != nil {
		fmt.Fprintln(os.Stderr, "benchputio plain-upload:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// runPlainUpload is the baseline child's main.
func runPlainUpload(args []string) (err error) {
	flags := flag.NewFlagSet(plainUploadCommand, flag.ContinueOnError)
	proxyURL := flags.String("proxy", "", "proxy URL")
	caFile := flags.String("ca", "", "PEM file of the only CA to trust")
	token := flags.String("token", "", "put.io token")
	name := flags.String("name", "", "remote name of the file")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if flags.NArg() != 1 {
		return errors.New("want one local file")
	}
	caPEM, err := os.ReadFile(*caFile)
	if err != nil {
		return err
	}
	client, err := proxiedClient(*proxyURL, caPEM)
	if err != nil {
		return err
	}
	defer client.CloseIdleConnections()
	f, err := os.Open(flags.Arg(0))
	if err != nil {
		return err
	}
	defer closeSent(&err, f)
	info, err := f.Stat()
	if err != nil {
		return err
	}
	return emuproc.TusUpload(context.Background(), client, "https://"+uploadHost+"/files/", *token,
		emuproc.TusFile{Name: *name, Body: f, Size: info.Size(), ModTime: info.ModTime()})
}

// proxiedClient reaches the put.io names only through the proxy and
// trusts only the CA in caPEM.
func proxiedClient(proxyURL string, caPEM []byte) (*http.Client, error) {
	u, err := url.Parse(proxyURL)
	if err != nil {
		return nil, err
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caPEM) {
		return nil, errors.New("cannot load the bench CA")
	}
	return &http.Client{Transport: &http.Transport{
		Proxy:           http.ProxyURL(u),
		TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
	}}, nil
}
