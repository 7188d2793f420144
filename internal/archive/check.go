package archive

import (
	"archive/zip"
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Check opens the archive at path as type typ (one of [Types]; see
// [InferType]) and reads every member to the end. It fails if the file is
// not an archive of that type or is truncated or corrupt, if it holds no
// files, if a member's path is absolute, has a backslash or a drive letter,
// or leaves the archive root through ".." or through a symbolic link that an
// earlier member made, if a symbolic or hard link resolves outside the
// archive (or, for a link inside stripPrefix, outside stripPrefix), if links
// loop, if a link and another member share a path (extractors disagree on
// the result), or if stripPrefix is not "" and is not a directory of the
// archive. stripPrefix is a clean relative path such as "perso-1.0", as in
// extras.json.
//
// The type comes from the archive's name, so its first bytes must be those
// of the type's format (see [Sniff]); if not, the error is a
// [*TypeMismatchError]. The work is bounded by lim (zero fields take the
// [DefaultLimits]): an archive over a limit is refused with a
// [*LimitError] as soon as it is known to be, and resolving the links costs
// at most a fixed number of steps per member. Check stops, returning
// ctx's error, soon after ctx is done, in every phase.
//
// Errors for types that Check cannot open (tar.zst, tzst, ar, deb) wrap
// [ErrUnsupported]; they come after the magic bytes were found right.
// Errors for names that archive/zip or archive/tar report as insecure
// (with GODEBUG=zipinsecurepath=0 or tarinsecurepath=0) wrap
// [zip.ErrInsecurePath] or [tar.ErrInsecurePath].
func Check(ctx context.Context, path, typ, stripPrefix string, lim Limits) (*Report, error) {
	if err := checkArgs(typ, stripPrefix); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	head := make([]byte, sniffLen)
	n, err := io.ReadFull(f, head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if err := sniffType(typ, head[:n]); err != nil {
		return nil, err
	}
	if err := typeError(typ); err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	b := &budget{ctx: ctx, lim: lim.withDefaults()}
	c := newChecker(typ, stripPrefix, b)
	var r io.Reader
	if isZip(typ) {
		r = io.NewSectionReader(&ctxReaderAt{ctx: ctx, r: f, size: fi.Size()}, 0, fi.Size())
	} else {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return nil, err
		}
		r = &streamReader{Reader: f, b: b}
	}
	return c.run(r)
}

// CheckReader checks a tar-based archive (tar, tar.gz, tgz, tar.xz, txz,
// tar.bz2) read from r, like [Check]. It reads r to the end, so it can
// validate an archive while it is being downloaded (for example from an
// io.TeeReader or an io.Pipe). Zip archives need random access: use Check.
func CheckReader(ctx context.Context, r io.Reader, typ, stripPrefix string, lim Limits) (*Report, error) {
	if err := checkArgs(typ, stripPrefix); err != nil {
		return nil, err
	}
	if isZip(typ) {
		return nil, fmt.Errorf("%s archives need random access; use archive.Check on a file", typ)
	}
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(sniffLen)
	if err != nil && err != io.EOF {
		return nil, err
	}
	if err := sniffType(typ, head); err != nil {
		return nil, err
	}
	if err := typeError(typ); err != nil {
		return nil, err
	}
	b := &budget{ctx: ctx, lim: lim.withDefaults()}
	return newChecker(typ, stripPrefix, b).run(&streamReader{Reader: br, b: b})
}

// run walks the archive read from r and checks it. An error caused by
// ctx or by a limit is returned as it is, not as a corrupt archive.
func (c *checker) run(r io.Reader) (*Report, error) {
	err := WalkReader(r, c.typ, c.walk)
	if err == nil {
		var rep *Report
		rep, err = c.finish()
		if err == nil {
			return rep, nil
		}
	}
	if cerr := c.budget.ctx.Err(); cerr != nil {
		if cause := context.Cause(c.budget.ctx); cause != cerr {
			return nil, fmt.Errorf("checking the %s archive: %w (%w)", c.typ, cerr, cause)
		}
		return nil, fmt.Errorf("checking the %s archive: %w", c.typ, cerr)
	}
	if le := (*LimitError)(nil); errors.As(err, &le) {
		return nil, le
	}
	return nil, err
}

// checkArgs rejects an unknown type and a strip prefix that is not a clean
// relative path.
func checkArgs(typ, stripPrefix string) error {
	if Format(typ) == "" {
		return typeError(typ)
	}
	if stripPrefix != "" && (path.Clean(stripPrefix) != stripPrefix || strings.HasPrefix(stripPrefix, "/") ||
		stripPrefix == ".." || strings.HasPrefix(stripPrefix, "../")) {
		return fmt.Errorf("strip_prefix %q is not a clean relative path", stripPrefix)
	}
	return nil
}

// walk checks one member that Walk found. A member whose name Go's reader
// calls insecure is refused, whatever the checks say.
func (c *checker) walk(e *Entry, body io.Reader) error {
	if err := c.budget.entry(e.Name, e.Size); err != nil {
		return err
	}
	err := e.Problem // extractors disagree on the member, or Bazel fails on it
	if err == nil {
		err = c.member(e.Name, e.Kind, e.Size, e.Linkname)
	}
	if err == nil {
		// Read the content here, to count it against MaxUnpacked and stop
		// with ctx (Walk would read it to the end after this returns).
		_, err = io.Copy(io.Discard, &budgetReader{b: c.budget, r: body, count: &c.budget.body})
		if err != nil && c.budget.ctx.Err() == nil && !isLimit(err) {
			err = corrupt(c.typ, fmt.Errorf("member %q: %w", e.Name, err))
		}
	}
	if e.Insecure == nil {
		return err
	}
	pkg := "archive/tar"
	if e.Insecure == zip.ErrInsecurePath {
		pkg = "archive/zip"
	}
	if err == nil {
		return fmt.Errorf("member %q has a name that Go's %s calls insecure: %w", e.Name, pkg, e.Insecure)
	}
	return &wrapped{err, e.Insecure}
}

// wrapped is an error with the message of msg that also wraps cause.
type wrapped struct{ msg, cause error }

func (w *wrapped) Error() string   { return w.msg.Error() }
func (w *wrapped) Unwrap() []error { return []error{w.msg, w.cause} }

// zipInsecure reports whether archive/zip flags name as insecure (with
// GODEBUG=zipinsecurepath=0).
func zipInsecure(name string) bool {
	return name != "" && (!filepath.IsLocal(name) || strings.Contains(name, `\`))
}

func isLimit(err error) bool {
	var le *LimitError
	return errors.As(err, &le)
}
