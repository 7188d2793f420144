package main

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

// store is the extras.json file on disk. Reads happen without the lock;
// every change re-reads the file under the lock, applies itself to what it
// finds there and replaces the file atomically, so that the file is either
// the old or the new version, never a mix, and two runs cannot lose each
// other's changes.
type store struct {
	path        string // the file, symbolic links resolved
	display     string // its name in messages
	opts        extras.Options
	lockTimeout time.Duration
	notify      func(format string, args ...any) // tells about waiting for the lock
}

// openStore resolves the file named by the flags.
func (c *cli) openStore() (*store, error) {
	path, display := c.filePath()
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s does not exist; run from the repository root (or with bazel run), or name the file with -file", display)
		}
		return nil, err
	}
	return &store{
		path:        real,
		display:     display,
		opts:        extras.Options{AllowInsecure: c.allowInsecure},
		lockTimeout: c.lockTimeout,
		notify:      c.ui.logf,
	}, nil
}

// load reads and parses the file. If it does not parse, the error lists
// every problem with its position.
func (s *store) load() (*extras.File, []byte, error) {
	data, err := os.ReadFile(s.path)
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w", s.display, err)
	}
	f, err := extras.Parse(s.display, data, s.opts)
	if err != nil {
		return nil, data, &parseError{s.display, err}
	}
	return f, data, nil
}

// parseError is a file that does not parse; the tool refuses to touch it.
type parseError struct {
	display string
	err     error
}

func (e *parseError) Error() string {
	msg := fmt.Sprintf("%s does not parse; fix these problems first:\n%v", e.display, e.err)
	return strings.ReplaceAll(msg, "Options.AllowInsecure", "-allow-insecure")
}

func (e *parseError) Unwrap() error { return e.err }

// update locks the file, re-reads and re-parses it, lets change modify the
// parsed file, and writes the result in the canonical encoding if it
// differs from the file's bytes. It reports whether it wrote. If change or
// anything else fails, the file is left as it was.
func (s *store) update(ctx context.Context, change func(f *extras.File) error) (bool, error) {
	lock, err := acquireLock(ctx, s.path+".lock", s.display+".lock", s.lockTimeout, s.notify)
	if err != nil {
		return false, err
	}
	defer lock.release()
	f, data, err := s.load()
	if err != nil {
		return false, err
	}
	if err := change(f); err != nil {
		return false, err
	}
	out := f.Encode()
	// Set does not validate; a file this tool cannot read back must never
	// be written.
	if _, err := extras.Parse(s.display, out, s.opts); err != nil {
		return false, fmt.Errorf("the change would make %s invalid, so nothing was written:\n%s", s.display, entryErrors(err))
	}
	if bytes.Equal(out, data) {
		return false, nil
	}
	if err := writeAtomic(s.path, out); err != nil {
		return false, fmt.Errorf("writing %s: %w", s.display, err)
	}
	return true, nil
}

// entryErrors formats a Parse error of a file that this tool built,
// without positions (they are positions in a file that does not exist).
func entryErrors(err error) string {
	var list extras.ErrorList
	if !errors.As(err, &list) {
		return err.Error()
	}
	var lines []string
	for _, e := range list {
		if e.Entry != "" {
			lines = append(lines, fmt.Sprintf("entry %q: %s", e.Entry, e.Msg))
		} else {
			lines = append(lines, e.Msg)
		}
	}
	// The messages name the Go option; on the command line it is a flag.
	msg := strings.Join(slices.Compact(lines), "\n")
	return strings.ReplaceAll(msg, "Options.AllowInsecure", "-allow-insecure")
}

// testHookBeforeRename, if set, runs in writeAtomic after the temporary
// file is complete and before it replaces the file; an error aborts the
// write. Tests use it to simulate a failure at the last moment.
var testHookBeforeRename func(tmp string) error

// writeAtomic replaces path with data: it writes a temporary file in the
// same directory, flushes it to disk and renames it over path, so that
// readers (and a crash) see either the old or the new content. The file
// keeps its permissions. No temporary file is left behind on failure.
func writeAtomic(path string, data []byte) (err error) {
	perm := fs.FileMode(0o644)
	if fi, err := os.Stat(path); err == nil {
		perm = fi.Mode().Perm()
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
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
	if testHookBeforeRename != nil {
		if err := testHookBeforeRename(tmp.Name()); err != nil {
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

// sameEntry reports whether a and b describe the same archive (ignoring
// their positions in the file).
func sameEntry(a, b *extras.Entry) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Name == b.Name && slices.Equal(a.URLs, b.URLs) && a.SHA256 == b.SHA256 &&
		a.Integrity == b.Integrity && a.StripPrefix == b.StripPrefix && a.Type == b.Type &&
		a.Provenance == b.Provenance
}

// lookup returns a copy of f's entry name, or nil.
func lookup(f *extras.File, name string) *extras.Entry {
	e, ok := f.Lookup(name)
	if !ok {
		return nil
	}
	c := *e
	c.URLs = slices.Clone(e.URLs)
	return &c
}

// conflict checks, under the lock, that entry name is still as it was
// when the command read the file before downloading.
func conflict(display string, f *extras.File, name string, before *extras.Entry) error {
	if now := lookup(f, name); !sameEntry(now, before) {
		return fmt.Errorf("entry %q changed in %s while the archive was downloading (another run or an editor?); nothing was written, run the command again", name, display)
	}
	return nil
}
