//go:build unix

package extrasfile

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// fileLock is an exclusive flock(2) on a lock file beside extras.json. The
// kernel releases it when the process ends, however it ends, so a crashed
// run never leaves a stale lock; the file itself is removed on release.
type fileLock struct {
	f    *os.File
	path string
}

// tryLock takes the lock if it is free; it returns nil, nil if another
// process holds it.
func tryLock(path string) (*fileLock, error) {
	// O_NOFOLLOW: a lock that is a symbolic link (committed in a pull
	// request, say) must not make us create or truncate its target.
	// O_NONBLOCK: opening a FIFO planted there must not hang; it is
	// refused below.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0o644)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) || errors.Is(err, syscall.EMLINK) {
			return nil, symlinkLock(path)
		}
		return nil, err
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		if err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%s is not a regular file (%s): delete it and run the command again", path, fi.Mode().Type())
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, nil
		}
		return nil, err
	}
	// The previous holder removes the file before unlocking it; if that
	// happened between our open and flock, we locked a file nobody else
	// will see, so start over with the new one.
	held, err1 := f.Stat()
	now, err2 := os.Stat(path)
	if err1 != nil || err2 != nil || !os.SameFile(held, now) {
		f.Close()
		return nil, nil
	}
	return &fileLock{f: f, path: path}, nil
}

// release removes the lock file and unlocks it.
func (l *fileLock) release() {
	os.Remove(l.path)
	l.f.Close()
}

// staleHint is what to do about a lock that is never released; flock
// locks die with their process, so there is nothing to add.
func staleHint(string) string { return "" }
