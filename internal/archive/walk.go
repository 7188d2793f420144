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
	"maps"
	"os"
	"slices"
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
	// Problem, if not nil, says why the real extractors read this member
	// unlike Go's reader, or unlike each other, or why Bazel fails on it:
	// a tar PAX global header before it that sets names or link targets, a
	// GNU long name that a PAX path contradicts, a zip member whose Unix
	// mode bits and creator field disagree. [Check] refuses such a member.
	Problem error
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
	// Check (limits.go) bounds and counts the decompressed stream.
	if w, ok := r.(interface{ wrapDecompressed(io.Reader) io.Reader }); ok {
		dec = w.wrapDecompressed(dec)
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

func isZip(typ string) bool { return Format(typ) == FormatZip }

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
	var global error // what the last PAX global header changes, if anything
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
			// Not a member (git archive writes one, with a comment), but
			// GNU tar, Python's tarfile and Apache commons-compress
			// (Bazel's reader) apply its records to every member after
			// it, which Go's archive/tar does not.
			if err := globalProblem(i, hdr.PAXRecords); err != nil {
				global = err
			}
			continue
		}
		e := &Entry{Name: hdr.Name, Kind: KindOther, Size: hdr.Size, Mode: hdr.FileInfo().Mode().Perm(), Problem: global}
		if e.Problem == nil {
			e.Problem = longNameProblem(hdr)
		}
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

// globalKeys are the PAX records that a global header may set: those that
// change no member's name, link target, type or size in any extractor.
var globalKeys = map[string]bool{
	"comment": true, "mtime": true, "atime": true, "ctime": true,
	"uid": true, "gid": true, "uname": true, "gname": true, "charset": true,
}

// globalProblem describes a PAX global header, the index-th header of the
// archive, that sets a record other than globalKeys. GNU tar, Python's
// tarfile and Apache commons-compress (Bazel's tar reader) apply "path",
// "linkpath" and "size" to the members after it (a global "path" gives them
// all one name), Go's archive/tar and so this check do not: the check would
// judge a tree that no extractor builds. No release tool writes such records.
func globalProblem(index int, records map[string]string) error {
	var bad []string
	for _, k := range slices.Sorted(maps.Keys(records)) {
		if !globalKeys[k] {
			bad = append(bad, fmt.Sprintf("%s=%q", k, records[k]))
		}
	}
	if len(bad) == 0 {
		return nil
	}
	const max = 4
	if len(bad) > max {
		bad = append(bad[:max], fmt.Sprintf("and %d more", len(bad)-max))
	}
	return fmt.Errorf("the tar archive has a PAX global header (header %d) that sets %s: GNU tar, Python's tarfile and Bazel apply it to every member after it, Go's reader does not; "+
		"repack the archive without it (a global header may set only comment, mtime, atime, ctime, uid, gid, uname, gname, charset)", index+1, strings.Join(bad, ", "))
}

// longNameProblem describes a member whose GNU long name ('L') or long link
// ('K') contradicts its PAX path or linkpath record. Go's archive/tar takes
// the GNU name whatever the order of the headers, Python's tarfile the one
// of the outer header: extractors disagree on the member's name.
func longNameProblem(hdr *tar.Header) error {
	if p, ok := hdr.PAXRecords["path"]; ok && p != hdr.Name {
		return fmt.Errorf("member %q has both a GNU long name and a PAX path %q: extractors differ on which one names it; repack the archive in one format (PAX or GNU)", hdr.Name, p)
	}
	if p, ok := hdr.PAXRecords["linkpath"]; ok && p != hdr.Linkname {
		return fmt.Errorf("link %q has both a GNU long link %q and a PAX linkpath %q: extractors differ on which one is its target; repack the archive in one format (PAX or GNU)", hdr.Name, hdr.Linkname, p)
	}
	return nil
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
		e.Kind, e.Problem = zipKind(f)
		switch e.Kind {
		case KindDir:
			e.Size, body = 0, bytes.NewReader(nil)
		case KindSymlink:
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

// Unix file type bits, as Bazel's ZipDecompressor tests them.
const (
	sIFDIR = 0o040000
	sIFLNK = 0o120000
)

// bazelZipMaxLink is the length below which Bazel's zip extractor takes a
// symlink target (MAX_PATH_LENGTH in ZipDecompressor).
const bazelZipMaxLink = 256

// zipKind returns what Bazel's zip extractor (ZipDecompressor) makes of f,
// and a problem if Bazel fails on it or if unzip and Go's archive/zip, which
// trust the creator ("made by") field and the exact file type, read it
// otherwise. Bazel ignores the creator: a name ending in "/" is a directory;
// else the Unix mode in the high 16 bits of the external attributes, if not
// zero, is a directory if S_IFDIR's bit is set, a symlink if S_IFLNK's bits
// are; else the MS-DOS attributes say directory (0x10) or file (archive
// 0x20, normal 0x80, or all attributes 0), and Bazel fails on the rest.
func zipKind(f *zip.File) (Kind, error) {
	bazel := KindFile
	attrs := f.ExternalAttrs
	unix := attrs >> 16
	dos := attrs & 0xff
	switch {
	case strings.HasSuffix(f.Name, "/"):
		bazel = KindDir
	case unix != 0 && unix&sIFDIR != 0:
		bazel = KindDir
	case unix != 0 && unix&sIFLNK == sIFLNK:
		bazel = KindSymlink
	case unix != 0:
	case dos&0x10 != 0:
		bazel = KindDir
	case attrs != 0 && dos&0x20 == 0 && dos&0x80 == 0:
		return KindFile, fmt.Errorf("member %q has external attributes 0x%08x, which give no file type (no Unix mode, no MS-DOS directory, archive or normal attribute): Bazel's zip extractor fails on it; repack the archive",
			f.Name, attrs)
	}
	mode := f.Mode()
	other := KindFile
	switch {
	case strings.HasSuffix(f.Name, "/") || mode.IsDir():
		other = KindDir
	case mode&fs.ModeSymlink != 0:
		other = KindSymlink
	}
	if bazel != other {
		return bazel, fmt.Errorf("member %q is a %s to Bazel's zip extractor, which reads the Unix mode bits (0%o) whatever the creator field says, but a %s to unzip and Go's archive/zip (creator %s, external attributes 0x%08x): extractors disagree; repack the archive with creator Unix and a plain Unix file type",
			f.Name, kindName(bazel), unix, kindName(other), creatorName(f.CreatorVersion>>8), attrs)
	}
	if bazel == KindSymlink && f.UncompressedSize64 >= bazelZipMaxLink {
		return bazel, fmt.Errorf("symlink %q has a target of %d bytes: Bazel's zip extractor takes only targets shorter than %d bytes and fails on it",
			f.Name, f.UncompressedSize64, bazelZipMaxLink)
	}
	return bazel, nil
}

// kindName names a kind in messages.
func kindName(k Kind) string {
	switch k {
	case KindFile:
		return "regular file"
	case KindDir:
		return "directory"
	case KindSymlink:
		return "symbolic link"
	case KindHardlink:
		return "hard link"
	}
	return "special file"
}

// creatorName names a zip "made by" host system.
func creatorName(host uint16) string {
	switch host {
	case 0:
		return "MS-DOS/FAT (0)"
	case 3:
		return "Unix (3)"
	case 10:
		return "NTFS (10)"
	case 14:
		return "VFAT (14)"
	case 19:
		return "macOS (19)"
	}
	return fmt.Sprintf("%d", host)
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
