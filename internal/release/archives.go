package release

import (
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/archive"
)

// member is a regular file of an archive.
type member struct {
	name string // cleaned, slash-separated, without a leading "./"
	size int64
	read func() ([]byte, error)
}

// walkArchive calls fn for every regular file of the .tar.xz or .zip
// archive at p, checking the archive's checksums to its end.
func walkArchive(p, ext string, fn func(m member) error) error {
	return archive.Walk(p, strings.TrimPrefix(ext, "."), func(e *archive.Entry, body io.Reader) error {
		if e.Kind != archive.KindFile {
			return nil
		}
		return fn(member{name: cleanMember(e.Name), size: e.Size, read: func() ([]byte, error) {
			return io.ReadAll(io.LimitReader(body, maxMemberRead+1))
		}})
	})
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
