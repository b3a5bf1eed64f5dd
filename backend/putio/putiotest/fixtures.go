package putiotest

import (
	"archive/zip"
	"bytes"
	"fmt"
	"path"
	"slices"
)

// The fixtures of Options.SeedFixtures: what put.io's SDK live suite
// expects an account to hold before it starts, named with the prefix it
// takes for the suite's own ("codex-sdk-"). The first video came by a
// transfer, so the account's history holds a transfer_completed event; the
// second by an upload. Both have an MP4 available and come in natural name
// order, so the first has a next video.
const (
	fixtureFolder  = "codex-sdk-fixtures"
	fixtureSource  = "https://fixtures.example.com/codex-sdk-video-1.mp4" // never fetched
	fixtureVideo2  = "codex-sdk-video-2.mp4"
	fixtureArchive = "codex-sdk-archive.zip"
)

// fixtureMP4 is the start of an MP4 file (an ftyp box), enough for a
// client that sniffs the type; the emulator plays nothing.
var fixtureMP4 = []byte("\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + "codex-sdk fixture video\n")

// seedFixtures fills each account of Options.Tokens and AppTokens, in
// that order, with the fixtures.
func (e *Emulator) seedFixtures() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	seeded := map[*account]bool{}
	for _, token := range slices.Concat(e.opts.Tokens, e.opts.AppTokens) {
		a := e.tokens[token].acct
		if seeded[a] {
			continue
		}
		seeded[a] = true
		if err := e.seedAccountLocked(a); err != nil {
			return fmt.Errorf("putiotest: seeding fixtures: %w", err)
		}
	}
	return nil
}

// seedAccountLocked fills account a with the fixtures; the caller holds
// e.mu. The transfer completes last, so that its event is the newest.
func (e *Emulator) seedAccountLocked(a *account) error {
	folder := e.newNode(a.root, fixtureFolder, true)
	first, err := e.storeFile(folder, path.Base(fixtureSource), fixtureMP4)
	if err != nil {
		return err
	}
	second, err := e.storeFile(folder, fixtureVideo2, fixtureMP4)
	if err != nil {
		return err
	}
	archive, err := e.storeFile(folder, fixtureArchive, fixtureZip())
	if err != nil {
		return err
	}
	first.mp4, second.mp4 = true, true
	e.recordUploadLocked(second)
	e.recordUploadLocked(archive)
	t := e.transfers.add(&transfer{acct: a, source: fixtureSource, name: first.name,
		kind: "URL", parentID: folder.id, created: e.opts.Now()})
	e.completeTransfer(t, first)
	return nil
}

// storeFile makes a file of data under parent.
func (e *Emulator) storeFile(parent *node, name string, data []byte) (*node, error) {
	blob, size, crc, err := e.blobs.write(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	return e.newFile(parent, name, blob, size, crc), nil
}

// fixtureZip is a zip archive holding one text file.
func fixtureZip() []byte {
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	f, err := w.Create("codex-sdk-readme.txt")
	if err == nil {
		_, err = f.Write([]byte("codex-sdk fixture archive\n"))
	}
	if err == nil {
		err = w.Close()
	}
	if err != nil { // writing to memory cannot fail
		panic(fmt.Sprintf("putiotest: building the fixture archive: %v", err))
	}
	return buf.Bytes()
}
