// Package helperbuild builds the fetch-time helper (tools/extras_helper)
// from exactly the sources the repository rule compiles, HELPER_SRCS, so
// that the bytes depend only on those sources and the Go version; it is
// how the release tool publishes the prebuilt binaries of
// extensions/private/helper.lock.json.
package helperbuild

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/bazelbuild/buildtools/build"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/helperlock"
)

// SrcsFile is the file that lists the helper's sources, relative to the
// module root.
const SrcsFile = "extensions/private/helper_srcs.bzl"

// Sources returns the files of HELPER_SRCS in the module at root, as
// slash-separated paths from root (such as "internal/extras/parse.go"), in
// the file's order.
func Sources(root string) ([]string, error) {
	name := filepath.Join(root, filepath.FromSlash(SrcsFile))
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	return ParseSources(name, data)
}

// ParseSources returns the files of HELPER_SRCS that data, the content of
// helper_srcs.bzl (called name in errors), lists.
func ParseSources(name string, data []byte) ([]string, error) {
	f, err := build.ParseBzl(name, data)
	if err != nil {
		return nil, err
	}
	for _, stmt := range f.Stmt {
		a, ok := stmt.(*build.AssignExpr)
		if !ok {
			continue
		}
		if id, ok := a.LHS.(*build.Ident); !ok || id.Name != "HELPER_SRCS" {
			continue
		}
		list, ok := a.RHS.(*build.ListExpr)
		if !ok {
			return nil, fmt.Errorf("%s: HELPER_SRCS is not a list; regenerate it: go test ./tools/extras_helper -run TestHelperSrcsUpToDate -update", name)
		}
		var srcs []string
		for _, e := range list.List {
			p, err := labelPath(e)
			if err != nil {
				start, _ := e.Span()
				return nil, fmt.Errorf("%s:%d: %v; regenerate it: go test ./tools/extras_helper -run TestHelperSrcsUpToDate -update", name, start.Line, err)
			}
			srcs = append(srcs, p)
		}
		return srcs, nil
	}
	return nil, fmt.Errorf("%s does not assign HELPER_SRCS; regenerate it: go test ./tools/extras_helper -run TestHelperSrcsUpToDate -update", name)
}

// labelPath turns Label("//pkg:name") into "pkg/name".
func labelPath(e build.Expr) (string, error) {
	call, ok := e.(*build.CallExpr)
	if !ok || len(call.List) != 1 {
		return "", fmt.Errorf("%s is not Label(\"//package:file\")", build.FormatString(e))
	}
	fn, ok := call.X.(*build.Ident)
	s, ok2 := call.List[0].(*build.StringExpr)
	if !ok || fn.Name != "Label" || !ok2 {
		return "", fmt.Errorf("%s is not Label(\"//package:file\")", build.FormatString(e))
	}
	rest, ok := strings.CutPrefix(s.Value, "//")
	pkg, file, ok2 := strings.Cut(rest, ":")
	if !ok || !ok2 || file == "" || strings.Contains(file, "..") || strings.Contains(pkg, "..") {
		return "", fmt.Errorf("label %q is not of the form //package:file in this module", s.Value)
	}
	if pkg == "" {
		return file, nil
	}
	return pkg + "/" + file, nil
}

// ReadSources reads the files of HELPER_SRCS in the module at root, keyed
// as Sources names them.
func ReadSources(root string) (map[string][]byte, error) {
	return ReadSourcesWith(func(p string) ([]byte, error) {
		return os.ReadFile(filepath.Join(root, filepath.FromSlash(p)))
	})
}

// ReadSourcesWith is ReadSources with read, which returns the content of
// a slash-separated path from the module root (such as a file at a git
// commit).
func ReadSourcesWith(read func(path string) ([]byte, error)) (map[string][]byte, error) {
	data, err := read(SrcsFile)
	if err != nil {
		return nil, err
	}
	srcs, err := ParseSources(SrcsFile, data)
	if err != nil {
		return nil, err
	}
	files := make(map[string][]byte, len(srcs))
	for _, s := range srcs {
		data, err := read(s)
		if err != nil {
			return nil, fmt.Errorf("reading a file of HELPER_SRCS (%s): %w", SrcsFile, err)
		}
		files[s] = data
	}
	return files, nil
}

// SourcesDigest is helperlock.SourcesDigest of the helper's sources in
// the module at root.
func SourcesDigest(root string) (string, error) {
	files, err := ReadSources(root)
	if err != nil {
		return "", err
	}
	return helperlock.SourcesDigest(files), nil
}
