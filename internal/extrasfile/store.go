package extrasfile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/extras"
)

// DefaultLockTimeout is the lock wait used when Store.LockTimeout is 0.
const DefaultLockTimeout = 30 * time.Second

// Store is an extras.json file on disk. Reads happen without the lock;
// [Store.Update] takes it.
type Store struct {
	// Path is the file, symbolic links resolved.
	Path string
	// Display is the file's name in messages, such as "skus/extras.json".
	Display string
	// Options are passed to extras.Parse for every read.
	Options extras.Options
	// LockTimeout is how long Update waits for another process holding
	// the lock; 0 means DefaultLockTimeout.
	LockTimeout time.Duration
	// Holder names the other process in messages about the lock, such as
	// "another update_extras run"; "" means "another process".
	Holder string
	// Notify, if not nil, is told once that Update is waiting for the
	// lock, and about temporary files of killed runs that Update removed.
	Notify func(format string, args ...any)
}

// Open returns the store for the file at path (shown as display in
// messages), which must lie in root: see [OpenIn].
func Open(path, display string) (*Store, error) {
	return OpenIn(filepath.Dir(path), path, display)
}

// OpenIn returns the store for the file at path (shown as display in
// messages), resolving symbolic links so that the lock and the temporary
// file lie beside the real file. The file must exist. If path is a
// symbolic link, it must resolve to a file inside the directory root (such
// as the repository's root), symbolic links in root resolved: a link to
// elsewhere (which a pull request could commit) is refused with a
// *SymlinkError, since the tools would then write the file it points to.
func OpenIn(root, path, display string) (*Store, error) {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			if fi, lerr := os.Lstat(path); lerr == nil && fi.Mode()&fs.ModeSymlink != 0 {
				target, _ := os.Readlink(path)
				return nil, &SymlinkError{Display: display, Target: target, What: "the file"}
			}
			return nil, fmt.Errorf("%s does not exist", display)
		}
		return nil, err
	}
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		if !within(root, real) {
			return nil, &SymlinkError{Display: display, Target: real, What: "the file"}
		}
	}
	if fi, err := os.Stat(real); err == nil && !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file (%s); replace it with the file itself", display, fi.Mode().Type())
	}
	return &Store{Path: real, Display: display}, nil
}

// within reports whether the resolved path real lies inside the directory
// root, whose symbolic links are resolved for the comparison.
func within(root, real string) bool {
	r, err := filepath.EvalSymlinks(root)
	if err != nil {
		return false
	}
	rel, err := filepath.Rel(r, real)
	return err == nil && filepath.IsLocal(rel)
}

// SymlinkError is a file of the store (extras.json, its lock or a
// temporary file) that is a symbolic link to a place the store refuses to
// write: following it would write a file that is not the store's.
type SymlinkError struct {
	Display string // the link, as shown in messages
	Target  string // what it points to
	What    string // "the file", "the lock", "the temporary file"
}

func (e *SymlinkError) Error() string {
	switch e.What {
	case "the file":
		return fmt.Sprintf("%s is a symbolic link to %s, outside the repository; refusing to write through it (a committed link could make the tools overwrite any file): delete the link (rm %s) and put the file itself there", e.Display, e.Target, e.Display)
	default:
		return fmt.Sprintf("%s, %s, is a symbolic link to %s; refusing to follow it (it would overwrite that file): delete the link (rm %s) and run the command again", e.Display, e.What, e.Target, e.Display)
	}
}

// Load reads and parses the file and returns it with its bytes. If it does
// not parse, the error is a *ParseError listing every problem with its
// position. Once ctx is done, the parse stops (see [extras.Parse]).
func (s *Store) Load(ctx context.Context) (*extras.File, []byte, error) {
	data, err := os.ReadFile(s.Path)
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w", s.Display, err)
	}
	f, err := extras.Parse(ctx, s.Display, data, s.Options)
	if err != nil {
		return nil, data, &ParseError{Display: s.Display, Err: err}
	}
	return f, data, nil
}

