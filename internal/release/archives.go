package release

import (
	"archive/tar"
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	"github.com/ulikunitz/xz"
)

// member is a regular file of an archive.
type member struct {
	name string // cleaned, slash-separated, without a leading "./"
	size int64
	read func() ([]byte, error)
}

// walkArchive calls fn for every regular file of the .tar.xz or .zip
// archive at p.
func walkArchive(p, ext string, fn func(m member) error) error {
	switch ext {
	case ".zip":
		zr, err := zip.OpenReader(p)
		if err != nil {
			return fmt.Errorf("not a zip archive: %w", err)
		}
		defer zr.Close()
		for _, f := range zr.File {
			if !f.Mode().IsRegular() {
				continue
			}
			f := f
			err := fn(member{name: cleanMember(f.Name), size: int64(f.UncompressedSize64), read: func() ([]byte, error) {
				rc, err := f.Open()
				if err != nil {
					return nil, err
				}
				defer rc.Close()
				return io.ReadAll(io.LimitReader(rc, maxMemberRead+1))
			}})
			if err != nil {
				return err
			}
		}
		return nil
	case ".tar.xz":
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		xr, err := xz.NewReader(f)
		if err != nil {
			return fmt.Errorf("not an xz file: %w", err)
		}
		tr := tar.NewReader(xr)
		for {
			hdr, err := tr.Next()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("reading the tar archive: %w", err)
			}
			if hdr.Typeflag != tar.TypeReg {
				continue
			}
			if err := fn(member{name: cleanMember(hdr.Name), size: hdr.Size, read: func() ([]byte, error) {
				return io.ReadAll(io.LimitReader(tr, maxMemberRead+1))
			}}); err != nil {
				return err
			}
		}
	}
	return fmt.Errorf("unsupported archive type %q", ext)
}

// maxMemberRead bounds the digests read from an archive.
const maxMemberRead = 16 << 20

func cleanMember(name string) string {
	return strings.TrimPrefix(path.Clean("/"+name), "/")
}

// checkBuildFile checks that the archive at p has a BUILD.bazel (or
// BUILD) file at its root: the hub links the archive's repository as a
// folder, and ot-sku's hub names it as @<entry>//:BUILD.bazel, so entries
// have no strip_prefix.
func checkBuildFile(p, ext string) error {
	found, files := false, 0
	err := walkArchive(p, ext, func(m member) error {
		files++
		if m.name == "BUILD" || m.name == "BUILD.bazel" {
			found = true
		}
		return nil
	})
	switch {
	case err != nil:
		return err
	case files == 0:
		return errors.New("the archive holds no files")
	case !found:
		return errors.New("the archive has no BUILD.bazel file at its root, which its folder in @provisioning_exts_extra needs (the entry has no strip_prefix); add one to the archive's root")
	}
	return nil
}

// readDigests returns the files of the archive at p whose names end in
// suffix, keyed by base name; two digests of one base name are an error.
func readDigests(p, ext, suffix string) (map[string][]byte, error) {
	out := map[string][]byte{}
	where := map[string]string{}
	err := walkArchive(p, ext, func(m member) error {
		base := path.Base(m.name)
		if !strings.HasSuffix(base, suffix) || base == suffix {
			return nil
		}
		if prev, ok := where[base]; ok {
			return fmt.Errorf("the digests %s and %s have the same name, so their signature files would collide", prev, m.name)
		}
		b, err := m.read()
		if err != nil {
			return fmt.Errorf("reading %s: %w", m.name, err)
		}
		if len(b) > maxMemberRead {
			return fmt.Errorf("the digest %s is larger than %d bytes", m.name, maxMemberRead)
		}
		out[base], where[base] = b, m.name
		return nil
	})
	return out, err
}
