// Package extrasfile reads and changes an extras.json file on disk safely:
// every change re-reads the file under an exclusive lock, applies itself to
// what it finds there, checks that the result still parses, and replaces the
// file atomically, so that the file is always either the old or the new
// version and two processes cannot lose each other's changes. A run killed
// while writing leaves a temporary file beside extras.json; the next run
// that takes the lock removes it.
//
// The file format itself is package extras; this package only adds the
// locking and the atomic write that every tool editing the file shares
// (tools/update_extras and tools/release).
package extrasfile
