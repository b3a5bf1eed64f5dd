package putio

import (
	"strings"
	"testing"

	"github.com/rclone/rclone/backend/memory"
	"github.com/rclone/rclone/fs"
	"github.com/stretchr/testify/assert"
)

// rival stands for rclone's own putio: another package registering "putio".
func rival() *fs.RegInfo {
	return &fs.RegInfo{Name: "putio", NewFs: memory.NewFs}
}

func TestFindResolvesToThisBackend(t *testing.T) {
	if got := fs.MustFind("putio"); got != regInfo {
		t.Fatalf("fs.Find(\"putio\") returned a registration from %s", registeringPackage(got))
	}
}

func TestPutFirstMovesOursAheadOfEarlierRival(t *testing.T) {
	other, local := rival(), &fs.RegInfo{Name: "local"}
	registry := []*fs.RegInfo{local, other, regInfo}
	got := putFirst(registry, regInfo)
	want := []*fs.RegInfo{local, regInfo, other}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("position %d: got %q from %s, want %q from %s", i,
				got[i].Name, registeringPackage(got[i]), want[i].Name, registeringPackage(want[i]))
		}
	}
	if registry[1] != other {
		t.Error("putFirst modified the slice it was given")
	}
}

func TestPutFirstKeepsOrderWhenOursIsFirst(t *testing.T) {
	other := rival()
	registry := []*fs.RegInfo{regInfo, other}
	got := putFirst(registry, regInfo)
	if got[0] != regInfo || got[1] != other {
		t.Fatal("order changed although ours was already first")
	}
}

func TestDuplicateMessageNamesBothPackagesAndTheFix(t *testing.T) {
	msg := duplicateMessage(rivals([]*fs.RegInfo{regInfo, rival()}, regInfo), regInfo)
	for _, want := range []string{
		"putio: 2 backends are registered under that name",
		"github.com/rclone/rclone/backend/memory",
		`"putio" resolves to github.com/rclone-putio/rclone-putio/backend/putio`,
		"import github.com/rclone-putio/rclone-putio/backend/all instead of github.com/rclone/rclone/backend/all",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
}

func TestNoDuplicateMessageWhenAlone(t *testing.T) {
	if msg := duplicateMessage(rivals([]*fs.RegInfo{regInfo, {Name: "local"}}, regInfo), regInfo); msg != "" {
		t.Fatalf("unexpected message: %s", msg)
	}
}

func TestPackageOf(t *testing.T) {
	for in, want := range map[string]string{
		"github.com/rclone/rclone/backend/putio.NewFs": "github.com/rclone/rclone/backend/putio",
		"github.com/x/y/backend/putio.init.0.func1":    "github.com/x/y/backend/putio",
		"main.main": "main",
	} {
		if got := packageOf(in); got != want {
			t.Errorf("packageOf(%q) = %q, want %q", in, got, want)
		}
	}
}

// The overview rclone shows lists exactly the features the Fs enables.
func TestOverviewMatchesFeatures(t *testing.T) {
	f, _, _ := newTestFs(t, nil)
	var enabled []string
	for name, on := range f.Features().Enabled() {
		if on {
			enabled = append(enabled, name)
		}
	}
	assert.ElementsMatch(t, enabled, regInfo.Overview.Features)
	assert.Equal(t, []string{f.Hashes().GetOne().String()}, regInfo.Overview.Hashes)
	assert.Equal(t, int64(f.Precision()), regInfo.Overview.Precision)
}
