package archive

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"compress/bzip2"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/ulikunitz/xz"
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
	switch typ {
	case "zip", "jar", "war", "aar":
		return checkZip(path, typ, stripPrefix)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return CheckReader(f, typ, stripPrefix)
}

// CheckReader checks a tar-based archive (tar, tar.gz, tgz, tar.xz, txz,
// tar.bz2) read from r, like [Check]. It reads r to the end, so it can
// validate an archive while it is being downloaded (for example from an
// io.TeeReader or an io.Pipe). Zip archives need random access: use Check.
func CheckReader(r io.Reader, typ, stripPrefix string) (*Report, error) {
	if err := checkArgs(typ, stripPrefix); err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(r, 64<<10)
	var dec io.Reader
	switch typ {
	case "tar":
		dec = br
	case "tar.gz", "tgz":
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, notArchive(typ, err)
		}
		defer zr.Close()
		dec = zr
	case "tar.xz", "txz":
		xr, err := xz.NewReader(br)
		if err != nil {
			return nil, notArchive(typ, err)
		}
		dec = xr
	case "tar.bz2":
		dec = bzip2.NewReader(br)
	case "zip", "jar", "war", "aar":
		return nil, fmt.Errorf("%s archives need random access; use archive.Check on a file", typ)
	}
	rep, err := checkTar(dec, typ, stripPrefix)
	if err != nil {
		return nil, err
	}
	// Read what follows the tar end marker so that the compressed
	// stream's trailer (gzip CRC and size, xz and bzip2 checks) is verified.
	if _, err := io.Copy(io.Discard, dec); err != nil {
		return nil, corrupt(typ, err)
	}
	return rep, nil
}

// checkArgs rejects a type Check cannot open and a strip prefix that is not
// a clean relative path.
func checkArgs(typ, stripPrefix string) error {
	if !Supported(typ) {
		if typ == "" {
			return errors.New("no archive type given")
		}
		for _, t := range Types {
			if t == typ {
				return fmt.Errorf("%w: %s (supported: zip, jar, war, aar, tar, tar.gz, tgz, tar.xz, txz, tar.bz2)", ErrUnsupported, typ)
			}
		}
		return fmt.Errorf("unknown archive type %q", typ)
	}
	if stripPrefix != "" && (path.Clean(stripPrefix) != stripPrefix || strings.HasPrefix(stripPrefix, "/") ||
		stripPrefix == ".." || strings.HasPrefix(stripPrefix, "../")) {
		return fmt.Errorf("strip_prefix %q is not a clean relative path", stripPrefix)
	}
	return nil
}

// notArchive describes a file whose first bytes are not of the type.
func notArchive(typ string, err error) error {
	return fmt.Errorf("not a %s archive: %w", typ, err)
}

// corrupt describes a read error in the middle of an archive.
func corrupt(typ string, err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("the %s archive is truncated: %w", typ, err)
	}
	return fmt.Errorf("the %s archive is corrupt: %w", typ, err)
}

func checkTar(r io.Reader, typ, stripPrefix string) (*Report, error) {
	c := newChecker(typ, stripPrefix)
	tr := tar.NewReader(r)
	for i := 0; ; i++ {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		// With GODEBUG=tarinsecurepath=0, Next flags a name that is not
		// local (filepath.IsLocal) but still returns the header: the member
		// is checked below, and refused whatever our own checks say.
		insecure := errors.Is(err, tar.ErrInsecurePath)
		if err != nil && !insecure {
			if i == 0 && !errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, notArchive(typ, err)
			}
			return nil, corrupt(typ, err)
		}
		if hdr.Typeflag == tar.TypeXGlobalHeader && !insecure {
			continue // pax global header (git archive writes one): not a member
		}
		k, target := kindOther, ""
		switch hdr.Typeflag {
		case tar.TypeReg, tar.TypeGNUSparse, tar.TypeCont:
			k = kindFile
		case tar.TypeDir:
			k = kindDir
		case tar.TypeSymlink:
			k, target = kindSymlink, hdr.Linkname
		case tar.TypeLink:
			k, target = kindHardlink, hdr.Linkname
		}
		if err := c.member(hdr.Name, k, hdr.Size, target); err != nil || insecure {
			return nil, insecurePath("archive/tar", hdr.Name, err, tar.ErrInsecurePath, insecure)
		}
		if _, err := io.Copy(io.Discard, tr); err != nil {
			return nil, corrupt(typ, fmt.Errorf("member %q: %w", hdr.Name, err))
		}
	}
	return c.finish()
}

