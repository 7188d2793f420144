package archive_test

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/archive"
	at "github.com/ot-provisioning-exts/ot-provisioning-exts/internal/testtools/archivetest"
)

// diffCase is one archive of the differential corpus. accept is what
// archive.Check must say: the test fails if it changes, so that a check that
// starts to refuse a benign archive, or to accept a hostile one that the
// extractors here happen to handle, is noticed.
type diffCase struct {
	name   string
	typ    string // "tar" or "zip"
	data   []byte
	accept bool
}

// unixMode is a zip external attribute holding the Unix mode m.
func unixMode(m uint32) uint32 { return m << 16 }

// diffCorpus returns the hostile and benign archives of the differential
// test.
func diffCorpus() []diffCase {
	S, F, H, D := at.Symlink, at.File, at.Hardlink, at.Dir
	long := strings.Repeat("long-directory-name/", 8) + "file.txt"
	gnu := func(h tar.Header) tar.Header { h.Format = tar.FormatGNU; return h }
	zipLink := func(creator uint16, mode uint32, name, target string) at.ZipEntry {
		return at.ZipEntry{Name: name, Body: target, Creator: creator, ExternalAttrs: unixMode(mode)}
	}
	zipFile := func(name, body string) at.ZipEntry {
		return at.ZipEntry{Name: name, Body: body, Creator: 3, ExternalAttrs: unixMode(0o100644)}
	}
	paxHeader := func(name string, typeflag byte, records ...string) []byte {
		return at.RawTarBlock(name, typeflag, "", strings.Join(records, ""))
	}
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	return []diffCase{
		{"benign tar", "tar", at.Tar(at.Release("rel")...), true},
		{"benign zip", "zip", at.Zip(at.Release("rel")...), true},
		{"benign tar with hard link", "tar", at.Tar(F("a/f", "x"), H("a/h", "a/f"), S("b", "a/h")), true},
		{"benign tar with git's global header", "tar", at.TarHeaders(
			at.TarEntry{Header: tar.Header{Typeflag: tar.TypeXGlobalHeader, Name: "pax_global_header", PAXRecords: map[string]string{"comment": "0123abcd"}}},
			at.TarEntry{Header: tar.Header{Typeflag: tar.TypeReg, Name: "rel/f", Mode: 0o644}, Body: "x"}), true},
		{"zip symlink in bounds", "zip", at.ZipRaw(zipFile("a/f", "x"), zipLink(3, 0o120777, "a/l", "f")), true},
		{"zip file by FAT", "zip", at.ZipRaw(at.ZipEntry{Name: "a/f", Body: "x", Creator: 0, ExternalAttrs: 0x20}), true},
		{"zip symlink by mode bits, creator FAT", "zip", at.ZipRaw(zipFile("a/f", "x"), zipLink(0, 0o120777, "a/l", "../../etc/passwd")), false},
		{"zip symlink by mode bits, creator NTFS", "zip", at.ZipRaw(zipFile("a/f", "x"), zipLink(10, 0o120777, "a/l", "../../etc/passwd")), false},
		{"zip symlink by mode bits, creator FAT, in bounds", "zip", at.ZipRaw(zipFile("a/f", "x"), zipLink(0, 0o120644, "a/l", "f")), false},
		{"zip symlink by inexact type 0o130000", "zip", at.ZipRaw(zipFile("a/f", "x"), zipLink(3, 0o130777, "a/l", "../../etc/passwd")), false},
		{"zip with no file type", "zip", at.ZipRaw(at.ZipEntry{Name: "f", Body: "x", Creator: 0, ExternalAttrs: 0x01}), false},
		{"zip symlink escaping", "zip", at.Zip(S("a/l", "../../etc/passwd")), false},
		{"zip absolute path", "zip", at.Zip(F("/tmp/evil", "x")), false},
		{"zip dotdot path", "zip", at.Zip(F("a/../../evil", "x")), false},
		{"zip member under a symlinked dir", "zip", at.Zip(D("real/"), S("lib", "real"), F("lib/x", "x")), false},
		{"PAX global header path", "tar", at.TarHeaders(
			at.TarEntry{Header: tar.Header{Typeflag: tar.TypeXGlobalHeader, Name: "g", PAXRecords: map[string]string{"path": "evil"}}},
			at.TarEntry{Header: tar.Header{Typeflag: tar.TypeReg, Name: "a", Mode: 0o644}, Body: "a"},
			at.TarEntry{Header: tar.Header{Typeflag: tar.TypeReg, Name: "b", Mode: 0o644}, Body: "b"}), false},
		{"PAX global header linkpath", "tar", at.TarHeaders(
			at.TarEntry{Header: tar.Header{Typeflag: tar.TypeXGlobalHeader, Name: "g", PAXRecords: map[string]string{"linkpath": "../../etc/passwd"}}},
			at.TarEntry{Header: tar.Header{Typeflag: tar.TypeReg, Name: "a/f", Mode: 0o644}, Body: "x"},
			at.TarEntry{Header: tar.Header{Typeflag: tar.TypeSymlink, Name: "a/l", Linkname: "f"}}), false},
		{"GNU long name", "tar", at.TarHeaders(
			at.TarEntry{Header: gnu(tar.Header{Typeflag: tar.TypeReg, Name: long, Mode: 0o644}), Body: "x"},
			at.TarEntry{Header: gnu(tar.Header{Typeflag: tar.TypeSymlink, Name: "l", Linkname: long})}), true},
		{"GNU long name escaping", "tar", at.TarHeaders(
			at.TarEntry{Header: gnu(tar.Header{Typeflag: tar.TypeReg, Name: strings.Repeat("../", 40) + "evil", Mode: 0o644}), Body: "x"}), false},
		{"GNU long name then PAX path", "tar", cat(
			at.RawTarBlock("././@LongLink", 'L', "", "a/long\x00"),
			paxHeader("PaxHeader", 'x', at.PAXRecord("path", "b/pax")),
			at.RawTarBlock("short", '0', "", "x"), at.TarEnd()), false},
		{"PAX path then GNU long name", "tar", cat(
			paxHeader("PaxHeader", 'x', at.PAXRecord("path", "b/pax")),
			at.RawTarBlock("././@LongLink", 'L', "", "a/long\x00"),
			at.RawTarBlock("short", '0', "", "x"), at.TarEnd()), false},
		{"hard link to a missing member", "tar", at.Tar(F("f", "x"), H("h", "missing")), false},
		{"hard link forward", "tar", at.Tar(H("h", "f"), F("f", "x")), false},
		{"hard link to a directory", "tar", at.Tar(D("d/"), H("h", "d")), false},
		{"hard link through a symlink", "tar", at.Tar(F("d/f", "x"), S("t", "d"), H("h", "t/f")), false},
		{"dir then file, same name", "tar", at.Tar(D("a/"), F("a", "x")), false},
		{"file then dir, same name", "tar", at.Tar(F("a", "x"), D("a/")), false},
		{"implicit dir then file, same name", "tar", at.Tar(F("a/b", "x"), F("a", "y")), false},
		{"file twice", "tar", at.Tar(F("a", "x"), F("a", "y")), true},
		{"absolute path", "tar", at.Tar(F("/tmp/evil", "x")), false},
		{"dotdot path", "tar", at.Tar(F("../evil", "x")), false},
		{"dotdot inside a path", "tar", at.Tar(F("a/../b", "x")), false},
		{"symlink escaping", "tar", at.Tar(S("l", "../../etc/passwd")), false},
		{"symlink chain escaping", "tar", at.Tar(S("d/c", ".."), S("d/b", "c/.."), S("d/a", "b/.."), F("f", "")), false},
		{"symlink chain in bounds", "tar", at.Tar(F("a/c/f", "x"), S("a/b/l", "../c/f"), S("a/b/m", "l"), S("top", "a/b/m")), true},
		{"member under a symlinked dir", "tar", at.Tar(S("lib", "real/lib"), D("real/lib/"), F("lib/x.so", "so")), false},
		{"FIFO", "tar", at.TarHeaders(at.TarEntry{Header: tar.Header{Typeflag: tar.TypeFifo, Name: "p", Mode: 0o644}}), false},
	}
}

