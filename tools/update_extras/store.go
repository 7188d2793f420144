package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/extras"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/extrasfile"
)

// openStore resolves the file named by the flags. The store re-reads the
// file under a lock for every change and replaces it atomically (see
// package extrasfile), so that the file is either the old or the new
// version, never a mix, and two runs cannot lose each other's changes.
func (c *cli) openStore() (*extrasfile.Store, error) {
	path, display := c.filePath()
	st, err := extrasfile.OpenIn(c.root(path), path, display)
	if err != nil {
		if _, serr := os.Stat(path); errors.Is(serr, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s does not exist; run from the repository root (or with bazel run), or name the file with -file", display)
		}
		return nil, err
	}
	st.Options = extras.Options{AllowInsecure: c.allowInsecure}
	st.LockTimeout = c.lockTimeout
	st.Holder = "another update_extras run"
	st.Notify = c.ui.logf
	return st, nil
}

// loadStore opens extras.json, as openStore does, and parses it: what
// every command that reads the entries before it edits or checks them
// starts with.
func (c *cli) loadStore(ctx context.Context) (*extrasfile.Store, *extras.File, []byte, error) {
	st, err := c.openStore()
	if err != nil {
		return nil, nil, nil, err
	}
	f, data, err := st.Load(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	return st, f, data, nil
}

// root is the directory that extras.json at path may link into: the
// repository (the workspace of bazel run, else the working directory) if
// path is in it, else the directory of path as given.
func (c *cli) root(path string) string {
	ws := c.env.getenv("BUILD_WORKSPACE_DIRECTORY")
	if ws == "" {
		ws = c.env.wd
	}
	if rel, err := filepath.Rel(ws, path); err == nil && filepath.IsLocal(rel) {
		return ws
	}
	return filepath.Dir(path)
}
