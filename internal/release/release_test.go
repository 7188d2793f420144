package release

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/gitcli"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/testtools/archivetest"
)

func TestNames(t *testing.T) {
	both, one := Set{"perso", "rom_ext"}, Set{"rom_ext"}
	for got, want := range map[string]string{
		one.BuildTag("20260513", 0):             "ROM_EXT_BUILD_20260513_rc00",
		one.ReleaseTag("20260513", 12):          "ROM_EXT_RELEASE_20260513_rc12",
		one.BuildTagGlob("20260513"):            "ROM_EXT_BUILD_20260513_rc*",
		one.Branch("20260513", 3):               "release/rom_ext_20260513_rc03",
		both.BuildTag("20260513", 1):            "PERSO_ROM_EXT_BUILD_20260513_rc01",
		both.ReleaseTag("20260513", 1):          "PERSO_ROM_EXT_RELEASE_20260513_rc01",
		both.Branch("20260513", 1):              "release/perso_rom_ext_20260513_rc01",
		both.MergeBranch("20260513", 3, "main"): "release/perso_rom_ext_20260513_rc03-to-main",
		both.String():                           "perso, rom_ext",
		PresignEntry("rom_ext"):                 "presign_rom_ext",
		ReleaseEntry("rom_ext"):                 "rom_ext_release",
	} {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
	for tag, want := range map[string]int{"ROM_EXT_BUILD_20260513_rc07": 7, "ROM_EXT_BUILD_20260513_rc99": 99} {
		if n, ok := one.ParseBuildTagRC(tag, "20260513"); !ok || n != want {
			t.Errorf("ParseBuildTagRC(%s) = %d, %v", tag, n, ok)
		}
	}
	// PERSO_ROM_EXT_BUILD_... matches the glob ROM_EXT_BUILD_... does not,
	// but a set's tags never parse as another set's.
	for _, tag := range []string{"ROM_EXT_BUILD_20260514_rc07", "PERSO_BUILD_20260513_rc07", "PERSO_ROM_EXT_BUILD_20260513_rc07", "ROM_EXT_BUILD_20260513_rc7", "ROM_EXT_BUILD_20260513_rc100", "ROM_EXT_RELEASE_20260513_rc01"} {
		if _, ok := one.ParseBuildTagRC(tag, "20260513"); ok {
			t.Errorf("ParseBuildTagRC(%s) accepted it", tag)
		}
	}
	for _, d := range []string{"2026051", "20261301", "2026-05-13", "20260230", "20260229"} {
		if ParseDate(d) == nil {
			t.Errorf("ParseDate(%q) accepted it", d)
		}
	}
	if err := ParseDate("20280229"); err != nil {
		t.Error(err)
	}
	for name, want := range map[string]string{"a.tar.xz": ".tar.xz", "a.zip": ".zip", "a.tar.gz": "", ".zip": "", "zip": ""} {
		if got := archiveExt(name); got != want {
			t.Errorf("archiveExt(%q) = %q, want %q", name, got, want)
		}
	}
}

const goodSettings = `{
  "rom_ext": {
    "presign_label": "@provisioning_exts//open/rom_ext:presign_rom_ext",
    "release_label": "@provisioning_exts//open/rom_ext:rom_ext_release",
    "signature_test_label": "@provisioning_exts//open/rom_ext:signature_test",
    "signatures_dir": "skus/open/signatures/rom_ext",
    "digest_suffix": ".digest",
    "signature_suffixes": [".ecdsa_sig", ".spx_sig"]
  },
  "perso": {
    "presign_label": "@provisioning_exts//open/perso:presign_perso",
    "release_label": "@provisioning_exts//open/perso:perso_release",
    "signature_test_label": "@provisioning_exts//open/perso:signature_test",
    "signatures_dir": "skus/open/signatures/perso",
    "digest_suffix": ".digest",
    "signature_suffixes": [".ecdsa_sig", ".spx_sig"]
  }
}`

func TestSettings(t *testing.T) {
	s, err := ParseSettings("a.json", []byte(goodSettings))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"perso", "rom_ext"}, s.Names()); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
	for in, want := range map[string]string{"": "perso_rom_ext", "rom_ext,perso": "perso_rom_ext", " rom_ext ": "rom_ext", "perso,perso": "perso"} {
		set, err := s.Select(in)
		if err != nil || set.Name() != want {
			t.Errorf("Select(%q) = %v, %v, want %s", in, set, err, want)
		}
	}
	for in, want := range map[string]string{"ft": `unknown artifact "ft"; the settings name perso, rom_ext`, ",": "no artifact named"} {
		if _, err := s.Select(in); err == nil || err.Error() != want {
			t.Errorf("Select(%q) = %v, want %q", in, err, want)
		}
	}
	repo := s[0]
	if repo.Name != "perso" || repo.SignaturesDir != "skus/open/signatures/perso" {
		t.Errorf("perso = %+v", repo)
	}

	good := `"presign_label": "//a:b", "release_label": "//a:c", "signature_test_label": "//a:t", "signatures_dir": "sigs/x", "digest_suffix": ".digest", "signature_suffixes": [".ecdsa_sig"]`
	for _, tc := range []struct{ in, want string }{
		{`[]`, "cannot unmarshal array"},
		{`{}`, "no artifacts"},
		{`{"x": {` + good + `, "label": "//a"}}`, `artifact "x": json: unknown field "label"`},
		{`{"Perso": {` + good + `}}`, `artifact "Perso": the name must be lower-case`},
		{`{"x": {` + strings.Replace(good, `"//a:b"`, `""`, 1) + `}}`, "presign_label is missing"},
		{`{"x": {` + strings.Replace(good, `"//a:c"`, `"not a label"`, 1) + `}}`, `release_label "not a label" is not a Bazel label`},
		{`{"x": {` + strings.Replace(good, `"sigs/x"`, `"../sigs"`, 1) + `}}`, "must be a clean slash-separated path inside the checkout"},
		{`{"x": {` + strings.Replace(good, `"sigs/x"`, `"/abs"`, 1) + `}}`, "must be a clean slash-separated path inside the checkout"},
		{`{"x": {` + strings.Replace(good, `"sigs/x"`, `"sigs/./x"`, 1) + `}}`, "must be a clean slash-separated path inside the checkout"},
		{`{"x": {` + strings.Replace(good, `".digest"`, `"digest"`, 1) + `}}`, `digest_suffix "digest" must start with a dot`},
		{`{"x": {` + strings.Replace(good, `[".ecdsa_sig"]`, `[]`, 1) + `}}`, "signature_suffixes is empty"},
		{`{"x": {` + strings.Replace(good, `[".ecdsa_sig"]`, `[".a", ".a"]`, 1) + `}}`, `signature_suffixes[1] ".a" is the digest suffix or listed twice`},
		{`{"x": {` + strings.Replace(good, `[".ecdsa_sig"]`, `[".digest"]`, 1) + `}}`, "is the digest suffix"},
	} {
		_, err := ParseSettings("a.json", []byte(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "a.json: ") {
			t.Errorf("ParseSettings(%s) = %v, want %q", tc.in, err, tc.want)
		}
	}
}