// TestDifferential extracts every archive of diffCorpus with the real
// extractors on this machine (GNU tar, Python's tarfile with the "data"
// filter, unzip) and checks archive.Check against them: every archive that
// Check accepts must extract without error, and to the same tree (paths,
// file contents, symlink targets), with every extractor of its type; every
// archive that an extractor refuses must be refused by Check. Run with -v
// for the table of outcomes.
func TestDifferential(t *testing.T) {
	extractors := []struct {
		name, bin string
		probe     []string // a command that must succeed for the extractor to be usable
		types     string
		run       func(t *testing.T, archive, dir string) error
	}{
		{"gnu-tar", "tar", nil, "tar", func(t *testing.T, archive, dir string) error {
			return runTool(t, dir, "tar", "-xf", archive, "-C", dir, "--no-same-owner")
		}},
		{"python-data", "python3", []string{"python3", "-c", "import tarfile; tarfile.data_filter"}, "tar", func(t *testing.T, archive, dir string) error {
			const script = `import sys, tarfile
with tarfile.open(sys.argv[1]) as tf:
    tf.extractall(sys.argv[2], filter="data")`
			return runTool(t, dir, "python3", "-c", script, archive, dir)
		}},
		{"unzip", "unzip", nil, "zip", func(t *testing.T, archive, dir string) error {
			return runTool(t, dir, "unzip", "-o", "-q", archive, "-d", dir)
		}},
	}
	var available []int
	for i, x := range extractors {
		if _, err := exec.LookPath(x.bin); err != nil {
			t.Logf("skipping extractor %s: %s is not installed (.ci/run installs it)", x.name, x.bin)
			continue
		}
		if x.probe != nil {
			if out, err := exec.Command(x.probe[0], x.probe[1:]...).CombinedOutput(); err != nil {
				t.Logf("skipping extractor %s: %s has no tarfile data filter (Python >= 3.11.4 or a backport): %s", x.name, x.bin, bytes.TrimSpace(out))
				continue
			}
		}
		available = append(available, i)
	}
	var table strings.Builder
	fmt.Fprintf(&table, "%-50s %-7s", "archive", "check")
	for _, i := range available {
		fmt.Fprintf(&table, " %-12s", extractors[i].name)
	}
	table.WriteString("\n")
	work := t.TempDir()
	for n, c := range diffCorpus() {
		file := filepath.Join(work, fmt.Sprintf("%02d.%s", n, c.typ))
		if err := os.WriteFile(file, c.data, 0o644); err != nil {
			t.Fatal(err)
		}
		_, checkErr := archive.Check(file, c.typ, "")
		outcome := "accept"
		if checkErr != nil {
			outcome = "refuse"
		}
		if (checkErr == nil) != c.accept {
			t.Errorf("%s: Check = %v, want accept = %v", c.name, checkErr, c.accept)
		}
		fmt.Fprintf(&table, "%-50s %-7s", c.name, outcome)
		var first map[string]string
		var firstName string
		for _, i := range available {
			x := extractors[i]
			if x.types != c.typ {
				fmt.Fprintf(&table, " %-12s", "-")
				continue
			}
			dir := filepath.Join(work, fmt.Sprintf("%02d-%s", n, x.name))
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			err := x.run(t, file, dir)
			got := "ok"
			if err != nil {
				got = "fails"
			}
			fmt.Fprintf(&table, " %-12s", got)
			switch {
			case err != nil && checkErr == nil:
				t.Errorf("%s: Check accepts it, but %s fails: %v", c.name, x.name, err)
			case err == nil && checkErr == nil:
				tree, terr := snapshot(dir)
				if terr != nil {
					t.Errorf("%s: %s: %v", c.name, x.name, terr)
					continue
				}
				if first == nil {
					first, firstName = tree, x.name
				} else if diff := cmp.Diff(first, tree); diff != "" {
					t.Errorf("%s: Check accepts it, but %s and %s extract different trees (-%s +%s):\n%s",
						c.name, firstName, x.name, firstName, x.name, diff)
				}
				if want := expectedTree(t, c); want != nil {
					if diff := cmp.Diff(want, tree); diff != "" {
						t.Errorf("%s: %s extracts another tree than the archive holds (-archive +%s):\n%s", c.name, x.name, x.name, diff)
					}
				}
			}
		}
		table.WriteString("\n")
		if checkErr != nil {
			fmt.Fprintf(&table, "    check: %v\n", checkErr)
		}
	}
	t.Logf("outcomes:\n%s", table.String())
}

