package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/extras"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/hub"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"extras_helper": main,
	})
}

// TestScripts runs the command-line scenarios in testdata/script/*.txtar
// against the real binary (main, with its exit codes).
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join("testdata", "script"),
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
	})
}

const (
	testHex = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08" // sha256("test")
	testSRI = "sha256-n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg="
)

// goodJSON has two entries; the URL's "&" checks that the plan is written
// without HTML escaping.
const goodJSON = `{
  "perso_release": {
    "urls": ["https://example.com/perso.tar.gz?a=1&b=2"],
    "sha256": "` + testHex + `",
    "strip_prefix": "perso-1.0",
    "provenance": {"repository": "lowRISC/opentitan", "tag": "v1.0"}
  },
  "rom_ext": {"url": "https://example.com/rom_ext.zip", "integrity": "` + testSRI + `"}
}
`

func writeFile(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func mkdir(t *testing.T, path string) string {
	t.Helper()
	if err := os.MkdirAll(path, 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// workspace creates a root module directory with skus/extras.json holding
// content, and returns the directory and the file.
func workspace(t *testing.T, content string) (ws, file string) {
	t.Helper()
	ws = t.TempDir()
	writeFile(t, filepath.Join(ws, "MODULE.bazel"), "module(name = \"root\")\n")
	return ws, writeFile(t, filepath.Join(ws, "skus", "extras.json"), content)
}

// result is what one run of the helper did.
type result struct {
	code           int
	stdout, stderr string
}

func runHelper(args ...string) result {
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr)
	return result{code, stdout.String(), stderr.String()}
}

// wantOK fails unless the run succeeded and printed nothing on stderr.
func (r result) wantOK(t *testing.T) {
	t.Helper()
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("exit code %d, want 0\nstderr:\n%s", r.code, r.stderr)
	}
}

// wantFail fails unless the run exited with code and printed nothing on
// stdout, and returns stderr.
func (r result) wantFail(t *testing.T, code int) string {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, code, r.stdout, r.stderr)
	}
	if r.stdout != "" {
		t.Errorf("a failed run printed on stdout:\n%s", r.stdout)
	}
	return r.stderr
}

// decodePlan decodes the plan that "plan" printed: exactly one JSON value,
// with no unknown fields.
func decodePlan(t *testing.T, stdout string) *hub.Plan {
	t.Helper()
	if !strings.HasSuffix(stdout, "}\n") {
		t.Errorf("plan output should be one JSON object and a newline, ends with %q", stdout[max(0, len(stdout)-10):])
	}
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	var p hub.Plan
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("plan output does not decode: %v\n%s", err, stdout)
	}
	if dec.More() {
		t.Errorf("plan output holds more than one JSON value:\n%s", stdout)
	}
	return &p
}

// jsonRoundTrip returns p as the helper's caller decodes it.
func jsonRoundTrip(t *testing.T, p *hub.Plan) *hub.Plan {
	t.Helper()
	data, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var out hub.Plan
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	return &out
}

