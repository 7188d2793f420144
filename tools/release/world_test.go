package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/archive"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/extras"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/github/githubtest"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/release"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/testtools/archivetest"
)

// The tests run real git against bare repositories in temporary
// directories, a fake GitHub (githubtest) and a fake bazel: this test
// binary itself, run through a small script (see fakeBazelMain).

const (
	testToken = "ghp_releasetesttoken0123456789"
	testRepo  = "acme/ot-sku"
	testDate  = "20260513"
)

// TestMain gives git an identity and keeps it away from the user's and
// the system's configuration, for every test (they run in parallel). Run
// with $RELEASE_FAKE_BAZEL set, the binary is the fake bazel instead.
func TestMain(m *testing.M) {
	if dir := os.Getenv("RELEASE_FAKE_BAZEL"); dir != "" {
		os.Exit(fakeBazelMain(dir, os.Args[1:]))
	}
	for k, v := range map[string]string{
		"GIT_AUTHOR_NAME":     "Release Test",
		"GIT_AUTHOR_EMAIL":    "release@example.com",
		"GIT_COMMITTER_NAME":  "Release Test",
		"GIT_COMMITTER_EMAIL": "release@example.com",
		"GIT_CONFIG_GLOBAL":   os.DevNull,
		"GIT_CONFIG_NOSYSTEM": "1",
	} {
		os.Setenv(k, v)
	}
	// The tests' git trusts the fake GitHub's certificate through the
	// checkout's http.sslCAInfo, which this variable would override.
	os.Unsetenv("GIT_SSL_CAINFO")
	code := m.Run()
	removeFixture()
	os.Exit(code)
}

// world is a repository on a "GitHub": a bare remote, a maintainer's
// clone, an OpenTitan checkout, the fake API and a fake bazel.
type world struct {
	t      *testing.T
	dir    string
	remote string // the bare repository
	work   string // the maintainer's checkout
	ot     string // the OpenTitan checkout
	gh     *githubtest.Server
	bazel  string // the fake bazel script
	// bazelDir holds the fake bazel's execution root, its log
	// (bazel.log, one command line per line) and its fault switches:
	// fail-build, fail-test make those commands fail while they exist.
	bazelDir string
	// statePath is the state file's path, if not the default.
	statePath string
	// rejectPush makes the remote reject pushes of refs matching the
	// regular expression it holds, while it exists.
	rejectPush string
	// transport, if not nil, carries the tool's HTTP requests (see
	// httpsGitHub).
	transport http.RoundTripper
}

// testSettings are the artifact settings of the test repository: perso
// builds .tar.xz archives, rom_ext .zip ones (see fakeBazelMain).
const testSettings = `{
  "perso": {
    "presign_label": "@provisioning_exts//open/perso:presign_perso",
    "release_label": "@provisioning_exts//open/perso:perso_release",
    "signature_test_label": "@provisioning_exts//open/perso:signature_test",
    "signatures_dir": "skus/open/signatures/perso",
    "digest_suffix": ".digest",
    "signature_suffixes": [".ecdsa_sig", ".spx_sig"]
  },
  "rom_ext": {
    "presign_label": "@provisioning_exts//open/rom_ext:presign_rom_ext",
    "release_label": "@provisioning_exts//open/rom_ext:rom_ext_release",
    "signature_test_label": "@provisioning_exts//open/rom_ext:signature_test",
    "signatures_dir": "skus/open/signatures/rom_ext",
    "digest_suffix": ".digest",
    "signature_suffixes": [".ecdsa_sig", ".spx_sig"]
  }
}
`