// runTool runs an extractor in dir and returns an error with its output if
// it exits with a non-zero status.
func runTool(t *testing.T, dir, name string, args ...string) error {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %v: %s", name, err, bytes.TrimSpace(out))
	}
	return nil
}

// snapshot describes the tree under dir: each path (relative, with "/")
// maps to "dir", "file:" and the content, or "link:" and the target.
func snapshot(dir string) (map[string]string, error) {
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

// expectedTree is the tree that the archive of c describes, as Walk reads
// it, with the parent directories of every member: what an extractor must
// build from an archive that Check accepts. Hard links are files with
// their target's content.
func expectedTree(t *testing.T, c diffCase) map[string]string {
	t.Helper()
	tree := map[string]string{}
	addParents := func(p string) {
		for d := filepath.Dir(p); d != "."; d = filepath.Dir(d) {
			tree[filepath.ToSlash(d)] = "dir"
		}
	}
	err := archive.WalkReader(bytes.NewReader(c.data), c.typ, func(e *archive.Entry, body io.Reader) error {
		name := strings.TrimSuffix(filepath.Clean(e.Name), "/")
		if name == "." {
			return nil
		}
		addParents(name)
		switch e.Kind {
		case archive.KindDir:
			tree[name] = "dir"
		case archive.KindSymlink:
			tree[name] = "link:" + e.Linkname
		case archive.KindHardlink:
			src, ok := tree[filepath.Clean(e.Linkname)]
			if !ok {
				return errors.New("hard link to a missing member: " + e.Linkname)
			}
			tree[name] = src
		default:
			b, err := io.ReadAll(body)
			if err != nil {
				return err
			}
			tree[name] = "file:" + string(b)
		}
		return nil
	})
	if err != nil {
		t.Errorf("%s: walking the accepted archive: %v", c.name, err)
		return nil
	}
	return tree
}
