package archive

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/ulikunitz/xz"
)

// Kind is what an archive member is.
type Kind int

const (
	KindFile     Kind = iota // a regular file
	KindDir                  // a directory
	KindSymlink              // a symbolic link
	KindHardlink             // a tar hard link
	KindOther                // a device, a FIFO
)

// An Entry is one member of an archive, as [Walk] finds it.
type Entry struct {
	Name string      // as written in the archive
	Kind Kind        //
	Size int64       // a file's uncompressed size
	Mode fs.FileMode // the permission bits
	// Linkname is a link's target: relative to the link's directory for a
	// symbolic link (in a zip archive, the member's content), relative to
	// the archive root for a tar hard link.
	Linkname string
	// Insecure, if not nil, is tar.ErrInsecurePath or zip.ErrInsecurePath:
	// Go's reader calls the name insecure (only with GODEBUG
	// tarinsecurepath=0 or zipinsecurepath=0).
	Insecure error
}

// WalkFunc is called by [Walk] for each member, in the archive's order,
// with the member's content (empty but for files).
type WalkFunc func(e *Entry, body io.Reader) error

// Walk opens the archive at path as type typ (one of the types that
// [Supported] accepts) and calls fn for each member in order. What fn
// leaves of a member's content is read after it returns, and so is what
// follows the last member, so that every checksum of the archive (of the
// compressed stream, and of each zip member) is verified: a truncated or
// corrupt archive is an error, whatever fn reads. An error from fn ends
// the walk and is returned as it is.
func Walk(path, typ string, fn WalkFunc) error {
	if err := typeError(typ); err != nil {
		return err
	}
	if isZip(typ) {
		zr, err := zip.OpenReader(path)
		if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
			return notArchive(typ, err)
		}
		defer zr.Close()
		return walkZip(&zr.Reader, err, typ, fn)
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return WalkReader(f, typ, fn)
}

// WalkReader is [Walk] on an archive read from r, to the end, so that an
// archive can be walked while it is downloaded. For zip types, which need
// random access, r must be an io.ReaderAt with a Size method, such as a
// *bytes.Reader.
func WalkReader(r io.Reader, typ string, fn WalkFunc) error {
	if err := typeError(typ); err != nil {
		return err
	}
	if isZip(typ) {
		ra, ok := r.(interface {
			io.ReaderAt
			Size() int64
		})
		if !ok {
			return fmt.Errorf("%s archives need random access; use archive.Walk on a file", typ)
		}
		zr, err := zip.NewReader(ra, ra.Size())
		if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
			return notArchive(typ, err)
		}
		return walkZip(zr, err, typ, fn)
	}
	br := bufio.NewReaderSize(r, 64<<10)
	var dec io.Reader
	switch typ {
	case "tar":
		dec = br
	case "tar.gz", "tgz":
		zr, err := gzip.NewReader(br)
		if err != nil {
			return notArchive(typ, err)
		}
		defer zr.Close()
		dec = zr
	case "tar.xz", "txz":
		xr, err := xz.NewReader(br)
		if err != nil {
			return notArchive(typ, err)
		}
		dec = xr
	case "tar.bz2":
		dec = bzip2.NewReader(br)
	}
	if err := walkTar(dec, typ, fn); err != nil {
		return err
	}
	// Read what follows the tar end marker so that the compressed
	// stream's trailer (gzip CRC and size, xz and bzip2 checks) is verified.
	if _, err := io.Copy(io.Discard, dec); err != nil {
		return corrupt(typ, err)
	}
	return nil
}

func isZip(typ string) bool {
	switch typ {
	case "zip", "jar", "war", "aar":
		return true
	}
	return false
}

