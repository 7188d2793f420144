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
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

var (
	theBazel   *bazel // nil when no usable Bazel was found
	noBazelWhy string // why theBazel is nil
	repoRoot   string
)

func TestMain(m *testing.M) {
	var err error
	repoRoot, err = findRepoRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	b, tried, err := findBazel(repoRoot)
	switch {
	case err != nil:
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		os.Exit(1)
	case b == nil:
		noBazelWhy = "no usable Bazel found:\n  " + strings.Join(tried, "\n  ") + "\n" + howToGetBazel
		if os.Getenv(requireEnv) != "" {
			fmt.Fprintf(os.Stderr, "e2e: FAIL: %s=%s and %s\n", requireEnv, os.Getenv(requireEnv), noBazelWhy)
			os.Exit(1)
		}
	default:
		theBazel = b
		for _, r := range tried {
			fmt.Printf("e2e: skipped %s\n", r)
		}
		fmt.Printf("e2e: using bazel %s at %s (found via %s)\n", b.version, b.path, b.source)
	}
	os.Exit(m.Run())
}

// requireBazel skips the test, with instructions, when no Bazel is available.
// TestMain has already turned that into a failure when CI asked for one.
func requireBazel(t *testing.T) *bazel {
	t.Helper()
	if theBazel == nil {
		t.Skip(noBazelWhy)
	}
	return theBazel
}

// TestScenarios runs every testdata/*.txtar scenario against the real Bazel.
func TestScenarios(t *testing.T) {
	b := requireBazel(t)
	t.Logf("bazel %s (%s)", b.version, b.path)
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata",
		Setup:               func(env *testscript.Env) error { return setup(env, b) },
		Cmds:                commands(),
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
	})
}

// setup gives every scenario a `bazel` on PATH, the variables it may use, and
// a deferred cleanup of the Bazel output bases it created.
func setup(env *testscript.Env, b *bazel) error {
	bin := filepath.Join(env.WorkDir, ".bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return err
	}
	path := b.path
	if !filepath.IsAbs(path) {
		p, err := exec.LookPath(path)
		if err != nil {
			return err
		}
		path = p
	}
	if err := os.Symlink(path, filepath.Join(bin, "bazel")); err != nil {
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
	env.Setenv("BAZEL_VERSION", b.version.String())
	// The rig's wrapper bind-mounts these into its chroot at the same paths.
	env.Setenv("OT_RIG_MOUNTS", env.WorkDir+":"+repoRoot)
	env.Values[testingTKey{}] = env.T()
	env.Defer(func() { expungeWorkspaces(env) })
	return nil
}

// expungeWorkspaces removes the output base of every workspace a scenario
// built in (those with a bazel-out symlink), so that runs do not pile up
// output bases, and stops their Bazel servers.
func expungeWorkspaces(env *testscript.Env) {
	_ = filepath.WalkDir(env.WorkDir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() && strings.Count(strings.TrimPrefix(p, env.WorkDir), string(os.PathSeparator)) > 3 {
			return filepath.SkipDir
		}
		if d.Name() != "bazel-out" || d.Type()&os.ModeSymlink == 0 {
			return nil
		}
		ws := filepath.Dir(p)
		cmd := exec.Command(filepath.Join(env.WorkDir, ".bin", "bazel"), "clean", "--expunge")
		cmd.Dir = ws
		cmd.Env = env.Vars
		if out, err := cmd.CombinedOutput(); err != nil {
			env.T().Log(fmt.Sprintf("cleanup: bazel clean --expunge in %s: %v\n%s", ws, err, out))
		}
		return nil
	})
}
