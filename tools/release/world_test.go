package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/github/githubtest"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/release"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/tarxz"
)

// The tests run real git against bare repositories in temporary
// directories, a fake GitHub (githubtest) and a fake bazel script.

const (
	testToken = "ghp_releasetesttoken0123456789"
	testRepo  = "acme/ot-sku"
	testDate  = "20260513"
)

// TestMain gives git an identity and keeps it away from the user's and
// the system's configuration, for every test (they run in parallel).
func TestMain(m *testing.M) {
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
	os.Exit(m.Run())
}

// world is a repository on a "GitHub": a bare remote, a maintainer's
// clone, the fake API and a fake bazel.
type world struct {
	t        *testing.T
	dir      string
	remote   string // the bare repository
	work     string // the maintainer's checkout
	gh       *githubtest.Server
	bazel    string // the fake bazel script
	execroot string
	// failBazel makes the fake bazel fail while it exists; rejectPush
	// makes the remote reject pushes of refs matching the regular
	// expression it holds.
	failBazel, rejectPush string
}

func newWorld(t *testing.T) *world {
	t.Helper()
	dir := t.TempDir()
	w := &world{
		t: t, dir: dir,
		remote:     filepath.Join(dir, "remote.git"),
		work:       filepath.Join(dir, "work"),
		execroot:   filepath.Join(dir, "execroot"),
		failBazel:  filepath.Join(dir, "fail-bazel"),
		rejectPush: filepath.Join(dir, "reject-push"),
	}
	w.git(dir, "-c", "init.defaultBranch=main", "init", "--quiet", "--bare", w.remote)
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

	w.git(dir, "-c", "init.defaultBranch=main", "init", "--quiet", w.work)
	w.write(filepath.Join(w.work, "skus", "extras.json"), "{}\n")
	w.write(filepath.Join(w.work, ".gitignore"), "bazel-*\n")
	w.write(filepath.Join(w.work, "fw", "perso_presign.src"), "perso firmware v1\n")
	w.write(filepath.Join(w.work, "fw", "rom_ext_presign.src"), "rom_ext firmware v1\n")
	w.write(filepath.Join(w.work, "README.md"), "test repository\n")
	w.git(w.work, "add", ".")
	w.git(w.work, "commit", "--quiet", "-m", "initial")
	w.git(w.work, "remote", "add", "origin", w.remote)
	w.git(w.work, "push", "--quiet", "origin", "main")

	w.bazel = filepath.Join(dir, "bazel")
	w.write(w.bazel, fmt.Sprintf(fakeBazel, w.execroot, w.failBazel))
	os.Chmod(w.bazel, 0o755)

	w.gh = githubtest.New(t)
	w.gh.Token = testToken
	w.gh.TagExists = func(repo, tag string) bool { return w.remoteRef("refs/tags/"+tag) != "" }
	w.gh.BranchExists = func(repo, branch string) bool { return w.remoteRef("refs/heads/"+branch) != "" }
	return w
}