// typeError rejects a type that Walk cannot open.
func typeError(typ string) error {
	if Supported(typ) {
		return nil
	}
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

func walkTar(r io.Reader, typ string, fn WalkFunc) error {
	tr := tar.NewReader(r)
	for i := 0; ; i++ {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		// With GODEBUG=tarinsecurepath=0, Next flags a name that is not
		// local (filepath.IsLocal) but still returns the header.
		insecure := errors.Is(err, tar.ErrInsecurePath)
		if err != nil && !insecure {
			if i == 0 && !errors.Is(err, io.ErrUnexpectedEOF) {
				return notArchive(typ, err)
			}
			return corrupt(typ, err)
		}
		if hdr.Typeflag == tar.TypeXGlobalHeader && !insecure {
			continue // pax global header (git archive writes one): not a member
		}
		e := &Entry{Name: hdr.Name, Kind: KindOther, Size: hdr.Size, Mode: hdr.FileInfo().Mode().Perm()}
		if insecure {
			e.Insecure = tar.ErrInsecurePath
		}
		switch hdr.Typeflag {
		case tar.TypeReg, tar.TypeGNUSparse, tar.TypeCont:
			e.Kind = KindFile
		case tar.TypeDir:
			e.Kind = KindDir
		case tar.TypeSymlink:
			e.Kind, e.Linkname = KindSymlink, hdr.Linkname
		case tar.TypeLink:
			e.Kind, e.Linkname = KindHardlink, hdr.Linkname
		}
		if e.Kind != KindFile {
			e.Size = 0
		}
		if err := fn(e, tr); err != nil {
			return err
		}
		if _, err := io.Copy(io.Discard, tr); err != nil {
			return corrupt(typ, fmt.Errorf("member %q: %w", hdr.Name, err))
		}
	}
}

// maxLinkTarget bounds the length of a symlink's target (a zip symlink's
// content), as PATH_MAX does for the kernel.
const maxLinkTarget = 4096

// walkZip walks zr. With GODEBUG=zipinsecurepath=0, opening flags an
// archive with a name that is not local or has a backslash (openErr wraps
// zip.ErrInsecurePath), but still returns the reader: the flagged members
// are marked Insecure.
func walkZip(zr *zip.Reader, openErr error, typ string, fn WalkFunc) error {
	insecure := openErr != nil
	for _, f := range zr.File {
		mode := f.Mode()
		e := &Entry{Name: f.Name, Kind: KindFile, Size: int64(f.UncompressedSize64), Mode: mode.Perm()}
		if insecure && zipInsecure(f.Name) {
			e.Insecure = zip.ErrInsecurePath
		}
		var body io.Reader = &zipBody{f: f}
		switch {
		case strings.HasSuffix(f.Name, "/") || mode.IsDir():
			e.Kind, e.Size, body = KindDir, 0, bytes.NewReader(nil)
		case mode&fs.ModeSymlink != 0:
			b, err := readZipMember(f, maxLinkTarget)
			if err != nil {
				return corrupt(typ, fmt.Errorf("member %q: %w", f.Name, err))
			}
			e.Kind, e.Size, e.Linkname, body = KindSymlink, 0, string(b), bytes.NewReader(nil)
		}
		if err := fn(e, body); err != nil {
			return err
		}
		if zb, ok := body.(*zipBody); ok {
			// Reading to the end verifies the member's CRC-32 and size.
			_, err := io.Copy(io.Discard, zb)
			zb.close()
			if err != nil {
				return corrupt(typ, fmt.Errorf("member %q: %w", f.Name, err))
			}
		}
	}
	if insecure { // not expected: zipInsecure is archive/zip's test
		return fmt.Errorf("the %s archive has a name that Go's archive/zip calls insecure: %w", typ, zip.ErrInsecurePath)
	}
	return nil
}

// zipBody reads a zip member, opened at the first read.
type zipBody struct {
	f   *zip.File
	rc  io.ReadCloser
	err error
}

func (z *zipBody) Read(p []byte) (int, error) {
	if z.rc == nil && z.err == nil {
		z.rc, z.err = z.f.Open()
	}
	if z.err != nil {
		return 0, z.err
	}
	return z.rc.Read(p)
}

func (z *zipBody) close() {
	if z.rc != nil {
		z.rc.Close()
	}
}

// readZipMember reads f to the end, returning at most limit bytes of it.
func readZipMember(f *zip.File, limit int) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, int64(limit)+1))
	if err != nil {
		return nil, err
	}
	if len(b) > limit {
		return nil, fmt.Errorf("symlink target longer than %d bytes", limit)
	}
	return b, nil
}
