//go:build !unix

package extrasfile

import (
	"errors"
	"io/fs"
	"os"
)

// fileLock is a lock file created with O_EXCL, for systems without
// flock(2). A run that crashes leaves it behind; see staleHint.
type fileLock struct {
	f    *os.File
	path string
}

// tryLock takes the lock if it is free; it returns nil, nil if the lock
// file exists.
func tryLock(path string) (*fileLock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &fileLock{f: f, path: path}, nil
}

// release closes and removes the lock file.
func (l *fileLock) release() {
	l.f.Close()
	os.Remove(l.path)
}

func staleHint(display string) string {
	return "; if no other run is going on, a crashed run left the lock behind: delete " + display
}