// TestCheckedInSettings checks the settings file this repository ships:
// upstream's labels and layout.
func TestCheckedInSettings(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", filepath.FromSlash(DefaultSettingsPath)))
	if err != nil {
		t.Fatal(err)
	}
	s, err := ParseSettings(DefaultSettingsPath, data)
	if err != nil {
		t.Fatal(err)
	}
	want := Settings{}
	for _, a := range []string{"perso", "rom_ext"} {
		want = append(want, ArtifactSettings{
			Name:               a,
			PresignLabel:       "@provisioning_exts//open/" + a + ":presign_" + a,
			ReleaseLabel:       "@provisioning_exts//open/" + a + ":" + a + "_release",
			SignatureTestLabel: "@provisioning_exts//open/" + a + ":signature_test",
			SignaturesDir:      "skus/open/signatures/" + a,
			DigestSuffix:       ".digest",
			SignatureSuffixes:  []string{".ecdsa_sig", ".spx_sig"},
		})
	}
	if diff := cmp.Diff(want, s); diff != "" {
		t.Errorf("%s (-want +got):\n%s", DefaultSettingsPath, diff)
	}
}

func TestState(t *testing.T) {
	s := &State{Version: StateVersion, Artifacts: []string{"perso", "rom_ext"}, Date: "20260513", RC: 1, Repository: "a/b", Branch: "release/perso_rom_ext_20260513_rc01",
		Presign: &Half{Tag: "PERSO_ROM_EXT_BUILD_20260513_rc01", Labels: []string{"//x:y"}, OpenTitan: strings.Repeat("ab", 20),
			Assets: []AssetRecord{{Artifact: "rom_ext", Entry: "presign_rom_ext", Name: "presign_rom_ext.zip"}}}}
	for _, step := range PresignSteps[:2] {
		s.Presign.Mark(step)
	}
	if s.Presign.Complete(PresignSteps) {
		t.Error("complete without the branch step")
	}
	s.Presign.Mark(StepBranch)
	s.Presign.Mark(StepBranch)
	if !s.Presign.Complete(PresignSteps) || len(s.Presign.Done) != 3 {
		t.Errorf("done %v", s.Presign.Done)
	}
	if a := s.Presign.Asset("rom_ext"); a == nil || a.Name != "presign_rom_ext.zip" {
		t.Errorf("Asset(rom_ext) = %v", a)
	}
	if a := s.Presign.Asset("perso"); a != nil {
		t.Errorf("Asset(perso) = %v", a)
	}
	var nilHalf *Half
	if nilHalf.Has(StepTag) || nilHalf.Complete(nil) || nilHalf.Asset("perso") != nil {
		t.Error("a nil half has steps")
	}
	got, err := ParseState("state.json", s.Encode())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(s, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	const half = `, "presign": {"tag": "T", "commit": "", "opentitan": "0123456789abcdef0123456789abcdef01234567", "labels": [], "done": []}`
	for in, want := range map[string]string{
		`{"version": 1, "artifact": "perso", "date": "20260513"}`:                                                                                      "version 1, this tool reads version 3",
		`{"version": 3, "artifacts": ["perso"], "date": "20260513", "presign": {"tag": "T", "commit": "", "opentitan": "", "labels": [], "done": []}}`: "pins no OpenTitan commit",
		`{"version": 3, "artifacts": [], "date": "20260513"` + half + `}`:                                                                              "no artifacts",
		`{"version": 3, "artifacts": ["Perso"], "date": "20260513"` + half + `}`:                                                                       `artifact "Perso" is not a valid name`,
		`{"version": 3, "artifacts": ["perso"], "date": "today"` + half + `}`:                                                                          "yyyymmdd",
		`{"version": 3, "artifacts": ["perso"], "date": "20260513", "rc": 100` + half + `}`:                                                            "rc 100",
		`{"version": 3, "artifacts": ["perso"], "date": "20260513", "extra": true}`:                                                                    `unknown field "extra"`,
		`{"version": 3, "artifacts": ["perso"], "date": "20260513"}`:                                                                                   "no presign record",
		`{`: "unexpected EOF",
	} {
		if _, err := ParseState("s.json", []byte(in)); err == nil || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "s.json: ") {
			t.Errorf("ParseState(%s) = %v, want %q", in, err, want)
		}
	}
}

