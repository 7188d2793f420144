package hub

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/extras"
)

const (
	testHex = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08" // sha256("test")
	testSRI = "sha256-n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg="
	// The digest of the empty string, in both forms.
	emptyHex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	emptySRI = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
)

func TestNewPlan(t *testing.T) {
	tests := []struct {
		name   string
		file   *extras.File
		locals map[string]string
		want   *Plan
	}{
		{
			name: "empty file",
			file: &extras.File{},
			want: &Plan{
				Repos:  []Repo{},
				Spokes: map[string]string{},
				Extras: Spec{Source: "skus/extras.json", Entries: []SpecEntry{}},
			},
		},
		{
			name: "sha256 with every optional field",
			file: &extras.File{Entries: []extras.Entry{{
				Name:        "perso_release",
				URLs:        []string{"https://example.com/perso.tar.gz", "https://mirror.example.com/perso.tar.gz"},
				SHA256:      testHex,
				StripPrefix: "perso-1.0",
				Type:        "tar.gz",
				Provenance:  extras.Provenance{Repository: "lowRISC/opentitan", Tag: "v1.0", Asset: "perso.tar.gz"},
				Pos:         extras.Position{Line: 2, Col: 3},
			}}},
			want: &Plan{
				Repos: []Repo{{Name: "perso_release", Rule: "http_archive", Attrs: map[string]any{
					"urls":         []string{"https://example.com/perso.tar.gz", "https://mirror.example.com/perso.tar.gz"},
					"sha256":       testHex,
					"strip_prefix": "perso-1.0",
					"type":         "tar.gz",
					"patch_cmds":   patchCmds("perso_release"),
				}}},
				Spokes: map[string]string{"perso_release": "@perso_release//:BUILD.bazel"},
				Extras: Spec{Source: "skus/extras.json", Entries: []SpecEntry{{
					Name:        "perso_release",
					URLs:        []string{"https://example.com/perso.tar.gz", "https://mirror.example.com/perso.tar.gz"},
					SHA256:      testHex,
					Integrity:   testSRI, // derived from sha256
					StripPrefix: "perso-1.0",
					Type:        "tar.gz",
					Provenance:  map[string]string{"repository": "lowRISC/opentitan", "tag": "v1.0", "asset": "perso.tar.gz"},
				}}},
			},
		},
		{
			name: "integrity only, no optional fields",
			file: &extras.File{Entries: []extras.Entry{{
				Name:      "rom_ext",
				URLs:      []string{"https://example.com/rom_ext.zip"},
				Integrity: emptySRI,
			}}},
			want: &Plan{
				Repos: []Repo{{Name: "rom_ext", Rule: "http_archive", Attrs: map[string]any{
					"urls":       []string{"https://example.com/rom_ext.zip"},
					"integrity":  emptySRI,
					"patch_cmds": patchCmds("rom_ext"),
				}}},
				Spokes: map[string]string{"rom_ext": "@rom_ext//:BUILD.bazel"},
				Extras: Spec{Source: "skus/extras.json", Entries: []SpecEntry{{
					Name:       "rom_ext",
					URLs:       []string{"https://example.com/rom_ext.zip"},
					SHA256:     emptyHex, // derived from integrity
					Integrity:  emptySRI,
					Provenance: map[string]string{},
				}}},
			},
		},
		{
			name: "both hashes: sha256 is pinned, partial provenance",
			file: &extras.File{Entries: []extras.Entry{{
				Name:       "both",
				URLs:       []string{"https://example.com/both.tgz"},
				SHA256:     testHex,
				Integrity:  testSRI,
				Provenance: extras.Provenance{Tag: "v2"},
			}}},
			want: &Plan{
				Repos: []Repo{{Name: "both", Rule: "http_archive", Attrs: map[string]any{
					"urls":       []string{"https://example.com/both.tgz"},
					"sha256":     testHex,
					"patch_cmds": patchCmds("both"),
				}}},
				Spokes: map[string]string{"both": "@both//:BUILD.bazel"},
				Extras: Spec{Source: "skus/extras.json", Entries: []SpecEntry{{
					Name: "both", URLs: []string{"https://example.com/both.tgz"},
					SHA256: testHex, Integrity: testSRI,
					Provenance: map[string]string{"tag": "v2"},
				}}},
			},
		},
		{
			name: "local override of one of two entries",
			file: &extras.File{Entries: []extras.Entry{
				{Name: "a", URLs: []string{"https://example.com/a.tar.gz"}, SHA256: testHex, StripPrefix: "a-1", Provenance: extras.Provenance{Asset: "a.tar.gz"}},
				{Name: "b", URLs: []string{"https://example.com/b.tar.gz"}, Integrity: emptySRI},
			}},
			locals: map[string]string{"a": "/work/signed/a"},
			want: &Plan{
				Repos: []Repo{
					{Name: "a", Rule: "local_spoke", Attrs: map[string]any{
						"path":                       "/work/signed/a",
						"default_build_file_content": DefaultBuildFile("a"),
					}},
					{Name: "b", Rule: "http_archive", Attrs: map[string]any{
						"urls":       []string{"https://example.com/b.tar.gz"},
						"integrity":  emptySRI,
						"patch_cmds": patchCmds("b"),
					}},
				},
				Spokes: map[string]string{"a": "@a//:BUILD.bazel", "b": "@b//:BUILD.bazel"},
				Extras: Spec{Source: "skus/extras.json", Entries: []SpecEntry{
					{
						Name: "a", URLs: []string{"https://example.com/a.tar.gz"},
						SHA256: testHex, Integrity: testSRI, StripPrefix: "a-1",
						Provenance: map[string]string{"asset": "a.tar.gz"},
						LocalPath:  "/work/signed/a",
					},
					{
						Name: "b", URLs: []string{"https://example.com/b.tar.gz"},
						SHA256: emptyHex, Integrity: emptySRI,
						Provenance: map[string]string{},
					},
				}},
			},
		},
		{
			name: "every entry local",
			file: &extras.File{Entries: []extras.Entry{
				{Name: "a", URLs: []string{"https://example.com/a.tar.gz"}, SHA256: testHex},
			}},
			locals: map[string]string{"a": "/x"},
			want: &Plan{
				Repos: []Repo{{Name: "a", Rule: "local_spoke", Attrs: map[string]any{
					"path": "/x", "default_build_file_content": DefaultBuildFile("a"),
				}}},
				Spokes: map[string]string{"a": "@a//:BUILD.bazel"},
				Extras: Spec{Source: "skus/extras.json", Entries: []SpecEntry{{
					Name: "a", URLs: []string{"https://example.com/a.tar.gz"},
					SHA256: testHex, Integrity: testSRI, Provenance: map[string]string{}, LocalPath: "/x",
				}}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NewPlan(tt.file, "skus/extras.json", tt.locals)
			if err != nil {
				t.Fatal(err)
			}
			// The derived fields: the hub's spec (the names) and extras.bzl.
			tt.want.Hub = HubSpec{Source: tt.want.Extras.Source, Names: []string{}}
			for _, e := range tt.want.Extras.Entries {
				tt.want.Hub.Names = append(tt.want.Hub.Names, e.Name)
			}
			tt.want.ExtrasBzl = ExtrasBzl(tt.want.Extras)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("NewPlan mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestNewPlanFromParse runs NewPlan on a parsed file, as the helper does,
// and checks the JSON that the extension decodes.
func TestNewPlanFromParse(t *testing.T) {
	const src = `{
  "zeta": {"urls": ["https://example.com/z.tar.gz"], "integrity": "` + testSRI + `"},
  "alpha": {"url": "https://example.com/a.zip", "sha256": "` + emptyHex + `", "type": "zip",
            "provenance": {"repository": "lowRISC/opentitan", "tag": "v1"}}
}`
	f, err := extras.Parse(context.Background(), "skus/extras.json", []byte(src), extras.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPlan(f, "skus/extras.json", nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range p.Repos {
		names = append(names, r.Name)
	}
	if diff := cmp.Diff([]string{"alpha", "zeta"}, names); diff != "" {
		t.Errorf("repos are not sorted by name (-want +got):\n%s", diff)
	}

	data, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	patch := func(name string) []any {
		var l []any
		for _, c := range patchCmds(name) {
			l = append(l, c)
		}
		return l
	}
	want := map[string]any{
		"repos": []any{
			map[string]any{"name": "alpha", "rule": "http_archive", "attrs": map[string]any{
				"urls": []any{"https://example.com/a.zip"}, "sha256": emptyHex, "type": "zip", "patch_cmds": patch("alpha"),
			}},
			map[string]any{"name": "zeta", "rule": "http_archive", "attrs": map[string]any{
				"urls": []any{"https://example.com/z.tar.gz"}, "integrity": testSRI, "patch_cmds": patch("zeta"),
			}},
		},
		"spokes":     map[string]any{"alpha": "@alpha//:BUILD.bazel", "zeta": "@zeta//:BUILD.bazel"},
		"hub":        map[string]any{"source": "skus/extras.json", "names": []any{"alpha", "zeta"}},
		"extras_bzl": ExtrasBzl(p.Extras),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("plan JSON mismatch (-want +got):\n%s", diff)
	}

	// extras.bzl says everything about every entry.
	for _, s := range []string{`"alpha": {`, `"zeta": {`, `"tag": "v1"`, emptySRI, testSRI, `"https://example.com/z.tar.gz"`} {
		if !strings.Contains(p.ExtrasBzl, s) {
			t.Errorf("extras_bzl lacks %s:\n%s", s, p.ExtrasBzl)
		}
	}

	// The hub spec survives the trip through Starlark's json.encode and the
	// helper's json.Unmarshal.
	specJSON, err := json.Marshal(p.Hub)
	if err != nil {
		t.Fatal(err)
	}
	var spec HubSpec
	if err := json.Unmarshal(specJSON, &spec); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p.Hub, spec); diff != "" {
		t.Errorf("hub spec round trip mismatch (-want +got):\n%s", diff)
	}
}

// TestEmptyPlanJSON checks that an empty plan has [] and {}, not null,
// which Starlark could not iterate.
func TestEmptyPlanJSON(t *testing.T) {
	p, err := NewPlan(&extras.File{}, "x", nil)
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"repos":[],"spokes":{},"hub":{"source":"x","names":[]},"extras_bzl":` + strconv.Quote(ExtrasBzl(p.Extras)) + `}`; string(data) != want {
		t.Errorf("empty plan JSON = %s, want %s", data, want)
	}
}

// bzlAttrs returns the attribute names that the repository rule in the .bzl
// file declares ("name": attr.xxx( lines).
func bzlAttrs(t *testing.T, file string) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "extensions", "private", file))
	if err != nil {
		t.Fatal(err)
	}
	var attrs []string
	for _, m := range regexp.MustCompile(`"(\w+)":\s*attr\.`).FindAllStringSubmatch(string(data), -1) {
		attrs = append(attrs, m[1])
	}
	if len(attrs) == 0 {
		t.Fatalf("found no attributes in %s", file)
	}
	return attrs
}

// TestPlanMatchesExtension checks the plan against the Starlark that
// consumes it: every rule is one the extension knows, and every attribute
// one that rule has.
func TestPlanMatchesExtension(t *testing.T) {
	ext, err := os.ReadFile(filepath.Join("..", "..", "extensions", "private", "extras_ext.bzl"))
	if err != nil {
		t.Fatal(err)
	}
	rulesBlock := regexp.MustCompile(`(?s)_RULES = \{(.*?)\}`).FindSubmatch(ext)
	if rulesBlock == nil {
		t.Fatal("extras_ext.bzl has no _RULES dict")
	}
	known := map[string]bool{}
	for _, m := range regexp.MustCompile(`"(\w+)":`).FindAllSubmatch(rulesBlock[1], -1) {
		known[string(m[1])] = true
	}
	for _, key := range []string{`plan["repos"]`, `repo["rule"]`, `repo["name"]`, `repo["attrs"]`, `plan["spokes"]`, `plan["hub"]`, `plan["extras_bzl"]`} {
		if !strings.Contains(string(ext), key) {
			t.Errorf("extras_ext.bzl no longer reads %s; update this test and the plan together", key)
		}
	}
	if !strings.Contains(string(ext), `"`+LocalEnv+`"`) || !strings.Contains(string(ext), `"`+HubName+`"`) {
		t.Errorf("extras_ext.bzl disagrees on %s or %s", LocalEnv, HubName)
	}

	// The attributes of http_archive that the plan may use (Bazel's own
	// rule, so not read from a file here).
	allowed := map[string][]string{
		"http_archive": {"integrity", "patch_cmds", "sha256", "strip_prefix", "type", "urls"},
		"local_spoke":  bzlAttrs(t, "local_spoke_repo.bzl"),
	}
	f := &extras.File{Entries: []extras.Entry{
		{Name: "full", URLs: []string{"https://e.com/f.tar.gz"}, SHA256: testHex, StripPrefix: "p", Type: "tar.gz"},
		{Name: "sri", URLs: []string{"https://e.com/s.tar.gz"}, Integrity: testSRI},
		{Name: "local", URLs: []string{"https://e.com/l.tar.gz"}, SHA256: testHex},
	}}
	p, err := NewPlan(f, "x", map[string]string{"local": "/l"})
	if err != nil {
		t.Fatal(err)
	}
	rules := map[string]bool{}
	for _, r := range p.Repos {
		rules[r.Rule] = true
		if !known[r.Rule] {
			t.Errorf("repo %s uses rule %q, which extras_ext.bzl's _RULES lacks", r.Name, r.Rule)
		}
		for a := range r.Attrs {
			if !contains(allowed[r.Rule], a) {
				t.Errorf("repo %s passes %s = ..., which %s does not have (has %v)", r.Name, a, r.Rule, allowed[r.Rule])
			}
		}
	}
	if !rules["http_archive"] || !rules["local_spoke"] {
		t.Errorf("the plan should use both rules, used %v", rules)
	}

	// The mandatory attributes of local_spoke are set.
	for _, r := range p.Repos {
		if r.Rule == "local_spoke" {
			for _, a := range []string{"path", "default_build_file_content"} {
				if s, _ := r.Attrs[a].(string); s == "" {
					t.Errorf("local_spoke %s: %s is %#v, want a non-empty string", r.Name, a, r.Attrs[a])
				}
			}
		}
	}

	// hub_repo.bzl takes the spec as a string, the spokes and the index as
	// labels; index_repo.bzl takes extras.bzl as a string, under the name
	// the extension declares it with.
	hubAttrs := bzlAttrs(t, "hub_repo.bzl")
	sort.Strings(hubAttrs)
	if diff := cmp.Diff([]string{"index", "spec", "spokes"}, hubAttrs); diff != "" {
		t.Errorf("hub_repo.bzl attributes changed (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"extras_bzl"}, bzlAttrs(t, "index_repo.bzl")); diff != "" {
		t.Errorf("index_repo.bzl attributes changed (-want +got):\n%s", diff)
	}
	if !strings.Contains(string(ext), `"`+IndexName+`"`) {
		t.Errorf("extras_ext.bzl does not name the index repository %s", IndexName)
	}
	for name, label := range p.Spokes {
		if label != "@"+name+"//:"+anchor {
			t.Errorf("spoke label of %s = %q", name, label)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// localFile is the file of TestParseLocal: entries alpha and beta.
var localFile = &extras.File{Entries: []extras.Entry{
	{Name: "alpha", URLs: []string{"https://example.com/a.tar.gz"}, SHA256: testHex},
	{Name: "beta", URLs: []string{"https://example.com/b.tar.gz"}, SHA256: testHex},
}}

func TestParseLocal(t *testing.T) {
	ws := t.TempDir()
	for _, d := range []string{"signed/alpha", "signed/beta", "other"} {
		if err := os.MkdirAll(filepath.Join(ws, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, filepath.Join(ws, "file.txt"), "not a directory")
	alpha := filepath.Join(ws, "signed", "alpha")
	beta := filepath.Join(ws, "signed", "beta")
	prefix := "--repo_env=PROVISIONING_EXTS_LOCAL="

	tests := []struct {
		name    string
		value   string
		file    *extras.File
		want    map[string]string
		wantErr string
	}{
		{name: "empty", value: "", want: map[string]string{}},
		{name: "blank", value: "  \t ", want: map[string]string{}},
		{name: "empty on an empty file", value: "", file: &extras.File{}, want: map[string]string{}},
		{name: "one absolute", value: "alpha=" + alpha, want: map[string]string{"alpha": alpha}},
		{
			name:  "several, with spaces",
			value: " alpha=" + alpha + " , beta=" + beta + " ",
			want:  map[string]string{"alpha": alpha, "beta": beta},
		},
		{name: "relative to the workspace", value: "alpha=signed/alpha", want: map[string]string{"alpha": alpha}},
		{name: "dot-relative", value: "beta=./signed/../signed/beta/", want: map[string]string{"beta": beta}},
		{name: "absolute is cleaned", value: "alpha=" + ws + "//other/./", want: map[string]string{"alpha": filepath.Join(ws, "other")}},
		{name: "same directory for two entries", value: "alpha=other,beta=other", want: map[string]string{"alpha": filepath.Join(ws, "other"), "beta": filepath.Join(ws, "other")}},
		{
			name:    "unknown name",
			value:   "gamma=" + alpha,
			wantErr: prefix + "gamma=" + alpha + `: "gamma" is not an entry of extras.json (entries: alpha, beta)`,
		},
		{
			name:    "unknown name in an empty file",
			value:   "alpha=" + alpha,
			file:    &extras.File{},
			wantErr: prefix + "alpha=" + alpha + `: "alpha" is not an entry of extras.json (entries: none)`,
		},
		{
			name:    "name is case sensitive",
			value:   "Alpha=" + alpha,
			wantErr: `"Alpha" is not an entry of extras.json (entries: alpha, beta)`,
		},
		{
			name:    "duplicate name",
			value:   "alpha=" + alpha + ",alpha=" + beta,
			wantErr: prefix + "alpha=" + alpha + ",alpha=" + beta + `: "alpha" is given twice`,
		},
		{name: "missing =", value: "alpha", wantErr: prefix + `alpha: "alpha" is not name=path`},
		{name: "missing name", value: "=" + alpha, wantErr: `"=` + alpha + `" is not name=path`},
		{name: "missing path", value: "alpha=", wantErr: `"alpha=" is not name=path`},
		{name: "empty pair", value: "alpha=" + alpha + ",,beta=" + beta, wantErr: `"" is not name=path`},
		{
			name:    "not a directory",
			value:   "alpha=file.txt",
			wantErr: prefix + `alpha=file.txt: entry "alpha": ` + filepath.Join(ws, "file.txt") + " is not a directory",
		},
		{
			name:    "missing directory",
			value:   "beta=/no/such/dir",
			wantErr: `entry "beta": /no/such/dir is not a directory`,
		},
		{
			name:  "several problems reported together",
			value: "gamma=x,alpha,beta=missing,alpha=" + alpha,
			wantErr: prefix + "gamma=x,alpha,beta=missing,alpha=" + alpha + ": " +
				`"gamma" is not an entry of extras.json (entries: alpha, beta); ` +
				`"alpha" is not name=path; ` +
				`entry "beta": ` + filepath.Join(ws, "missing") + ` is not a directory`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.file
			if f == nil {
				f = localFile
			}
			got, err := ParseLocal(tt.value, ws, f)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("ParseLocal(%q) = %v, want an error", tt.value, got)
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("ParseLocal(%q) error:\n%s\nwant it to contain:\n%s", tt.value, err, tt.wantErr)
				}
				if !strings.HasPrefix(err.Error(), prefix) {
					t.Errorf("ParseLocal error %q does not start with %q", err, prefix)
				}
				if got != nil {
					t.Errorf("ParseLocal returned %v with its error, want nil", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got == nil {
				t.Fatal("ParseLocal returned a nil map")
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseLocal(%q) mismatch (-want +got):\n%s", tt.value, diff)
			}
		})
	}
}

// TestParseLocalThenPlan checks the two together, as the helper runs them.
func TestParseLocalThenPlan(t *testing.T) {
	ws := t.TempDir()
	if err := os.Mkdir(filepath.Join(ws, "b"), 0o755); err != nil {
		t.Fatal(err)
	}
	locals, err := ParseLocal("beta=b", ws, localFile)
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPlan(localFile, "skus/extras.json", locals)
	if err != nil {
		t.Fatal(err)
	}
	rules := map[string]string{}
	for _, r := range p.Repos {
		rules[r.Name] = r.Rule
	}
	if diff := cmp.Diff(map[string]string{"alpha": "http_archive", "beta": "local_spoke"}, rules); diff != "" {
		t.Errorf("rules mismatch (-want +got):\n%s", diff)
	}
	if got := p.Repos[1].Attrs["path"]; got != filepath.Join(ws, "b") {
		t.Errorf("beta's path = %v, want %s", got, filepath.Join(ws, "b"))
	}
	if p.Extras.Entries[0].LocalPath != "" || p.Extras.Entries[1].LocalPath != filepath.Join(ws, "b") {
		t.Errorf("local paths in the spec = %q, %q", p.Extras.Entries[0].LocalPath, p.Extras.Entries[1].LocalPath)
	}
}
