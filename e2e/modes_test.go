package e2e

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/e2e/internal/bazelfind"
)

func TestModes(t *testing.T) {
	tests := []struct {
		version bazelfind.Version
		env     string
		want    []string // mode names
		wantErr string
	}{
		{version: bazelfind.Version{Major: 7, Minor: 7, Patch: 1}, want: []string{"bazel7", "bazel8flags"}},
		{version: bazelfind.Version{Major: 8, Minor: 7}, want: []string{"bazel8"}},
		{version: bazelfind.Version{Major: 7, Minor: 7, Patch: 1}, env: "bazel8flags", want: []string{"bazel8flags"}},
		{version: bazelfind.Version{Major: 8, Minor: 7}, env: "bazel7", wantErr: `names none of this Bazel's modes (bazel8)`},
	}
	for _, tt := range tests {
		t.Setenv("OT_E2E_MODES", tt.env)
		ms, err := modes(tt.version)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("modes(%v) with OT_E2E_MODES=%q: error %v, want %q", tt.version, tt.env, err, tt.wantErr)
			}
			continue
		}
		var got []string
		for _, m := range ms {
			got = append(got, m.name)
		}
		if err != nil || !cmp.Equal(got, tt.want) {
			t.Errorf("modes(%v) with OT_E2E_MODES=%q = %v, %v; want %v", tt.version, tt.env, got, err, tt.want)
		}
	}
}

func TestModeBazelrc(t *testing.T) {
	m := mode{name: "bazel8flags", flags: []string{"--incompatible_use_plus_in_repo_names"}, sep: "+"}
	got := m.bazelrc([]string{"--host_jvm_args=-Dx=y"}, []string{"--disk_cache=/c"})
	want := "# Written by the e2e harness: mode bazel8flags.\n" +
		"startup --host_jvm_args=-Dx=y\n" +
		"common --disk_cache=/c\n" +
		"common --incompatible_use_plus_in_repo_names\n"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("bazelrc (-want +got):\n%s", diff)
	}
	if m.extra() != "++extra+" || (mode{sep: "~"}).extra() != "~~extra~" {
		t.Errorf("extra() = %q, %q; want ++extra+ and ~~extra~", m.extra(), mode{sep: "~"}.extra())
	}
}

// Every Bazel 8 mode flag must include the three the issue names.
func TestBazel8FlagsCoverTheKnownFlips(t *testing.T) {
	for _, f := range []string{"--incompatible_use_plus_in_repo_names", "--incompatible_disallow_empty_glob", "--noenable_workspace"} {
		found := false
		for _, g := range bazel8Flags {
			found = found || g == f
		}
		if !found {
			t.Errorf("bazel8Flags lacks %s", f)
		}
	}
}

// Every scenario that scenarioFiles starts first must exist, and the list
// must put it first.
func TestScenarioFilesHeavyFirst(t *testing.T) {
	files, err := scenarioFiles("testdata")
	if err != nil {
		t.Fatal(err)
	}
	for i, h := range heavyScenarios {
		if i >= len(files) || filepath.Base(files[i]) != h+".txtar" {
			t.Errorf("scenario %d is %v; want testdata/%s.txtar (heavyScenarios)", i, files, h)
		}
	}
}