// writeArchive writes files (name to content) as a .zip or, under the
// directory prefix if not "", a .tar.xz archive at p.
func writeArchive(t *testing.T, p, prefix string, files map[string]string) {
	t.Helper()
	var members []archivetest.Member
	for name, content := range files {
		members = append(members, archivetest.File(path.Join(prefix, name), content))
	}
	data := archivetest.TarXz(members...)
	if strings.HasSuffix(p, ".zip") {
		data = archivetest.Zip(members...)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestArchives(t *testing.T) {
	dir := t.TempDir()
	good := map[string]string{"BUILD.bazel": "exports_files(glob([\"*\"]))\n", "a.digest": "A", "sub/b.digest": "B", "a.bin": "bin"}
	for _, tc := range []struct {
		name, ext, prefix string
		files             map[string]string
		buildErr          string
		digests           map[string]string
		digestsErr        string
	}{
		{name: "good", ext: ".zip", files: good, digests: map[string]string{"a.digest": "A", "b.digest": "B"}},
		{name: "good", ext: ".tar.xz", files: good, digests: map[string]string{"a.digest": "A", "b.digest": "B"}},
		{name: "BUILD", ext: ".zip", files: map[string]string{"BUILD": "", "x.txt": ""}, digests: map[string]string{}},
		{name: "prefixed", ext: ".tar.xz", prefix: "top", files: good, buildErr: "no BUILD.bazel file at its root", digests: map[string]string{"a.digest": "A", "b.digest": "B"}},
		{name: "nobuild", ext: ".zip", files: map[string]string{"sub/BUILD.bazel": "", "x.digest": "X"}, buildErr: "no BUILD.bazel file at its root", digests: map[string]string{"x.digest": "X"}},
		{name: "clash", ext: ".zip", files: map[string]string{"BUILD.bazel": "", "a/x.digest": "1", "b/x.digest": "2"}, digestsErr: "have the same name"},
	} {
		t.Run(tc.name+tc.ext, func(t *testing.T) {
			p := filepath.Join(dir, tc.name+tc.ext)
			writeArchive(t, p, tc.prefix, tc.files)
			err := checkBuildFile(p, tc.ext)
			if (err == nil) != (tc.buildErr == "") || err != nil && !strings.Contains(err.Error(), tc.buildErr) {
				t.Errorf("checkBuildFile = %v, want %q", err, tc.buildErr)
			}
			d, err := readDigests(p, tc.ext, ".digest")
			if tc.digestsErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.digestsErr) {
					t.Errorf("readDigests = %v, want %q", err, tc.digestsErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for k, v := range d {
				got[k] = string(v)
			}
			if diff := cmp.Diff(tc.digests, got); diff != "" {
				t.Errorf("digests (-want +got):\n%s", diff)
			}
		})
	}
	if err := checkBuildFile(filepath.Join(dir, "good.zip"), ".tar.xz"); err == nil || !strings.Contains(err.Error(), "not a tar.xz archive") {
		t.Errorf("a zip read as .tar.xz: %v", err)
	}
	if err := checkBuildFile(filepath.Join(dir, "good.tar.xz"), ".zip"); err == nil || !strings.Contains(err.Error(), "not a zip archive") {
		t.Errorf("a .tar.xz read as zip: %v", err)
	}
}

func TestBazelCommands(t *testing.T) {
	b := &Bazel{Binary: "/ot/bazelisk.sh", Dir: "/ot", Module: "/work/ot sku", Args: []string{"--config=release"}}
	for _, tc := range []struct{ got, want []string }{
		{b.BuildArgs([]string{"//a:b", "//c:d"}), []string{"build", "--override_module=ot_provisioning_exts=/work/ot sku", "--stamp", "--config=release", "--", "//a:b", "//c:d"}},
		{b.CqueryArgs("//a:b"), []string{"cquery", "--override_module=ot_provisioning_exts=/work/ot sku", "--stamp", "--config=release", "--output=files", "--", "//a:b"}},
		{b.TestArgs([]string{"//a:t"}), []string{"test", "--override_module=ot_provisioning_exts=/work/ot sku", "--config=release", "--test_output=errors", "--", "//a:t"}},
	} {
		if diff := cmp.Diff(tc.want, tc.got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	}
	if got, want := b.Command(b.TestArgs([]string{"//a:t"})), "(cd /ot && /ot/bazelisk.sh test '--override_module=ot_provisioning_exts=/work/ot sku' --config=release --test_output=errors -- //a:t)"; got != want {
		t.Errorf("Command = %s\nwant      %s", got, want)
	}
}

// TestBazelOutput runs Output against a fake bazel that prints what a
// test case says.
func TestBazelOutput(t *testing.T) {
	dir := t.TempDir()
	exec := filepath.Join(dir, "execroot")
	os.MkdirAll(filepath.Join(exec, "bazel-out", "bin"), 0o755)
	os.WriteFile(filepath.Join(exec, "bazel-out", "bin", "a.tar.xz"), []byte("x"), 0o644)
	os.MkdirAll(filepath.Join(exec, "bazel-out", "bin", "d.tar.xz"), 0o755)
	fake := filepath.Join(dir, "bazel")
	os.WriteFile(fake, []byte(`#!/bin/sh
case $1 in
info) echo "`+exec+`" ;;
cquery) for a; do last=$a; done; cat "`+dir+`/out.$(echo $last | tr -dc a-z)" ;;
esac
`), 0o755)
	b := &Bazel{Binary: fake, Dir: dir, Module: dir, Log: &bytes.Buffer{}}
	for label, tc := range map[string]struct{ out, want, err string }{
		"//x:one":     {out: "bazel-out/bin/a.tar.xz\n", want: filepath.Join(exec, "bazel-out/bin/a.tar.xz")},
		"//x:abs":     {out: filepath.Join(exec, "bazel-out/bin/a.tar.xz") + "\n", want: filepath.Join(exec, "bazel-out/bin/a.tar.xz")},
		"//x:two":     {out: "bazel-out/bin/a.tar.xz\nbazel-out/bin/b.zip\n", err: "builds 2 files"},
		"//x:none":    {out: "", err: "builds 0 files"},
		"//x:missing": {out: "bazel-out/bin/gone.zip\n", err: "did the build succeed?"},
		"//x:dir":     {out: "bazel-out/bin/d.tar.xz\n", err: "not a regular file"},
	} {
		os.WriteFile(filepath.Join(dir, "out."+strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' {
				return r
			}
			return -1
		}, label)), []byte(tc.out), 0o644)
		got, err := b.Output(context.Background(), label)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Output(%s) = %q, %v, want error %q", label, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Output(%s) = %q, %v, want %q", label, got, err, tc.want)
		}
	}
}

