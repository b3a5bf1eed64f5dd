//go:build !unix

package putiotest

import (
	"errors"
	"io"
	"os"
	"path/filepath"
)

// lockNewDir claims a directory just made. Without flock the emulator
// cannot tell live directories from stale ones here, so lockStaleDir
// claims none and nothing in use is swept.
func lockNewDir(dir string) (io.Closer, error) {
	f, err := os.OpenFile(filepath.Join(dir, lockName), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	return f, nil
}

func lockStaleDir(string) (io.Closer, error) {
	return nil, errors.New("putiotest: directory in use")
}
