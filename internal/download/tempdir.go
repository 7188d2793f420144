package download

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// TempDirPrefix starts the name of every [TempDir], such as
// $TMPDIR/ot-extras-download-1234567.
const TempDirPrefix = "ot-extras-download-"

const (
	// stagingPrefix starts the name a TempDir has while it is being set
	// up, before its lock is held.
	stagingPrefix = "." + TempDirPrefix + "new-"
	// lockName is the lock file in a TempDir. It holds the owner's process
	// id, for people; the lock on it is what says the owner is alive.
	lockName = "lock"
	// orphanAge is how old a directory that CleanStale cannot tell the
	// owner of (a staging directory, or one without a lock file) must be
	// before it is removed: such a directory is at most microseconds old
	// while a live run sets it up.
	orphanAge = time.Hour
)

// TempDir is a directory for one run's downloads, named TempDirPrefix plus
// a random suffix. While it exists its process holds a lock on the file
// "lock" in it (flock(2), which the kernel releases when the process
// ends, however it ends), so that [CleanStale] can tell the directories of
// killed runs, which it removes, from those of live runs, which it leaves
// alone, also across containers that share the directory. On systems
// without flock(2), a directory counts as stale once its lock file is a
// day old.
type TempDir struct {
	// Path is the directory.
	Path    string
	lock    *os.File // nil where there is no flock(2)
	removed bool
}

// NewTempDir removes the stale TempDirs in parent ("" means os.TempDir())
// with CleanStale, then creates a new one there. The caller removes it
// with [TempDir.Remove].
func NewTempDir(parent string) (*TempDir, error) {
	if parent == "" {
		parent = os.TempDir()
	}
	CleanStale(parent)
	// Set the directory up under a staging name and rename it once its
	// lock is held, so that CleanStale never sees a TempDir whose lock is
	// not held yet.
	for try := 0; ; try++ {
		staging, err := os.MkdirTemp(parent, stagingPrefix+"*")
		if err != nil {
			return nil, fmt.Errorf("creating a temporary directory for downloads: %w", err)
		}
		lf, err := os.OpenFile(filepath.Join(staging, lockName), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			err = lockFile(lf)
			if err == nil {
				_, err = lf.WriteString(strconv.Itoa(os.Getpid()) + "\n")
			}
			if err != nil {
				lf.Close()
			}
		}
		if err != nil {
			os.RemoveAll(staging)
			return nil, fmt.Errorf("creating a temporary directory for downloads: %w", err)
		}
		if !canLock {
			// Nothing to hold; and some systems cannot rename a
			// directory with an open file in it.
			lf.Close()
			lf = nil
		}
		final := filepath.Join(parent, TempDirPrefix+strings.TrimPrefix(filepath.Base(staging), stagingPrefix))
		// A TempDir always holds its lock file, so renaming onto one
		// fails rather than replacing it.
		if err := os.Rename(staging, final); err != nil {
			if lf != nil {
				lf.Close()
			}
			os.RemoveAll(staging)
			if try < 10 {
				continue
			}
			return nil, fmt.Errorf("creating a temporary directory for downloads: %w", err)
		}
		return &TempDir{Path: final, lock: lf}, nil
	}
}

// Remove deletes the directory and everything in it, and gives up its
// lock.
func (d *TempDir) Remove() error {
	if d == nil || d.removed {
		return nil
	}
	err := removeContents(d.Path)
	if d.lock != nil {
		// Even if some of it remains: without the lock, the next run's
		// CleanStale removes the rest.
		d.lock.Close()
		d.lock = nil
	}
	d.removed = err == nil
	return err
}

// CleanStale removes the TempDirs in parent ("" means os.TempDir()) whose
// process has ended without removing them, such as runs killed with
// SIGKILL, and returns their paths. A TempDir whose lock is held, by this
// process or another, is never removed. Errors are ignored: what cannot be
// removed now is tried again by the next run.
func CleanStale(parent string) []string {
	if parent == "" {
		parent = os.TempDir()
	}
	entries, err := os.ReadDir(parent)
	if err != nil {
		return nil
	}
	var removed []string
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() { // also skips symbolic links
			continue
		}
		p := filepath.Join(parent, name)
		switch {
		case strings.HasPrefix(name, TempDirPrefix):
			if removeIfStale(p) {
				removed = append(removed, p)
			}
		case strings.HasPrefix(name, stagingPrefix):
			// A run killed while setting its directory up.
			if olderThan(p, orphanAge) && os.RemoveAll(p) == nil {
				removed = append(removed, p)
			}
		}
	}
	return removed
}

// removeIfStale removes the TempDir p if its owner is gone.
func removeIfStale(p string) bool {
	lp := filepath.Join(p, lockName)
	lf, err := os.Open(lp)
	if errors.Is(err, fs.ErrNotExist) {
		// No lock file: a removal that was interrupted (TempDirs have one
		// from the start), or not a TempDir at all. Wait until it is old.
		return olderThan(p, orphanAge) && os.RemoveAll(p) == nil
	}
	if err != nil {
		return false // not ours to judge, such as another user's
	}
	defer lf.Close()
	if !ownerGone(lf) {
		return false
	}
	// The lock is now ours, so no other run removes p at the same time.
	return removeContents(p) == nil
}

// removeContents removes the directory p with everything in it, its lock
// file last, so that a removal cut short leaves a directory whose lock
// file still tells whether it is stale.
func removeContents(p string) error {
	entries, err := os.ReadDir(p)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	for _, e := range entries {
		if e.Name() != lockName {
			if err := os.RemoveAll(filepath.Join(p, e.Name())); err != nil {
				return err
			}
		}
	}
	if err := os.Remove(filepath.Join(p, lockName)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// olderThan reports whether p was last modified more than age ago.
func olderThan(p string, age time.Duration) bool {
	fi, err := os.Lstat(p)
	return err == nil && time.Since(fi.ModTime()) > age
}
