// Package e2e runs the module's end-to-end scenarios against a real Bazel.
//
// Each scenario is a testscript txtar file under testdata/ holding a whole
// consumer workspace and the commands to run in it. See README.md beside this
// file for how the suite finds a Bazel and how CI runs it offline.
package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/e2e/internal/bazelfind"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/e2e/internal/testca"
	"github.com/rogpeppe/go-internal/testscript"
)

var (
	theBazel   *bazelfind.Bazel // nil when no usable Bazel was found
	noBazelWhy string // why theBazel is nil
	repoRoot   string
	theCA      *testca.CA // signs the loopback HTTPS servers of the scenarios
	trustStore string     // the Java trust store that makes Bazel trust theCA
)

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	var err error
	repoRoot, err = bazelfind.RepoRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	b, tried, err := bazelfind.Find(repoRoot)
	switch {
	case err != nil:
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		return 1
	case b == nil:
		noBazelWhy = "no usable Bazel found:\n  " + strings.Join(tried, "\n  ") + "\n" + bazelfind.HowToGet
		if os.Getenv(bazelfind.RequireEnv) != "" {
			fmt.Fprintf(os.Stderr, "e2e: FAIL: %s=%s and %s\n", bazelfind.RequireEnv, os.Getenv(bazelfind.RequireEnv), noBazelWhy)
			return 1
		}
	default:
		theBazel = b
		for _, r := range tried {
			fmt.Printf("e2e: skipped %s\n", r)
		}
		fmt.Printf("e2e: using bazel %s at %s (found via %s)\n", b.Version, b.Path, b.Source)
	}

	// One test CA for the whole run. Its trust store lives under /tmp, which
	// the rig's chroot sees at the same path.
	theCA, err = testca.New()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: test CA:", err)
		return 1
	}
	dir, err := os.MkdirTemp("", "ot-e2e-ca-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	trustStore = filepath.Join(dir, "truststore.p12")
	if err := theCA.WriteTrustStore(trustStore); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: trust store:", err)
		return 1
	}
	return m.Run()
}

// requireBazel skips the test, with instructions, when no Bazel is available.
// TestMain has already turned that into a failure when CI asked for one.
func requireBazel(t *testing.T) *bazelfind.Bazel {
	t.Helper()
	if theBazel == nil {
		t.Skip(noBazelWhy)
	}
	return theBazel
}

// TestScenarios runs every testdata/*.txtar scenario against the real Bazel,
// once per mode (Bazel 7 as it is, and with Bazel 8's flipped defaults).
func TestScenarios(t *testing.T) {
	b := requireBazel(t)
	t.Logf("bazel %s (%s)", b.Version, b.Path)
	ms, err := modes(b.Version)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		t.Run(m.name, func(t *testing.T) {
			testscript.Run(t, testscript.Params{
				Dir:                 "testdata",
				Setup:               func(env *testscript.Env) error { return setup(env, b, m) },
				Cmds:                commands(),
				RequireExplicitExec: true,
				RequireUniqueNames:  true,
			})
		})
	}
}

// setup gives every scenario a `bazel` on PATH, the variables it may use, and
// a deferred shutdown of every Bazel server it started.
//
// The `bazel` on PATH is a small script: it records the directory it ran in
// and calls the real Bazel with the mode's bazelrc, which holds the test CA's
// trust store and the mode's flags. Scenarios never name either.
func setup(env *testscript.Env, b *bazelfind.Bazel, m mode) error {
	bin := filepath.Join(env.WorkDir, ".bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return err
	}
	path := b.Path
	if !filepath.IsAbs(path) {
		p, err := exec.LookPath(path)
		if err != nil {
			return err
		}
		path = p
	}
	rc := filepath.Join(bin, "e2e.bazelrc")
	if err := os.WriteFile(rc, []byte(m.bazelrc(testca.JVMFlags(trustStore))), 0o644); err != nil {
		return err
	}
	script := fmt.Sprintf("#!/bin/sh\n# Written by the e2e harness (e2e/main_test.go).\npwd >> %s\nexec %s --bazelrc=%s \"$@\"\n",
		shellQuote(filepath.Join(bin, "workspaces")), shellQuote(path), shellQuote(rc))
	if err := os.WriteFile(filepath.Join(bin, "bazel"), []byte(script), 0o755); err != nil {
		return err
	}
	env.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	// testscript hides HOME; Bazel and bazelisk keep their caches there.
	env.Setenv("HOME", os.Getenv("HOME"))
	for _, v := range []string{"GOMODCACHE", "GOCACHE", "GOPROXY"} {
		out, err := exec.Command("go", "env", v).Output()
		if err == nil {
			env.Setenv(v, strings.TrimSpace(string(out)))
		}
	}
	env.Setenv("MODULE_ROOT", repoRoot)
	env.Setenv("BAZEL_VERSION", b.Version.String())
	env.Setenv("BAZEL_MODE", m.name)
	// Canonical names differ between modes: scenarios write
	// ot_provisioning_exts${EXTRA}<name> for an entry's repository and
	// ot_provisioning_exts${SEP} for the module's.
	env.Setenv("SEP", m.sep)
	env.Setenv("EXTRA", m.extra())
	env.Setenv("EXTRA_RE", regexp.QuoteMeta(m.extra())) // for stdout and stderr patterns
	// The rig's wrapper bind-mounts these into its chroot at the same paths.
	env.Setenv("OT_RIG_MOUNTS", env.WorkDir+":"+repoRoot+":"+filepath.Dir(trustStore))
	env.Values[testingTKey{}] = env.T()
	env.Defer(func() { stopWorkspaces(env) })
	return nil
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// stopWorkspaces runs `bazel clean --expunge` in every directory a scenario
// ran Bazel in: that stops the workspace's server and removes its output
// base, so that neither servers nor output bases pile up.
func stopWorkspaces(env *testscript.Env) {
	data, _ := os.ReadFile(filepath.Join(env.WorkDir, ".bin", "workspaces"))
	seen := map[string]bool{}
	for _, dir := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if dir == "" || seen[dir] {
			continue
		}
		seen[dir] = true
		if _, err := os.Stat(dir); err != nil {
			env.T().Log(fmt.Sprintf("cleanup: %s is gone; a Bazel server started there may still run", dir))
			continue
		}
		cmd := exec.Command(filepath.Join(env.WorkDir, ".bin", "bazel"), "clean", "--expunge")
		cmd.Dir = dir
		cmd.Env = env.Vars
		if out, err := cmd.CombinedOutput(); err != nil {
			env.T().Log(fmt.Sprintf("cleanup: bazel clean --expunge in %s: %v\n%s", dir, err, out))
		}
	}
}
