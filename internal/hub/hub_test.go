package hub

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/extras"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/testtools"
)

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestDefaultBuildFile(t *testing.T) {
	got := DefaultBuildFile("perso_release")
	testtools.CheckGolden(t, filepath.Join("testdata", "default_BUILD.bazel.golden"), []byte(got))

	// Properties the golden file could hide if regenerated carelessly.
	if !strings.Contains(got, `name = "perso_release",`) {
		t.Errorf("DefaultBuildFile does not declare :perso_release:\n%s", got)
	}
	if ok, _ := declaresTargetIn(got, "perso_release"); !ok {
		t.Errorf("the hub would not alias the default BUILD file's target")
	}
	// The generated BUILD.bazel must not export or group itself.
	if !regexp.MustCompile(`(?s)glob\(.*exclude = \[[^\]]*"BUILD\.bazel"`).MatchString(got) {
		t.Errorf("DefaultBuildFile should exclude BUILD.bazel from its glob:\n%s", got)
	}
	if !strings.HasSuffix(got, ")\n") {
		t.Errorf("DefaultBuildFile should end with a newline after the last call:\n%q", got)
	}
	if other := DefaultBuildFile("other"); !strings.Contains(other, `name = "other",`) || strings.Contains(other, "perso_release") {
		t.Errorf("DefaultBuildFile(%q) does not use its name:\n%s", "other", other)
	}
}

// declaresTargetIn runs declaresTarget on content written to a file.
func declaresTargetIn(content, name string) (bool, error) {
	dir, err := os.MkdirTemp("", "hub_test")
	if err != nil {
		return false, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "BUILD.bazel")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		return false, err
	}
	return declaresTarget(path, name)
}

func TestDeclaresTarget(t *testing.T) {
	tests := []struct {
		name    string
		content string
		entry   string
		want    bool
	}{
		{"plain", `filegroup(name = "perso", srcs = [])`, "perso", true},
		{"no spaces", `filegroup(name="perso")`, "perso", true},
		{"odd spacing", "filegroup(\n    name   =\t\"perso\",\n)", "perso", true},
		{"among others", "exports_files([\"a\"])\nfilegroup(name = \"x\")\nalias(name = \"perso\", actual = \":x\")\n", "perso", true},
		{"other target only", `filegroup(name = "perso_files")`, "perso", false},
		{"prefix of the name", `filegroup(name = "pers")`, "perso", false},
		{"suffix of the name", `filegroup(name = "xperso")`, "perso", false},
		{"name is a longer attribute", `foo(tool_name = "perso")`, "perso", false},
		{"different value", `filegroup(name = "other", srcs = ["perso"])`, "perso", false},
		{"empty file", ``, "perso", false},
		{"dot is literal", `filegroup(name = "perso_v1x0")`, "perso_v1.0", false},
		{"dot matches itself", `filegroup(name = "perso_v1.0")`, "perso_v1.0", true},
		{"dash", `filegroup(name = "perso-release")`, "perso-release", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := declaresTargetIn(tt.content, tt.entry)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("declaresTarget(%q, %q) = %v, want %v", tt.content, tt.entry, got, tt.want)
			}
		})
	}
}

// writeSpec is the spec of TestWrite: entries whose spokes declare their
// default target in several ways, and one that does not.
var writeSpec = Spec{
	Source: "skus/extras.json",
	Entries: []SpecEntry{
		{
			Name:        "alpha",
			URLs:        []string{"https://example.com/alpha.tar.gz", "https://mirror.example.com/alpha.tar.gz"},
			SHA256:      testHex,
			Integrity:   testSRI,
			StripPrefix: "alpha-1.0",
			Type:        "tar.gz",
			Provenance:  map[string]string{"repository": "lowRISC/opentitan", "tag": "v1.0", "asset": "alpha.tar.gz"},
		},
		{
			Name:       "beta",
			URLs:       []string{"https://example.com/beta.zip"},
			SHA256:     emptyHex,
			Integrity:  emptySRI,
			Provenance: map[string]string{},
		},
		{
			Name:       "delta",
			URLs:       []string{"https://example.com/delta.tar.xz"},
			SHA256:     testHex,
			Integrity:  testSRI,
			Provenance: map[string]string{"tag": "v2"},
		},
		{
			Name:       "gamma",
			URLs:       []string{"https://example.com/gamma.tar.gz"},
			SHA256:     testHex,
			Integrity:  testSRI,
			Provenance: map[string]string{},
			LocalPath:  "/src/signed/gamma",
		},
	},
}

