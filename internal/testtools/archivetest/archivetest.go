// Package archivetest builds small archives in memory for tests: tar, tar.gz,
// tar.xz and zip files with regular files, directories and links, including
// the malformed members (absolute paths, "..", escaping links) that
// archive.Check must reject.
package archivetest

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/ulikunitz/xz"
)

// Member is one entry of a test archive.
type Member struct {
	Name     string      // path inside the archive, written verbatim
	Body     string      // content of a regular file
	Dir      bool        // a directory entry
	Symlink  string      // if set, a symbolic link to this target
	Hardlink string      // if set (tar only), a hard link to this archive path
	Mode     fs.FileMode // a regular file's permission bits; 0 means 0o644
}

// File returns a regular file member.
func File(name, body string) Member { return Member{Name: name, Body: body} }

// Dir returns a directory member; name should end with "/".
func Dir(name string) Member { return Member{Name: name, Dir: true} }

// Symlink returns a symbolic link member.
func Symlink(name, target string) Member { return Member{Name: name, Symlink: target} }

// Hardlink returns a tar hard link member.
func Hardlink(name, target string) Member { return Member{Name: name, Hardlink: target} }

// mtime is the fixed modification time of every member, so that the same
// members always give the same bytes.
var mtime = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// Tar returns an uncompressed tar archive holding members.
func Tar(members ...Member) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, m := range members {
		hdr := &tar.Header{Name: m.Name, Mode: 0o644, ModTime: mtime, Format: tar.FormatPAX}
		switch {
		case m.Dir:
			hdr.Typeflag, hdr.Mode = tar.TypeDir, 0o755
		case m.Symlink != "":
			hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, m.Symlink
		case m.Hardlink != "":
			hdr.Typeflag, hdr.Linkname = tar.TypeLink, m.Hardlink
		default:
			hdr.Typeflag, hdr.Size, hdr.Mode = tar.TypeReg, int64(len(m.Body)), int64(m.perm())
		}
		must(tw.WriteHeader(hdr))
		if hdr.Typeflag == tar.TypeReg {
			_, err := tw.Write([]byte(m.Body))
			must(err)
		}
	}
	must(tw.Close())
	return buf.Bytes()
}

// TarGz returns a gzip-compressed tar archive holding members.
func TarGz(members ...Member) []byte { return Gzip(Tar(members...)) }

// TarXz returns an xz-compressed tar archive holding members.
func TarXz(members ...Member) []byte { return Xz(Tar(members...)) }

// Gzip compresses b with gzip.
func Gzip(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err := zw.Write(b)
	must(err)
	must(zw.Close())
	return buf.Bytes()
}

// Xz compresses b with xz.
func Xz(b []byte) []byte {
	var buf bytes.Buffer
	xw, err := xz.NewWriter(&buf)
	must(err)
	_, err = xw.Write(b)
	must(err)
	must(xw.Close())
	return buf.Bytes()
}

// Zip returns a zip archive holding members. Hard links are not
// representable in zip and panic.
func Zip(members ...Member) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, m := range members {
		fh := &zip.FileHeader{Name: m.Name, Method: zip.Deflate, Modified: mtime}
		body := m.Body
		switch {
		case m.Dir:
			fh.SetMode(fs.ModeDir | 0o755)
			fh.Method = zip.Store
		case m.Symlink != "":
			fh.SetMode(fs.ModeSymlink | 0o777)
			body = m.Symlink
		case m.Hardlink != "":
			panic(fmt.Sprintf("archivetest: zip cannot hold the hard link %q", m.Name))
		default:
			fh.SetMode(m.perm())
		}
		w, err := zw.CreateHeader(fh)
		must(err)
		_, err = w.Write([]byte(body))
		must(err)
	}
	must(zw.Close())
	return buf.Bytes()
}

// perm returns the permission bits of a regular file member.
func (m Member) perm() fs.FileMode {
	if m.Mode == 0 {
		return 0o644
	}
	return m.Mode.Perm()
}

// ForName returns an archive holding members in the format that name's
// extension picks: .tar.gz or .tgz, .tar.xz or .txz, .tar, or .zip.
func ForName(name string, members ...Member) ([]byte, error) {
	switch {
	case strings.HasSuffix(name, ".tar.gz"), strings.HasSuffix(name, ".tgz"):
		return TarGz(members...), nil
	case strings.HasSuffix(name, ".tar.xz"), strings.HasSuffix(name, ".txz"):
		return TarXz(members...), nil
	case strings.HasSuffix(name, ".tar"):
		return Tar(members...), nil
	case strings.HasSuffix(name, ".zip"):
		return Zip(members...), nil
	}
	return nil, fmt.Errorf("archive: %s: unknown format (want .tar.gz, .tgz, .tar.xz, .tar or .zip)", name)
}

// FromDir returns the members for the tree under dir, sorted by name, each
// under prefix/ if prefix is not "": its regular files (mode 0o755 if
// executable, else 0o644) and symbolic links, and with dirs an entry for
// each directory too (prefix/ itself included).
func FromDir(dir, prefix string, dirs bool) ([]Member, error) {
	var members []Member
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		name := path.Join(prefix, filepath.ToSlash(rel))
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			members = append(members, Symlink(name, target))
		case d.IsDir():
			if dirs && name != "." {
				members = append(members, Dir(name+"/"))
			}
		default:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			m := File(name, string(b))
			if info.Mode()&0o111 != 0 {
				m.Mode = 0o755
			}
			members = append(members, m)
		}
		return nil
	})
	sort.Slice(members, func(i, j int) bool { return members[i].Name < members[j].Name })
	return members, err
}

// Release returns the members of a typical release archive whose files lie
// under the directory prefix.
func Release(prefix string) []Member {
	return []Member{
		Dir(prefix + "/"),
		File(prefix+"/BUILD.bazel", "exports_files(glob([\"**\"]))\n"),
		Dir(prefix + "/bin/"),
		File(prefix+"/bin/perso.bin", "\x00\x01signed firmware"),
		Symlink(prefix+"/latest.bin", "bin/perso.bin"),
	}
}

func must(err error) {
	if err != nil {
		panic("archivetest: " + err.Error())
	}
}
