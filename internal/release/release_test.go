package release

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/tarxz"
)

func TestNames(t *testing.T) {
	a, err := ParseArtifact("rom_ext")
	if err != nil {
		t.Fatal(err)
	}
	for got, want := range map[string]string{
		a.BuildTag("20260513", 0):                   "ROM_EXT_BUILD_20260513_rc00",
		a.ReleaseTag("20260513", 12):                "ROM_EXT_RELEASE_20260513_rc12",
		a.BuildTagGlob("20260513"):                  "ROM_EXT_BUILD_20260513_rc*",
		a.Branch("20260513", 3):                     "release/rom_ext_20260513_rc03",
		a.MergeBranch("20260513", 3, "main"):        "release/rom_ext_20260513_rc03-to-main",
		a.PresignEntry():                            "presign_rom_ext",
		a.ReleaseEntry():                            "rom_ext_release",
		AssetName(Artifact("perso").PresignEntry()): "presign_perso.tar.xz",
	} {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
	if _, err := ParseArtifact("ft"); err == nil || !strings.Contains(err.Error(), "perso, rom_ext") {
		t.Errorf("ParseArtifact(ft) = %v", err)
	}
	for tag, want := range map[string]int{"ROM_EXT_BUILD_20260513_rc07": 7, "ROM_EXT_BUILD_20260513_rc99": 99} {
		if n, ok := a.ParseBuildTagRC(tag, "20260513"); !ok || n != want {
			t.Errorf("ParseBuildTagRC(%s) = %d, %v", tag, n, ok)
		}
	}
	for _, tag := range []string{"ROM_EXT_BUILD_20260514_rc07", "PERSO_BUILD_20260513_rc07", "ROM_EXT_BUILD_20260513_rc7", "ROM_EXT_BUILD_20260513_rc100", "ROM_EXT_RELEASE_20260513_rc01"} {
		if _, ok := a.ParseBuildTagRC(tag, "20260513"); ok {
			t.Errorf("ParseBuildTagRC(%s) accepted it", tag)
		}
	}
	for _, d := range []string{"2026051", "20261301", "2026-05-13", "20260230"} {
		if ParseDate(d) == nil {
			t.Errorf("ParseDate(%q) accepted it", d)
		}
	}
	if ParseDate("20260229") == nil { // 2026 is not a leap year
		t.Error("ParseDate accepted 20260229")
	}
	if err := ParseDate("20280229"); err != nil {
		t.Error(err)
	}
}

func TestState(t *testing.T) {
	s := &State{Version: StateVersion, Artifact: "perso", Date: "20260513", RC: 1, Repository: "a/b", Branch: "release/perso_20260513_rc01",
		Presign: &Half{Tag: "PERSO_BUILD_20260513_rc01", Targets: []string{"//x:y"}}}
	for _, step := range PresignSteps[:3] {
		s.Presign.Mark(step)
	}
	if s.Presign.Complete(PresignSteps) {
		t.Error("complete without the branch step")
	}
	s.Presign.Mark(StepBranch)
	s.Presign.Mark(StepBranch)
	if !s.Presign.Complete(PresignSteps) || len(s.Presign.Done) != 4 {
		t.Errorf("done %v", s.Presign.Done)
	}
	var nilHalf *Half
	if nilHalf.Has(StepTag) || nilHalf.Complete(nil) {
		t.Error("a nil half has steps")
	}
	got, err := ParseState("state.json", s.Encode())
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Encode()) != string(s.Encode()) {
		t.Errorf("round trip:\n%s\nwant:\n%s", got.Encode(), s.Encode())
	}
	for in, want := range map[string]string{
		`{"version": 2, "artifact": "perso", "date": "20260513"}`:                "version 2",
		`{"version": 1, "artifact": "ft", "date": "20260513"}`:                   `unknown artifact "ft"`,
		`{"version": 1, "artifact": "perso", "date": "today"}`:                   "yyyymmdd",
		`{"version": 1, "artifact": "perso", "date": "20260513", "rc": 100}`:     "rc 100",
		`{"version": 1, "artifact": "perso", "date": "20260513", "extra": true}`: `unknown field "extra"`,
		`{`: "unexpected EOF",
	} {
		if _, err := ParseState("s.json", []byte(in)); err == nil || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "s.json: ") {
			t.Errorf("ParseState(%s) = %v, want %q", in, err, want)
		}
	}
}

func TestShortPath(t *testing.T) {
	for in, want := range map[string]string{
		"bazel-out/k8-fastbuild/bin/sw/perso.bin":  "sw/perso.bin",
		"bazel-out/k8-opt/genfiles/a/b.digest":     "a/b.digest",
		"bazel-out/k8-opt/bin/external/repo/x.bin": "external/repo/x.bin",
		"skus/README.md":     "skus/README.md",
		"/abs/path/file.bin": "file.bin",
	} {
		if got := shortPath(in); got != want {
			t.Errorf("shortPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWithSums(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "b.bin")
	os.WriteFile(p, []byte("b"), 0o644)
	files, sums, err := withSums([]tarxz.File{{Name: "a.txt", Data: []byte("a")}, {Name: "x/b.bin", Source: p}})
	if err != nil {
		t.Fatal(err)
	}
	want := "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb  a.txt\n" +
		"3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d  x/b.bin\n"
	if last := files[len(files)-1]; last.Name != SumsName || string(last.Data) != want {
		t.Errorf("SHA256SUMS:\n%s\nwant:\n%s", last.Data, want)
	}
	if sums["a.txt"] != "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb" {
		t.Errorf("sums %v", sums)
	}
	if _, _, err := withSums([]tarxz.File{{Name: SumsName}}); err == nil {
		t.Error("an output called SHA256SUMS was accepted")
	}
}
