package archive_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/archive"
	at "github.com/ot-provisioning-exts/ot-provisioning-exts/internal/archive/archivetest"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/extras"
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
		{"harmless dotdot", "tar", "", at.Tar(at.File("a/../b", "x")),
			&archive.Report{Files: 1, Size: 1, TopLevel: []string{"b"}}},
		{"link within prefix", "tar", "p", at.Tar(at.File("p/a", "x"), at.Symlink("p/d/l", "../a"), at.Hardlink("p/h", "p/a")),
			&archive.Report{Files: 1, Symlinks: 2, Size: 1, TopLevel: []string{"p"}}},
		{"several top-level entries", "zip", "", at.Zip(at.File("b", ""), at.File("a/x", "12")),
			&archive.Report{Files: 2, Size: 2, TopLevel: []string{"a", "b"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := archive.Check(writeTemp(t, tt.data), tt.typ, tt.strip)
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
			got, err = archive.CheckReader(bytes.NewReader(tt.data), tt.typ, tt.strip)
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
		{"random bytes as tar.gz", "tar.gz", "", noise, "not a tar.gz archive: gzip: invalid header"},
		{"random bytes as tar.xz", "tar.xz", "", noise, "not a tar.xz archive: xz: …"},
		{"random bytes as zip", "zip", "", noise, "not a zip archive: zip: not a valid zip file"},
		{"random bytes as tar", "tar", "", noise, "not a tar archive: archive/tar: invalid tar header"},
		{"random bytes as tar.bz2", "tar.bz2", "", noise, "not a tar.bz2 archive: bzip2 data invalid: …"},
		{"gzip of random bytes", "tar.gz", "", at.Gzip(noise), "not a tar.gz archive: archive/tar: invalid tar header"},
		{"zip as tar.gz", "tar.gz", "", zipData, "not a tar.gz archive: gzip: invalid header"},
		{"empty file", "tar.gz", "", nil, "not a tar.gz archive: EOF"},
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
		{"unsupported type", "tar.zst", "", gz, "archive type not supported by the checker: tar.zst (supported: zip, jar, war, aar, tar, tar.gz, tgz, tar.xz, txz, tar.bz2)"},
		{"unknown type", "rar", "", gz, `unknown archive type "rar"`},
		{"no type", "", "", gz, "no archive type given"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := archive.Check(writeTemp(t, tt.data), tt.typ, tt.strip)
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
	_, err := archive.Check("/nonexistent", "deb", "")
	if !errors.Is(err, archive.ErrUnsupported) {
		t.Errorf("Check(deb) = %v, want an error wrapping ErrUnsupported", err)
	}
	_, err = archive.CheckReader(strings.NewReader(""), "zip", "")
	if err == nil || !strings.Contains(err.Error(), "need random access") {
		t.Errorf("CheckReader(zip) = %v, want a random-access error", err)
	}
}

func TestCheckMissingFile(t *testing.T) {
	_, err := archive.Check(filepath.Join(t.TempDir(), "missing.tar.gz"), "tar.gz", "")
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
