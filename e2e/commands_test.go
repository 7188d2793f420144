package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/e2e/internal/bazelfind"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/e2e/internal/standin"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/helperbuild"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/testtools"
	"github.com/rogpeppe/go-internal/testscript"
)

// commands are the custom testscript commands the scenarios use: those of
// testtools.ScriptCmds (serve, archive, hash, envsubst), whose servers
// present the run's test CA, and this package's. Each one is documented in
// e2e/README.md.
func commands() map[string]func(ts *testscript.TestScript, neg bool, args []string) {
	cmds := testtools.ScriptCmds(theCA.ServerTLSConfig())
	for name, cmd := range map[string]func(ts *testscript.TestScript, neg bool, args []string){
		"edit":                  cmdEdit,
		"copymodule":            cmdCopyModule,
		"standin":               cmdStandin,
		"no-warnings":           cmdNoWarnings,
		"skip-unless-bazel":     cmdSkipUnlessBazel,
		"skip-unless-netns":     cmdSkipUnlessNetns,
		"sources-digest":        cmdSourcesDigest,
		"skip-if-fake-lockfile": cmdSkipIfFakeLockfile,
		"sign":                  cmdSign,
		"github":                cmdGitHub,
		"github-state":          cmdGitHubState,
		"github-calls":          cmdGitHubCalls,
		"github-fail":           cmdGitHubFail,
		"github-pull-state":     cmdGitHubPullState,
		"github-asset":          cmdGitHubAsset,
		"corpus":                cmdCorpus,
		"corpus-check":          cmdCorpusCheck,
		"github-repo":           cmdGitHubRepo,
	} {
		cmds[name] = cmd
	}
	return cmds
}

// edit FILE OLD NEW
//
// Replaces every OLD in FILE with NEW, in place. Fails if OLD is absent, so a
// scenario never edits nothing by mistake.
func cmdEdit(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: edit FILE OLD NEW")
	}
	file := ts.MkAbs(args[0])
	data, err := os.ReadFile(file)
	ts.Check(err)
	if !bytes.Contains(data, []byte(args[1])) {
		ts.Fatalf("edit: %s does not contain %q", args[0], args[1])
	}
	ts.Check(os.WriteFile(file, bytes.ReplaceAll(data, []byte(args[1]), []byte(args[2])), 0o644))
}

// copymodule DIR
//
// Copies this repository (without .git, e2e/, .github/ and Bazel's output
// symlinks) to DIR: a second checkout, to connect with --override_module or
// to work in as the root module. Its helper lock is the suite's test lock,
// which lists the host's prebuilt helper on loopback, so that the helper is
// downloaded, not compiled; scenarios about the fallback edit or replace it.
func cmdCopyModule(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: copymodule DIR")
	}
	dir := ts.MkAbs(args[0])
	ts.Check(standin.CopyModule(repoRoot, dir))
	ts.Check(theHelper.WriteLock(dir))
}

// standin DIR [CHECKOUT]
//
// Copies the OpenTitan stand-in (e2e/opentitan) to DIR. With CHECKOUT, it
// also writes DIR/.bazelrc connecting that checkout of this module as
// OpenTitan users do: common --override_module=ot_provisioning_exts=CHECKOUT.
func cmdStandin(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: standin DIR [CHECKOUT]")
	}
	checkout := ""
	if len(args) == 2 {
		checkout = ts.MkAbs(args[1])
	}
	ts.Check(standin.Copy(repoRoot, ts.MkAbs(args[0]), checkout))
}

// skip-if-fake-lockfile FILE
//
// Skips the rest of the scenario, saying why, when FILE is the lockfile that
// Debian's Bazel 7.7.1 writes: the three bytes "{}" and nothing else. Such a
// Bazel cannot check lockfile contents or --lockfile_mode=error. A missing
// FILE fails the scenario, so the check never passes vacuously.
func cmdSkipIfFakeLockfile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: skip-if-fake-lockfile FILE")
	}
	data, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	if strings.TrimSpace(string(data)) == "{}" {
		ts.Value(testingTKey{}).(testscript.T).Skip(fmt.Sprintf("%s is %q: this Bazel (%s) writes no real lockfile, so lockfile contents and --lockfile_mode=error cannot be checked here; run with BAZEL=bazelisk on a connected machine", args[0], data, ts.Getenv("BAZEL_VERSION")))
	}
}

// testingTKey is the key under which setup stores the scenario's
// testscript.T, so that commands can skip.
type testingTKey struct{}

// offlineWarnings are the WARNING lines that the offline rig prints whatever
// this module does, with the reason each is not this module's:
var offlineWarnings = []*regexp.Regexp{
	// Debian's /etc/bazel/bazelrc sets --host_javabase.
	regexp.MustCompile(`^WARNING: Option 'host_javabase' is deprecated$`),
}

// no-warnings
//
// Fails if the previous command's stderr has a WARNING line, other than the
// few that the offline rig's own setup causes (see offlineWarnings).
func cmdNoWarnings(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: no-warnings")
	}
	var bad []string
	for _, line := range strings.Split(ts.ReadFile("stderr"), "\n") {
		if !strings.HasPrefix(line, "WARNING:") {
			continue
		}
		known := false
		for _, re := range offlineWarnings {
			known = known || re.MatchString(line)
		}
		if !known {
			bad = append(bad, line)
		}
	}
	if len(bad) > 0 {
		ts.Fatalf("unexpected warnings:\n%s", strings.Join(bad, "\n"))
	}
}

// skip-unless-bazel VERSION
//
// Skips the rest of the scenario, saying why, when the suite's Bazel is older
// than VERSION (such as 8.3.0).
func cmdSkipUnlessBazel(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: skip-unless-bazel VERSION")
	}
	want, err := bazelfind.ParseVersion("bazel " + args[0])
	ts.Check(err)
	have, err := bazelfind.ParseVersion("bazel " + ts.Getenv("BAZEL_VERSION"))
	ts.Check(err)
	if have.Less(want) {
		ts.Value(testingTKey{}).(testscript.T).Skip(fmt.Sprintf("needs Bazel >= %s; this is %s (ci.yml runs it with Bazel 8.7.0)", want, have))
	}
}

// sources-digest CHECKOUT NAME
//
// Sets $NAME to the digest of the helper's sources in CHECKOUT as the Go
// side computes it (helperlock.SourcesDigest, through helperbuild), to
// compare with the one the repository rule computed in Starlark.
func cmdSourcesDigest(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: sources-digest CHECKOUT NAME")
	}
	d, err := helperbuild.SourcesDigest(ts.MkAbs(args[0]))
	ts.Check(err)
	ts.Setenv(args[1], d)
}

// skip-unless-netns
//
// Skips the rest of the scenario, saying why, unless this process may run
// a command in a network namespace of its own (`unshare -n`, which needs
// root), where only loopback is up: the scenarios' way to be offline.
func cmdSkipUnlessNetns(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: skip-unless-netns")
	}
	if out, err := exec.Command("unshare", "-n", "sh", "-c", "ip link set lo up").CombinedOutput(); err != nil {
		ts.Value(testingTKey{}).(testscript.T).Skip(fmt.Sprintf("cannot run offline here: unshare -n sh -c 'ip link set lo up': %v %s (it needs root and iproute2)", err, out))
	}
}
