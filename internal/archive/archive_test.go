package archive_test

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/archive"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/extras"
	at "github.com/ot-provisioning-exts/ot-provisioning-exts/internal/testtools/archivetest"
)

func writeTemp(t *testing.T, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "archive")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func TestCheckValid(t *testing.T) {
	release := at.Release("rel-1.0")
	want := &archive.Report{Files: 2, Dirs: 2, Symlinks: 1, Size: 45, TopLevel: []string{"rel-1.0"}}
	bz2, err := os.ReadFile("testdata/ok.tar.bz2")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, typ, strip string
		data             []byte
		want             *archive.Report
	}{
		{"tar", "tar", "rel-1.0", at.Tar(release...), want},
		{"tar.gz", "tar.gz", "rel-1.0", at.TarGz(release...), want},
		{"tgz", "tgz", "rel-1.0", at.TarGz(release...), want},
		{"tar.xz", "tar.xz", "rel-1.0", at.TarXz(release...), want},
		{"txz", "txz", "", at.TarXz(release...), want},
		{"zip", "zip", "rel-1.0", at.Zip(release...), want},
		{"jar", "jar", "", at.Zip(release...), want},
		{"tar.bz2", "tar.bz2", "rel-1.0", bz2, &archive.Report{Files: 2, Dirs: 1, Size: 38, TopLevel: []string{"rel-1.0"}}},
		{"nested prefix", "tar.gz", "rel-1.0/bin", at.TarGz(release...), want},
		{"prefix without dir entries", "tar.gz", "a/b", at.TarGz(at.File("a/b/c", "x")),
			&archive.Report{Files: 1, Size: 1, TopLevel: []string{"a"}}},
		{"dot slash names", "tar.gz", "rel", at.TarGz(at.Dir("./"), at.Dir("./rel/"), at.File("./rel/f", "x")),
			&archive.Report{Files: 1, Dirs: 1, Size: 1, TopLevel: []string{"rel"}}},
		{"link within prefix", "tar", "p", at.Tar(at.File("p/a", "x"), at.Symlink("p/d/l", "../a"), at.Hardlink("p/h", "p/a")),
			&archive.Report{Files: 1, Symlinks: 2, Size: 1, TopLevel: []string{"p"}}},
		{"several top-level entries", "zip", "", at.Zip(at.File("b", ""), at.File("a/x", "12")),
			&archive.Report{Files: 2, Size: 2, TopLevel: []string{"a", "b"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := archive.Check(context.Background(), writeTemp(t, tt.data), tt.typ, tt.strip, archive.Limits{})
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			w := *tt.want
			w.Type = tt.typ
			if diff := cmp.Diff(&w, got); diff != "" {
				t.Errorf("report (-want +got):\n%s", diff)
			}
			if tt.typ == "zip" || tt.typ == "jar" {
				return
			}
			// The streaming variant agrees.
			got, err = archive.CheckReader(context.Background(), bytes.NewReader(tt.data), tt.typ, tt.strip, archive.Limits{})
			if err != nil {
				t.Fatalf("CheckReader: %v", err)
			}
			if diff := cmp.Diff(&w, got); diff != "" {
				t.Errorf("CheckReader report (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckErrors(t *testing.T) {
	release := at.Release("rel-1.0")
	gz := at.TarGz(release...)
	xzData := at.TarXz(release...)
	zipData := at.Zip(release...)
	tarData := at.Tar(release...)
	noise := randomBytes(4096)
	tests := []struct {
		name, typ, strip string
		data             []byte
		want             string // the error message, or its start when it ends with "…"
	}{
		{"random bytes as tar.gz", "tar.gz", "", noise, "the file is not a tar.gz archive: it starts with no known archive format (…"},
		{"random bytes as tar.xz", "tar.xz", "", noise, "the file is not a tar.xz archive: it starts with no known archive format (…"},
		{"xz magic, then noise", "tar.xz", "", append([]byte("\xfd7zXZ\x00"), noise...), "not a tar.xz archive: xz: …"},
		{"random bytes as zip", "zip", "", noise, "not a zip archive: zip: not a valid zip file"},
		{"random bytes as tar", "tar", "", noise, "the file is not a tar archive: it starts with no known archive format (…"},
		{"random bytes as tar.bz2", "tar.bz2", "", noise, "the file is not a tar.bz2 archive: it starts with no known archive format (…"},
		{"bzip2 magic, then noise", "tar.bz2", "", append([]byte("BZh9"), noise...), "not a tar.bz2 archive: bzip2 data invalid: …"},
		{"gzip magic, then noise", "tar.gz", "", append([]byte{0x1f, 0x8b}, noise...), "not a tar.gz archive: gzip: …"},
		{"gzip of random bytes", "tar.gz", "", at.Gzip(noise), "not a tar.gz archive: archive/tar: invalid tar header"},
		{"zip as tar.gz", "tar.gz", "", zipData, "the file is not a tar.gz archive: it starts like a zip archive (50 4b 03 04 …"},
		{"empty file", "tar.gz", "", nil, "the file is not a tar.gz archive: it is empty"},
		{"truncated tar.gz", "tar.gz", "", gz[:len(gz)/2], "the tar.gz archive is truncated: …"},
		{"truncated tar.gz trailer", "tar.gz", "", gz[:len(gz)-4], "the tar.gz archive is truncated: unexpected EOF"},
		{"truncated tar.xz", "tar.xz", "", xzData[:len(xzData)/2], "the tar.xz archive is truncated: unexpected EOF"},
		{"truncated zip", "zip", "", zipData[:len(zipData)-30], "not a zip archive: zip: not a valid zip file"},
		{"truncated tar", "tar", "", tarData[:1000], "the tar archive is truncated: …"},
		{"corrupt gzip checksum", "tar.gz", "", flip(gz, len(gz)-6), "the tar.gz archive is corrupt: gzip: invalid checksum"},
		{"empty archive", "tar.gz", "", at.TarGz(), "the archive holds no files"},
		{"only the root", "tar", "", at.Tar(at.Dir("./")), "the archive holds no files"},
		{"strip_prefix absent", "tar.gz", "rel-2.0", gz, `strip_prefix "rel-2.0" is not a directory in the archive; its top level holds "rel-1.0"`},
		{"strip_prefix absent zip", "zip", "rel", zipData, `strip_prefix "rel" is not a directory in the archive; its top level holds "rel-1.0"`},
		{"strip_prefix is a file", "tar.gz", "rel-1.0/BUILD.bazel", gz, `strip_prefix "rel-1.0/BUILD.bazel" is a file in the archive, not a directory`},
		{"strip_prefix partial name", "tar.gz", "rel", gz, `strip_prefix "rel" is not a directory in the archive; its top level holds "rel-1.0"`},
		{"strip_prefix not clean", "tar.gz", "rel-1.0/", gz, `strip_prefix "rel-1.0/" is not a clean relative path`},
		{"dotdot", "tar.gz", "", at.TarGz(at.File("ok", ""), at.File("../evil", "x")), `member "../evil" escapes the archive root through ".."`},
		{"nested dotdot", "tar.gz", "", at.TarGz(at.File("a/../../evil", "x")), `member "a/../../evil" escapes the archive root through ".."`},
		{"absolute path", "tar.xz", "", at.TarXz(at.File("/etc/evil", "x")), `member "/etc/evil" has an absolute path; archives must hold only relative paths`},
		{"zip dotdot", "zip", "", at.Zip(at.File("../evil", "x")), `member "../evil" escapes the archive root through ".."`},
		{"zip absolute", "zip", "", at.Zip(at.File("/evil", "x")), `member "/evil" has an absolute path; archives must hold only relative paths`},
		{"zip windows absolute", "zip", "", at.Zip(at.File(`C:\evil`, "x")), `member "C:\\evil" has an absolute path; archives must hold only relative paths`},
		{"symlink outside", "tar.gz", "", at.TarGz(at.File("a/f", ""), at.Symlink("a/l", "../../etc/passwd")), `symlink "a/l" points to "../../etc/passwd", outside the archive`},
		{"symlink absolute", "tar.gz", "", at.TarGz(at.Symlink("l", "/etc/passwd")), `symlink "l" points to the absolute path "/etc/passwd", outside the archive`},
		{"zip symlink outside", "zip", "", at.Zip(at.Symlink("l", "../x")), `symlink "l" points to "../x", outside the archive`},
		{"hard link outside", "tar", "", at.Tar(at.Hardlink("h", "../x")), `hard link "h" points to "../x", outside the archive`},
		{"symlink outside prefix", "tar.gz", "rel-1.0", at.TarGz(at.File("other/f", ""), at.Symlink("rel-1.0/l", "../other/f")), `symlink "rel-1.0/l" points to "../other/f", outside strip_prefix "rel-1.0" (the repository root)`},
		{"unsupported type", "tar.zst", "", append([]byte{0x28, 0xb5, 0x2f, 0xfd}, noise...), "archive type not supported by the checker: tar.zst (supported: zip, jar, war, aar, tar, tar.gz, tgz, tar.xz, txz, tar.bz2)"},
		{"unknown type", "rar", "", gz, `unknown archive type "rar"`},
		{"no type", "", "", gz, "no archive type given"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := archive.Check(context.Background(), writeTemp(t, tt.data), tt.typ, tt.strip, archive.Limits{})
			if err == nil {
				t.Fatalf("Check succeeded with %+v, want error %q", rep, tt.want)
			}
			if !matches(err.Error(), tt.want) {
				t.Errorf("Check error:\n got %q\nwant %q", err, tt.want)
			}
		})
	}
}

// matches reports whether got is want, or starts with want's text before a
// final "…".
func matches(got, want string) bool {
	if prefix, ok := strings.CutSuffix(want, "…"); ok {
		return strings.HasPrefix(got, prefix)
	}
	return got == want
}

func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0xff
	return c
}

func TestUnsupportedIs(t *testing.T) {
	_, err := archive.Check(context.Background(), writeTemp(t, []byte("!<arch>\ndebian-binary   ")), "deb", "", archive.Limits{})
	if !errors.Is(err, archive.ErrUnsupported) {
		t.Errorf("Check(deb) = %v, want an error wrapping ErrUnsupported", err)
	}
	_, err = archive.CheckReader(context.Background(), strings.NewReader(""), "zip", "", archive.Limits{})
	if err == nil || !strings.Contains(err.Error(), "need random access") {
		t.Errorf("CheckReader(zip) = %v, want a random-access error", err)
	}
}

func TestCheckMissingFile(t *testing.T) {
	_, err := archive.Check(context.Background(), filepath.Join(t.TempDir(), "missing.tar.gz"), "tar.gz", "", archive.Limits{})
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Check(missing) = %v, want ErrNotExist", err)
	}
}

func TestInferType(t *testing.T) {
	tests := map[string]string{
		"https://example.com/a.tar.gz":                 "tar.gz",
		"https://example.com/a.TGZ":                    "tgz",
		"https://example.com/a.tar.xz?token=1#frag":    "tar.xz",
		"https://example.com/dir.tar.gz/a.txz":         "txz",
		"https://example.com/a.tar.zst":                "tar.zst",
		"https://example.com/a.tzst":                   "tzst",
		"https://example.com/a.tar.bz2":                "tar.bz2",
		"https://example.com/a.tar":                    "tar",
		"https://example.com/a.zip":                    "zip",
		"https://example.com/a.jar":                    "jar",
		"https://example.com/a.deb":                    "deb",
		"https://example.com/a.ar":                     "ar",
		"file:///tmp/x/perso.tar.gz":                   "tar.gz",
		"https://example.com/download?file=a.tar.gz":   "",
		"https://example.com/a.gz":                     "",
		"https://example.com/archive":                  "",
		"https://example.com/":                         "",
		"perso_release.tar.xz":                         "tar.xz",
		"https://example.com/v1.0/rom_ext.release.zip": "zip",
	}
	for in, want := range tests {
		if got := archive.InferType(in); got != want {
			t.Errorf("InferType(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestTypesMatchExtras checks that Types is the set of types extras.json
// accepts.
func TestTypesMatchExtras(t *testing.T) {
	got := slices.Sorted(slices.Values(archive.Types))
	want := slices.Sorted(slices.Values(extras.ArchiveTypes))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("archive.Types differs from extras.ArchiveTypes (-extras +archive):\n%s", diff)
	}
}

// TestCheckEscapes covers members and links that leave the root, or the
// strip prefix, only once the links that earlier members made are
// followed, as an extractor follows them, and names that Windows reads
// differently. Each case is one class of escape; the first message found
// is the one reported.
func TestCheckEscapes(t *testing.T) {
	S, F, H, D := at.Symlink, at.File, at.Hardlink, at.Dir
	tests := []struct {
		name, typ, strip string
		data             []byte
		want             string
	}{
		{"symlink dir then link through it", "tar", "",
			at.Tar(S("a/x", ".."), S("a/x/y", "../.."), F("a/x/y/evil", "x")),
			`symlink "a/x/y" points to "../..", outside the archive: it lies at "y" (through symlink "a/x" -> ".."), where it resolves to "../.."`},
		{"symlink dir then member through it", "tar.gz", "",
			at.TarGz(S("l", "b/.."), S("b", "."), F("l/evil", "x")),
			`member "l/evil" escapes the archive root through symlink "l" -> "b/..", symlink "b" -> ".": it would be written to "../evil"`},
		{"symlink chain", "tar", "",
			at.Tar(S("d/c", ".."), S("d/b", "c/.."), S("d/a", "b/.."), F("f", "")),
			`symlink "d/b" points to "c/..", outside the archive: it resolves through symlink "d/c" -> ".." to ".."`},
		{"symlink chain completed by a later link", "tar.xz", "",
			at.TarXz(S("d/a", "b/.."), S("d/b", "c/.."), S("d/c", ".."), F("f", "")),
			`symlink "d/a" points to "b/..", outside the archive once extracted: it resolves through symlink "d/b" -> "c/..", symlink "d/c" -> ".." to "../.."`},
		{"dotdot after symlink in a name", "tar", "",
			at.Tar(S("a/x", ".."), F("a/x/../evil", "x")),
			`member "a/x/../evil" escapes the archive root through symlink "a/x" -> "..": it would be written to "../evil"`},
		{"dotdot after symlink in a target", "tar", "",
			at.Tar(S("a/up", ".."), S("a/l", "up/../f"), F("f", "")),
			`symlink "a/l" points to "up/../f", outside the archive: it resolves through symlink "a/up" -> ".." to "../f"`},
		{"dotdot after symlink, inside", "tar", "",
			at.Tar(D("a/c/d/"), S("a/x", "c/d"), F("a/x/../f", "x")),
			`member "a/x/../f" has ".." after symlink "a/x" -> "c/d": extractors that clean names write it to "a/f", those that follow the link to "a/c/f"`},
		{"hard link through a symlink", "tar", "",
			at.Tar(S("l", "b/.."), S("b", "."), H("h", "l/etc/passwd")),
			`hard link "h" points to "l/etc/passwd", outside the archive: it resolves through symlink "l" -> "b/..", symlink "b" -> "." to "../etc/passwd"`},
		{"hard link with dotdot after a symlink", "tar", "",
			at.Tar(S("a/x", ".."), F("f", ""), H("h", "a/x/../f")),
			`hard link "h" points to "a/x/../f", outside the archive: it resolves through symlink "a/x" -> ".." to "../f"`},
		{"hard link to a symlink", "tar", "",
			at.Tar(F("f", ""), S("d/s", "../f"), H("h", "d/s")),
			`hard link "h" links to symlink "d/s" -> "../f": some extractors link the symlink, others what it points to`},
		{"symlink outside strip_prefix, inside the root", "tar.gz", "p",
			at.TarGz(F("p/b", ""), S("p/a", "../p/b")),
			`symlink "p/a" points to "../p/b", outside strip_prefix "p" (the repository root): it resolves to "../p/b" (relative to the repository root)`},
		{"member through a symlink outside strip_prefix", "tar.gz", "p",
			at.TarGz(S("p/d", "e/.."), S("p/e", "."), F("p/d/x", "")),
			`member "p/d/x" lies under symlink "p/d" -> "e/..", symlink "p/e" -> ".": Bazel makes symbolic links after every other member and then fails, tar writes through the link; store the member under the link's target instead`},
		{"absolute symlink target", "tar", "",
			at.Tar(S("l", "/etc/passwd")),
			`symlink "l" points to the absolute path "/etc/passwd", outside the archive`},
		{"drive-relative symlink target", "tar", "",
			at.Tar(S("l", "C:evil")),
			`symlink "l" points to "C:evil", which starts with a drive letter: Windows reads it as a path on that drive`},
		{"backslash symlink target", "zip", "",
			at.Zip(S("l", `..\..\evil`)),
			`symlink "l" points to "..\\..\\evil", whose backslashes Windows reads as path separators`},
		{"symlink loop", "tar", "",
			at.Tar(S("a", "b"), S("b", "a"), F("f", "")),
			`symlink "b" points to "a", which cannot be resolved: the links loop: symlink "a" -> "b", symlink "b" -> "a", back to symlink "a" -> "b"`},
		{"symlink replacing a directory", "tar", "",
			at.Tar(F("x/f", ""), S("x", "y")),
			`symlink "x" lands on "x", which the archive already holds as a file or directory: some extractors replace it, others keep it or fail`},
		{"file replacing a symlink", "tar", "",
			at.Tar(S("x", "y"), F("x", "")),
			`member "x" lands on symlink "x" -> "y", made by an earlier member: some extractors replace the link, others write through it`},
		{"symlink retargeted", "tar", "",
			at.Tar(S("a", "b/.."), S("b", "."), S("a", "b")),
			`symlink "a" lands on symlink "a" -> "b/..", made by an earlier member, with another target: some extractors replace the link, others fail`},
		{"member under a file", "tar", "",
			at.Tar(F("f", ""), S("f/l", "../x"), D("f/"), F("f/l/y", "")),
			`member "f/l" cannot be extracted: "f" is a file, not a directory`},
		{"member under a file through a symlink", "zip", "",
			at.Zip(F("d/f", ""), S("l", "d/f"), F("l/x", "")),
			`member "l/x" cannot be extracted: its directory goes through symlink "l" -> "d/f" to "d/f", a file, not a directory`},
		{"symlink made through a symlink", "tar", "",
			at.Tar(S("lib", "real/lib"), D("real/lib/"), F("real/lib/x.so", "so"), S("lib/y.so", "x.so")),
			`symlink "lib/y.so" lies at "real/lib/y.so", reached through symlink "lib" -> "real/lib": extractors differ on whether they can make a link inside a linked directory, so links must lie in real directories`},
		{"dotdot inside a name", "tar", "",
			at.Tar(at.File("a/../b", "x")),
			`member "a/../b" has ".." in its name: GNU tar and Python's tarfile fail on it; store it as "b"`},
		{"symlink with dotdot in its name", "tar", "",
			at.Tar(D("a/"), S("a/../l", "a")),
			`symlink "a/../l" has ".." in its name: extractors differ on where, or whether, they make it`},
		{"symlink named like a directory", "zip", "",
			at.Zip(S("l/.", "a")),
			`symlink "l/." has a name that ends like a directory's: extractors differ on whether they make it`},
		{"member through a dangling symlink", "tar", "",
			at.Tar(S("lib", "real/lib"), F("lib/x.so", ""), D("real/lib/")),
			`member "lib/x.so" cannot be extracted: its directory goes through symlink "lib" -> "real/lib", but "real" does not exist at that point`},
		{"long symlink target", "tar", "",
			at.Tar(S("l", strings.Repeat("a/", 2049))),
			`symlink "l" has a target longer than 4096 bytes`},
		{"zip symlink escape", "zip", "",
			at.Zip(S("a/x", ".."), S("a/x/y", "../.."), F("a/x/y/evil", "x")),
			`symlink "a/x/y" points to "../..", outside the archive: it lies at "y" (through symlink "a/x" -> ".."), where it resolves to "../.."`},
		{"zip member through a symlink", "zip", "",
			at.Zip(S("l", "b/.."), S("b", "."), F("l/evil", "x")),
			`member "l/evil" escapes the archive root through symlink "l" -> "b/..", symlink "b" -> ".": it would be written to "../evil"`},
		{"zip backslash name", "zip", "",
			at.Zip(F("ok", ""), F(`a\..\..\evil`, "x")),
			`member "a\\..\\..\\evil" has a backslash in its name, which Windows reads as a path separator (Go's archive/zip calls such names insecure)`},
		{"zip drive-relative name", "zip", "",
			at.Zip(F("C:evil", "x")),
			`member "C:evil" starts with a drive letter, which Windows reads as a path on that drive`},
		{"zip symlink by mode bits, creator FAT", "zip", "",
			at.ZipRaw(at.ZipEntry{Name: "a/l", Body: "../../etc/passwd", Creator: 0, ExternalAttrs: 0o120777 << 16}),
			`member "a/l" is a symbolic link to Bazel's zip extractor, which reads the Unix mode bits (0120777) whatever the creator field says, but a regular file to unzip and Go's archive/zip (creator MS-DOS/FAT (0), external attributes 0xa1ff0000): extractors disagree; repack the archive with creator Unix and a plain Unix file type`},
		{"zip symlink by inexact mode bits", "zip", "",
			at.ZipRaw(at.ZipEntry{Name: "l", Body: "x", Creator: 3, ExternalAttrs: 0o130777 << 16}),
			`member "l" is a symbolic link to Bazel's zip extractor, which reads the Unix mode bits (0130777) whatever the creator field says, but a regular file to unzip and Go's archive/zip (creator Unix (3), external attributes 0xb1ff0000): extractors disagree; repack the archive with creator Unix and a plain Unix file type`},
		{"zip directory by mode bits, creator NTFS", "zip", "",
			at.ZipRaw(at.ZipEntry{Name: "d", Creator: 10, ExternalAttrs: 0o140755<<16 | 0x20}),
			`member "d" is a directory to Bazel's zip extractor, which reads the Unix mode bits (0140755) whatever the creator field says, but a regular file to unzip and Go's archive/zip (creator NTFS (10), external attributes 0xc1ed0020): extractors disagree; repack the archive with creator Unix and a plain Unix file type`},
		{"zip member without a file type", "zip", "",
			at.ZipRaw(at.ZipEntry{Name: "f", Body: "x", Creator: 0, ExternalAttrs: 0x01}),
			`member "f" has external attributes 0x00000001, which give no file type (no Unix mode, no MS-DOS directory, archive or normal attribute): Bazel's zip extractor fails on it; repack the archive`},
		{"zip symlink too long for Bazel", "zip", "",
			at.Zip(S("l", strings.Repeat("a/", 128))),
			`symlink "l" has a target of 256 bytes: Bazel's zip extractor takes only targets shorter than 256 bytes and fails on it`},
		{"PAX global header path", "tar", "",
			at.TarHeaders(
				at.TarEntry{Header: tar.Header{Typeflag: tar.TypeXGlobalHeader, Name: "g", PAXRecords: map[string]string{"path": "evil", "comment": "c"}}},
				at.TarEntry{Header: tar.Header{Typeflag: tar.TypeReg, Name: "a", Mode: 0o644}, Body: "a"}),
			`the tar archive has a PAX global header (header 1) that sets path="evil": GNU tar, Python's tarfile and Bazel apply it to every member after it, Go's reader does not; repack the archive without it (a global header may set only comment, mtime, atime, ctime, uid, gid, uname, gname, charset)`},
		{"PAX global header linkpath", "tar.gz", "",
			at.Gzip(at.TarHeaders(
				at.TarEntry{Header: tar.Header{Typeflag: tar.TypeReg, Name: "a/f", Mode: 0o644}, Body: "x"},
				at.TarEntry{Header: tar.Header{Typeflag: tar.TypeXGlobalHeader, Name: "g", PAXRecords: map[string]string{"linkpath": "../../etc/passwd"}}},
				at.TarEntry{Header: tar.Header{Typeflag: tar.TypeSymlink, Name: "a/l", Linkname: "f"}})),
			`the tar archive has a PAX global header (header 2) that sets linkpath="../../etc/passwd": GNU tar, Python's tarfile and Bazel apply it to every member after it, Go's reader does not; repack the archive without it (a global header may set only comment, mtime, atime, ctime, uid, gid, uname, gname, charset)`},
		{"GNU long name against a PAX path", "tar", "",
			bytes.Join([][]byte{
				at.RawTarBlock("PaxHeader", 'x', "", at.PAXRecord("path", "b/pax")),
				at.RawTarBlock("././@LongLink", 'L', "", "a/long\x00"),
				at.RawTarBlock("short", '0', "", "x"), at.TarEnd()}, nil),
			`member "a/long" has both a GNU long name and a PAX path "b/pax": extractors differ on which one names it; repack the archive in one format (PAX or GNU)`},
		{"hard link to a missing member", "tar", "",
			at.Tar(F("f", "x"), H("h", "missing")),
			`hard link "h" points to "missing", which no earlier member made: Bazel and tar fail to extract it; the target must come before the link in the archive`},
		{"hard link forward", "tar", "",
			at.Tar(H("h", "f"), F("f", "x")),
			`hard link "h" points to "f", which no earlier member made: Bazel and tar fail to extract it; the target must come before the link in the archive`},
		{"hard link to a directory", "tar", "",
			at.Tar(D("d/"), H("h", "d")),
			`hard link "h" points to "d", a directory: no extractor can link a directory`},
		{"directory then file of the same name", "tar", "",
			at.Tar(D("a/"), F("a", "x")),
			`member "a" has the name of a directory that earlier members made: Bazel and tar fail to extract it; rename one of them`},
		{"file then directory of the same name", "zip", "",
			at.Zip(F("a", "x"), D("a/")),
			`directory "a/" has the name of a file that an earlier member made: Bazel and tar fail to extract it; rename one of them`},
		{"FIFO", "tar", "",
			at.TarHeaders(at.TarEntry{Header: tar.Header{Typeflag: tar.TypeFifo, Name: "p", Mode: 0o644}}),
			`member "p" is a device, a FIFO or of an unknown type: Bazel writes it as a file, tar makes a device node, Python's data filter refuses it; leave it out of the archive`},
		{"member under a symlinked directory", "tar", "",
			at.Tar(S("lib", "real/lib"), D("real/lib/"), F("lib/x.so", "so")),
			`member "lib/x.so" lies under symlink "lib" -> "real/lib": Bazel makes symbolic links after every other member and then fails, tar writes through the link; store the member under the link's target instead`},
		{"tar insecure name", "tar", "",
			at.Tar(F(`..\..\evil`, "x")),
			`member "..\\..\\evil" has a backslash in its name, which Windows reads as a path separator (Go's archive/zip calls such names insecure)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := archive.Check(context.Background(), writeTemp(t, tt.data), tt.typ, tt.strip, archive.Limits{})
			if err == nil {
				t.Fatalf("Check succeeded with %+v, want error %q", rep, tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("Check error:\n got %q\nwant %q", err, tt.want)
			}
			if archive.Supported(tt.typ) && !strings.Contains("zip jar war aar", tt.typ) {
				_, err := archive.CheckReader(context.Background(), bytes.NewReader(tt.data), tt.typ, tt.strip, archive.Limits{})
				if err == nil || err.Error() != tt.want {
					t.Errorf("CheckReader error:\n got %v\nwant %q", err, tt.want)
				}
			}
		})
	}
}

// TestCheckLinksInside covers links that Check must accept: relative links
// that stay inside, links to members that come later, directories reached
// through links.
func TestCheckLinksInside(t *testing.T) {
	S, F, H, D := at.Symlink, at.File, at.Hardlink, at.Dir
	tests := []struct {
		name, typ, strip string
		data             []byte
		want             *archive.Report
	}{
		{"relative links", "tar.gz", "",
			at.TarGz(F("a/c/f", "x"), S("a/b/l", "../c/f"), S("a/b/m", "l"), S("top", "a/b/m")),
			&archive.Report{Files: 1, Symlinks: 3, Size: 1, TopLevel: []string{"a", "top"}}},
		{"links to later members", "tar", "",
			at.Tar(S("l", "d/f"), S("d/up", ".."), D("d/"), F("d/f", "x")),
			&archive.Report{Files: 1, Dirs: 1, Symlinks: 2, Size: 1, TopLevel: []string{"d", "l"}}},
		{"links into a symlinked directory", "tar.xz", "",
			at.TarXz(S("lib", "real/lib"), D("real/lib/"), F("real/lib/x.so", "so"), S("real/lib/y.so", "x.so"), H("real/lib/z.so", "real/lib/x.so"), S("w.so", "lib/x.so")),
			&archive.Report{Files: 1, Dirs: 1, Symlinks: 4, Size: 2, TopLevel: []string{"lib", "real", "w.so"}}},
		{"dotdot after a symlink in a target", "tar", "",
			at.Tar(F("f", ""), S("a/b/up", ".."), S("l", "a/b/up/../f")),
			&archive.Report{Files: 1, Symlinks: 2, TopLevel: []string{"a", "f", "l"}}},
		{"hard links", "tar", "",
			at.Tar(F("d/f", "x"), S("d/s", "f"), H("d/h", "d/f"), S("t", "d"), H("g", "d/./f"), H("d/i", "g"), H("g", "d/i")),
			&archive.Report{Files: 1, Symlinks: 6, Size: 1, TopLevel: []string{"d", "g", "t"}}},
		{"repeated symlink", "tar", "",
			at.Tar(S("l", "f"), S("l", "f"), F("f", "")),
			&archive.Report{Files: 1, Symlinks: 2, TopLevel: []string{"f", "l"}}},
		{"zip symlinked directory", "zip", "",
			at.Zip(D("real/"), S("lib", "real"), F("real/x", "x")),
			&archive.Report{Files: 1, Dirs: 1, Symlinks: 1, Size: 1, TopLevel: []string{"lib", "real"}}},
		{"symlinked directory in strip_prefix", "tar", "p",
			at.Tar(D("p/"), S("p/lib", "real"), D("p/real/"), F("p/real/x", "x"), S("p/real/y", "../lib/x")),
			&archive.Report{Files: 1, Dirs: 2, Symlinks: 2, Size: 1, TopLevel: []string{"p"}}},
		{"strip_prefix beside a link out of it", "tar", "p",
			at.Tar(F("p/f", ""), S("q/l", "../p/f")),
			&archive.Report{Files: 1, Symlinks: 1, TopLevel: []string{"p", "q"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := archive.Check(context.Background(), writeTemp(t, tt.data), tt.typ, tt.strip, archive.Limits{})
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			w := *tt.want
			w.Type = tt.typ
			if diff := cmp.Diff(&w, got); diff != "" {
				t.Errorf("report (-want +got):\n%s", diff)
			}
		})
	}
}

// TestInsecurePathGODEBUG checks that the names that archive/zip and
// archive/tar flag as insecure under GODEBUG=zipinsecurepath=0 and
// tarinsecurepath=0 are refused, with errors that wrap theirs.
func TestInsecurePathGODEBUG(t *testing.T) {
	t.Setenv("GODEBUG", "zipinsecurepath=0,tarinsecurepath=0")
	tests := []struct {
		name, typ string
		data      []byte
		want      string
		is        error
	}{
		{"zip backslash", "zip", at.Zip(at.File("ok", ""), at.File(`a\..\..\evil`, "x")),
			`member "a\\..\\..\\evil" has a backslash in its name, which Windows reads as a path separator (Go's archive/zip calls such names insecure)`, zip.ErrInsecurePath},
		{"zip dotdot", "zip", at.Zip(at.File("../evil", "x")),
			`member "../evil" escapes the archive root through ".."`, zip.ErrInsecurePath},
		{"tar dotdot", "tar", at.Tar(at.File("ok", ""), at.File("a/../../evil", "x")),
			`member "a/../../evil" escapes the archive root through ".."`, tar.ErrInsecurePath},
		{"tar absolute", "tar.gz", at.TarGz(at.File("/etc/evil", "x")),
			`member "/etc/evil" has an absolute path; archives must hold only relative paths`, tar.ErrInsecurePath},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := archive.Check(context.Background(), writeTemp(t, tt.data), tt.typ, "", archive.Limits{})
			if err == nil || err.Error() != tt.want {
				t.Errorf("Check error:\n got %v\nwant %q", err, tt.want)
			}
			if !errors.Is(err, tt.is) {
				t.Errorf("Check error %v does not wrap %v", err, tt.is)
			}
		})
	}
	// Good archives still pass.
	for _, typ := range []string{"zip", "tar"} {
		data := at.Tar(at.Release("rel")...)
		if typ == "zip" {
			data = at.Zip(at.Release("rel")...)
		}
		if _, err := archive.Check(context.Background(), writeTemp(t, data), typ, "rel", archive.Limits{}); err != nil {
			t.Errorf("%s: Check: %v", typ, err)
		}
	}
}

// BenchmarkCheck checks a large archive with many links: the check must
// stay linear in the number of members.
func BenchmarkCheck(b *testing.B) {
	for _, n := range []int{1000, 10000, 100000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			var members []at.Member
			for i := range n / 4 {
				d := fmt.Sprintf("rel/d%d/e%d", i%100, i)
				members = append(members,
					at.File(d+"/f", "x"),
					at.Symlink(d+"/l", "f"),
					at.Symlink(d+"/up", "../.."),
					at.File(d+"/up/d0/x", "y"))
			}
			data := at.Tar(members...)
			for b.Loop() {
				if _, err := archive.CheckReader(context.Background(), bytes.NewReader(data), "tar", "rel", archive.Limits{}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/member")
		})
	}
}
