package extras

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse checks that Parse never panics, reports well-formed errors, and
// that whatever it accepts round-trips exactly through Encode. The seeds are
// all test files; testdata/fuzz/FuzzParse holds regression inputs.
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*", "*.json"))
	if err != nil {
		f.Fatal(err)
	}
	more, err := filepath.Glob(filepath.Join("testdata", "corpus", "*", "*.json"))
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range append(files, more...) {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, opts := range []Options{{}, {AllowInsecure: true}} {
			file, err := Parse(context.Background(), "fuzz.json", data, opts)
			if err != nil {
				var list ErrorList
				if file != nil || !errors.As(err, &list) || len(list) == 0 {
					t.Fatalf("Parse returned %v, %T %v; want nil and a non-empty ErrorList", file, err, err)
				}
				for _, e := range list {
					if e.Pos.Line < 1 || e.Pos.Col < 1 || e.File != "fuzz.json" || e.Msg == "" {
						t.Fatalf("malformed error %#v", e)
					}
				}
				continue
			}
			if !json.Valid(data) {
				t.Fatalf("Parse accepted invalid JSON %q", data)
			}
			for _, e := range file.Entries {
				if _, err := e.Digest(); err != nil {
					t.Fatalf("accepted entry has no usable digest: %v", err)
				}
			}
			checkRoundTrip(t, data, opts)
		}
	})
}
