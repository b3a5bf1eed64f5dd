//go:build !unix

package putiotest

import (
	"errors"
	"io"
	"os"
	"path/filepath"
)

// lockDir cannot tell live directories from stale ones here: it claims a
// fresh directory and never a used one, so nothing in use is swept.
func lockDir(dir string) (io.Closer, error) {
	f, err := os.OpenFile(filepath.Join(dir, lockName), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return nil, errors.New("putiotest: directory in use")
	}
	return f, err
}
