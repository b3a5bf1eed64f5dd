//go:build unix

package putiotest

import (
	"os"
	"path/filepath"
	"syscall"
)

// lockNewDir takes the lock of a directory just made; it holds until the
// returned file is closed or the process dies.
func lockNewDir(dir string) (*os.File, error) {
	return lockFile(filepath.Join(dir, lockName), os.O_RDWR|os.O_CREATE)
}

// lockStaleDir takes the lock of another emulator's directory, if nobody
// holds it. It never creates the lock file: one that is missing is being
// removed by its owner's close, and a lock file made in it then would
// keep the owner's removal from emptying the directory.
func lockStaleDir(dir string) (*os.File, error) {
	return lockFile(filepath.Join(dir, lockName), os.O_RDWR)
}

// lockFile opens path with flag and locks it without waiting.
func lockFile(path string, flag int) (*os.File, error) {
	f, err := os.OpenFile(path, flag, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		return nil, err
	}
	return f, nil
}
