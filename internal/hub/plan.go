package hub

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/errtext"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/extras"
)

// HubName is the name of the hub repository.
const HubName = "provisioning_exts_extra"

// IndexName is the name of the repository that holds the hub's extras.bzl.
// It is a repository of its own so that editing an entry rewrites it, a
// one-file Starlark rule, and leaves the hub, whose links and aliases depend
// only on the entries' names, as it was.
const IndexName = "provisioning_exts_extra_index"

// LocalEnv is the environment variable (set with --repo_env) that points
// entries at local directories: "name=path[,name=path...]".
const LocalEnv = "PROVISIONING_EXTS_LOCAL"

// Plan is everything the module extension declares, in the JSON shape it
// decodes (see extensions/private/extras_ext.bzl).
type Plan struct {
	// Repos are the spoke repositories, one per entry, sorted by name.
	Repos []Repo `json:"repos"`
	// Spokes maps each entry's name to the label of a file at the root of
	// its repository; the hub resolves it to find the repository's directory.
	Spokes map[string]string `json:"spokes"`
	// Hub is what the hub repository rule passes back to "extras_helper hub":
	// only what the hub's links and BUILD file depend on.
	Hub HubSpec `json:"hub"`
	// ExtrasBzl is the content of extras.bzl, which the index repository
	// (IndexName) holds and the hub links.
	ExtrasBzl string `json:"extras_bzl"`
	// Extras is what ExtrasBzl says, before rendering.
	Extras Spec `json:"-"`
}

// HubSpec is the hub repository's input: the entries' names (sorted) and
// where they came from. It does not change when an entry is re-pointed.
type HubSpec struct {
	Source string   `json:"source"` // where the entries came from, for comments
	Names  []string `json:"names"`
}

// Repo is one repository rule call: Rule(name = Name, **Attrs).
type Repo struct {
	Name  string         `json:"name"`
	Rule  string         `json:"rule"` // http_archive or local_spoke
	Attrs map[string]any `json:"attrs"`
}

// Spec is what the hub's extras.bzl says about the entries.
type Spec struct {
	Source  string      `json:"source"` // where the entries came from, for comments
	Entries []SpecEntry `json:"entries"`
}

// SpecEntry is what the hub's extras.bzl says about one entry.
type SpecEntry struct {
	Name        string            `json:"name"`
	URLs        []string          `json:"urls"`
	SHA256      string            `json:"sha256"`
	Integrity   string            `json:"integrity"`
	StripPrefix string            `json:"strip_prefix"`
	Type        string            `json:"type"`
	Provenance  map[string]string `json:"provenance"`
	LocalPath   string            `json:"local_path"` // "" unless overridden locally
}

// anchor is the file every spoke has at its root: http_archive spokes get
// one from their patch command, local ones from their directory or from
// new_local_repository.
const anchor = "BUILD.bazel"

// NewPlan plans the repositories for f. locals maps entry names to absolute
// directories that replace their archives (see [ParseLocal]).
func NewPlan(f *extras.File, source string, locals map[string]string) (*Plan, error) {
	p := &Plan{
		Spokes: map[string]string{},
		Hub:    HubSpec{Source: source, Names: []string{}},
		Extras: Spec{Source: source, Entries: []SpecEntry{}},
		Repos:  []Repo{},
	}
	for _, e := range f.Entries {
		se := SpecEntry{
			Name: e.Name, URLs: e.URLs, SHA256: e.HexSHA256(), Integrity: e.SRI(),
			StripPrefix: e.StripPrefix, Type: e.Type, Provenance: map[string]string{},
		}
		for k, v := range map[string]string{"repository": e.Provenance.Repository, "tag": e.Provenance.Tag, "asset": e.Provenance.Asset} {
			if v != "" {
				se.Provenance[k] = v
			}
		}
		var r Repo
		if dir, ok := locals[e.Name]; ok {
			r = localRepo(e.Name, dir)
			se.LocalPath = dir
		} else {
			r = archiveRepo(e)
		}
		p.Repos = append(p.Repos, r)
		p.Spokes[e.Name] = "@" + e.Name + "//:" + anchor
		p.Hub.Names = append(p.Hub.Names, e.Name)
		p.Extras.Entries = append(p.Extras.Entries, se)
	}
	p.ExtrasBzl = ExtrasBzl(p.Extras)
	return p, nil
}

