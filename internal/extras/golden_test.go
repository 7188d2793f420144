package extras

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/testtools"
)

// goldenInputs returns the .json files in dir, failing if there are none.
func goldenInputs(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no test files in %s", dir)
	}
	return files
}

// optionsFor returns the options to parse a test file with: base names
// ending in "_insecure" are parsed with AllowInsecure.
func optionsFor(file string) Options {
	base := strings.TrimSuffix(filepath.Base(file), ".json")
	return Options{AllowInsecure: strings.HasSuffix(base, "_insecure")}
}

// TestErrorsGolden parses each file in testdata/errors, which must fail, and
// compares the error output with the .golden file next to it.
func TestErrorsGolden(t *testing.T) {
	for _, file := range goldenInputs(t, filepath.Join("testdata", "errors")) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			name := filepath.ToSlash(file)
			f, err := Parse(context.Background(), name, data, optionsFor(file))
			if err == nil {
				t.Fatalf("Parse succeeded, want errors; canonical form:\n%s", f.Encode())
			}
			if f != nil {
				t.Errorf("Parse returned a non-nil *File with an error")
			}
			var list ErrorList
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("Parse error is %T %v, want a non-empty ErrorList", err, err)
			}
			for _, e := range list {
				if e.File != name || e.Pos.Line < 1 || e.Pos.Col < 1 || !strings.Contains(e.Msg, "; ") {
					t.Errorf("malformed error %#v: want file %q, a position and a fix after \"; \"", e, name)
				}
			}
			testtools.CheckGolden(t, strings.TrimSuffix(file, ".json")+".golden", []byte(err.Error()+"\n"))
		})
	}
}

// TestCanonicalGolden parses each file in testdata/canonical, which must
// succeed, and compares its canonical encoding with the .golden file next
// to it.
func TestCanonicalGolden(t *testing.T) {
	for _, file := range goldenInputs(t, filepath.Join("testdata", "canonical")) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			f, err := Parse(context.Background(), file, data, optionsFor(file))
			if err != nil {
				t.Fatal(err)
			}
			got := f.Encode()
			golden := strings.TrimSuffix(file, ".json") + ".golden"
			testtools.CheckGolden(t, golden, got)
			// The canonical form is a fixed point.
			f2, err := Parse(context.Background(), golden, got, optionsFor(file))
			if err != nil {
				t.Fatalf("canonical form does not parse: %v", err)
			}
			if again := f2.Encode(); !bytes.Equal(again, got) {
				t.Errorf("encoding the canonical form changes it:\n%s", again)
			}
		})
	}
}
