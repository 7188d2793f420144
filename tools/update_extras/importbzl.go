package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/errtext"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/extras"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/extrasfile"
)

// importFlags are the flags of import-bzl.
type importFlags struct {
	verify, replace bool
}

var importBzlCommand = &command{
	name:      "import-bzl",
	args:      "path/to/extension.bzl",
	short:     "set entries from the _ARCHIVES dict of an ot-sku release branch's extension.bzl",
	downloads: true,
	flags: func(c *cli, fs *flag.FlagSet) {
		fs.BoolVar(&c.importBzl.verify, "verify", c.importBzl.verify, "download every archive first and check it against its sha256 and as an archive")
		fs.BoolVar(&c.importBzl.replace, "replace", c.importBzl.replace, "overwrite entries that the file holds with other content")
		fs.StringVar(&c.mirrors, "mirrors", c.mirrors, "with -verify: `all` (every URL of an entry must serve its archive) or first (the first URL that works is enough)")
	},
	edit: editImportBzl,
	long: `
Migrates an ot-sku release branch to extras.json: the archives that its
extension.bzl lists in the top-level dict literal _ARCHIVES, such as

  _ARCHIVES = {
      "perso_release": {
          "url": "https://github.com/lowRISC/ot-sku/releases/download/TAG/perso_release.tar.xz",
          "sha256": "<64 hex digits>",
          "strip_prefix": "perso_release",
      },
  }

become the entries of the same names. The file is parsed as Starlark,
never run, so everything must be a literal: _ARCHIVES is assigned once,
to a dict whose keys are entry names (strings) and whose values are dicts
with the keys url (a string) or urls (a list of strings, mirrors),
sha256 (required: extras.json pins every archive) and strip_prefix
(optional). Anything else is refused with its line and column, and so is
anything that the format of extras.json rejects, such as a reserved
name, a malformed sha256 or a URL that is not https://. Under 'bazel
run', a relative path is taken from the directory you ran bazel in.

Each entry gets both sha256 and integrity, and provenance (repository,
tag, asset) when its first URL is a GitHub release download URL
(https://github.com/OWNER/NAME/releases/download/TAG/ASSET). Entries of
the file that _ARCHIVES does not list are kept. An entry that the file
already holds with other content is refused, naming it, unless
-replace; one with the same content stays as it is.

Without -verify nothing is downloaded: the hashes are those of the .bzl
file, so check the result (update_extras check) before committing. With
-verify every archive is downloaded first, at most -jobs at a time, and
checked as by set: it must match its sha256, open as its type and hold
its strip_prefix; with -mirrors=all (the default) every URL must serve
it. If anything fails, nothing is written.

Examples:
  update_extras import-bzl -verify ../ot-sku/extension.bzl
  git -C ../ot-sku show origin/RELEASE_BRANCH:extension.bzl > /tmp/extension.bzl
  update_extras import-bzl -verify -replace /tmp/extension.bzl
`,
}

// editImportBzl says what import-bzl changes: the entries of the .bzl
// file's _ARCHIVES, with -verify each downloaded and checked first.
func editImportBzl(ctx context.Context, c *cli, fs *flag.FlagSet, args []string) (*change, error) {
	if len(args) != 1 {
		return nil, usagef("import-bzl needs exactly one path/to/extension.bzl")
	}
	display := args[0]
	data, err := os.ReadFile(c.userPath(display))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", display, err)
	}

	st, err := c.openStore()
	if err != nil {
		return nil, err
	}
	entries, err := readArchives(display, data, st.Options)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if err := c.checkSecrets(e.Name, e.URLs); err != nil {
			return nil, fmt.Errorf("%s: %w", display, err)
		}
	}
	f, _, err := st.Load(ctx)
	if err != nil {
		return nil, err
	}
	ch := &change{st: st}
	var differ []string
	for _, e := range entries {
		ed := &edit{name: e.Name, old: extrasfile.Lookup(f, e.Name), entry: &e}
		if ed.old != nil && !extrasfile.SameEntry(ed.old, ed.entry) {
			differ = append(differ, fmt.Sprintf("entry %s: %s", errtext.Quote(e.Name), changedFields(ed.old, ed.entry)))
		}
		if c.importBzl.verify {
			ed.fetch = func(ctx context.Context, fx *fetcher) (*fetched, error) {
				return fx.fetch(ctx, &archiveSpec{
					label: e.Name, urls: e.URLs, sha256: e.SHA256, typ: e.Type, stripPrefix: e.StripPrefix, mirrors: c.mirrors,
				})
			}
		}
		ch.edits = append(ch.edits, ed)
	}
	if len(differ) > 0 && !c.importBzl.replace {
		return nil, fmt.Errorf("%s already holds these entries with other content:\n%s\npass -replace to overwrite them", st.Display, strings.Join(differ, "\n"))
	}
	if !c.importBzl.verify {
		ch.wroteNote = fmt.Sprintf("nothing was downloaded: the hashes are those of %s. Run update_extras check (or import-bzl -verify) to verify the archives before committing.", display)
	}
	return ch, nil
}

// changedFields names the fields in which prev and next differ, as in
// "url, sha256 and integrity differ".
func changedFields(prev, next *extras.Entry) string {
	before, after := fields(prev), fields(next)
	var keys []string
	for _, k := range keyOrder {
		for _, f := range slices.Concat(before, after) {
			if f.key == k && (!slices.Contains(before, f) || !slices.Contains(after, f)) {
				keys = append(keys, k)
				break
			}
		}
	}
	switch len(keys) {
	case 0: // the same URLs in another order
		return "url order differs"
	case 1:
		return keys[0] + " differs"
	}
	return strings.Join(keys[:len(keys)-1], ", ") + " and " + keys[len(keys)-1] + " differ"
}
