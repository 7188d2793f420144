package helperbuild

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestSources(t *testing.T) {
	srcs, err := Sources(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"tools/extras_helper/main.go", "internal/extras/parse.go", "internal/hub/templates/extras.bzl.tmpl"} {
		if !slices.Contains(srcs, want) {
			t.Errorf("Sources() = %q, missing %s", srcs, want)
		}
	}
	files, err := ReadSources(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(srcs) {
		t.Errorf("ReadSources read %d files, want %d", len(files), len(srcs))
	}
}

func TestSourcesErrors(t *testing.T) {
	for _, tc := range []struct{ name, bzl, want string }{
		{"no list", "X = 1\n", "does not assign HELPER_SRCS"},
		{"not a list", "HELPER_SRCS = 1\n", "HELPER_SRCS is not a list"},
		{"not a label", "HELPER_SRCS = [\n    \"a.go\",\n]\n", `:2: "a.go" is not Label("//package:file")`},
		{"external label", "HELPER_SRCS = [Label(\"@x//a:b.go\")]\n", `label "@x//a:b.go" is not of the form //package:file`},
		{"escaping label", "HELPER_SRCS = [Label(\"//a/..:b.go\")]\n", `is not of the form //package:file`},
		{"missing file", "HELPER_SRCS = [Label(\"//:nope.go\")]\n", "reading a file of HELPER_SRCS"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			name := filepath.Join(dir, filepath.FromSlash(SrcsFile))
			if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(name, []byte(tc.bzl), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := ReadSources(dir)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ReadSources: %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
