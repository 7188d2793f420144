package extras

import (
	"go/build"
	goparser "go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestStdlibOnly checks that the package's non-test files import only the
// standard library (and internal/errtext, which does too), so that any tool
// can use it without extra dependencies.
func TestStdlibOnly(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		checked++
		f, err := goparser.ParseFile(token.NewFileSet(), file, nil, goparser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, err := strconv.Unquote(imp.Path.Value)
			if err != nil {
				t.Fatal(err)
			}
			// internal/errtext words messages; it is standard library
			// only itself, which tools/extras_helper's
			// TestHelperImportsOnlyStdlib checks.
			if path == "github.com/ot-provisioning-exts/ot-provisioning-exts/internal/errtext" {
				continue
			}
			first, _, _ := strings.Cut(path, "/")
			if strings.Contains(first, ".") {
				t.Errorf("%s imports %q, which is not in the standard library", file, path)
				continue
			}
			pkg, err := build.Import(path, ".", build.FindOnly)
			if err != nil || !pkg.Goroot {
				t.Errorf("%s imports %q, which is not a standard library package (%v)", file, path, err)
			}
		}
	}
	if checked == 0 {
		t.Fatal("found no non-test Go files")
	}
}