func TestRefuseSecrets(t *testing.T) {
	r := &Runner{cfg: Config{Secrets: []string{"", "ghp_secret123"}}}
	if err := r.refuseSecrets("x.json", []byte(`{"url": "https://h/p?t=ghp_secret123"}`)); err == nil || !strings.Contains(err.Error(), "refusing to write x.json: it would hold the GitHub token") || strings.Contains(err.Error(), "ghp_secret123") {
		t.Errorf("refuseSecrets = %v", err)
	}
	if err := r.refuseSecrets("x.json", []byte(`{"url": "https://h/p"}`)); err != nil {
		t.Errorf("refuseSecrets of clean data = %v", err)
	}
}

// TestSettingErrors checks the errors that another value of a Config
// setting fixes: typed, naming the setting as the Config field, and with
// the name a tool gives the setting (its flag) through Message.
func TestSettingErrors(t *testing.T) {
	dir := t.TempDir()
	ot := filepath.Join(t.TempDir(), "opentitan")
	os.Mkdir(ot, 0o755)
	os.WriteFile(filepath.Join(dir, "MODULE.bazel"), nil, 0o644)
	for _, tc := range []struct {
		otDir       string
		want, label string // the message, and with the setting called -opentitan
	}{
		{"", "the OpenTitan checkout is not set (Config.Bazel.Dir)", "the OpenTitan checkout is not set (-opentitan)"},
		{ot, ot + " has no MODULE.bazel; Config.Bazel.Dir must name an OpenTitan checkout (such as lowRISC/opentitan at earlgrey_1.0.0)",
			ot + " has no MODULE.bazel; -opentitan must name an OpenTitan checkout (such as lowRISC/opentitan at earlgrey_1.0.0)"},
		{dir, "Config.Bazel.Dir names this checkout (" + dir + "); Bazel runs in the OpenTitan checkout, with this one as --override_module=" + ModuleName,
			"-opentitan names this checkout (" + dir + "); Bazel runs in the OpenTitan checkout, with this one as --override_module=" + ModuleName},
	} {
		r := &Runner{cfg: Config{Bazel: Bazel{Dir: tc.otDir}}, git: &gitcli.Repo{Dir: dir}}
		_, err := r.checkOpenTitan(context.Background())
		var se *SettingError
		if !errors.As(fmt.Errorf("step: %w", err), &se) || se.Setting != "Bazel.Dir" {
			t.Errorf("checkOpenTitan(%q) = %#v, want a *SettingError for Bazel.Dir", tc.otDir, err)
			continue
		}
		if err.Error() != tc.want {
			t.Errorf("checkOpenTitan(%q):\n got %v\nwant %s", tc.otDir, err, tc.want)
		}
		if got := se.Message("-opentitan"); got != tc.label {
			t.Errorf("Message(-opentitan):\n got %s\nwant %s", got, tc.label)
		}
	}
	se := settingError("RC", "tag T is gone; pass another ", "")
	if se.Error() != "tag T is gone; pass another Config.RC" || se.Message("-rc") != "tag T is gone; pass another -rc" {
		t.Errorf("SettingError: %q, %q", se.Error(), se.Message("-rc"))
	}
}