func archiveRepo(e extras.Entry) Repo {
	attrs := map[string]any{
		"urls":       e.URLs,
		"patch_cmds": patchCmds(e.Name),
	}
	// Pin the hash in the form the file uses, so that Bazel's "Checksum was
	// ... but wanted ..." message quotes what the user sees in extras.json.
	if e.SHA256 != "" {
		attrs["sha256"] = e.SHA256
	} else {
		attrs["integrity"] = e.Integrity
	}
	if e.StripPrefix != "" {
		attrs["strip_prefix"] = e.StripPrefix
	}
	if e.Type != "" {
		attrs["type"] = e.Type
	}
	return Repo{Name: e.Name, Rule: "http_archive", Attrs: attrs}
}

// patchCmds are the http_archive patch commands of every spoke:
//
//   - Give the extracted files the time of extraction. Release archives are
//     deterministic, so every file in them has one fixed mtime, and a re-signed
//     binary often has the same size as the one it replaces. Bazel keys its
//     digest cache on path, inode, mtime and size, so without this it can keep
//     the old digest and skip actions after a re-point
//     (github.com/bazelbuild/bazel/issues/14723).
//   - Give the spoke a BUILD.bazel at its root: the archive's own BUILD.bazel,
//     its BUILD (linked), or else the default one that exports every file.
func patchCmds(name string) []string {
	return []string{
		"find . -type f -exec touch -c {} +",
		"[ -e BUILD.bazel ] || { [ -e BUILD ] && ln -s BUILD BUILD.bazel; } || cat >BUILD.bazel <<'OT_PROVISIONING_EXTS_EOF'\n" +
			DefaultBuildFile(name) + "OT_PROVISIONING_EXTS_EOF",
	}
}

// localRepo declares a local_spoke (extensions/private/local_spoke_repo.bzl)
// for dir. A directory without a BUILD file gets the default one.
func localRepo(name, dir string) Repo {
	return Repo{Name: name, Rule: "local_spoke", Attrs: map[string]any{
		"path": dir, "default_build_file_content": DefaultBuildFile(name),
	}}
}

// ParseLocal parses the value of [LocalEnv]: comma-separated name=path pairs.
// Relative paths are taken from workspace (the root module's directory).
// Every name must be an entry of f and every path an existing directory.
func ParseLocal(value, workspace string, f *extras.File) (map[string]string, error) {
	locals := map[string]string{}
	value = strings.TrimSpace(value)
	if value == "" {
		return locals, nil
	}
	var problems []string
	for _, pair := range strings.Split(value, ",") {
		name, dir, ok := strings.Cut(strings.TrimSpace(pair), "=")
		if !ok || name == "" || dir == "" {
			problems = append(problems, fmt.Sprintf("%s is not name=path", errtext.Quote(pair)))
			continue
		}
		if _, ok := f.Lookup(name); !ok {
			problems = append(problems, fmt.Sprintf("%s is not an entry of extras.json (entries: %s)", errtext.Quote(name), entryNames(f)))
			continue
		}
		if _, dup := locals[name]; dup {
			problems = append(problems, fmt.Sprintf("%s is given twice", errtext.Quote(name)))
			continue
		}
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(workspace, dir)
		}
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			problems = append(problems, fmt.Sprintf("entry %s: %s is not a directory", errtext.Quote(name), errtext.Cut(dir)))
			continue
		}
		locals[name] = filepath.Clean(dir)
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("--repo_env=%s=%s: %s", LocalEnv, errtext.Cut(value), strings.Join(errtext.List(problems, 0), "; "))
	}
	return locals, nil
}

func entryNames(f *extras.File) string {
	if len(f.Entries) == 0 {
		return "none"
	}
	var names []string
	for _, e := range f.Entries {
		names = append(names, e.Name)
	}
	sort.Strings(names)
	return strings.Join(errtext.List(names, 0), ", ")
}
