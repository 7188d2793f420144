package testtools

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// update is the -update flag of every test binary that imports this
// package: go test -update rewrites the golden files instead of comparing.
var update = flag.Bool("update", false, "rewrite the golden files (and testscript's scripts) instead of comparing with them")

// Update reports whether the test binary runs with -update.
func Update() bool { return *update }

// CheckGolden compares got with the content of the file golden, or, under
// -update, writes got to it (making its directory).
func CheckGolden(t testing.TB, golden string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s\nrun go test -update if the change is intended", golden, diff)
	}
}
