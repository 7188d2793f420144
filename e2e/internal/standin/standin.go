// Package standin lays out the workspaces of the end-to-end suite and the
// demo: a copy of this module's checkout (to edit and connect with
// --override_module), and a copy of the OpenTitan stand-in, e2e/opentitan.
package standin

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// CopyModule copies the checkout at root (without .git, e2e/, .github/,
// Bazel's output symlinks and lockfiles) to dst: a second checkout.
func CopyModule(root, dst string) error {
	return copyTree(root, dst, func(rel string) bool {
		return rel == ".git" || rel == "e2e" || rel == ".github"
	})
}

// Copy copies the OpenTitan stand-in of the checkout at root to dst, its
// .bazelrc (OpenTitan's) included. If checkout is not empty, it also appends
// to dst/.bazelrc the line connecting that checkout as OpenTitan users do:
//
//	common --override_module=ot_provisioning_exts=<checkout>
func Copy(root, dst, checkout string) error {
	if err := copyTree(filepath.Join(root, "e2e", "opentitan"), dst, func(string) bool { return false }); err != nil {
		return err
	}
	if checkout == "" {
		return nil
	}
	f, err := os.OpenFile(filepath.Join(dst, ".bazelrc"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	_, err = f.WriteString("common --override_module=ot_provisioning_exts=" + checkout + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// copyTree copies the regular files under src to dst, leaving out the
// directories and files skip names (by slash-separated path relative to
// src), Bazel's output symlinks and lockfiles. Files already in dst stay
// unless overwritten. (In a git worktree .git is a file naming the shared
// repository: copied, it would make git in dst work on that repository.)
func copyTree(src, dst string, skip func(rel string) bool) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		name := d.Name()
		if d.IsDir() {
			if rel != "." && (skip(filepath.ToSlash(rel)) || strings.HasPrefix(name, "bazel-")) {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if d.Type()&fs.ModeSymlink != 0 || name == "MODULE.bazel.lock" || skip(filepath.ToSlash(rel)) {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		mode := fs.FileMode(0o644)
		if info, err := d.Info(); err == nil && info.Mode()&0o111 != 0 {
			mode = 0o755
		}
		return os.WriteFile(filepath.Join(dst, rel), data, mode)
	})
}