// hubInputs returns Write's inputs for spec: the hub spec (the names), and
// the path of an extras.bzl under root, as the index repository holds it.
func hubInputs(t *testing.T, root string, spec Spec) (HubSpec, string) {
	t.Helper()
	hs := HubSpec{Source: spec.Source, Names: []string{}}
	for _, e := range spec.Entries {
		hs.Names = append(hs.Names, e.Name)
	}
	index := filepath.Join(root, "index", "extras.bzl")
	writeFile(t, index, ExtrasBzl(spec))
	return hs, index
}

// makeSpokes creates a spoke directory per entry of writeSpec under root:
//
//   - alpha: its own BUILD.bazel declaring :alpha
//   - beta: a BUILD.bazel without :beta (no alias)
//   - delta: the default BUILD file (as the patch command writes it)
//   - gamma: BUILD declaring :gamma, with BUILD.bazel linked to it (as the
//     patch command links it)
func makeSpokes(t *testing.T, root string) map[string]string {
	t.Helper()
	spokes := map[string]string{}
	for _, e := range writeSpec.Entries {
		spokes[e.Name] = filepath.Join(root, "spoke_"+e.Name)
	}
	writeFile(t, filepath.Join(spokes["alpha"], "BUILD.bazel"), "filegroup(\n    name = \"alpha\",\n    srcs = [\"fw.bin\"],\n)\n")
	writeFile(t, filepath.Join(spokes["alpha"], "fw.bin"), "alpha firmware")
	writeFile(t, filepath.Join(spokes["beta"], "BUILD.bazel"), "# name = \"beta_files\" is the only target\nfilegroup(name = \"beta_files\", srcs = glob([\"*.bin\"]))\n")
	writeFile(t, filepath.Join(spokes["delta"], "BUILD.bazel"), DefaultBuildFile("delta"))
	writeFile(t, filepath.Join(spokes["gamma"], "BUILD"), "filegroup(name = \"gamma\")\n")
	if err := os.Symlink("BUILD", filepath.Join(spokes["gamma"], "BUILD.bazel")); err != nil {
		t.Fatal(err)
	}
	return spokes
}

func TestWrite(t *testing.T) {
	tmp := t.TempDir()
	spokes := makeSpokes(t, tmp)
	out := filepath.Join(tmp, "hub")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	hs, index := hubInputs(t, tmp, writeSpec)
	if err := Write(out, hs, spokes, index); err != nil {
		t.Fatal(err)
	}

	// One link per entry, pointing at its spoke, through which the spoke's
	// files are visible.
	for name, spoke := range spokes {
		link := filepath.Join(out, name)
		st, err := os.Lstat(link)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode()&fs.ModeSymlink == 0 {
			t.Errorf("%s is %v, want a symlink", link, st.Mode())
			continue
		}
		target, err := os.Readlink(link)
		if err != nil {
			t.Fatal(err)
		}
		if target != spoke {
			t.Errorf("%s points to %s, want %s", link, target, spoke)
		}
	}
	if got := readFile(t, filepath.Join(out, "alpha", "fw.bin")); got != "alpha firmware" {
		t.Errorf("alpha/fw.bin through the link = %q", got)
	}

	entries, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if diff := cmp.Diff([]string{"BUILD.bazel", "alpha", "beta", "delta", "extras.bzl", "gamma"}, names); diff != "" {
		t.Errorf("hub directory content mismatch (-want +got):\n%s", diff)
	}

	build := readFile(t, filepath.Join(out, "BUILD.bazel"))
	testtools.CheckGolden(t, filepath.Join("testdata", "write/BUILD.bazel.golden"), []byte(build))
	for _, name := range []string{"alpha", "delta", "gamma"} {
		alias := "alias(\n    name = \"" + name + "\",\n    actual = \"//" + name + ":" + name + "\",\n)"
		if !strings.Contains(build, alias) {
			t.Errorf("BUILD.bazel lacks the alias for %s:\n%s", name, build)
		}
	}
	if strings.Contains(build, `name = "beta"`) {
		t.Errorf("BUILD.bazel aliases beta, whose BUILD file has no :beta:\n%s", build)
	}
	if !strings.Contains(build, "# No //:beta alias: the BUILD file of beta declares no target named \"beta\".") {
		t.Errorf("BUILD.bazel lacks the comment about beta:\n%s", build)
	}
	if !strings.Contains(build, "from skus/extras.json.") {
		t.Errorf("BUILD.bazel does not name the source:\n%s", build)
	}

	// extras.bzl is a link to the index repository's file.
	if target, err := os.Readlink(filepath.Join(out, "extras.bzl")); err != nil || target != index {
		t.Errorf("extras.bzl -> %q, %v; want a link to %s", target, err, index)
	}
	bzl := readFile(t, filepath.Join(out, "extras.bzl"))
	testtools.CheckGolden(t, filepath.Join("testdata", "write/extras.bzl.golden"), []byte(bzl))
	if bzl != ExtrasBzl(writeSpec) {
		t.Errorf("extras.bzl through the hub differs from ExtrasBzl")
	}
}

