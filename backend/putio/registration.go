package putio

import (
	"context"
	"fmt"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rclone/rclone/backend/overview"
	"github.com/rclone/rclone/fs"
	"github.com/rclone/rclone/fs/config/configmap"
	"github.com/rclone/rclone/lib/oauthutil"
)

// regInfo is the backend's registration; the e2e checks read it. init
// sets NewFs.
var regInfo = &fs.RegInfo{
	Name:        "putio",
	Description: "Put.io",
	Config: func(ctx context.Context, name string, m configmap.Mapper, config fs.ConfigIn) (*fs.ConfigOut, error) {
		return oauthutil.ConfigOut("", &oauthutil.Options{
			OAuth2Config: oauthConfig,
			NoOffline:    true,
		})
	},
	CommandHelp:  commandHelp,
	MetadataInfo: metadataInfo,
	Overview: &overview.BackendConfig{
		Backend:          "putio",
		Name:             "Put.io",
		Tier:             "Tier 2",
		Maintainers:      "External",
		IntegrationTests: "Passing",
		DataIntegrity:    "Hash",
		Docs:             "Full",
		Security:         "High",
		Remote:           "TestPutio:",
		// Every feature the Fs enables; a test keeps the list in step.
		Features:  []string{"About", "CanHaveEmptyDirectories", "ChangeNotify", "CleanUp", "Command", "Copy", "DirCacheFlush", "DirMove", "DuplicateFiles", "ListP", "MergeDirs", "Move", "PublicLink", "Purge", "PutUnchecked", "ReadMetadata", "ReadMimeType", "Shutdown", "UserInfo"},
		Hashes:    []string{"crc32"},
		Precision: int64(time.Second),
	},
	Options: backendOptions(),
}

// init registers the backend and claims its name. fs.Find returns the
// first registration of a name, and a program that links rclone's own putio
// too would otherwise get whichever package Go happened to initialise
// first. fs offers no other way to choose between two registrations of a
// name, hence the reordering. A rival that registers after this init lands
// behind ours anyway, and NewFs reports it (see reportDuplicates).
func init() {
	regInfo.NewFs = NewFs // not in the literal: NewFs reads regInfo, a cycle
	fs.Register(regInfo)
	fs.Registry = putFirst(fs.Registry, regInfo)
	if len(rivals(fs.Registry, regInfo)) > 0 {
		reportDuplicates()
	}
}

// reportDuplicates logs, at most once, which backend "putio" resolves to
// and how to link only one. NewFs calls it too: by then every package's
// init has run, so rivals registered after ours show as well.
var reportDuplicates = sync.OnceFunc(func() {
	if msg := duplicateMessage(rivals(fs.Registry, regInfo), regInfo); msg != "" {
		fs.Errorf(nil, "%s", msg)
	}
})

// putFirst moves ours ahead of every other registration with its name, so
// fs.Find picks it and rclone binds the shared flags to its options.
func putFirst(registry []*fs.RegInfo, ours *fs.RegInfo) []*fs.RegInfo {
	at := slices.Index(registry, ours)
	first := slices.IndexFunc(registry, func(ri *fs.RegInfo) bool { return ri.Name == ours.Name })
	if at < 0 || first < 0 || first == at {
		return registry
	}
	reordered := slices.Delete(slices.Clone(registry), at, at+1)
	return slices.Insert(reordered, first, ours)
}

// rivals returns the other registrations under our name.
func rivals(registry []*fs.RegInfo, ours *fs.RegInfo) []*fs.RegInfo {
	var others []*fs.RegInfo
	for _, ri := range registry {
		if ri != ours && ri.Name == ours.Name {
			others = append(others, ri)
		}
	}
	return others
}

// duplicateMessage explains which backend the name resolves to and how to
// link only one; it is empty when there are no rivals.
func duplicateMessage(others []*fs.RegInfo, ours *fs.RegInfo) string {
	if len(others) == 0 {
		return ""
	}
	var theirs []string
	for _, ri := range others {
		theirs = append(theirs, registeringPackage(ri))
	}
	oursPkg := ourPackage()
	module := strings.TrimSuffix(oursPkg, "/backend/putio")
	return fmt.Sprintf("%s: %d backends are registered under that name: %s and %s. %q resolves to %s; "+
		"rclone's \"Not adding duplicate flag\" errors come from this. To link only one, import %s/backend/all "+
		"instead of github.com/rclone/rclone/backend/all and drop any import of %s.",
		ours.Name, len(others)+1, oursPkg, strings.Join(theirs, ", "), ours.Name, oursPkg,
		module, strings.Join(theirs, " and "))
}

// registeringPackage names the package that registered ri. RegInfo does
// not record it, so the symbol name of its NewFs function, which lives in
// that package, is the only trace; the message needs it to name the import
// to drop.
func registeringPackage(ri *fs.RegInfo) string {
	if ri.NewFs == nil {
		return "an unknown package"
	}
	fn := runtime.FuncForPC(reflect.ValueOf(ri.NewFs).Pointer())
	if fn == nil {
		return "an unknown package"
	}
	return packageOf(fn.Name())
}

// packageOf turns a function's full name ("a/b/pkg.Func.func1") into its
// import path ("a/b/pkg").
func packageOf(funcName string) string {
	slash := strings.LastIndex(funcName, "/") + 1
	if dot := strings.Index(funcName[slash:], "."); dot >= 0 {
		return funcName[:slash+dot]
	}
	return funcName
}

type packageMarker struct{}

func ourPackage() string { return reflect.TypeOf(packageMarker{}).PkgPath() }
