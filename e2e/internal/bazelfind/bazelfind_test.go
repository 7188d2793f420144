package bazelfind

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseVersion(t *testing.T) {
	tests := []struct {
		out     string
		want    Version
		wantErr bool
	}{
		{out: "bazel 7.7.1\n", want: Version{7, 7, 1}},
		{out: "bazel 7.7.1- (@non-git)\n", want: Version{7, 7, 1}},
		{out: "bazel 8.0.1", want: Version{8, 0, 1}},
		{out: "bazel 4.2.3\n", want: Version{4, 2, 3}},
		{out: "bazel no_version\n", wantErr: true},
		{out: "", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParseVersion(tt.out)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseVersion(%q) error = %v, want error %v", tt.out, err, tt.wantErr)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseVersion(%q) = %v, want %v", tt.out, got, tt.want)
		}
	}
}

// fakeBazel writes an executable that prints out for --version.
func fakeBazel(t *testing.T, out string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "bazel")
	if err := os.WriteFile(p, []byte("#!/bin/sh\necho '"+out+"'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestProbeRejectsOldBazel(t *testing.T) {
	// Debian bookworm's bazel-bootstrap.
	_, err := probe(fakeBazel(t, "bazel 4.2.3"), "PATH")
	if err == nil || !strings.Contains(err.Error(), "bazel 4.2.3, older than the 7.1.0") {
		t.Errorf("probe(bazel 4.2.3) error = %v, want it rejected as older than 7.1.0", err)
	}
	b, err := probe(fakeBazel(t, "bazel 7.1.0"), "PATH")
	if err != nil || b.Version != (Version{7, 1, 0}) {
		t.Errorf("probe(bazel 7.1.0) = %v, %v; want accepted", b, err)
	}
}

func TestFindBazelHonoursBAZEL(t *testing.T) {
	t.Setenv("BAZEL", fakeBazel(t, "bazel 8.0.1"))
	b, _, err := Find(t.TempDir())
	if err != nil || b.Source != "$BAZEL" || b.Version != (Version{8, 0, 1}) {
		t.Fatalf("Find() = %+v, %v; want bazel 8.0.1 from $BAZEL", b, err)
	}
	// An explicit $BAZEL that is too old is an error, not a fallback.
	t.Setenv("BAZEL", fakeBazel(t, "bazel 4.2.3"))
	if _, _, err := Find(t.TempDir()); err == nil {
		t.Fatal("Find() with BAZEL at 4.2.3: no error")
	}
}

func TestFindBazelRejectsOldBazelOnPATH(t *testing.T) {
	dir := filepath.Dir(fakeBazel(t, "bazel 4.2.3"))
	t.Setenv("BAZEL", "")
	t.Setenv("PATH", dir)
	root := t.TempDir() // no e2e/rig/rig.sh: the rig step fails and is reported
	b, tried, err := Find(root)
	if err != nil || b != nil {
		t.Fatalf("Find() = %+v, %v; want no Bazel and no error", b, err)
	}
	if len(tried) == 0 || !strings.Contains(tried[0], "bazel 4.2.3, older than") {
		t.Errorf("Find() tried = %q, want the 4.2.3 rejection first", tried)
	}
}