func TestWriteEmpty(t *testing.T) {
	out := t.TempDir()
	hs, index := hubInputs(t, t.TempDir(), Spec{Source: "//:extras.json", Entries: []SpecEntry{}})
	if err := Write(out, hs, nil, index); err != nil {
		t.Fatal(err)
	}
	build := readFile(t, filepath.Join(out, "BUILD.bazel"))
	testtools.CheckGolden(t, filepath.Join("testdata", "write_empty/BUILD.bazel.golden"), []byte(build))
	if strings.Contains(build, "alias(") || strings.Contains(build, "# No //:") {
		t.Errorf("BUILD.bazel of an empty hub mentions entries:\n%s", build)
	}
	bzl := readFile(t, filepath.Join(out, "extras.bzl"))
	testtools.CheckGolden(t, filepath.Join("testdata", "write_empty/extras.bzl.golden"), []byte(bzl))
	f, err := readStarlark(bzl)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]any{"EXTRAS": map[string]any{}}, f.Globals); diff != "" {
		t.Errorf("extras.bzl globals mismatch (-want +got):\n%s", diff)
	}
}

// TestWriteReplacesLinks checks that writing again replaces what is at an
// entry's place, as when the hub is refetched in the same directory.
func TestWriteReplacesLinks(t *testing.T) {
	tmp := t.TempDir()
	spokes := makeSpokes(t, tmp)
	out := filepath.Join(tmp, "hub")
	old := filepath.Join(tmp, "old")
	writeFile(t, filepath.Join(out, "beta", "stale"), "stale")
	if err := os.Symlink(old, filepath.Join(out, "alpha")); err != nil {
		t.Fatal(err)
	}
	hs, index := hubInputs(t, tmp, writeSpec)
	if err := Write(out, hs, spokes, index); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"alpha", "beta"} {
		if target, err := os.Readlink(filepath.Join(out, name)); err != nil || target != spokes[name] {
			t.Errorf("%s -> %q, %v; want a link to %s", name, target, err, spokes[name])
		}
	}
}