// TestScrubEnv checks which variables Bazel's environment loses.
func TestScrubEnv(t *testing.T) {
	const secret = "ghp_scrubenvtoken0123456789abc"
	in := []string{
		"PATH=/usr/bin", "HOME=/home/x", "LANG=C.UTF-8", "GITHUB_REPOSITORY=acme/ot-sku", "GIT_AUTHOR_NAME=x",
		"GITHUB_TOKEN=" + secret, "GH_TOKEN=a", "GITHUB_ENTERPRISE_TOKEN=b", "GH_ENTERPRISE_TOKEN=c", "RELEASE_TOKEN=d",
		"ACTIONS_RUNTIME_TOKEN=e", "ACTIONS_ID_TOKEN_REQUEST_TOKEN=f", "ACTIONS_ID_TOKEN_REQUEST_URL=https://x/",
		"GIT_CONFIG=/x", "GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=http.extraheader", "GIT_CONFIG_VALUE_0=AUTHORIZATION: basic x",
		"GIT_CONFIG_PARAMETERS='a.b'='c'", "npm_token=g", "Db_Password=h", "AWS_SECRET_ACCESS_KEY=i", "OTHER=" + secret + "-suffix",
		"URL=https://u:" + secret + "@host/",
	}
	want := []string{"PATH=/usr/bin", "HOME=/home/x", "LANG=C.UTF-8", "GITHUB_REPOSITORY=acme/ot-sku", "GIT_AUTHOR_NAME=x"}
	if diff := cmp.Diff(want, scrubEnv(in, []string{"", secret})); diff != "" {
		t.Errorf("scrubEnv (-want +got):\n%s", diff)
	}
}
