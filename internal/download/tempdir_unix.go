//go:build unix

package download

import (
	"os"
	"syscall"
)

// canLock says that TempDirs hold their lock while they exist.
const canLock = true

// lockFile takes an exclusive lock on f that lasts until f is closed or
// the process ends.
func lockFile(f *os.File) error {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
}

// ownerGone reports whether no process holds the lock on the lock file f,
// taking it if so. flock(2) locks belong to the open file, so a TempDir of
// this very process also counts as held.
func ownerGone(f *os.File) bool {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil
}
