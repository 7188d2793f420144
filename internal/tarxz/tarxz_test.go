package tarxz_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/archive"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/tarxz"
)

// TestDeterministic writes the same content twice, from files with
// different timestamps and permissions, given in different orders: the
// bytes must be identical.
func TestDeterministic(t *testing.T) {
	build := func(dir string, mtime time.Time, mode os.FileMode, reverse bool) []byte {
		t.Helper()
		var files []tarxz.File
		for _, name := range []string{"bin/a.bin", "bin/b.digest", "docs/readme.txt", "tool.sh"} {
			p := filepath.Join(dir, filepath.FromSlash(name))
			os.MkdirAll(filepath.Dir(p), 0o755)
			perm := mode
			if name == "tool.sh" {
				perm |= 0o100
			}
			if err := os.WriteFile(p, []byte("content of "+name), perm); err != nil {
				t.Fatal(err)
			}
			os.Chtimes(p, mtime, mtime)
			files = append(files, tarxz.File{Name: name, Source: p})
		}
		files = append(files, tarxz.File{Name: "SHA256SUMS", Data: []byte("sums\n")})
		if reverse {
			for i, j := 0, len(files)-1; i < j; i, j = i+1, j-1 {
				files[i], files[j] = files[j], files[i]
			}
		}
		var buf bytes.Buffer
		if err := tarxz.Write(&buf, "presign_perso", files); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	a := build(t.TempDir(), time.Unix(1, 0), 0o644, false)
	b := build(t.TempDir(), time.Now(), 0o600, true)
	if !bytes.Equal(a, b) {
		t.Fatal("two builds of the same content differ")
	}
	p := filepath.Join(t.TempDir(), "a.tar.xz")
	os.WriteFile(p, a, 0o644)
	rep, err := archive.Check(p, "tar.xz", "presign_perso")
	if err != nil {
		t.Fatal(err)
	}
	if rep.Files != 5 || rep.Dirs != 3 || strings.Join(rep.TopLevel, ",") != "presign_perso" {
		t.Errorf("report %+v", rep)
	}
	got, err := tarxz.ReadFiles(p, func(m string) bool { return strings.HasSuffix(m, ".digest") }, 100)
	if err != nil || len(got) != 1 || string(got["presign_perso/bin/b.digest"]) != "content of bin/b.digest" {
		t.Errorf("ReadFiles = %q, %v", got, err)
	}
	all, err := tarxz.ReadFiles(p, nil, 100)
	if err != nil || len(all) != 5 {
		t.Errorf("ReadFiles(nil) = %d files, %v", len(all), err)
	}
	if _, err := tarxz.ReadFiles(p, nil, 3); err == nil {
		t.Error("ReadFiles accepted a member over the size limit")
	}
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	files := []tarxz.File{{Name: "x", Data: []byte("x")}}
	a, err := tarxz.WriteFile(filepath.Join(dir, "a.tar.xz"), "p", files)
	if err != nil {
		t.Fatal(err)
	}
	b, err := tarxz.WriteFile(filepath.Join(dir, "b.tar.xz"), "p", files)
	if err != nil {
		t.Fatal(err)
	}
	if a.SHA256 != b.SHA256 || a.Size != b.Size || len(a.SHA256) != 64 {
		t.Errorf("results %+v and %+v", a, b)
	}
}

func TestWriteErrors(t *testing.T) {
	for _, tc := range []struct {
		prefix string
		files  []tarxz.File
		want   string
	}{
		{"p", []tarxz.File{{Name: "a"}, {Name: "a"}}, `two archive members are called "p/a"`},
		{"p", []tarxz.File{{Name: "a"}, {Name: "a/b"}}, "both a file and a directory"},
		{"p", []tarxz.File{{Name: "../a"}}, "not a clean relative path"},
		{"p", []tarxz.File{{Name: "/a"}}, "not a clean relative path"},
		{"p", []tarxz.File{{Name: "a//b"}}, "not a clean relative path"},
		{"/p", []tarxz.File{{Name: "a"}}, "prefix"},
		{"p", []tarxz.File{{Name: "a", Source: "/nonexistent/file"}}, "no such file"},
	} {
		err := tarxz.Write(&bytes.Buffer{}, tc.prefix, tc.files)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Write(%q, %+v) = %v, want %q", tc.prefix, tc.files, err, tc.want)
		}
	}
}
