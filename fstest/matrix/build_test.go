package matrix

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"
)

const (
	rcloneModule = "github.com/rclone/rclone"
	ourModule    = "github.com/rclone-putio/rclone-putio"
	// addedTestFile is the file the harness adds to each suite package.
	addedTestFile = "zz_rcloneputio_test.go"
)

// addedTest is that file's text for a package named name: an external test
// package, so that a backend importing the suite's package makes no cycle.
func addedTest(name string) string {
	return "package " + name + "_test\n\n" +
		"// Link this module's putio backend; it registers ahead of rclone's own.\n" +
		"import _ \"" + ourModule + "/backend/putio\"\n"
}

// offlineEnv is the environment for every go command the harness runs: the
// module cache is the only source of modules, and its hashes are trusted.
func offlineEnv() []string {
	return append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOSUMDB=off", "GOWORK=off", "GOTOOLCHAIN=local")
}

// goCmd runs the go command in dir and returns its standard output.
func goCmd(dir string, args ...string) (string, error) {
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = offlineEnv()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(string(out)), nil
}

// module is a module as go list -m reports it.
type module struct{ dir, version string }

// ourAndRclone finds this module's root and the module cache copy of the
// rclone version it requires.
func ourAndRclone() (ours, rclone module, err error) {
	out, err := goCmd(".", "list", "-m", "-f", "{{.Dir}}\t{{.Version}}", ourModule, rcloneModule)
	if err != nil {
		return module{}, module{}, err
	}
	lines := strings.Split(out, "\n")
	if len(lines) != 2 {
		return module{}, module{}, fmt.Errorf("go list -m: unexpected output %q", out)
	}
	parse := func(line string) module {
		dir, version, _ := strings.Cut(line, "\t")
		return module{dir: dir, version: version}
	}
	ours, rclone = parse(lines[0]), parse(lines[1])
	if rclone.dir == "" {
		return module{}, module{}, fmt.Errorf("%s %s is not in the module cache; run go mod download in %s", rcloneModule, rclone.version, ours.dir)
	}
	return ours, rclone, nil
}

// sourceCopy returns a writable copy of rclone's module source with the
// added test file in each suite package. The copy is made once per rclone
// version and added-file text, under the user's cache directory, and is
// never changed after it is complete, so concurrent runs can share it.
func sourceCopy(rclone module, suites []suite) (_ string, err error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	var added strings.Builder
	for _, s := range suites {
		fmt.Fprintf(&added, "%s\n%s", s.pkg, addedTest(s.name))
	}
	dir := filepath.Join(cache, "rclone-putio", "matrix", "rclone-"+rclone.version+"-"+shortHash(added.String()))
	if _, err := os.Stat(dir); err == nil {
		return dir, nil
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".copy-")
	if err != nil {
		return "", err
	}
	defer func() { // a no-op once renamed
		if removeErr := os.RemoveAll(tmp); err == nil && removeErr != nil {
			err = fmt.Errorf("removing the unfinished copy: %w", removeErr)
		}
	}()
	if err := copyTree(rclone.dir, tmp); err != nil {
		return "", err
	}
	for _, s := range suites {
		if err := os.WriteFile(filepath.Join(tmp, s.pkg, addedTestFile), []byte(addedTest(s.name)), 0o644); err != nil {
			return "", err
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		if _, statErr := os.Stat(dir); statErr == nil {
			return dir, nil // another run finished the same copy first
		}
		return "", err
	}
	return dir, nil
}

// copyTree copies the regular files under src to dst, writable, since the
// module cache's are read-only.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		return copyFile(p, target, info.Mode().Perm()|0o200)
	})
}

func copyFile(src, dst string, perm fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return errors.Join(err, in.Close())
	}
	_, err = io.Copy(out, in)
	return errors.Join(err, out.Close(), in.Close())
}

// runModule writes, in dir, a throwaway module that requires rclone and
// this module, both replaced by local directories, with rclone's godebug
// settings so the tests run as they do in rclone's tree.
func runModule(dir string, ours module, rcloneVersion, rcloneCopy string) error {
	rcloneMod, err := os.ReadFile(filepath.Join(rcloneCopy, "go.mod"))
	if err != nil {
		return err
	}
	gomod := "module rclone-putio.invalid/matrix\n\ngo 1.26.0\n\n" + godebugBlock(string(rcloneMod)) +
		fmt.Sprintf("require (\n\t%s %s\n\t%s v0.0.0\n)\n\n", rcloneModule, rcloneVersion, ourModule) +
		fmt.Sprintf("replace %s => %s\n\nreplace %s => %s\n", rcloneModule, rcloneCopy, ourModule, ours.dir)
	var sums []byte
	for _, sumFile := range []string{filepath.Join(ours.dir, "go.sum"), filepath.Join(rcloneCopy, "go.sum")} {
		b, err := os.ReadFile(sumFile)
		if err != nil {
			return err
		}
		sums = append(sums, b...)
	}
	files := map[string]string{
		"go.mod": gomod,
		"go.sum": string(sums),
		"doc.go": "// Package matrix only exists to build rclone's test packages.\npackage matrix\n",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// godebugBlock returns the godebug block of a go.mod, if it has one.
func godebugBlock(gomod string) string {
	start := strings.Index(gomod, "\ngodebug (")
	if start < 0 {
		return ""
	}
	end := strings.Index(gomod[start:], "\n)\n")
	if end < 0 {
		return ""
	}
	return gomod[start+1:start+end+3] + "\n"
}

// buildSuites builds each suite's test binary, all in one go command so
// the shared packages compile once, and returns the rclone copy and the
// folder holding the binaries. The throwaway module and its binaries live
// under the cache directory, one folder per checkout of this module: go
// then relinks a binary only when what it is built from changed.
func buildSuites(t *testing.T, suites []suite) (rcloneCopy, binDir string) {
	t.Helper()
	ours, rclone, err := ourAndRclone()
	if err != nil {
		t.Fatal(err)
	}
	rcloneCopy, err = sourceCopy(rclone, suites)
	if err != nil {
		t.Fatalf("copying %s: %v", rclone.dir, err)
	}
	modDir := filepath.Join(filepath.Dir(rcloneCopy), "run-"+shortHash(ours.dir))
	binDir = filepath.Join(modDir, "bin")
	if err := os.MkdirAll(binDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := runModule(modDir, ours, rclone.version, rcloneCopy); err != nil {
		t.Fatal(err)
	}
	args := []string{"test", "-c", "-o", binDir + string(filepath.Separator)}
	for _, s := range suites {
		args = append(args, path.Join(rcloneModule, s.pkg))
	}
	if _, err := goCmd(modDir, args...); err != nil {
		t.Fatalf("building the suites: %v", err)
	}
	return rcloneCopy, binDir
}

// shortHash is a short hex digest of s, to name folders after it.
func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:6])
}