func TestWriteErrors(t *testing.T) {
	t.Run("spoke missing from the map", func(t *testing.T) {
		tmp := t.TempDir()
		spokes := makeSpokes(t, tmp)
		delete(spokes, "delta")
		out := filepath.Join(tmp, "hub")
		if err := os.Mkdir(out, 0o755); err != nil {
			t.Fatal(err)
		}
		hs, index := hubInputs(t, tmp, writeSpec)
		err := Write(out, hs, spokes, index)
		if err == nil || err.Error() != `hub: no spoke directory given for entry "delta"` {
			t.Errorf("Write = %v, want the missing spoke of delta", err)
		}
	})
	t.Run("spoke without BUILD.bazel", func(t *testing.T) {
		tmp := t.TempDir()
		spokes := makeSpokes(t, tmp)
		if err := os.Remove(filepath.Join(spokes["beta"], "BUILD.bazel")); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(tmp, "hub")
		if err := os.Mkdir(out, 0o755); err != nil {
			t.Fatal(err)
		}
		hs, index := hubInputs(t, tmp, writeSpec)
		err := Write(out, hs, spokes, index)
		if !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("Write = %v, want a not-exist error", err)
		}
		if want := filepath.Join(spokes["beta"], "BUILD.bazel"); !strings.HasPrefix(err.Error(), "hub: ") || !strings.Contains(err.Error(), want) {
			t.Errorf("Write = %q, want a hub: error naming %s", err, want)
		}
		if _, err := os.Stat(filepath.Join(out, "BUILD.bazel")); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Write wrote BUILD.bazel despite the error (stat: %v)", err)
		}
	})
	t.Run("no extras.bzl", func(t *testing.T) {
		tmp := t.TempDir()
		hs, _ := hubInputs(t, tmp, writeSpec)
		err := Write(t.TempDir(), hs, makeSpokes(t, tmp), "")
		if err == nil || err.Error() != "hub: no extras.bzl to link" {
			t.Errorf("Write = %v, want the missing extras.bzl", err)
		}
	})
	t.Run("output directory missing", func(t *testing.T) {
		tmp := t.TempDir()
		spokes := makeSpokes(t, tmp)
		hs, index := hubInputs(t, tmp, writeSpec)
		err := Write(filepath.Join(tmp, "no", "such", "dir"), hs, spokes, index)
		if err == nil || !strings.Contains(err.Error(), "linking alpha") {
			t.Errorf("Write = %v, want an error linking alpha", err)
		}
	})
}

// extrasBzlEntry is one value of EXTRAS, as a JSON decoder or the
// Starlark reader sees it.
type extrasBzlEntry struct {
	URLs        []string          `json:"urls"`
	SHA256      string            `json:"sha256"`
	Integrity   string            `json:"integrity"`
	StripPrefix string            `json:"strip_prefix"`
	Type        string            `json:"type"`
	Provenance  map[string]string `json:"provenance"`
	LocalPath   string            `json:"local_path"`
	Label       string            `json:"label"`
}

// splitExtrasBzl returns the docstring and the literal after "EXTRAS = ".
func splitExtrasBzl(t *testing.T, bzl string) (doc, literal string) {
	t.Helper()
	if !strings.HasPrefix(bzl, `"""`) {
		t.Fatalf("extras.bzl does not start with a docstring:\n%s", bzl)
	}
	end := strings.Index(bzl[3:], `"""`)
	if end < 0 {
		t.Fatalf("extras.bzl: unclosed docstring")
	}
	doc = bzl[3 : 3+end]
	rest := bzl[3+end+3:]
	before, literal, ok := strings.Cut(rest, "\nEXTRAS = ")
	if !ok {
		t.Fatalf("extras.bzl has no EXTRAS = line:\n%s", bzl)
	}
	if strings.TrimSpace(before) != "" {
		t.Fatalf("extras.bzl has %q between the docstring and EXTRAS", before)
	}
	if !strings.HasSuffix(literal, "}\n") {
		t.Errorf("extras.bzl should end with the dict and a newline, ends with %q", literal[max(0, len(literal)-10):])
	}
	return doc, literal
}

// specToExtras is what EXTRAS should hold for spec.
func specToExtras(spec Spec) map[string]extrasBzlEntry {
	want := map[string]extrasBzlEntry{}
	for _, e := range spec.Entries {
		urls, prov := e.URLs, e.Provenance
		if urls == nil {
			urls = []string{}
		}
		if prov == nil {
			prov = map[string]string{}
		}
		want[e.Name] = extrasBzlEntry{
			URLs: urls, SHA256: e.SHA256, Integrity: e.Integrity, StripPrefix: e.StripPrefix,
			Type: e.Type, Provenance: prov, LocalPath: e.LocalPath,
			Label: "@provisioning_exts_extra//" + e.Name,
		}
	}
	return want
}

// starlarkToExtras converts the EXTRAS value read by readStarlark.
func starlarkToExtras(t *testing.T, v any) map[string]extrasBzlEntry {
	t.Helper()
	// Every value is a string, list or dict, so a JSON round trip converts.
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]extrasBzlEntry
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("EXTRAS has an unexpected shape: %v\n%s", err, data)
	}
	return got
}

