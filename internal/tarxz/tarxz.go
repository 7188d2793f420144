// Package tarxz writes reproducible .tar.xz archives and reads files back
// out of them.
//
// [Write] produces the same bytes for the same content, whatever the
// files' timestamps, owners, permissions (beyond the executable bit) or the
// order they are given in: members are sorted by path, every parent
// directory gets its own entry before its children, the modification time
// is [ModTime], the owner is 0:0 with no user or group name, regular files
// are 0644 (0755 if executable) and directories 0755. The xz stream uses
// the library's fixed default settings, which do not depend on the machine.
package tarxz

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/ulikunitz/xz"
)

// ModTime is the modification time of every member.
var ModTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// File is one regular file of an archive.
type File struct {
	// Name is the path inside the archive, below the prefix given to
	// Write: slash-separated, clean and relative, such as "bin/a.bin".
	Name string
	// Source is the file on disk to copy; if "", Data is the content.
	// Symbolic links are followed.
	Source string
	// Data is the content when Source is "".
	Data []byte
	// Executable marks the file 0755. For a Source, an executable bit on
	// disk also does.
	Executable bool
}

// Write writes files to w as an xz-compressed tar archive whose members
// all lie under the directory prefix (a clean relative path; "" for
// none). It fails on a name that is not clean and relative, and on two
// files with the same name or a file whose name is also a directory.
func Write(w io.Writer, prefix string, files []File) error {
	if prefix != "" && !cleanRel(prefix) {
		return fmt.Errorf("archive prefix %q is not a clean relative path", prefix)
	}
	type member struct {
		name string
		dir  bool
		file *File
	}
	byName := map[string]*member{}
	add := func(m *member) error {
		if old, ok := byName[m.name]; ok {
			if old.dir && m.dir {
				return nil
			}
			return fmt.Errorf("two archive members are called %q; rename one of the outputs", strings.TrimSuffix(m.name, "/"))
		}
		byName[m.name] = m
		return nil
	}
	for i := range files {
		f := &files[i]
		if !cleanRel(f.Name) {
			return fmt.Errorf("archive member name %q is not a clean relative path", f.Name)
		}
		full := path.Join(prefix, f.Name)
		if err := add(&member{name: full, file: f}); err != nil {
			return err
		}
		for d := path.Dir(full); d != "."; d = path.Dir(d) {
			if err := add(&member{name: d + "/", dir: true}); err != nil {
				return err
			}
		}
	}
	for name := range byName {
		if !strings.HasSuffix(name, "/") {
			if _, ok := byName[name+"/"]; ok {
				return fmt.Errorf("archive member %q is both a file and a directory", name)
			}
		}
	}
	names := make([]string, 0, len(byName))
	for name := range byName {
		names = append(names, name)
	}
	slices.Sort(names)

	xw, err := xz.WriterConfig{}.NewWriter(w)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(xw)
	for _, name := range names {
		m := byName[name]
		hdr := &tar.Header{Name: name, ModTime: ModTime, Format: tar.FormatPAX}
		if m.dir {
			hdr.Typeflag, hdr.Mode = tar.TypeDir, 0o755
			if err := tw.WriteHeader(hdr); err != nil {
				return err
			}
			continue
		}
		data, exec, err := m.file.content()
		if err != nil {
			return err
		}
		hdr.Typeflag, hdr.Mode, hdr.Size = tar.TypeReg, 0o644, int64(len(data))
		if exec {
			hdr.Mode = 0o755
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := tw.Write(data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return xw.Close()
}

// content returns the file's bytes and whether it is executable.
func (f *File) content() ([]byte, bool, error) {
	if f.Source == "" {
		return f.Data, f.Executable, nil
	}
	fi, err := os.Stat(f.Source)
	if err != nil {
		return nil, false, err
	}
	if !fi.Mode().IsRegular() {
		return nil, false, fmt.Errorf("%s is not a regular file", f.Source)
	}
	data, err := os.ReadFile(f.Source)
	if err != nil {
		return nil, false, err
	}
	return data, f.Executable || fi.Mode().Perm()&0o111 != 0, nil
}

// cleanRel reports whether p is a clean, relative, non-empty path that
// stays inside its root.
func cleanRel(p string) bool {
	return p != "" && p != "." && path.Clean(p) == p && !strings.HasPrefix(p, "/") &&
		p != ".." && !strings.HasPrefix(p, "../")
}

// Result describes a written archive file.
type Result struct {
	Path   string
	SHA256 string // lower-case hex
	Size   int64
}

// WriteFile writes the archive (see Write) to the file at name, replacing
// it, and returns its digest and size. On failure no file is left.
func WriteFile(name, prefix string, files []File) (*Result, error) {
	var buf bytes.Buffer
	if err := Write(&buf, prefix, files); err != nil {
		return nil, err
	}
	if err := os.WriteFile(name, buf.Bytes(), 0o644); err != nil {
		os.Remove(name)
		return nil, err
	}
	sum := sha256.Sum256(buf.Bytes())
	return &Result{Path: name, SHA256: hex.EncodeToString(sum[:]), Size: int64(buf.Len())}, nil
}

// ReadFiles returns the content of the regular files in the .tar.xz
// archive at name whose member names (as stored, such as
// "presign_perso/a.digest") match; match nil takes every file. Members
// larger than maxSize bytes are an error.
func ReadFiles(name string, match func(member string) bool, maxSize int64) (map[string][]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	xr, err := xz.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s is not an xz file: %w", name, err)
	}
	tr := tar.NewReader(xr)
	out := map[string][]byte{}
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", name, err)
		}
		if hdr.Typeflag != tar.TypeReg || (match != nil && !match(hdr.Name)) {
			continue
		}
		if hdr.Size > maxSize {
			return nil, fmt.Errorf("%s: member %s has %d bytes, more than the %d expected", name, hdr.Name, hdr.Size, maxSize)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return nil, fmt.Errorf("reading %s: member %s: %w", name, hdr.Name, err)
		}
		out[hdr.Name] = b
	}
}