func TestPlan(t *testing.T) {
	ws, file := workspace(t, goodJSON)
	r := runHelper("plan", "-file", file, "-display", "@@//skus:extras.json", "-workspace", ws)
	r.wantOK(t)
	got := decodePlan(t, r.stdout)

	// The fields the extension relies on, checked directly.
	if got.Hub.Source != "skus/extras.json" {
		t.Errorf("source = %q, want the workspace-relative path skus/extras.json", got.Hub.Source)
	}
	var names, rules []string
	for _, repo := range got.Repos {
		names = append(names, repo.Name)
		rules = append(rules, repo.Rule)
	}
	if diff := cmp.Diff([]string{"perso_release", "rom_ext"}, names); diff != "" {
		t.Errorf("repo names mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"http_archive", "http_archive"}, rules); diff != "" {
		t.Errorf("repo rules mismatch (-want +got):\n%s", diff)
	}
	if got.Repos[0].Attrs["sha256"] != testHex || got.Repos[1].Attrs["integrity"] != testSRI {
		t.Errorf("hashes not pinned as written: %v, %v", got.Repos[0].Attrs, got.Repos[1].Attrs)
	}
	if diff := cmp.Diff(map[string]string{"perso_release": "@perso_release//:BUILD.bazel", "rom_ext": "@rom_ext//:BUILD.bazel"}, got.Spokes); diff != "" {
		t.Errorf("spokes mismatch (-want +got):\n%s", diff)
	}
	if strings.Contains(r.stdout, `\u0026`) || !strings.Contains(r.stdout, "?a=1&b=2") {
		t.Errorf("plan output escapes HTML characters:\n%s", r.stdout)
	}

	// And the whole plan is the package's plan for the file.
	f, err := extras.ParseFile(context.Background(), file, "skus/extras.json", extras.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want, err := hub.NewPlan(f, "skus/extras.json", nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(jsonRoundTrip(t, want), got); diff != "" {
		t.Errorf("plan mismatch (-want +got):\n%s", diff)
	}
}

func TestPlanEmptyFile(t *testing.T) {
	ws, file := workspace(t, "{}\n")
	r := runHelper("plan", "-file", file, "-display", "@@//skus:extras.json", "-workspace", ws)
	r.wantOK(t)
	bzl, err := json.Marshal(hub.ExtrasBzl(hub.Spec{Source: "skus/extras.json", Entries: []hub.SpecEntry{}}))
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"repos":[],"spokes":{},"hub":{"source":"skus/extras.json","names":[]},"extras_bzl":` + string(bzl) + "}\n"; r.stdout != want {
		t.Errorf("plan of an empty file:\n%s\nwant:\n%s", r.stdout, want)
	}
}

// errLine matches one error line of a bad file.
var errLine = regexp.MustCompile(`^skus/extras\.json:\d+:\d+: entry "[a-z_]+": \S.*$`)

func TestPlanErrors(t *testing.T) {
	const bad = `{
  "perso": {"urls": ["https://example.com/p.tar.gz"], "sha256": "abc"},
  "rom": {"urls": ["ftp://example.com/r.tar.gz"], "sha256": "` + testHex + `"}
}
`
	ws, file := workspace(t, bad)
	stderr := runHelper("plan", "-file", file, "-display", "@@//skus:extras.json", "-workspace", ws).wantFail(t, 1)
	lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 error lines, got:\n%s", stderr)
	}
	for _, l := range lines {
		if !errLine.MatchString(l) {
			t.Errorf("error line %q is not file:line:col: entry \"name\": message", l)
		}
	}
	// Columns count from 1 at the start of the value.
	col := strings.Index(strings.Split(bad, "\n")[1], `"abc"`) + 1
	if want := `skus/extras.json:2:` + strconv.Itoa(col) + `: entry "perso": sha256 "abc" has 3 hex digits, want 64`; !strings.HasPrefix(lines[0], want) {
		t.Errorf("first error:\n%s\nwant it to start with:\n%s", lines[0], want)
	}
	col = strings.Index(strings.Split(bad, "\n")[2], `"ftp:`) + 1
	if want := `skus/extras.json:3:` + strconv.Itoa(col) + `: entry "rom": URL "ftp://example.com/r.tar.gz" has the unsupported scheme "ftp"`; !strings.HasPrefix(lines[1], want) {
		t.Errorf("second error:\n%s\nwant it to start with:\n%s", lines[1], want)
	}

	// It is the same text as the package's error.
	_, err := extras.Parse(context.Background(), "skus/extras.json", []byte(bad), extras.Options{})
	if err == nil || stderr != err.Error()+"\n" {
		t.Errorf("stderr differs from the parser's error:\n%s\nparser:\n%v", stderr, err)
	}
}

// TestPlanErrorsInModule checks the name of a file inside Bazel's output
// base (the module fetched from a registry): the label, made apparent.
func TestPlanErrorsInModule(t *testing.T) {
	ws, _ := workspace(t, "{}\n")
	outputBase := t.TempDir()
	for _, sep := range []string{"~", "+"} {
		t.Run(sep, func(t *testing.T) {
			file := writeFile(t, filepath.Join(outputBase, "external", "ot_provisioning_exts"+sep, "skus", "extras.json"),
				`{"x": {"urls": ["https://e.com/x"]}}`)
			stderr := runHelper("plan", "-file", file, "-display", "@@ot_provisioning_exts"+sep+"//skus:extras.json", "-workspace", ws).wantFail(t, 1)
			if want := `@ot_provisioning_exts//skus:extras.json:1:2: entry "x": missing hash`; !strings.HasPrefix(stderr, want) {
				t.Errorf("stderr:\n%s\nwant it to start with:\n%s", stderr, want)
			}
		})
	}
}

// TestPlanLongName checks the limit on names: a name of 100,000 characters
// fails the plan with one short line, where it used to pass and fail later,
// in the hub, with "file name too long" and the whole name; 200 characters
// pass and 201 fail.
func TestPlanLongName(t *testing.T) {
	entry := `{"urls": ["https://a.example/a.tar.gz"], "sha256": "` + testHex + `"}`
	for _, n := range []int{200, 201, 100000} {
		name := "r" + strings.Repeat("x", n-1)
		ws, file := workspace(t, `{"`+name+`": `+entry+"}\n")
		r := runHelper("plan", "-file", file, "-display", "@@//skus:extras.json", "-workspace", ws)
		if n == 200 {
			r.wantOK(t)
			if p := decodePlan(t, r.stdout); len(p.Hub.Names) != 1 || p.Hub.Names[0] != name {
				t.Errorf("plan of a 200-character name: hub names %.80q", p.Hub.Names)
			}
			continue
		}
		stderr := r.wantFail(t, 1)
		want := fmt.Sprintf(`skus/extras.json:1:2: entry "r%s…": repository name "r%[1]s…" is %d bytes long, more than the limit of 200`, strings.Repeat("x", 31), n)
		if !strings.HasPrefix(stderr, want) || strings.Count(stderr, "\n") != 1 || len(stderr) > 400 {
			t.Errorf("plan of a %d-character name: stderr (%d bytes):\n%.1000s\nwant one short line starting:\n%s", n, len(stderr), stderr, want)
		}
	}
}

func TestPlanMissingFile(t *testing.T) {
	ws := t.TempDir()
	missing := filepath.Join(ws, "skus", "extras.json")
	stderr := runHelper("plan", "-file", missing, "-display", "@@//skus:extras.json", "-workspace", ws).wantFail(t, 1)
	if want := "reading //skus:extras.json: open " + missing + ": no such file or directory\n"; stderr != want {
		t.Errorf("stderr:\n%s\nwant:\n%s", stderr, want)
	}
}

func TestPlanAllowInsecureURLs(t *testing.T) {
	const loopback = "http://127.0.0.1:8080/perso.tar.gz"
	ws, file := workspace(t, `{"perso": {"urls": ["`+loopback+`"], "sha256": "`+testHex+`"}}`)
	args := []string{"plan", "-file", file, "-display", "@@//skus:extras.json", "-workspace", ws}

	stderr := runHelper(args...).wantFail(t, 1)
	if !strings.Contains(stderr, `entry "perso": URL "`+loopback+`" is not https`) {
		t.Errorf("without -allow-insecure-urls, stderr:\n%s\nwant the URL rejected", stderr)
	}

	r := runHelper(append(args, "-allow-insecure-urls")...)
	r.wantOK(t)
	p := decodePlan(t, r.stdout)
	if len(p.Repos) != 1 || cmp.Diff([]any{loopback}, p.Repos[0].Attrs["urls"]) != "" {
		t.Errorf("with -allow-insecure-urls, plan repos = %+v, want the loopback URL", p.Repos)
	}

	// The flag accepts loopback only.
	ws2, file2 := workspace(t, `{"perso": {"urls": ["http://example.com/perso.tar.gz"], "sha256": "`+testHex+`"}}`)
	stderr = runHelper("plan", "-file", file2, "-display", "@@//skus:extras.json", "-workspace", ws2, "-allow-insecure-urls").wantFail(t, 1)
	if !strings.Contains(stderr, `non-loopback host "example.com"`) {
		t.Errorf("stderr:\n%s\nwant the non-loopback host rejected", stderr)
	}
}

func TestPlanLocal(t *testing.T) {
	ws, file := workspace(t, goodJSON)
	signed := mkdir(t, filepath.Join(ws, "signed", "perso"))
	args := []string{"plan", "-file", file, "-display", "@@//skus:extras.json", "-workspace", ws}

	r := runHelper(append(args, "-local", "perso_release=signed/perso")...)
	r.wantOK(t)
	p := decodePlan(t, r.stdout)
	want := hub.Repo{Name: "perso_release", Rule: "local_spoke", Attrs: map[string]any{
		"path":                       signed,
		"default_build_file_content": hub.DefaultBuildFile("perso_release"),
	}}
	if diff := cmp.Diff(want, p.Repos[0]); diff != "" {
		t.Errorf("local repo mismatch (-want +got):\n%s", diff)
	}
	if p.Repos[1].Rule != "http_archive" {
		t.Errorf("rom_ext should stay an http_archive, is %s", p.Repos[1].Rule)
	}
	if !strings.Contains(p.ExtrasBzl, `"local_path": "`+signed+`"`) || strings.Count(p.ExtrasBzl, `"local_path": ""`) != 1 {
		t.Errorf("extras.bzl should give perso_release's local path, and rom_ext none:\n%s", p.ExtrasBzl)
	}

	// An empty value (the variable unset) changes nothing.
	r = runHelper(append(args, "-local", "")...)
	r.wantOK(t)
	for _, repo := range decodePlan(t, r.stdout).Repos {
		if repo.Rule != "http_archive" {
			t.Errorf("with an empty -local, %s is a %s", repo.Name, repo.Rule)
		}
	}

	stderr := runHelper(append(args, "-local", "nope=signed/perso,rom_ext=missing")...).wantFail(t, 1)
	want2 := `--repo_env=PROVISIONING_EXTS_LOCAL=nope=signed/perso,rom_ext=missing: "nope" is not an entry of extras.json (entries: perso_release, rom_ext); entry "rom_ext": ` +
		filepath.Join(ws, "missing") + " is not a directory\n"
	if stderr != want2 {
		t.Errorf("stderr:\n%s\nwant:\n%s", stderr, want2)
	}
}

func TestPlanUsageErrors(t *testing.T) {
	ws, file := workspace(t, goodJSON)
	tests := []struct {
		name     string
		args     []string
		code     int
		contains []string
	}{
		{"no -file", []string{"plan", "-workspace", ws}, 1, []string{"-file is required", "-display", "-allow-insecure-urls"}},
		{"extra argument", []string{"plan", "-file", file, "extra"}, 1, []string{"takes no arguments"}},
		{"unknown flag", []string{"plan", "-file", file, "-frob"}, 1, []string{"flag provided but not defined: -frob"}},
		{"bad bool", []string{"plan", "-file", file, "-allow-insecure-urls=maybe"}, 1, []string{"invalid boolean value"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stderr := runHelper(tt.args...).wantFail(t, tt.code)
			for _, s := range tt.contains {
				if !strings.Contains(stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, stderr)
				}
			}
		})
	}
	t.Run("-help", func(t *testing.T) {
		r := runHelper("plan", "-help")
		if r.code != 0 || r.stdout != "" || !strings.Contains(r.stderr, "-workspace") {
			t.Errorf("plan -help: exit %d, stdout %q, stderr:\n%s", r.code, r.stdout, r.stderr)
		}
	})
}

// planSpec runs "plan" on content and writes the hub spec (the plan's "hub"
// member, as the extension passes it on) and extras.bzl (as the index
// repository holds it) to files, returning their paths.
func planSpec(t *testing.T, content string) (spec, extrasBzl string) {
	t.Helper()
	ws, file := workspace(t, content)
	r := runHelper("plan", "-file", file, "-display", "@@//skus:extras.json", "-workspace", ws)
	r.wantOK(t)
	var plan map[string]json.RawMessage
	if err := json.Unmarshal([]byte(r.stdout), &plan); err != nil {
		t.Fatal(err)
	}
	var bzl string
	if err := json.Unmarshal(plan["extras_bzl"], &bzl); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	return writeFile(t, filepath.Join(dir, "hub_spec.json"), string(plan["hub"])), writeFile(t, filepath.Join(dir, "index", "extras.bzl"), bzl)
}

func TestHub(t *testing.T) {
	spec, bzlFile := planSpec(t, goodJSON)
	spokes := t.TempDir()
	perso := writeFile(t, filepath.Join(spokes, "perso", "BUILD.bazel"), "filegroup(name = \"perso_release\")\n")
	rom := writeFile(t, filepath.Join(spokes, "rom", "BUILD.bazel"), "filegroup(name = \"other\")\n")
	out := t.TempDir()

	r := runHelper("hub", "-spec", spec, "-extras_bzl", bzlFile, "-out", out,
		"-spoke=perso_release="+filepath.Dir(perso), "-spoke", "rom_ext="+filepath.Dir(rom))
	r.wantOK(t)
	if r.stdout != "" {
		t.Errorf("hub printed on stdout:\n%s", r.stdout)
	}

	for name, dir := range map[string]string{"perso_release": filepath.Dir(perso), "rom_ext": filepath.Dir(rom)} {
		target, err := os.Readlink(filepath.Join(out, name))
		if err != nil || target != dir {
			t.Errorf("%s -> %q, %v; want a link to %s", name, target, err, dir)
		}
	}
	build, err := os.ReadFile(filepath.Join(out, "BUILD.bazel"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(build), "actual = \"//perso_release:perso_release\"") {
		t.Errorf("BUILD.bazel lacks the perso_release alias:\n%s", build)
	}
	if !strings.Contains(string(build), "# No //:rom_ext alias") {
		t.Errorf("BUILD.bazel lacks the rom_ext comment:\n%s", build)
	}
	if !strings.Contains(string(build), "from skus/extras.json.") {
		t.Errorf("BUILD.bazel does not name the source:\n%s", build)
	}
	bzl, err := os.ReadFile(filepath.Join(out, "extras.bzl"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`"perso_release": {`, `"rom_ext": {`, `"tag": "v1.0"`, "\"https://example.com/perso.tar.gz?a=1&b=2\""} {
		if !strings.Contains(string(bzl), s) {
			t.Errorf("extras.bzl lacks %s:\n%s", s, bzl)
		}
	}
	// Nothing but the links and the two files.
	entries, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if diff := cmp.Diff([]string{"BUILD.bazel", "extras.bzl", "perso_release", "rom_ext"}, names); diff != "" {
		t.Errorf("hub content mismatch (-want +got):\n%s", diff)
	}
}

func TestHubErrors(t *testing.T) {
	spec, bzl := planSpec(t, goodJSON)
	spoke := filepath.Dir(writeFile(t, filepath.Join(t.TempDir(), "BUILD.bazel"), "\n"))
	badJSON := writeFile(t, filepath.Join(t.TempDir(), "bad.json"), `{"entries": [`)
	tests := []struct {
		name string
		args []string
		want string // in stderr
	}{
		{"-spoke without =", []string{"-spec", spec, "-spoke", "perso_release"}, `invalid value "perso_release" for flag -spoke: want NAME=DIR, got "perso_release"`},
		{"-spoke without name", []string{"-spec", spec, "-spoke", "=" + spoke}, `want NAME=DIR, got "=` + spoke + `"`},
		{"-spoke without directory", []string{"-spec", spec, "-spoke", "perso_release="}, `want NAME=DIR, got "perso_release="`},
		{"missing -spec", []string{"-extras_bzl", bzl, "-out", t.TempDir()}, "extras_helper hub: -spec and -extras_bzl are required and it takes no arguments"},
		{"missing -extras_bzl", []string{"-spec", spec, "-out", t.TempDir()}, "extras_helper hub: -spec and -extras_bzl are required and it takes no arguments"},
		{"extra argument", []string{"-spec", spec, "-extras_bzl", bzl, "extra"}, "takes no arguments"},
		{"spec file missing", []string{"-spec", filepath.Join(t.TempDir(), "nope.json"), "-extras_bzl", bzl}, "extras_helper hub: open "},
		{"spec not JSON", []string{"-spec", badJSON, "-extras_bzl", bzl, "-out", t.TempDir()}, "extras_helper hub: " + badJSON + ": unexpected end of JSON input"},
		{
			"spoke missing for an entry",
			[]string{"-spec", spec, "-extras_bzl", bzl, "-out", t.TempDir(), "-spoke", "perso_release=" + spoke},
			`hub: no spoke directory given for entry "rom_ext"`,
		},
		{
			"spoke without BUILD.bazel",
			[]string{"-spec", spec, "-extras_bzl", bzl, "-out", t.TempDir(), "-spoke", "perso_release=" + spoke, "-spoke", "rom_ext=" + t.TempDir()},
			"BUILD.bazel: no such file or directory",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stderr := runHelper(append([]string{"hub"}, tt.args...)...).wantFail(t, 1)
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr:\n%s\nwant it to contain:\n%s", stderr, tt.want)
			}
		})
	}
	t.Run("-help", func(t *testing.T) {
		r := runHelper("hub", "-help")
		if r.code != 0 || !strings.Contains(r.stderr, "-spoke") {
			t.Errorf("hub -help: exit %d, stderr:\n%s", r.code, r.stderr)
		}
	})
}

func TestCommands(t *testing.T) {
	for _, arg := range []string{"help", "-h", "-help", "--help"} {
		r := runHelper(arg)
		if r.code != 0 || r.stdout != usage || r.stderr != "" {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want 0 and the usage on stdout", arg, r.code, r.stdout, r.stderr)
		}
	}
	if r := runHelper(); r.code != 2 || r.stdout != "" || r.stderr != usage {
		t.Errorf("no arguments: exit %d, stdout %q, stderr %q; want 2 and the usage on stderr", r.code, r.stdout, r.stderr)
	}
	if r := runHelper("frob", "-x"); r.code != 2 || r.stdout != "" || r.stderr != "extras_helper: unknown command \"frob\"\n"+usage {
		t.Errorf("unknown command: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	for _, cmd := range []string{"plan -file PATH", "hub -spec FILE"} {
		if !strings.Contains(usage, cmd) {
			t.Errorf("usage does not mention %q", cmd)
		}
	}
}

func TestPrettyLabel(t *testing.T) {
	tests := []struct{ in, want string }{
		{"@@//skus:x", "//skus:x"},
		{"@@//:extras.json", "//:extras.json"},
		{"@@ot_provisioning_exts~//skus:x", "@ot_provisioning_exts//skus:x"},
		{"@@ot_provisioning_exts+//skus:x", "@ot_provisioning_exts//skus:x"},
		{"@@ot_provisioning_exts//skus:x", "@ot_provisioning_exts//skus:x"},
		{"@@other_module~//a/b:c.json", "@other_module//a/b:c.json"},
		{"//skus:x", "//skus:x"},
		{"@ot_provisioning_exts//skus:x", "@ot_provisioning_exts//skus:x"},
		{"@@no_slashes", "@@no_slashes"},
		{"@@", "@@"},
		{"", ""},
		{"skus/extras.json", "skus/extras.json"},
	}
	for _, tt := range tests {
		if got := prettyLabel(tt.in); got != tt.want {
			t.Errorf("prettyLabel(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestDisplayName(t *testing.T) {
	// Resolve the temporary directory, which may itself be a link (macOS).
	tmp, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ws := mkdir(t, filepath.Join(tmp, "ws"))
	inWS := writeFile(t, filepath.Join(ws, "skus", "extras.json"), "{}")
	atWSRoot := writeFile(t, filepath.Join(ws, "extras.json"), "{}")
	dotDir := writeFile(t, filepath.Join(ws, "..data", "extras.json"), "{}")
	wsLink := filepath.Join(tmp, "ws_link")
	if err := os.Symlink(ws, wsLink); err != nil {
		t.Fatal(err)
	}
	other := writeFile(t, filepath.Join(tmp, "checkout", "skus", "extras.json"), "{}")
	linkToOther := filepath.Join(ws, "linked.json")
	if err := os.Symlink(other, linkToOther); err != nil {
		t.Fatal(err)
	}
	sibling := writeFile(t, filepath.Join(tmp, "ws2", "extras.json"), "{}") // "ws2" starts with "ws"
	external := writeFile(t, filepath.Join(tmp, "output_base", "external", "ot_provisioning_exts~", "skus", "extras.json"), "{}")
	missing := filepath.Join(ws, "skus", "missing.json")

	tests := []struct {
		name                     string
		path, display, workspace string
		want                     string
	}{
		{"in the workspace", inWS, "@@//skus:extras.json", ws, "skus/extras.json"},
		{"at the workspace root", atWSRoot, "@@//:extras.json", ws, "extras.json"},
		{"workspace given through a link", inWS, "@@//skus:extras.json", wsLink, "skus/extras.json"},
		{"file given through the workspace link", filepath.Join(wsLink, "skus", "extras.json"), "@@//skus:extras.json", ws, "skus/extras.json"},
		{"in a workspace directory starting with ..", dotDir, "@@//..data:extras.json", ws, "..data/extras.json"},
		{"another checkout", other, "@@ot_provisioning_exts~//skus:extras.json", ws, other},
		{"link to another checkout", linkToOther, "@@//:linked.json", ws, other},
		{"sibling directory with the same prefix", sibling, "@@//:x", ws, sibling},
		{"no workspace", inWS, "@@//skus:extras.json", "", inWS},
		{"workspace missing", inWS, "@@//skus:extras.json", filepath.Join(tmp, "nope"), inWS},
		{"in the output base", external, "@@ot_provisioning_exts~//skus:extras.json", ws, "@ot_provisioning_exts//skus:extras.json"},
		{"in the output base, Bazel 8", external, "@@ot_provisioning_exts+//skus:extras.json", ws, "@ot_provisioning_exts//skus:extras.json"},
		{"in the output base, root module", external, "@@//skus:extras.json", ws, "//skus:extras.json"},
		{"in the output base, no label", external, "", ws, external},
		{"missing file", missing, "@@//skus:missing.json", ws, "//skus:missing.json"},
		{"missing file, no label", missing, "", ws, missing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := displayName(tt.path, tt.display, tt.workspace); got != tt.want {
				t.Errorf("displayName(%q, %q, %q) = %q, want %q", tt.path, tt.display, tt.workspace, got, tt.want)
			}
		})
	}
}

// TestPlanThenHub runs both commands the way the extension and the hub
// rule chain them, on archives without BUILD files (spokes as their patch
// commands leave them).
func TestPlanThenHub(t *testing.T) {
	spec, bzl := planSpec(t, goodJSON)
	spokes, out := t.TempDir(), t.TempDir()
	args := []string{"hub", "-spec", spec, "-extras_bzl", bzl, "-out", out}
	for _, name := range []string{"perso_release", "rom_ext"} {
		dir := mkdir(t, filepath.Join(spokes, name))
		writeFile(t, filepath.Join(dir, "BUILD.bazel"), hub.DefaultBuildFile(name))
		args = append(args, "-spoke="+name+"="+dir)
	}
	runHelper(args...).wantOK(t)
	build, err := os.ReadFile(filepath.Join(out, "BUILD.bazel"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"perso_release", "rom_ext"} {
		if !strings.Contains(string(build), "actual = \"//"+name+":"+name+"\"") {
			t.Errorf("no alias for %s:\n%s", name, build)
		}
		if _, err := os.Stat(filepath.Join(out, name, "BUILD.bazel")); err != nil {
			t.Errorf("%s's BUILD.bazel is not reachable through the hub: %v", name, err)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "hub_spec.json")); !os.IsNotExist(err) {
		t.Errorf("the hub wrote or kept hub_spec.json (stat: %v)", err)
	}
}