func newWorld(t *testing.T) *world {
	t.Helper()
	w := worldAt(t, t.TempDir())
	w.copyFixture()

	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	w.bazel = filepath.Join(w.dir, "fake-bazel")
	w.write(w.bazel, fmt.Sprintf("#!/bin/sh\nRELEASE_FAKE_BAZEL=%q exec %q \"$@\"\n", w.bazelDir, self))
	os.Chmod(w.bazel, 0o755)
	os.MkdirAll(w.bazelDir, 0o755)

	w.gh = githubtest.New(t)
	w.gh.Token = testToken
	w.gh.AddRepository(testRepo, w.remote)
	// The maintainer's checkout pushes to the fake over git's smart HTTP,
	// which wants the token as GitHub does: every run proves that the
	// tool hands it to git. The harness's own git commands use the bare
	// repository's path.
	w.git(w.work, "remote", "set-url", "origin", w.gh.GitURL(testRepo))
	return w
}

// worldAt returns the world whose files are in dir, with no repository
// set up yet.
func worldAt(t *testing.T, dir string) *world {
	return &world{
		t: t, dir: dir,
		remote:     filepath.Join(dir, "remote.git"),
		work:       filepath.Join(dir, "work"),
		ot:         filepath.Join(dir, "opentitan"),
		bazelDir:   filepath.Join(dir, "bazel"),
		rejectPush: filepath.Join(dir, "reject-push"),
	}
}

// initRepos creates the repositories: the bare remote with its hook, the
// maintainer's checkout with main pushed, and the OpenTitan checkout.
// newWorld copies them from a fixture made once (see copyFixture).
func (w *world) initRepos() {
	dir := w.dir
	w.git(dir, "-c", "init.defaultBranch=main", "init", "--quiet", "--bare", w.remote)
	w.writeHook()

	w.git(dir, "-c", "init.defaultBranch=main", "init", "--quiet", w.work)
	w.write(filepath.Join(w.work, "MODULE.bazel"), "module(name = \"ot_provisioning_exts\")\n")
	w.write(filepath.Join(w.work, "skus", "extras.json"), "{}\n")
	w.write(filepath.Join(w.work, "release", "artifacts.json"), testSettings)
	w.write(filepath.Join(w.work, ".gitignore"), "bazel-*\n")
	w.write(filepath.Join(w.work, "skus", "open", "perso", "perso.src"), "perso firmware v1\n")
	w.write(filepath.Join(w.work, "skus", "open", "rom_ext", "rom_ext.src"), "rom_ext firmware v1\n")
	w.git(w.work, "add", ".")
	w.git(w.work, "commit", "--quiet", "-m", "initial")
	w.git(w.work, "remote", "add", "origin", w.remote)
	w.git(w.work, "push", "--quiet", "origin", "main")

	w.git(dir, "-c", "init.defaultBranch=master", "init", "--quiet", w.ot)
	w.write(filepath.Join(w.ot, "MODULE.bazel"), "module(name = \"lowrisc_opentitan\")\n")
	w.write(filepath.Join(w.ot, ".gitignore"), "bazel-*\n")
	w.git(w.ot, "add", ".")
	w.git(w.ot, "commit", "--quiet", "-m", "opentitan")
}

// writeHook writes the remote's pre-receive hook, which rejects pushes of
// refs matching the pattern in w.rejectPush, while it exists.
func (w *world) writeHook() {
	hook := filepath.Join(w.remote, "hooks", "pre-receive")
	w.write(hook, fmt.Sprintf(`#!/bin/sh
# Rejects pushes of refs matching the pattern in %[1]s, while it exists.
[ -e %[1]q ] || exit 0
pattern=$(sed -n 1p %[1]q)
cond=$(sed -n 2p %[1]q)
if [ -n "$cond" ] && ! git rev-parse --verify --quiet "$cond" >/dev/null; then exit 0; fi
while read old new ref; do
  if echo "$ref" | grep -Eq -e "$pattern"; then
    echo "rejected by the test's pre-receive hook: $ref" >&2
    exit 1
  fi
done
exit 0
`, w.rejectPush))
	os.Chmod(hook, 0o755)
}