// fakeBazel is a bazel stand-in: "build" writes the outputs of each
// target //PKG:NAME to the execution root, "cquery --output=files" lists
// them, "info execution_root" prints it. A NAME ending in _presign builds
// NAME.bin and NAME.digest from PKG/NAME.src; any other NAME builds
// NAME.bin from the signature files. The outputs depend only on the
// working tree, as a hermetic build's do.
const fakeBazel = `#!/bin/bash
set -euo pipefail
execroot=%q
if [ -e %q ]; then echo "ERROR: injected build failure" >&2; exit 1; fi
cmd=$1; shift
targets=()
for a in "$@"; do
  case "$a" in
    --) ;;
    --*) ;;
    execution_root) ;;
    set\(*) t=${a#set(}; t=${t%%)}; for x in $t; do targets+=("$x"); done ;;
    *) targets+=("$a") ;;
  esac
done
case $cmd in
  info) echo "$execroot" ;;
  build|cquery)
    for t in "${targets[@]}"; do
      pkg=${t#//}; pkg=${pkg%%%%:*}; name=${t##*:}
      out=bazel-out/k8-fastbuild/bin/$pkg
      if [[ $name == *_presign ]]; then files=("$name.bin" "$name.digest"); else files=("$name.bin"); fi
      for f in "${files[@]}"; do
        if [ "$cmd" = cquery ]; then echo "$out/$f"; continue; fi
        mkdir -p "$execroot/$out"
        case $f in
          *.digest) { echo "digest of $name"; sha256sum < "$pkg/$name.src"; } > "$execroot/$out/$f" ;;
          *_presign.bin) { echo "unsigned $name"; cat "$pkg/$name.src"; } > "$execroot/$out/$f" ;;
          *) { echo "signed $name"; cat signatures/*/*.sig; } > "$execroot/$out/$f" ;;
        esac
        touch -d "@$RANDOM" "$execroot/$out/$f" # timestamps must not matter
      done
    done
    echo "INFO: Build completed successfully" >&2 ;;
  *) echo "fake bazel: unknown command $cmd" >&2; exit 2 ;;
esac
`

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

func (w *world) runIn(dir string, args ...string) result {
	w.t.Helper()
	var stdout, stderr bytes.Buffer
	full := append(slices.Clone(args),
		"-repo", testRepo, "-api-url", w.gh.APIURL(), "-server-url", w.gh.URL(),
		"-allow-insecure", "-bazel", w.bazel, "-retries", "0", "-backoff", "1ms", "-timeout", "10s")
	e := &env{
		stdout: &stdout, stderr: &stderr, wd: dir,
		getenv: func(k string) string {
			if k == "GITHUB_TOKEN" {
				return testToken
			}
			return ""
		},
		now: func() time.Time { return time.Date(2026, 5, 13, 23, 59, 0, 0, time.UTC) },
	}
	code := run(context.Background(), full, e)
	out := result{code, stdout.String(), stderr.String()}
	if strings.Contains(out.stdout+out.stderr, testToken) {
		w.t.Errorf("the output shows the token:\n%s\n%s", out.stdout, out.stderr)
	}
	return out
}

