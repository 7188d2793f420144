// Package e2e runs the module's end-to-end scenarios against a real Bazel.
//
// Each scenario is a testscript txtar file under testdata/ holding a whole
// consumer workspace and the commands to run in it. See README.md beside this
// file for how the suite finds a Bazel and how CI runs it offline.
package e2e

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/e2e/internal/bazelfind"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/e2e/internal/helperfix"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/e2e/internal/testca"
	"github.com/rogpeppe/go-internal/testscript"
)

var (
	theBazel   *bazelfind.Bazel // nil when no usable Bazel was found
	noBazelWhy string           // why theBazel is nil
	repoRoot   string
	theCA      *testca.CA         // signs the loopback HTTPS servers of the scenarios
	trustStore string             // the Java trust store that makes Bazel trust theCA
	caBundle   string             // PEM: theCA and the system's roots, for Go programs (SSL_CERT_FILE)
	toolsBin   string             // holds `release`, built from ./tools/release, for every scenario's PATH
	cacheFlags []string           // the suite's shared caches, for every scenario's bazelrc (see suiteCaches)
	theHelper  *helperfix.Fixture // the prebuilt helper and the pinned Go, on loopback (see runWithCA)
)

// The fixed git identity, and the fake token, of every scenario (see setup).
const (
	gitName     = "E2E Release Bot"
	gitEmail    = "e2e-release-bot@example.com"
	githubToken = "ghp_e2eFakeToken0123456789abcdefghijklmn"
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
	// The quick loop (go test -short) runs only what needs no Bazel.
	flag.Parse()
	if testing.Short() {
		noBazelWhy = "-short: the end-to-end scenarios drive a real Bazel; run without -short"
		return runWithCA(m, false)
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
	return runWithCA(m, true)
}

// runWithCA makes the suite's test CA, its trust store and CA bundle, and
// (withTools) the shared caches and the release tool, then runs the tests.
func runWithCA(m *testing.M, withTools bool) int {
	var err error

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
	caBundle = filepath.Join(dir, "ca-bundle.pem")
	if err := writeCABundle(caBundle); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: CA bundle:", err)
		return 1
	}

	if withTools {
		cacheFlags = suiteCaches(filepath.Join(dir, "cache"))
		// The helper as consumers get it, from loopback: the host's
		// prebuilt, which the test lock that copymodule writes lists (so no
		// scenario compiles it unless it means to), and the pinned Go
		// distribution, which the downloader config sends to loopback.
		theHelper, err = helperfix.Start(repoRoot, filepath.Join(dir, "helper"), theCA.ServerTLSConfig(), helperfix.Options{WithGo: true})
		if err != nil {
			fmt.Fprintf(os.Stderr, "e2e: FAIL: the helper fixture: %v\n", err)
			return 1
		}
		defer theHelper.Close()
		cacheFlags = append(cacheFlags, "--experimental_downloader_config="+theHelper.DownloaderConfig)
		// The release tool, built once for every scenario's `exec release`.
		toolsBin = filepath.Join(dir, "bin")
		if err := buildRelease(toolsBin); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: FAIL: %v\n", err)
			return 1
		}
	}
	return m.Run()
}

// buildRelease builds ./tools/release into dir/release with the go command
// that runs the suite.
func buildRelease(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	cmd := exec.Command("go", "build", "-o", filepath.Join(dir, "release"), "./tools/release")
	cmd.Dir = repoRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building the release tool (go build ./tools/release in %s): %v\n%s", repoRoot, err, out)
	}
	return nil
}

// suiteCaches returns the Bazel flags that give every scenario, in every
// mode, the same caches under dir, which lives as long as the suite:
//
//   - one repository cache: an archive is downloaded once per suite;
//   - one disk cache: an action runs once per suite and per mode (canonical
//     repository names, and so action keys, differ between modes). The
//     costliest are rules_go's standard library and the Go tools, which
//     several scenarios build in a checkout of this module;
//   - gazelle's go_repository takes Go modules from the host's module and
//     build caches (GO_REPOSITORY_USE_HOST_CACHE, gazelle's documented
//     switch), which `go mod download` has filled, instead of downloading
//     and compiling them again in every output base.
//
// Each scenario still has its own workspace, output base and server, so
// nothing a scenario asserts about fetching or invalidation depends on
// another. The caches are fresh for each suite, so its duration is a cold
// one's.
func suiteCaches(dir string) []string {
	return []string{
		"--repository_cache=" + filepath.Join(dir, "repos"),
		"--disk_cache=" + filepath.Join(dir, "disk"),
		"--repo_env=GO_REPOSITORY_USE_HOST_CACHE=1",
	}
}

