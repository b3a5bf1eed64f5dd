package putio

import (
	"context"
	"fmt"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/rclone/rclone/fs"
	"github.com/rclone/rclone/fs/config/configmap"
)

// Go decides which of two packages registering the same name runs its init
// first, and fs.Find returns the first registration. So a program linking
// rclone's own putio next to this one could silently get either. This file
// makes "putio" always resolve to this backend and says so, with the fix.

// init runs after putio.go's, which registers regInfo: Go initialises a
// package's files in file name order.
func init() {
	fs.Registry = putFirst(fs.Registry, regInfo)
	newFs := regInfo.NewFs
	regInfo.NewFs = func(ctx context.Context, name, root string, m configmap.Mapper) (fs.Fs, error) {
		// By now every package's init has run, so later registrations show too.
		reportDuplicates()
		return newFs(ctx, name, root, m)
	}
	if len(rivals(fs.Registry, regInfo)) > 0 {
		reportDuplicates()
	}
}

// reportDuplicates logs the duplicate registration message at most once.
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

// registeringPackage names the package that registered ri, found through
// its NewFs function since RegInfo does not record it.
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
