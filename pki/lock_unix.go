//go:build unix

package pki

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockDir takes the keyring directory's write lock, waiting for another
// process (a node, or the command line rotating a key) to finish its
// change. The kernel drops the lock when its holder dies, so a crash
// never leaves the keyring locked.
func lockDir(dir string) (unlock func() error, err error) {
	f, err := os.OpenFile(filepath.Join(dir, lockFile), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("locking keyring %s: %w", dir, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("locking keyring %s: %w", dir, err)
	}
	return func() error {
		// Closing the file releases the lock.
		if err := f.Close(); err != nil {
			return fmt.Errorf("unlocking keyring %s: %w", dir, err)
		}
		return nil
	}, nil
}
