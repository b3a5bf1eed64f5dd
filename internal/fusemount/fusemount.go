// Package fusemount finds what FUSE mounts need on this machine and reads
// and clears the kernel's mount table, for the harnesses that run
// rclone mount (the bench and the e2e tests).
package fusemount

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// Helper says whether rclone mount can work here: /dev/fuse opens and
// fusermount3 (or fusermount), which unmounts, is on PATH. An empty
// reason means it can.
func Helper() (helper, reason string) {
	dev, err := os.OpenFile("/dev/fuse", os.O_RDWR, 0)
	if err != nil {
		return "", fmt.Sprintf("cannot open /dev/fuse (%v)", err)
	}
	_ = dev.Close() // opened only to see that it opens
	for _, name := range []string{"fusermount3", "fusermount"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, ""
		}
	}
	return "", "no fusermount3 on PATH (Debian: apt-get install fuse3)"
}

// entry is one line of /proc/self/mountinfo.
type entry struct {
	Point  string
	FSType string
}

// parseMountinfo reads the mount point (field 5, octal-escaped) and the
// file system type (first field after the "-" separator) of each line.
func parseMountinfo(text string) []entry {
	var out []entry
	for _, line := range strings.Split(text, "\n") {
		fields := strings.Fields(line)
		sep := -1
		for i, f := range fields {
			if f == "-" && i >= 6 {
				sep = i
				break
			}
		}
		if sep < 0 || sep+1 >= len(fields) {
			continue
		}
		out = append(out, entry{Point: unescapeMountinfo(fields[4]), FSType: fields[sep+1]})
	}
	return out
}

// unescapeMountinfo undoes the kernel's \ooo escapes (space, tab, newline,
// backslash) in a mountinfo path.
func unescapeMountinfo(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// Under lists the FUSE mounts at or below dir.
func Under(dir string) ([]string, error) {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	var out []string
	for _, m := range parseMountinfo(string(data)) {
		if strings.HasPrefix(m.FSType, "fuse") && (m.Point == dir || strings.HasPrefix(m.Point, dir+"/")) {
			out = append(out, m.Point)
		}
	}
	return out, nil
}

// UnmountUnder lazily detaches every FUSE mount at or below dir with
// helper, so that nothing is left mounted and no removal of dir ever
// reaches through a mount into the remote. It reports mounts it could
// not detach.
func UnmountUnder(helper, dir string) error {
	points, err := Under(dir)
	if err != nil || helper == "" {
		return err
	}
	var errs []error
	for _, p := range points {
		if out, err := exec.Command(helper, "-u", "-z", p).CombinedOutput(); err != nil {
			errs = append(errs, fmt.Errorf("%s -u -z %s: %v: %s", helper, p, err, bytes.TrimSpace(out)))
		}
	}
	return errors.Join(errs...)
}