// ParseError is a file that does not parse; no change is applied to it.
// Err is the error of extras.Parse, usually an extras.ErrorList.
type ParseError struct {
	Display string
	Err     error
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("%s does not parse; fix these problems first:\n%v", e.Display, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

// Update locks the file, re-reads and re-parses it, lets change modify the
// parsed file, and writes the result in the canonical encoding if it
// differs from the file's bytes. It reports whether it wrote. If change or
// anything else fails, the file is left as it was. Once it holds the lock,
// it removes the temporary files that killed runs left beside the file
// (see [RemoveStaleTemps]).
func (s *Store) Update(ctx context.Context, change func(f *extras.File) error) (bool, error) {
	timeout := s.LockTimeout
	if timeout <= 0 {
		timeout = DefaultLockTimeout
	}
	lock, err := AcquireLock(ctx, s.Path+".lock", s.Display+".lock", LockOptions{Timeout: timeout, Holder: s.Holder, Notify: s.Notify})
	if err != nil {
		return false, err
	}
	defer lock.Release()
	if removed := RemoveStaleTemps(s.Path); len(removed) > 0 && s.Notify != nil {
		s.Notify("removed the temporary files that an interrupted run left beside %s: %s", s.Display, strings.Join(removed, ", "))
	}
	f, data, err := s.Load(ctx)
	if err != nil {
		return false, err
	}
	if err := change(f); err != nil {
		return false, err
	}
	out := f.Encode()
	// Set does not validate; a file that cannot be read back must never
	// be written.
	if _, err := extras.Parse(ctx, s.Display, out, s.Options); err != nil {
		return false, &InvalidChangeError{Display: s.Display, Err: err}
	}
	if bytes.Equal(out, data) {
		return false, nil
	}
	if err := WriteAtomic(s.Path, out); err != nil {
		return false, fmt.Errorf("writing %s: %w", s.Display, err)
	}
	return true, nil
}

// InvalidChangeError is a change that [Store.Update] refused because the
// file would not parse after it. Err is the error of extras.Parse.
type InvalidChangeError struct {
	Display string
	Err     error
}

func (e *InvalidChangeError) Error() string {
	return fmt.Sprintf("the change would make %s invalid, so nothing was written:\n%v", e.Display, EntryErrors(e.Err))
}

func (e *InvalidChangeError) Unwrap() error { return e.Err }

// EntryErrors returns a Parse error of a file that a tool built in memory
// with the positions left out (they are positions in a file that does not
// exist): one line per problem, `entry "name": message`. The result wraps
// err.
func EntryErrors(err error) error {
	var list extras.ErrorList
	if !errors.As(err, &list) {
		return err
	}
	var lines []string
	for _, e := range list {
		if e.Entry != "" {
			lines = append(lines, fmt.Sprintf("entry %q: %s", e.Entry, e.Msg))
		} else {
			lines = append(lines, e.Msg)
		}
	}
	return &entryErrors{msg: strings.Join(slices.Compact(lines), "\n"), err: err}
}

// entryErrors is the error of EntryErrors.
type entryErrors struct {
	msg string
	err error
}

func (e *entryErrors) Error() string { return e.msg }
func (e *entryErrors) Unwrap() error { return e.err }

// TestHookBeforeRename, if set, runs in WriteAtomic after the temporary
// file is complete and before it replaces the file; an error aborts the
// write. It exists for tests that simulate a failure at the last moment.
var TestHookBeforeRename func(tmp string) error

// WriteAtomic replaces path with data: it writes a temporary file in the
// same directory, named .BASE.tmp-* (BASE being path's file name), flushes
// it to disk and renames it over path, so that readers (and a crash) see
// either the old or the new content. The file keeps its permissions. No
// temporary file is left behind on failure, except by a process killed
// while writing; [Store.Update] removes those, so a file of a Store must be
// written only under its lock.
func WriteAtomic(path string, data []byte) (err error) {
	perm := fs.FileMode(0o644)
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&fs.ModeSymlink != 0 {
			// The rename would replace the link, not its target; callers
			// pass the file itself (Store resolves its links).
			target, _ := os.Readlink(path)
			return &SymlinkError{Display: path, Target: target, What: "the file to replace"}
		}
		perm = fi.Mode().Perm()
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	// os.CreateTemp opens with O_CREATE|O_EXCL and a random name, so it
	// never follows a link planted at that name: it picks another name.
	tmp, err := os.CreateTemp(dir, tempPattern(base))
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return err
	}
	if err := tmp.Chmod(perm); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if TestHookBeforeRename != nil {
		if err := TestHookBeforeRename(tmp.Name()); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	// Make the rename itself durable. Not every system can sync a
	// directory; the data is safe in the file either way.
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// tempPattern is the os.CreateTemp pattern of WriteAtomic's temporary
// files for the file named base.
func tempPattern(base string) string { return "." + base + ".tmp-*" }

// RemoveStaleTemps removes the temporary files of WriteAtomic for path
// (.BASE.tmp-* beside it) and returns their names. Only a process killed
// in the middle of WriteAtomic leaves them, since WriteAtomic removes its
// file on every failure; the caller must hold path's lock, under which
// only the lock holder writes such files, so every one found is stale.
// Store.Update calls it after taking the lock. Errors are ignored: a file
// that cannot be removed now is tried again by the next run.
func RemoveStaleTemps(path string) []string {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	prefix := strings.TrimSuffix(tempPattern(base), "*")
	var removed []string
	for _, e := range entries {
		// Regular files only: WriteAtomic writes nothing else.
		if !strings.HasPrefix(e.Name(), prefix) || !e.Type().IsRegular() {
			continue
		}
		if os.Remove(filepath.Join(dir, e.Name())) == nil {
			removed = append(removed, e.Name())
		}
	}
	return removed
}

// SameEntry reports whether a and b describe the same archive (ignoring
// their positions in the file). Two nil entries are the same.
func SameEntry(a, b *extras.Entry) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Name == b.Name && slices.Equal(a.URLs, b.URLs) && a.SHA256 == b.SHA256 &&
		a.Integrity == b.Integrity && a.StripPrefix == b.StripPrefix && a.Type == b.Type &&
		a.Provenance == b.Provenance
}

// Lookup returns a copy of f's entry name, or nil.
func Lookup(f *extras.File, name string) *extras.Entry {
	e, ok := f.Lookup(name)
	if !ok {
		return nil
	}
	c := *e
	c.URLs = slices.Clone(e.URLs)
	return &c
}

// Conflict checks, under the lock, that entry name of f is still before,
// as read before a long operation (such as a download); display names the
// file in the error. Returned from the change function of [Store.Update],
// the error leaves the file as it was.
func Conflict(display string, f *extras.File, name string, before *extras.Entry) error {
	if now := Lookup(f, name); !SameEntry(now, before) {
		return fmt.Errorf("entry %q changed in %s while the archive was downloading (another run or an editor?); run the command again", name, display)
	}
	return nil
}
