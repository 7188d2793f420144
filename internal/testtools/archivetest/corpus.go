package archivetest

import (
	"archive/tar"
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Case is one archive of the differential corpus. Accept is what
// archive.Check must say: the tests fail if it changes, so that a check that
// starts to refuse a benign archive, or to accept a hostile one that the
// extractors happen to handle, is noticed.
type Case struct {
	Name   string
	Type   string // "tar" or "zip"
	Data   []byte
	Accept bool
}

// unixMode is a zip external attribute holding the Unix mode m.
func unixMode(m uint32) uint32 { return m << 16 }

// Corpus returns the hostile and benign archives that internal/archive's
// differential test runs through archive.Check, GNU tar, Python's tarfile
// (data filter) and unzip, and that the e2e suite runs through Bazel's
// http_archive (e2e/testdata/archive_model.txtar).
func Corpus() []Case {
	S, F, H, D := Symlink, File, Hardlink, Dir
	long := strings.Repeat("long-directory-name/", 8) + "file.txt"
	gnu := func(h tar.Header) tar.Header { h.Format = tar.FormatGNU; return h }
	zipLink := func(creator uint16, mode uint32, name, target string) ZipEntry {
		return ZipEntry{Name: name, Body: target, Creator: creator, ExternalAttrs: unixMode(mode)}
	}
	zipFile := func(name, body string) ZipEntry {
		return ZipEntry{Name: name, Body: body, Creator: 3, ExternalAttrs: unixMode(0o100644)}
	}
	paxHeader := func(name string, typeflag byte, records ...string) []byte {
		return RawTarBlock(name, typeflag, "", strings.Join(records, ""))
	}
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	return []Case{
		{"benign tar", "tar", Tar(Release("rel")...), true},
		{"benign zip", "zip", Zip(Release("rel")...), true},
		{"benign tar with hard link", "tar", Tar(F("a/f", "x"), H("a/h", "a/f"), S("b", "a/h")), true},
		{"benign tar with git's global header", "tar", TarHeaders(
			TarEntry{Header: tar.Header{Typeflag: tar.TypeXGlobalHeader, Name: "pax_global_header", PAXRecords: map[string]string{"comment": "0123abcd"}}},
			TarEntry{Header: tar.Header{Typeflag: tar.TypeReg, Name: "rel/f", Mode: 0o644}, Body: "x"}), true},
		{"zip symlink in bounds", "zip", ZipRaw(zipFile("a/f", "x"), zipLink(3, 0o120777, "a/l", "f")), true},
		{"zip file by FAT", "zip", ZipRaw(ZipEntry{Name: "a/f", Body: "x", Creator: 0, ExternalAttrs: 0x20}), true},
		{"zip symlink by mode bits, creator FAT", "zip", ZipRaw(zipFile("a/f", "x"), zipLink(0, 0o120777, "a/l", "../../etc/passwd")), false},
		{"zip symlink by mode bits, creator NTFS", "zip", ZipRaw(zipFile("a/f", "x"), zipLink(10, 0o120777, "a/l", "../../etc/passwd")), false},
		{"zip symlink by mode bits, creator FAT, in bounds", "zip", ZipRaw(zipFile("a/f", "x"), zipLink(0, 0o120644, "a/l", "f")), false},
		{"zip symlink by inexact type 0o130000", "zip", ZipRaw(zipFile("a/f", "x"), zipLink(3, 0o130777, "a/l", "../../etc/passwd")), false},
		{"zip with no file type", "zip", ZipRaw(ZipEntry{Name: "f", Body: "x", Creator: 0, ExternalAttrs: 0x01}), false},
		{"zip symlink escaping", "zip", Zip(S("a/l", "../../etc/passwd")), false},
		{"zip absolute path", "zip", Zip(F("/tmp/evil", "x")), false},
		{"zip dotdot path", "zip", Zip(F("a/../../evil", "x")), false},
		{"zip member under a symlinked dir", "zip", Zip(D("real/"), S("lib", "real"), F("lib/x", "x")), false},
		{"PAX global header path", "tar", TarHeaders(
			TarEntry{Header: tar.Header{Typeflag: tar.TypeXGlobalHeader, Name: "g", PAXRecords: map[string]string{"path": "evil"}}},
			TarEntry{Header: tar.Header{Typeflag: tar.TypeReg, Name: "a", Mode: 0o644}, Body: "a"},
			TarEntry{Header: tar.Header{Typeflag: tar.TypeReg, Name: "b", Mode: 0o644}, Body: "b"}), false},
		{"PAX global header linkpath", "tar", TarHeaders(
			TarEntry{Header: tar.Header{Typeflag: tar.TypeXGlobalHeader, Name: "g", PAXRecords: map[string]string{"linkpath": "../../etc/passwd"}}},
			TarEntry{Header: tar.Header{Typeflag: tar.TypeReg, Name: "a/f", Mode: 0o644}, Body: "x"},
			TarEntry{Header: tar.Header{Typeflag: tar.TypeSymlink, Name: "a/l", Linkname: "f"}}), false},
		{"GNU long name", "tar", TarHeaders(
			TarEntry{Header: gnu(tar.Header{Typeflag: tar.TypeReg, Name: long, Mode: 0o644}), Body: "x"},
			TarEntry{Header: gnu(tar.Header{Typeflag: tar.TypeSymlink, Name: "l", Linkname: long})}), true},
		{"GNU long name escaping", "tar", TarHeaders(
			TarEntry{Header: gnu(tar.Header{Typeflag: tar.TypeReg, Name: strings.Repeat("../", 40) + "evil", Mode: 0o644}), Body: "x"}), false},
		{"GNU long name then PAX path", "tar", cat(
			RawTarBlock("././@LongLink", 'L', "", "a/long\x00"),
			paxHeader("PaxHeader", 'x', PAXRecord("path", "b/pax")),
			RawTarBlock("short", '0', "", "x"), TarEnd()), false},
		{"PAX path then GNU long name", "tar", cat(
			paxHeader("PaxHeader", 'x', PAXRecord("path", "b/pax")),
			RawTarBlock("././@LongLink", 'L', "", "a/long\x00"),
			RawTarBlock("short", '0', "", "x"), TarEnd()), false},
		{"hard link to a missing member", "tar", Tar(F("f", "x"), H("h", "missing")), false},
		{"hard link forward", "tar", Tar(H("h", "f"), F("f", "x")), false},
		{"hard link to a directory", "tar", Tar(D("d/"), H("h", "d")), false},
		{"hard link through a symlink", "tar", Tar(F("d/f", "x"), S("t", "d"), H("h", "t/f")), false},
		{"dir then file, same name", "tar", Tar(D("a/"), F("a", "x")), false},
		{"file then dir, same name", "tar", Tar(F("a", "x"), D("a/")), false},
		{"implicit dir then file, same name", "tar", Tar(F("a/b", "x"), F("a", "y")), false},
		{"file twice", "tar", Tar(F("a", "x"), F("a", "y")), true},
		{"absolute path", "tar", Tar(F("/tmp/evil", "x")), false},
		{"dotdot path", "tar", Tar(F("../evil", "x")), false},
		{"dotdot inside a path", "tar", Tar(F("a/../b", "x")), false},
		{"symlink escaping", "tar", Tar(S("l", "../../etc/passwd")), false},
		{"symlink chain escaping", "tar", Tar(S("d/c", ".."), S("d/b", "c/.."), S("d/a", "b/.."), F("f", "")), false},
		{"symlink chain in bounds", "tar", Tar(F("a/c/f", "x"), S("a/b/l", "../c/f"), S("a/b/m", "l"), S("top", "a/b/m")), true},
		{"member under a symlinked dir", "tar", Tar(S("lib", "real/lib"), D("real/lib/"), F("lib/x.so", "so")), false},
		{"FIFO", "tar", TarHeaders(TarEntry{Header: tar.Header{Typeflag: tar.TypeFifo, Name: "p", Mode: 0o644}}), false},
	}
}

// Snapshot describes the tree under dir: each path (relative, with "/")
// maps to "dir", "file:" and the content, or "link:" and the target.
func Snapshot(dir string) (map[string]string, error) {
	tree := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil || rel == "." {
			return err
		}
		rel = filepath.ToSlash(rel)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			tree[rel] = "link:" + target
		case d.IsDir():
			tree[rel] = "dir"
		case d.Type().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			tree[rel] = "file:" + string(b)
		default:
			tree[rel] = "special:" + d.Type().String()
		}
		return nil
	})
	return tree, err
}