// fakeBazelMain is the fake bazel, run in the OpenTitan checkout:
//
//   - build --override_module=ot_provisioning_exts=M [--stamp] ... -- LABELS
//     writes, for @provisioning_exts//open/A:presign_A, presign_A.tar.xz
//     (A=perso) or .zip (else) holding BUILD.bazel, A.bin (M's
//     skus/open/A/A.src) and A.digest (its sha256), and, with --stamp, a
//     stamp.txt that differs on every build, as real stamps (build time)
//     do; for @provisioning_exts//open/A:A_release, A_release.tar.xz or
//     .zip holding BUILD.bazel and A.signed (A.bin and the signatures in
//     M's skus/open/signatures/A/);
//   - cquery --output=files ... -- LABEL prints that archive's path,
//     relative to the execution root;
//   - info ... execution_root prints it;
//   - query ... -- LABEL prints LABEL if it is one of testSettings or of
//     the file DIR/known-labels (one a line), else fails as Bazel does
//     (exit 7, "ERROR: no such target ...");
//   - test ... -- LABELS passes unless a signature file holds "BAD".
//
// Every command line is appended to DIR/bazel.log, and its environment
// (less RELEASE_FAKE_BAZEL, which the script sets), one variable a line,
// to DIR/bazel.env; DIR/fail-build and DIR/fail-test make build and test
// fail while they exist.
func fakeBazelMain(dir string, args []string) int {
	logf, err := os.OpenFile(filepath.Join(dir, "bazel.log"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err == nil {
		fmt.Fprintln(logf, strings.Join(args, " "))
		logf.Close()
	}
	if envf, err := os.OpenFile(filepath.Join(dir, "bazel.env"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "RELEASE_FAKE_BAZEL=") {
				fmt.Fprintln(envf, kv)
			}
		}
		envf.Close()
	}
	if len(args) == 0 {
		return 2
	}
	execRoot := filepath.Join(dir, "execroot")
	var module string
	var labels []string
	stamp, dashdash := false, false
	for _, a := range args[1:] {
		switch {
		case dashdash:
			labels = append(labels, a)
		case a == "--":
			dashdash = true
		case strings.HasPrefix(a, "--override_module=ot_provisioning_exts="):
			module = strings.TrimPrefix(a, "--override_module=ot_provisioning_exts=")
		case a == "--stamp":
			stamp = true
		}
	}
	if _, err := os.Stat("MODULE.bazel"); err != nil || module == "" {
		fmt.Fprintln(os.Stderr, "fake bazel: not run in a workspace, or no --override_module")
		return 2
	}
	out := func(label string) (artifact, name, rel string) {
		_, target, _ := strings.Cut(label, ":")
		artifact = strings.TrimSuffix(strings.TrimPrefix(target, "presign_"), "_release")
		ext := ".zip"
		if artifact == "perso" {
			ext = ".tar.xz"
		}
		return artifact, target, "bazel-out/k8-fastbuild/bin/external/provisioning_exts/open/" + artifact + "/" + target + ext
	}
	switch args[0] {
	case "info":
		fmt.Println(execRoot)
	case "query":
		known := fakeBazelLabels(dir)
		for _, l := range labels {
			if !known[l] {
				pkg, target, _ := strings.Cut(strings.TrimPrefix(l, "@"), ":")
				_, pkg, _ = strings.Cut(pkg, "//")
				fmt.Fprintf(os.Stderr, "ERROR: no such target '@%s': target '%s' not declared in package '%s' defined by %s/BUILD.bazel\n", l, target, pkg, pkg)
				return 7
			}
			fmt.Println(l)
		}
	case "cquery":
		for _, l := range labels {
			_, _, rel := out(l)
			fmt.Println(rel)
		}
	case "build":
		if _, err := os.Stat(filepath.Join(dir, "fail-build")); err == nil {
			fmt.Fprintln(os.Stderr, "ERROR: injected build failure")
			return 1
		}
		for _, l := range labels {
			a, name, rel := out(l)
			src, err := os.ReadFile(filepath.Join(module, "skus", "open", a, a+".src"))
			if err != nil {
				fmt.Fprintln(os.Stderr, "ERROR:", err)
				return 1
			}
			files := map[string][]byte{"BUILD.bazel": []byte("exports_files(glob([\"*\"]))\n")}
			if strings.HasPrefix(name, "presign_") {
				files[a+".bin"] = src
				sum := sha256.Sum256(src)
				files[a+".digest"] = []byte(hex.EncodeToString(sum[:]) + "\n")
			} else {
				signed := append([]byte(nil), src...)
				sigs, _ := filepath.Glob(filepath.Join(module, "skus", "open", "signatures", a, "*_sig"))
				sort.Strings(sigs)
				for _, s := range sigs {
					b, _ := os.ReadFile(s)
					signed = append(signed, b...)
				}
				files[a+".signed"] = signed
			}
			if stamp {
				files["stamp.txt"] = []byte(fmt.Sprintf("BUILD_TIMESTAMP %d\n", time.Now().UnixNano()))
			}
			p := filepath.Join(execRoot, filepath.FromSlash(rel))
			os.MkdirAll(filepath.Dir(p), 0o755)
			if err := writeArchive(p, files); err != nil {
				fmt.Fprintln(os.Stderr, "ERROR:", err)
				return 1
			}
		}
		fmt.Fprintln(os.Stderr, "INFO: Build completed successfully")
	case "test":
		if _, err := os.Stat(filepath.Join(dir, "fail-test")); err == nil {
			fmt.Fprintln(os.Stderr, "FAIL: injected test failure")
			return 3
		}
		for _, l := range labels {
			_, rest, _ := strings.Cut(l, "//open/")
			a, _, _ := strings.Cut(rest, ":")
			sigs, _ := filepath.Glob(filepath.Join(module, "skus", "open", "signatures", a, "*"))
			for _, s := range sigs {
				if b, _ := os.ReadFile(s); bytes.Contains(b, []byte("BAD")) {
					fmt.Fprintf(os.Stderr, "FAIL: %s: %s is not a valid signature\n", l, filepath.Base(s))
					return 3
				}
			}
		}
		fmt.Fprintln(os.Stderr, "INFO: all tests passed")
	default:
		fmt.Fprintln(os.Stderr, "fake bazel: unknown command", args[0])
		return 2
	}
	return 0
}

// fakeBazelLabels returns the labels that the fake bazel's query knows:
// those of testSettings and those in DIR/known-labels.
func fakeBazelLabels(dir string) map[string]bool {
	known := map[string]bool{}
	var settings map[string]map[string]any
	if err := json.Unmarshal([]byte(testSettings), &settings); err != nil {
		panic(err)
	}
	for _, a := range settings {
		for k, v := range a {
			if l, ok := v.(string); ok && strings.HasSuffix(k, "_label") {
				known[l] = true
			}
		}
	}
	b, _ := os.ReadFile(filepath.Join(dir, "known-labels"))
	for _, l := range strings.Fields(string(b)) {
		known[l] = true
	}
	return known
}

// writeArchive writes files as a .tar.xz or .zip archive at p.
func writeArchive(p string, files map[string][]byte) error {
	var members []archivetest.Member
	for name, data := range files {
		members = append(members, archivetest.File(name, string(data)))
	}
	data := archivetest.TarXz(members...)
	if strings.HasSuffix(p, ".zip") {
		data = archivetest.Zip(members...)
	}
	return os.WriteFile(p, data, 0o644)
}

func (w *world) write(path, content string) {
	w.t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		w.t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		w.t.Fatal(err)
	}
}

