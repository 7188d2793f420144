package lint

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// repoRoot is two levels up from this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "MODULE.bazel")); err != nil {
		t.Fatalf("repository root %s has no MODULE.bazel: %v", root, err)
	}
	return root
}

// starlarkFiles lists every file buildifier should check, relative to root.
// It skips .git and Bazel's convenience symlinks (bazel-*).
func starlarkFiles(t *testing.T, root string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() && (name == ".git" || name == "testdata") && p != root {
			return filepath.SkipDir
		}
		if d.Type()&os.ModeSymlink != 0 || d.IsDir() {
			return nil
		}
		if isStarlark(name) {
			rel, _ := filepath.Rel(root, p)
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func isStarlark(name string) bool {
	switch {
	case name == "BUILD" || name == "BUILD.bazel" || name == "MODULE.bazel" || name == "WORKSPACE" || name == "WORKSPACE.bazel":
		return true
	case strings.HasSuffix(name, ".bzl"):
		return true
	}
	return false
}

func TestBuildifier(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	files := starlarkFiles(t, root)
	if len(files) == 0 {
		t.Fatal("found no Starlark files to check")
	}
	args := append([]string{"tool", "buildifier", "-mode=check", "-lint=warn", "-warnings=all"}, files...)
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("buildifier found problems in %d files:\n%s\nfix formatting and the fixable warnings with:\n  go tool buildifier -mode=fix -lint=fix -r .", len(files), out)
	}
	t.Logf("buildifier checked %d files", len(files))
}

func TestGoVet(t *testing.T) {
	t.Parallel()
	cmd := exec.Command("go", "vet", "./...")
	cmd.Dir = repoRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("go vet ./...: %v\n%s", err, out)
	}
}
