//go:build !unix

package download

import (
	"os"
	"time"
)

// staleAge is how old the lock file of a TempDir must be before CleanStale
// takes its owner for gone, on systems without flock(2): far beyond
// DefaultDeadline.
const staleAge = 24 * time.Hour

// canLock says that there is no lock to hold.
const canLock = false

// lockFile does nothing: without flock(2), the lock file's age tells
// whether a TempDir is stale.
func lockFile(*os.File) error { return nil }

// ownerGone reports whether the lock file f is older than staleAge.
func ownerGone(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && time.Since(fi.ModTime()) > staleAge
}