// presign runs step 1-3 for perso and expects success.
func (w *world) presign(extra ...string) result {
	w.t.Helper()
	r := w.run(append([]string{"presign", "-artifact", "perso", "-target", "//fw:perso_presign"}, extra...)...)
	if r.code != 0 {
		w.t.Fatalf("presign: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	return r
}

// postsign runs steps 5-8 and expects success.
func (w *world) postsign(extra ...string) result {
	w.t.Helper()
	r := w.run(append([]string{"postsign", "-target", "//fw:perso_signed"}, extra...)...)
	if r.code != 0 {
		w.t.Fatalf("postsign: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	return r
}

// sign plays the signing ceremony: in a clone of its own, it downloads
// the pre-signing archive named by the branch's state file, signs every
// digest, and pushes the signatures to the release branch (standing for
// the merged pull request). Then the maintainer pulls them.
func (w *world) sign(branch string) {
	w.t.Helper()
	dir := filepath.Join(w.dir, "ceremony-"+strings.ReplaceAll(branch, "/", "_"))
	w.git(w.dir, "clone", "--quiet", "--branch", branch, w.remote, dir)
	st, err := release.ParseState("state", []byte(w.git(dir, "show", "HEAD:"+release.DefaultStatePath)))
	if err != nil {
		w.t.Fatal(err)
	}
	var data []byte
	for _, r := range w.gh.Releases() {
		for _, a := range r.Assets {
			if r.Tag == st.Presign.Tag && a.Name == st.Presign.Asset.Name {
				data = a.Data
			}
		}
	}
	if data == nil {
		w.t.Fatalf("no asset %s on release %s", st.Presign.Asset.Name, st.Presign.Tag)
	}
	archive := filepath.Join(dir, "..", "presign-"+st.Artifact+".tar.xz")
	w.write(archive, string(data))
	digests, err := tarxz.ReadFiles(archive, func(m string) bool { return strings.HasSuffix(m, ".digest") }, 1<<20)
	if err != nil {
		w.t.Fatal(err)
	}
	for _, d := range st.Presign.Digests {
		w.write(filepath.Join(dir, d.Signature), "SIGNATURE("+string(digests[d.Path])+")\n")
	}
	w.git(dir, "add", "signatures")
	w.git(dir, "commit", "--quiet", "-m", "Signatures from the signing ceremony")
	w.git(dir, "push", "--quiet", "origin", branch)
	w.git(w.work, "fetch", "--quiet", "origin", branch)
	w.git(w.work, "merge", "--quiet", "--ff-only", "FETCH_HEAD")
}

// check asserts the final state of a complete perso release rc00: one
// of each tag, release, asset and pull request, everything consistent.
func (w *world) check() {
	t := w.t
	t.Helper()
	build, rel := "PERSO_BUILD_"+testDate+"_rc00", "PERSO_RELEASE_"+testDate+"_rc00"
	branch := "release/perso_" + testDate + "_rc00"
	merge := branch + "-to-main"
	var refs []string
	for _, line := range strings.Split(w.remoteRefs(), "\n") {
		refs = append(refs, strings.Fields(line)[0])
	}
	want := []string{"refs/heads/main", "refs/heads/" + branch, "refs/heads/" + merge, "refs/tags/" + build, "refs/tags/" + rel}
	slices.Sort(want)
	if !slices.Equal(refs, want) {
		t.Errorf("remote refs %v, want %v", refs, want)
	}
	rels := w.gh.Releases()
	if len(rels) != 2 {
		t.Fatalf("%d releases, want 2: %+v", len(rels), rels)
	}
	for i, want := range []struct{ tag, asset string }{{build, "presign_perso.tar.xz"}, {rel, "perso_release.tar.xz"}} {
		r := rels[i]
		if r.Tag != want.tag || r.Draft || len(r.Assets) != 1 || r.Assets[0].Name != want.asset {
			t.Errorf("release %d: tag %s, draft %v, %d assets %+v; want %s published with exactly %s", i, r.Tag, r.Draft, len(r.Assets), r.Assets, want.tag, want.asset)
		}
		if r.Prerelease != (i == 0) {
			t.Errorf("release %s: prerelease %v", r.Tag, r.Prerelease)
		}
	}
	pulls := w.gh.Pulls()
	if len(pulls) != 1 || pulls[0].Head != merge || pulls[0].Base != "main" {
		t.Errorf("pull requests %+v, want one from %s into main", pulls, merge)
	}
	// The release tag is on the commit that records the release.
	extrasAtTag := w.git(w.remote, "show", rel+":skus/extras.json")
	for _, name := range []string{"presign_perso", "perso_release"} {
		if !strings.Contains(extrasAtTag, `"`+name+`"`) {
			t.Errorf("extras.json at %s lacks %s:\n%s", rel, name, extrasAtTag)
		}
	}
	for _, r := range rels {
		if !strings.Contains(extrasAtTag, r.Assets[0].SHA256) {
			t.Errorf("extras.json at %s lacks the sha256 of %s", rel, r.Assets[0].Name)
		}
	}
	// The pull request's branch is main plus the two entries.
	mainCommit := w.remoteRef("refs/heads/main")
	if parent := w.git(w.remote, "rev-parse", merge+"^"); parent != mainCommit {
		t.Errorf("%s is not one commit on main", merge)
	}
	if got := w.git(w.remote, "show", merge+":skus/extras.json"); got != w.git(w.remote, "show", rel+":skus/extras.json") {
		t.Errorf("extras.json of %s:\n%s\nwant that of %s", merge, got, rel)
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
}