// git runs git in dir and returns its trimmed output.
func (w *world) git(dir string, args ...string) string {
	w.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		w.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// remoteRef returns the commit of ref in the remote (peeled), or "".
func (w *world) remoteRef(ref string) string {
	cmd := exec.Command("git", "rev-parse", "--verify", "--quiet", ref+"^{commit}")
	cmd.Dir = w.remote
	out, _ := cmd.Output()
	return strings.TrimSpace(string(out))
}

// remoteRefs lists the remote's refs with their objects.
func (w *world) remoteRefs() string {
	return w.git(w.remote, "for-each-ref", "--format=%(refname) %(objectname)")
}

// localRefs lists the maintainer's refs.
func (w *world) localRefs() string {
	return w.git(w.work, "for-each-ref", "--format=%(refname) %(objectname)")
}

// result is the outcome of one run of the tool.
type result struct {
	code           int
	stdout, stderr string
}

// run runs the tool in the maintainer's checkout.
func (w *world) run(args ...string) result {
	w.t.Helper()
	return w.runIn(w.work, args...)
}

// common are the flags of every run: this world's GitHub, OpenTitan and
// bazel, no retries.
func (w *world) common() []string {
	return []string{"-repo", testRepo, "-api-url", w.gh.APIURL(), "-server-url", w.gh.URL(),
		"-opentitan", w.ot, "-allow-insecure", "-bazel", w.bazel, "-retries", "0", "-backoff", "1ms", "-timeout", "10s"}
}

func (w *world) runIn(dir string, args ...string) result {
	w.t.Helper()
	return w.runEnv(dir, nil, append(slices.Clone(args), w.common()...)...)
}

// runEnv runs the tool in dir with the variables vars (and the token),
// and exactly args.
func (w *world) runEnv(dir string, vars map[string]string, args ...string) result {
	w.t.Helper()
	var stdout, stderr bytes.Buffer
	e := &env{
		stdout: &stdout, stderr: &stderr, wd: dir,
		getenv: func(k string) string {
			if k == "GITHUB_TOKEN" {
				return testToken
			}
			return vars[k]
		},
		environ: func() []string {
			environ := append(os.Environ(), "GITHUB_TOKEN="+testToken)
			for k, v := range vars {
				environ = append(environ, k+"="+v)
			}
			return environ
		},
		now:       func() time.Time { return time.Date(2026, 5, 13, 23, 59, 0, 0, time.UTC) },
		transport: w.transport,
	}
	code := run(context.Background(), args, e)
	out := result{code, stdout.String(), stderr.String()}
	if strings.Contains(out.stdout+out.stderr, testToken) {
		w.t.Errorf("the output shows the token:\n%s\n%s", out.stdout, out.stderr)
	}
	return out
}

// presign runs steps 1-3 for both artifacts and expects success.
func (w *world) presign(extra ...string) result {
	w.t.Helper()
	r := w.run(append([]string{"presign", "-artifacts", "perso,rom_ext"}, extra...)...)
	if r.code != 0 {
		w.t.Fatalf("presign: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	return r
}

// postsign runs steps 5-8 and expects success.
func (w *world) postsign(extra ...string) result {
	w.t.Helper()
	r := w.run(append([]string{"postsign"}, extra...)...)
	if r.code != 0 {
		w.t.Fatalf("postsign: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	return r
}

// bazelLog returns the fake bazel's command lines so far.
func (w *world) bazelLog() string {
	b, _ := os.ReadFile(filepath.Join(w.bazelDir, "bazel.log"))
	return string(b)
}

// sign plays the signing ceremony: in a clone of its own, it takes each
// pre-signing archive named by the branch's state file from the fake
// GitHub, writes both signatures of every digest, and pushes them to the
// release branch (standing for the merged pull request). Then the
// maintainer pulls them. skip names signature files not to write.
func (w *world) sign(branch string, skip ...string) {
	w.t.Helper()
	dir := filepath.Join(w.dir, "ceremony-"+strings.ReplaceAll(branch, "/", "_"))
	w.git(w.dir, "clone", "--quiet", "--branch", branch, w.remote, dir)
	statePath := release.DefaultStatePath
	if w.statePath != "" {
		statePath = w.statePath
	}
	st, err := release.ParseState("state", []byte(w.git(dir, "show", "HEAD:"+statePath)))
	if err != nil {
		w.t.Fatal(err)
	}
	for _, a := range st.Presign.Assets {
		var data []byte
		for _, r := range w.gh.Releases() {
			for _, asset := range r.Assets {
				if r.Tag == st.Presign.Tag && asset.Name == a.Name {
					data = asset.Data
				}
			}
		}
		if data == nil {
			w.t.Fatalf("no asset %s on release %s", a.Name, st.Presign.Tag)
		}
		digests := readArchive(w.t, a.Name, data)
		for name, d := range digests {
			if !strings.HasSuffix(name, ".digest") {
				continue
			}
			for _, sfx := range []string{".ecdsa_sig", ".spx_sig"} {
				sig := strings.TrimSuffix(name, ".digest") + sfx
				if slices.Contains(skip, sig) {
					continue
				}
				w.write(filepath.Join(dir, "skus", "open", "signatures", a.Artifact, sig), strings.TrimPrefix(sfx, ".")+"("+string(d)+")\n")
			}
		}
	}
	w.git(dir, "add", "skus")
	w.git(dir, "commit", "--quiet", "-m", "Signatures from the signing ceremony")
	w.git(dir, "push", "--quiet", "origin", branch)
	w.git(w.work, "fetch", "--quiet", w.remote, branch)
	w.git(w.work, "merge", "--quiet", "--ff-only", "FETCH_HEAD")
}

// readArchive returns the files of a .tar.xz or .zip archive.
func readArchive(t *testing.T, name string, data []byte) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := archive.WalkReader(bytes.NewReader(data), archive.InferType(name), func(e *archive.Entry, body io.Reader) error {
		b, err := io.ReadAll(body)
		out[e.Name] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// The names of a complete release of both artifacts, rc00.
const (
	buildTag   = "PERSO_ROM_EXT_BUILD_" + testDate + "_rc00"
	releaseTag = "PERSO_ROM_EXT_RELEASE_" + testDate + "_rc00"
	branch     = "release/perso_rom_ext_" + testDate + "_rc00"
)

// check asserts the final state of a complete release of both artifacts,
// rc00: one of each tag, release, asset and pull request, everything
// consistent.
func (w *world) check() {
	t := w.t
	t.Helper()
	merge := branch + "-to-main"
	var refs []string
	for _, line := range strings.Split(w.remoteRefs(), "\n") {
		refs = append(refs, strings.Fields(line)[0])
	}
	want := []string{"refs/heads/main", "refs/heads/" + branch, "refs/heads/" + merge, "refs/tags/" + buildTag, "refs/tags/" + releaseTag}
	slices.Sort(want)
	if !slices.Equal(refs, want) {
		t.Errorf("remote refs %v, want %v", refs, want)
	}
	rels := w.gh.Releases()
	if len(rels) != 2 {
		t.Fatalf("%d releases, want 2: %+v", len(rels), rels)
	}
	for i, want := range []struct {
		tag    string
		assets []string
	}{{buildTag, []string{"presign_perso.tar.xz", "presign_rom_ext.zip"}}, {releaseTag, []string{"perso_release.tar.xz", "rom_ext_release.zip"}}} {
		r := rels[i]
		var names []string
		for _, a := range r.Assets {
			names = append(names, a.Name)
		}
		slices.Sort(names)
		if r.Tag != want.tag || r.Draft || !r.Prerelease || !slices.Equal(names, want.assets) {
			t.Errorf("release %d: tag %s, draft %v, prerelease %v, assets %v; want %s, a published prerelease with exactly %v", i, r.Tag, r.Draft, r.Prerelease, names, want.tag, want.assets)
		}
		// target_commitish is the tagged commit, as the tool sets it,
		// never a branch that GitHub would create the tag on.
		if tagged := w.remoteRef("refs/tags/" + r.Tag); r.Target != tagged {
			t.Errorf("release %s: target_commitish %q, want the tagged commit %s", r.Tag, r.Target, tagged)
		}
		if typ := w.git(w.remote, "cat-file", "-t", "refs/tags/"+r.Tag); typ != "tag" {
			t.Errorf("tag %s is a %s, not the annotated tag the tool pushes", r.Tag, typ)
		}
	}
	// Both tags pin the OpenTitan commit the state records.
	for _, tag := range []string{buildTag, releaseTag} {
		if msg := w.git(w.remote, "for-each-ref", "--format=%(contents)", "refs/tags/"+tag); !strings.Contains(msg, release.PinTrailer+": "+w.git(w.ot, "rev-parse", "HEAD")) {
			t.Errorf("tag %s does not pin OpenTitan HEAD:\n%s", tag, msg)
		}
	}
	pulls := w.gh.Pulls()
	if len(pulls) != 1 || pulls[0].Head != merge || pulls[0].Base != "main" {
		t.Errorf("pull requests %+v, want one from %s into main", pulls, merge)
	}
	// The release tag is on the commit that records the release, and
	// every entry is an asset as published.
	f, err := extras.Parse(context.Background(), "extras.json", []byte(w.git(w.remote, "show", releaseTag+":skus/extras.json")), extras.Options{AllowInsecure: true})
	if err != nil {
		t.Fatal(err)
	}
	var entries []string
	for _, e := range f.Entries {
		entries = append(entries, e.Name)
		found := false
		for _, r := range rels {
			for _, a := range r.Assets {
				if e.Name+strings.TrimPrefix(a.Name, e.Name) == a.Name && strings.HasPrefix(a.Name, e.Name+".") {
					found = true
					if e.SHA256 != a.SHA256 || e.URLs[0] != w.gh.URL()+"/"+testRepo+"/releases/download/"+r.Tag+"/"+a.Name || e.StripPrefix != "" {
						t.Errorf("entry %s = %+v, want the asset %s of %s (sha256 %s)", e.Name, e, a.Name, r.Tag, a.SHA256)
					}
				}
			}
		}
		if !found {
			t.Errorf("entry %s is no asset", e.Name)
		}
	}
	if want := []string{"perso_release", "presign_perso", "presign_rom_ext", "rom_ext_release"}; !slices.Equal(entries, want) {
		t.Errorf("entries at %s: %v, want %v", releaseTag, entries, want)
	}
	// The pull request's branch is main plus the four entries.
	mainCommit := w.remoteRef("refs/heads/main")
	if parent := w.git(w.remote, "rev-parse", merge+"^"); parent != mainCommit {
		t.Errorf("%s is not one commit on main", merge)
	}
	if got := w.git(w.remote, "show", merge+":skus/extras.json"); got != w.git(w.remote, "show", releaseTag+":skus/extras.json") {
		t.Errorf("extras.json of %s:\n%s\nwant that of %s", merge, got, releaseTag)
	}
	if files := w.git(w.remote, "diff", "--name-only", "main", merge); files != "skus/extras.json" {
		t.Errorf("%s changes %q, want only skus/extras.json", merge, files)
	}
	st, err := release.ParseState("state", []byte(w.git(w.remote, "show", branch+":"+release.DefaultStatePath)))
	if err != nil {
		t.Fatal(err)
	}
	if !st.Presign.Complete(release.PresignSteps) || !st.Postsign.Complete(release.PostsignSteps) || st.Postsign.PullRequest == nil || st.Postsign.PullRequest.Number != pulls[0].Number {
		t.Errorf("state on %s is not complete:\n%s", branch, st.Encode())
	}
	if st.Presign.OpenTitan == "" || st.Presign.OpenTitan != w.git(w.ot, "rev-parse", "HEAD") {
		t.Errorf("state records OpenTitan %q", st.Presign.OpenTitan)
	}
}
