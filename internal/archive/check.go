package archive

import (
	"archive/zip"
	"fmt"
	"io"
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
// Errors for types that Check cannot open wrap [ErrUnsupported]. Errors for
// names that archive/zip or archive/tar report as insecure (with
// GODEBUG=zipinsecurepath=0 or tarinsecurepath=0) wrap
// [zip.ErrInsecurePath] or [tar.ErrInsecurePath].
func Check(path, typ, stripPrefix string) (*Report, error) {
	if err := checkArgs(typ, stripPrefix); err != nil {
		return nil, err
	}
	c := newChecker(typ, stripPrefix)
	if err := Walk(path, typ, c.walk); err != nil {
		return nil, err
	}
	return c.finish()
}

// CheckReader checks a tar-based archive (tar, tar.gz, tgz, tar.xz, txz,
// tar.bz2) read from r, like [Check]. It reads r to the end, so it can
// validate an archive while it is being downloaded (for example from an
// io.TeeReader or an io.Pipe). Zip archives need random access: use Check.
func CheckReader(r io.Reader, typ, stripPrefix string) (*Report, error) {
	if err := checkArgs(typ, stripPrefix); err != nil {
		return nil, err
	}
	if isZip(typ) {
		return nil, fmt.Errorf("%s archives need random access; use archive.Check on a file", typ)
	}
	c := newChecker(typ, stripPrefix)
	if err := WalkReader(r, typ, c.walk); err != nil {
		return nil, err
	}
	return c.finish()
}

// checkArgs rejects a type Check cannot open and a strip prefix that is not
// a clean relative path.
func checkArgs(typ, stripPrefix string) error {
	if err := typeError(typ); err != nil {
		return err
	}
	if stripPrefix != "" && (path.Clean(stripPrefix) != stripPrefix || strings.HasPrefix(stripPrefix, "/") ||
		stripPrefix == ".." || strings.HasPrefix(stripPrefix, "../")) {
		return fmt.Errorf("strip_prefix %q is not a clean relative path", stripPrefix)
	}
	return nil
}

// walk checks one member that Walk found. A member whose name Go's reader
// calls insecure is refused, whatever the checks say.
func (c *checker) walk(e *Entry, _ io.Reader) error {
	err := e.Problem // extractors disagree on the member, or Bazel fails on it
	if err == nil {
		err = c.member(e.Name, e.Kind, e.Size, e.Linkname)
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
