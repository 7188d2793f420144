package standin

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func write(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func list(t *testing.T, root string) map[string]string {
	t.Helper()
	got := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		rel, _ := filepath.Rel(root, p)
		got[filepath.ToSlash(rel)] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestCopyModuleAndStandin(t *testing.T) {
	root := t.TempDir()
	write(t, root, map[string]string{
		"MODULE.bazel":                 "module(name = \"ot_provisioning_exts\")\n",
		"MODULE.bazel.lock":            "{}",
		"skus/extras.json":             "{}\n",
		".git/HEAD":                    "ref\n",
		".github/workflows/ci.yml":     "on: push\n",
		"e2e/opentitan/MODULE.bazel":   "module(name = \"lowrisc_opentitan\")\n",
		"e2e/opentitan/rules/sign.bzl": "# rules\n",
		"e2e/opentitan/.bazelrc":       "build --aspects=rules/q.bzl%a\n",
		"bazel-out/x":                  "output\n",
	})
	if err := os.Symlink(root, filepath.Join(root, "bazel-root")); err != nil {
		t.Fatal(err)
	}

	checkout := filepath.Join(t.TempDir(), "checkout")
	if err := CopyModule(root, checkout); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"MODULE.bazel":     "module(name = \"ot_provisioning_exts\")\n",
		"skus/extras.json": "{}\n",
	}
	if diff := cmp.Diff(want, list(t, checkout)); diff != "" {
		t.Errorf("CopyModule (-want +got):\n%s", diff)
	}

	ot := filepath.Join(t.TempDir(), "ot")
	if err := Copy(root, ot, checkout); err != nil {
		t.Fatal(err)
	}
	want = map[string]string{
		".bazelrc":       "build --aspects=rules/q.bzl%a\ncommon --override_module=ot_provisioning_exts=" + checkout + "\n",
		"MODULE.bazel":   "module(name = \"lowrisc_opentitan\")\n",
		"rules/sign.bzl": "# rules\n",
	}
	if diff := cmp.Diff(want, list(t, ot)); diff != "" {
		t.Errorf("Copy (-want +got):\n%s", diff)
	}

	dummy := filepath.Join(t.TempDir(), "dummy")
	if err := Copy(root, dummy, ""); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(filepath.Join(dummy, ".bazelrc")); err != nil || string(got) != "build --aspects=rules/q.bzl%a\n" {
		t.Errorf("Copy without a checkout: .bazelrc = %q, %v; want the stand-in's, unchanged", got, err)
	}
}

// TestCopyModuleOfWorktree checks that the .git file of a git worktree
// (gitdir: <the shared repository>) is left out too: in the copy, git
// would otherwise commit, tag and branch in the shared repository.
func TestCopyModuleOfWorktree(t *testing.T) {
	root := t.TempDir()
	write(t, root, map[string]string{
		"MODULE.bazel": "module(name = \"ot_provisioning_exts\")\n",
		".git":         "gitdir: /elsewhere/.git/worktrees/wt\n",
	})
	checkout := filepath.Join(t.TempDir(), "checkout")
	if err := CopyModule(root, checkout); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"MODULE.bazel": "module(name = \"ot_provisioning_exts\")\n"}
	if diff := cmp.Diff(want, list(t, checkout)); diff != "" {
		t.Errorf("CopyModule (-want +got):\n%s", diff)
	}
}