func TestExtrasBzl(t *testing.T) {
	bzl := ExtrasBzl(writeSpec)
	doc, literal := splitExtrasBzl(t, bzl)
	if !strings.HasPrefix(doc, "The archives configured in skus/extras.json.") {
		t.Errorf("docstring does not name the source: %q", doc[:min(len(doc), 60)])
	}
	want := specToExtras(writeSpec)

	t.Run("JSON", func(t *testing.T) {
		var got map[string]extrasBzlEntry
		dec := json.NewDecoder(strings.NewReader(literal))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&got); err != nil {
			t.Fatalf("EXTRAS is not JSON: %v", err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("EXTRAS mismatch (-want +got):\n%s", diff)
		}
		// Every key of every value is present, even when empty.
		var raw map[string]map[string]any
		if err := json.Unmarshal([]byte(literal), &raw); err != nil {
			t.Fatal(err)
		}
		for name, v := range raw {
			var keys []string
			for k := range v {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			if diff := cmp.Diff([]string{"integrity", "label", "local_path", "provenance", "sha256", "strip_prefix", "type", "urls"}, keys); diff != "" {
				t.Errorf("keys of EXTRAS[%q] mismatch (-want +got):\n%s", name, diff)
			}
		}
	})

	t.Run("Starlark", func(t *testing.T) {
		f, err := readStarlark(bzl)
		if err != nil {
			t.Fatalf("extras.bzl is not valid Starlark for Bazel: %v\n%s", err, bzl)
		}
		if len(f.Globals) != 1 {
			t.Errorf("extras.bzl defines %d globals, want only EXTRAS", len(f.Globals))
		}
		if diff := cmp.Diff(want, starlarkToExtras(t, f.Globals["EXTRAS"])); diff != "" {
			t.Errorf("EXTRAS mismatch (-want +got):\n%s", diff)
		}
		if !strings.Contains(f.Doc, `load("@provisioning_exts_extra//:extras.bzl", "EXTRAS")`) {
			t.Errorf("docstring lacks the load example:\n%s", f.Doc)
		}
	})
}

// TestExtrasBzlNilFields checks that missing lists and dicts are written as
// empty ones, never as JSON's null (not a Starlark value).
func TestExtrasBzlNilFields(t *testing.T) {
	bzl := ExtrasBzl(Spec{Source: "x.json", Entries: []SpecEntry{{Name: "a"}}})
	if strings.Contains(bzl, "null") {
		t.Errorf("extras.bzl contains null:\n%s", bzl)
	}
	f, err := readStarlark(bzl)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"a": map[string]any{
		"urls": []any{}, "sha256": "", "integrity": "", "strip_prefix": "", "type": "",
		"provenance": map[string]any{}, "local_path": "", "label": "@provisioning_exts_extra//a",
	}}
	if diff := cmp.Diff(want, f.Globals["EXTRAS"]); diff != "" {
		t.Errorf("EXTRAS mismatch (-want +got):\n%s", diff)
	}
}