// writeCABundle writes to path the test CA and the system's CA bundle
// ($SSL_CERT_FILE or testca.DefaultSystemBundle, if it exists), as PEM: the
// SSL_CERT_FILE of every scenario, so that Go programs it runs (the release
// tool) trust the loopback HTTPS servers and can still reach real hosts.
func writeCABundle(path string) error {
	data := theCA.CertPEM()
	system := os.Getenv("SSL_CERT_FILE")
	if system == "" {
		system = testca.DefaultSystemBundle
	}
	if sys, err := os.ReadFile(system); err == nil {
		data = append(append(data, '\n'), sys...)
	}
	return os.WriteFile(path, data, 0o644)
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
	files, err := scenarioFiles("testdata")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		t.Run(m.name, func(t *testing.T) {
			// The modes share one pool of -parallel slots, so that neither
			// waits for the other's slowest scenario.
			t.Parallel()
			testscript.Run(t, testscript.Params{
				Files:               files,
				Setup:               func(env *testscript.Env) error { return setup(env, b, m) },
				Cmds:                commands(),
				RequireExplicitExec: true,
				RequireUniqueNames:  true,
			})
		})
	}
}

// heavyScenarios compile the Go tools with rules_go (the standard library
// first) in a checkout of this module: minutes each, where the others take
// seconds. They start first, so that the suite does not end waiting for one.
var heavyScenarios = []string{"module_checkout"}

// scenarioFiles lists the scenarios of dir, heavyScenarios first, then the
// rest by name.
func scenarioFiles(dir string) ([]string, error) {
	all, err := filepath.Glob(filepath.Join(dir, "*.txtar"))
	if err != nil {
		return nil, err
	}
	rank := func(f string) int {
		name := strings.TrimSuffix(filepath.Base(f), ".txtar")
		for i, h := range heavyScenarios {
			if name == h {
				return i
			}
		}
		return len(heavyScenarios)
	}
	sort.SliceStable(all, func(i, j int) bool { return rank(all[i]) < rank(all[j]) })
	return all, nil
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
	if err := os.WriteFile(rc, []byte(m.bazelrc(testca.JVMFlags(trustStore), cacheFlags)), 0o644); err != nil {
		return err
	}
	script := fmt.Sprintf("#!/bin/sh\n# Written by the e2e harness (e2e/main_test.go).\npwd >> %s\nexec %s --bazelrc=%s \"$@\"\n",
		shellQuote(filepath.Join(bin, "workspaces")), shellQuote(path), shellQuote(rc))
	if err := os.WriteFile(filepath.Join(bin, "bazel"), []byte(script), 0o755); err != nil {
		return err
	}
	env.Setenv("PATH", bin+string(os.PathListSeparator)+toolsBin+string(os.PathListSeparator)+os.Getenv("PATH"))
	setupRelease(env)
	// testscript hides HOME; Bazel and bazelisk keep their caches there.
	env.Setenv("HOME", os.Getenv("HOME"))
	for _, v := range []string{"GOMODCACHE", "GOCACHE", "GOPROXY"} {
		out, err := exec.Command("go", "env", v).Output()
		if err == nil {
			env.Setenv(v, strings.TrimSpace(string(out)))
		}
	}
	env.Setenv("MODULE_ROOT", repoRoot)
	// The host platform as the helper's lock names it, and the loopback
	// server of the prebuilt helper and the pinned Go (see helperfix).
	env.Setenv("HELPER_PLATFORM", theHelper.Platform)
	env.Setenv("HELPER_SERVER", theHelper.BaseURL)
	env.Setenv("HELPER_GO_VERSION", theHelper.GoVersion)
	env.Setenv("HELPER_GO_URL", theHelper.GoURL)
	env.Setenv("HELPER_PREBUILT", theHelper.Prebuilt)
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

// setupRelease gives a scenario what git, the release tool and the `github`
// commands need: a fixed git identity and no user or system git
// configuration, a fake $GITHUB_TOKEN, and an SSL_CERT_FILE with the test
// CA, so that Go programs trust the loopback HTTPS servers.
func setupRelease(env *testscript.Env) {
	env.Setenv("SSL_CERT_FILE", caBundle)
	for k, v := range map[string]string{
		"GIT_AUTHOR_NAME": gitName, "GIT_AUTHOR_EMAIL": gitEmail,
		"GIT_COMMITTER_NAME": gitName, "GIT_COMMITTER_EMAIL": gitEmail,
		"GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1",
	} {
		env.Setenv(k, v)
	}
	env.Setenv("GITHUB_TOKEN", githubToken)
	env.Values[githubKey{}] = &githubHolder{}
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