// insecurePath returns the error for a member whose check failed with err
// (nil if it passed). If flagged, Go's reader reported the member's name as
// insecure with goErr: the error then wraps goErr, and is not nil even if
// the member passed.
func insecurePath(pkg, name string, err, goErr error, flagged bool) error {
	switch {
	case !flagged:
		return err
	case err == nil:
		return fmt.Errorf("member %q has a name that Go's %s calls insecure: %w", name, pkg, goErr)
	}
	return &wrapped{err, goErr}
}

// wrapped is an error with the message of msg that also wraps cause.
type wrapped struct{ msg, cause error }

func (w *wrapped) Error() string   { return w.msg.Error() }
func (w *wrapped) Unwrap() []error { return []error{w.msg, w.cause} }

// maxLinkTarget bounds the length of a symlink's target (a zip symlink's
// content), as PATH_MAX does for the kernel.
const maxLinkTarget = 4096

func checkZip(name, typ, stripPrefix string) (*Report, error) {
	zr, err := zip.OpenReader(name)
	// With GODEBUG=zipinsecurepath=0, OpenReader flags an archive with a
	// name that is not local or has a backslash, but still returns the
	// reader: the members are checked below, and the flagged one refused
	// whatever our own checks say.
	insecure := errors.Is(err, zip.ErrInsecurePath)
	if err != nil && !insecure {
		return nil, notArchive(typ, err)
	}
	defer zr.Close()
	c := newChecker(typ, stripPrefix)
	for _, f := range zr.File {
		k, target := kindFile, ""
		mode := f.Mode()
		switch {
		case strings.HasSuffix(f.Name, "/") || mode.IsDir():
			k = kindDir
		case mode&fs.ModeSymlink != 0:
			k = kindSymlink
			b, err := readZipMember(f, maxLinkTarget)
			if err != nil {
				return nil, corrupt(typ, fmt.Errorf("member %q: %w", f.Name, err))
			}
			target = string(b)
		}
		flagged := insecure && zipInsecure(f.Name)
		if err := c.member(f.Name, k, int64(f.UncompressedSize64), target); err != nil || flagged {
			return nil, insecurePath("archive/zip", f.Name, err, zip.ErrInsecurePath, flagged)
		}
		if k == kindFile {
			// Reading to the end verifies the member's CRC-32 and size.
			if _, err := readZipMember(f, -1); err != nil {
				return nil, corrupt(typ, fmt.Errorf("member %q: %w", f.Name, err))
			}
		}
	}
	if insecure { // not expected: zipInsecure is archive/zip's test
		return nil, fmt.Errorf("the %s archive has a name that Go's archive/zip calls insecure: %w", typ, zip.ErrInsecurePath)
	}
	return c.finish()
}

// zipInsecure reports whether archive/zip flags name as insecure (with
// GODEBUG=zipinsecurepath=0).
func zipInsecure(name string) bool {
	return name != "" && (!filepath.IsLocal(name) || strings.Contains(name, `\`))
}

// readZipMember reads f to the end, returning at most limit bytes of it
// (nothing if limit < 0).
func readZipMember(f *zip.File, limit int) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	if limit < 0 {
		_, err = io.Copy(io.Discard, rc)
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(rc, int64(limit)+1))
	if err != nil {
		return nil, err
	}
	if len(b) > limit {
		return nil, fmt.Errorf("symlink target longer than %d bytes", limit)
	}
	return b, nil
}
