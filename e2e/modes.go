package e2e

import (
	"fmt"
	"os"
	"strings"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/e2e/internal/bazelfind"
)

// A mode is one way the suite runs every scenario: a Bazel, plus the flags
// that give it another major version's defaults.
type mode struct {
	name string
	// flags go into the scenario's bazelrc as `common` lines.
	flags []string
	// sep is the separator of canonical repository names: "~" on Bazel 7,
	// "+" on Bazel 8 or with --incompatible_use_plus_in_repo_names.
	sep string
}

// bazel8Flags are the defaults that Bazel 8.0 flipped, each one that Bazel
// 7.7.1 accepts: with them, 7.7.1 behaves as Bazel 8 does where this module
// can tell. From the "Incompatible changes" of the Bazel 8.0.0 release notes
// and its breaking-change-8.0 issues; e2e/README.md lists each with its
// source, and the one 7.7.1 rejects (--incompatible_disallow_ctx_resolve_tools,
// which nothing here uses).
var bazel8Flags = []string{
	"--incompatible_use_plus_in_repo_names",
	"--incompatible_disallow_empty_glob",
	"--noenable_workspace",
	"--incompatible_no_implicit_watch_label",
	"--nolegacy_external_runfiles",
	"--nolegacy_important_outputs",
	"--nozip_undeclared_test_outputs",
}

// modes returns the modes to run with Bazel version v: 7.x as it is and with
// Bazel 8's flipped defaults; 8 and later as they are. OT_E2E_MODES (a
// comma-separated list of mode names) narrows the choice.
func modes(v bazelfind.Version) ([]mode, error) {
	var all []mode
	if v.Major < 8 {
		all = []mode{
			{name: "bazel7", sep: "~"},
			{name: "bazel8flags", flags: bazel8Flags, sep: "+"},
		}
	} else {
		all = []mode{{name: fmt.Sprintf("bazel%d", v.Major), sep: "+"}}
	}
	want := os.Getenv("OT_E2E_MODES")
	if want == "" {
		return all, nil
	}
	var picked []mode
	var names []string
	for _, m := range all {
		names = append(names, m.name)
		for _, w := range strings.Split(want, ",") {
			if strings.TrimSpace(w) == m.name {
				picked = append(picked, m)
			}
		}
	}
	if len(picked) == 0 {
		return nil, fmt.Errorf("OT_E2E_MODES=%q names none of this Bazel's modes (%s)", want, strings.Join(names, ", "))
	}
	return picked, nil
}

// bazelrc is the content of the rc file every Bazel command of a scenario
// reads (through the wrapper that setup puts on PATH): the startup options
// (the test CA's trust store), the suite's common flags (its shared caches),
// then the mode's flags.
func (m mode) bazelrc(startup, common []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Written by the e2e harness: mode %s.\n", m.name)
	for _, f := range startup {
		fmt.Fprintf(&b, "startup %s\n", f)
	}
	for _, f := range append(append([]string(nil), common...), m.flags...) {
		fmt.Fprintf(&b, "common %s\n", f)
	}
	return b.String()
}

// extra is what stands between "ot_provisioning_exts" and an entry's name in
// the canonical name of the entry's repository: "~~extra~" or "++extra+".
func (m mode) extra() string { return m.sep + m.sep + "extra" + m.sep }