// TestExtrasBzlEscapes checks that awkward strings reach Starlark
// unchanged: quotes, backslashes, HTML characters, non-ASCII text, the line
// and paragraph separators U+2028 and U+2029 (which JSON encoders like to
// write as \u escapes, which Bazel rejects), and, in local_path (any
// directory), control characters.
func TestExtrasBzlEscapes(t *testing.T) {
	spec := Spec{
		Source: `C:\src\"ot-sku"\skus\extras.json`,
		Entries: []SpecEntry{{
			Name:        "esc",
			URLs:        []string{"https://example.com/a.tar.gz?a=1&b=<2>", "https://example.com/caf%C3%A9.tar.gz"},
			SHA256:      testHex,
			Integrity:   testSRI,
			StripPrefix: `dir "quoted" \ back`,
			Provenance: map[string]string{
				"asset": `perso "final" \n.tar.gz`,
				"tag":   "v1.0.0-ünïcode\u2028\u2029-日本-😀",
			},
			LocalPath: "/tmp/it's \"here\"\\\t\n\r\b\f\x01\x1f\x7f/\u2028",
		}},
	}
	bzl := ExtrasBzl(spec)
	testtools.CheckGolden(t, filepath.Join("testdata", "extras_escapes.bzl.golden"), []byte(bzl))
	if strings.Contains(bzl, `\u`) {
		t.Errorf("extras.bzl contains a \\u escape, which Bazel rejects:\n%s", bzl)
	}
	f, err := readStarlark(bzl)
	if err != nil {
		t.Fatalf("extras.bzl is not valid Starlark for Bazel: %v\n%s", err, bzl)
	}
	if diff := cmp.Diff(specToExtras(spec), starlarkToExtras(t, f.Globals["EXTRAS"])); diff != "" {
		t.Errorf("EXTRAS mismatch (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(f.Doc, "The archives configured in "+spec.Source+".") {
		t.Errorf("docstring = %q, want it to name %s", f.Doc[:min(len(f.Doc), 80)], spec.Source)
	}

	// Without the control characters, which JSON cannot hold raw and
	// Starlark cannot hold as \u escapes, the literal is JSON too.
	spec.Entries[0].LocalPath = "/tmp/it's \"here\"\\\t\n\r\b\f/\u2028"
	_, literal := splitExtrasBzl(t, ExtrasBzl(spec))
	var got map[string]extrasBzlEntry
	if err := json.Unmarshal([]byte(literal), &got); err != nil {
		t.Fatalf("EXTRAS is not JSON: %v", err)
	}
	if diff := cmp.Diff(specToExtras(spec), got); diff != "" {
		t.Errorf("EXTRAS mismatch (-want +got):\n%s", diff)
	}
}

// TestExtrasBzlInvalidUTF8 checks that invalid UTF-8 (possible in a local
// directory's name) becomes U+FFFD, written raw, not as JSON's \ufffd.
func TestExtrasBzlInvalidUTF8(t *testing.T) {
	bzl := ExtrasBzl(Spec{Source: "x", Entries: []SpecEntry{{Name: "a", LocalPath: "/a\xffb"}}})
	f, err := readStarlark(bzl)
	if err != nil {
		t.Fatalf("extras.bzl is not valid Starlark for Bazel: %v\n%s", err, bzl)
	}
	if got := starlarkToExtras(t, f.Globals["EXTRAS"])["a"].LocalPath; got != "/a\uFFFDb" {
		t.Errorf("local_path = %q, want %q", got, "/a\uFFFDb")
	}
}

// TestExtrasBzlAcceptedFiles runs every file that package extras accepts in
// its tests through NewPlan and ExtrasBzl, and reads the result back as
// Bazel would: whatever extras.json may hold must reach EXTRAS unchanged.
func TestExtrasBzlAcceptedFiles(t *testing.T) {
	var files []string
	for _, pattern := range []string{"canonical/*.json", "corpus/good/*.json"} {
		m, err := filepath.Glob(filepath.Join("..", "extras", "testdata", pattern))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Fatal("found no accepted files in ../extras/testdata")
	}
	for _, file := range files {
		t.Run(filepath.Base(filepath.Dir(file))+"/"+filepath.Base(file), func(t *testing.T) {
			opts := extras.Options{AllowInsecure: strings.HasSuffix(file, "_insecure.json")}
			f, err := extras.ParseFile(context.Background(), file, "skus/extras.json", opts)
			if err != nil {
				t.Fatal(err)
			}
			p, err := NewPlan(f, "skus/extras.json", nil)
			if err != nil {
				t.Fatal(err)
			}
			bzl := p.ExtrasBzl
			sf, err := readStarlark(bzl)
			if err != nil {
				t.Fatalf("extras.bzl is not valid Starlark for Bazel: %v\n%s", err, bzl)
			}
			if diff := cmp.Diff(specToExtras(p.Extras), starlarkToExtras(t, sf.Globals["EXTRAS"])); diff != "" {
				t.Errorf("EXTRAS mismatch (-want +got):\n%s", diff)
			}
			for _, e := range f.Entries {
				got := starlarkToExtras(t, sf.Globals["EXTRAS"])[e.Name]
				if diff := cmp.Diff(e.URLs, got.URLs); diff != "" {
					t.Errorf("%s: urls mismatch (-want +got):\n%s", e.Name, diff)
				}
				if got.Provenance["tag"] != e.Provenance.Tag || got.Provenance["asset"] != e.Provenance.Asset || got.Provenance["repository"] != e.Provenance.Repository {
					t.Errorf("%s: provenance %v, want %+v", e.Name, got.Provenance, e.Provenance)
				}
			}
		})
	}
}
