package main

import (
	"encoding/base64"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/github/githubtest"
)

// TestForkRemoteRefused: a -remote that is another GitHub repository than
// -repo (a fork) is refused before anything is created: no tag, branch,
// release or pull request anywhere. Without the check, presign would push
// its tag to the fork, and publishing the release would make GitHub create
// acme's tag at main, not at the commit that was built.
func TestForkRemoteRefused(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	fork := filepath.Join(w.dir, "fork.git")
	w.git(w.dir, "clone", "--quiet", "--bare", w.remote, fork)
	w.gh.AddRepository("evil/ot-sku", fork)
	w.git(w.work, "remote", "add", "fork", w.gh.GitURL("evil/ot-sku"))
	w.git(w.work, "commit", "--quiet", "--allow-empty", "-m", "to release") // HEAD is not main
	w.git(w.work, "push", "--quiet", w.remote, "HEAD:refs/heads/topic")     // but is pushed
	forkRefs := func() string { return w.git(fork, "for-each-ref", "--format=%(refname) %(objectname)") }
	before := [3]string{w.remoteRefs(), forkRefs(), w.localRefs()}

	want := "remote fork is " + w.gh.GitURL("evil/ot-sku") + ", which is evil/ot-sku, not acme/ot-sku (-repo); the tags and branches would go to another repository than the release: fix -remote or -repo"
	for _, args := range [][]string{
		{"presign", "-artifacts", "perso,rom_ext", "-remote", "fork"},
		{"presign", "-artifacts", "perso,rom_ext", "-remote", "fork", "-dry-run"},
		{"postsign", "-remote", "fork"},
	} {
		r := w.run(args...)
		if r.code != exitFail || !strings.Contains(r.stderr, want) {
			t.Errorf("%s: exit %d, want %d and %q\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, exitFail, want, r.stdout, r.stderr)
		}
	}
	if r := w.runEnv(w.work, nil, append([]string{"helper", "-remote", "fork", "-dry-run", "-allow-insecure"}, w.helperFlags()...)...); r.code != exitFail || !strings.Contains(r.stderr, want) {
		t.Errorf("helper: exit %d, want %q\n%s", r.code, want, r.stderr)
	}
	if after := [3]string{w.remoteRefs(), forkRefs(), w.localRefs()}; after != before {
		t.Errorf("refs changed:\nbefore %q\nafter  %q", before, after)
	}
	if w.gh.Mutations() != 0 || len(w.gh.Releases()) != 0 || len(w.gh.Pulls()) != 0 {
		t.Errorf("GitHub changed: %d mutations, releases %+v", w.gh.Mutations(), w.gh.Releases())
	}
	if log := w.bazelLog(); log != "" {
		t.Errorf("bazel ran:\n%s", log)
	}

	// The same with the right remote releases, and the build tag is on
	// the commit built, pushed by the tool, not created by GitHub.
	head := w.git(w.work, "rev-parse", "HEAD")
	w.presign()
	if got := w.remoteRef("refs/tags/" + buildTag); got != head {
		t.Errorf("tag %s at %s, want HEAD %s", buildTag, got, head)
	}
	if forkRefs() != before[1] {
		t.Error("the fork changed")
	}
}

// TestRepoFromRemote: without -repo and $GITHUB_REPOSITORY, the repository
// is the one the remote's URL names; $GITHUB_REPOSITORY wins; a remote
// that names none is a usage error that says what to pass.
func TestRepoFromRemote(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	var flags []string
	for i, c := 0, w.common(); i < len(c); i++ {
		if c[i] == "-repo" {
			i++
			continue
		}
		flags = append(flags, c[i])
	}
	r := w.runEnv(w.work, nil, append([]string{"presign", "-artifacts", "perso,rom_ext"}, flags...)...)
	if r.code != 0 {
		t.Fatalf("presign without -repo: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if rels := w.gh.Releases(); len(rels) != 1 || rels[0].Repository != testRepo || rels[0].Tag != buildTag {
		t.Errorf("releases %+v, want one of %s", rels, testRepo)
	}
	// $GITHUB_REPOSITORY is the default, and is checked against the remote.
	r = w.runEnv(w.work, map[string]string{"GITHUB_REPOSITORY": "other/repo"}, append([]string{"presign", "-dry-run"}, flags...)...)
	if r.code != exitFail || !strings.Contains(r.stderr, "which is acme/ot-sku, not other/repo (-repo)") {
		t.Errorf("$GITHUB_REPOSITORY=other/repo: exit %d\n%s", r.code, r.stderr)
	}
	// A remote on a path names no repository.
	w.git(w.work, "remote", "set-url", "origin", w.remote)
	r = w.runEnv(w.work, nil, append([]string{"presign", "-dry-run"}, flags...)...)
	if r.code != exitUsage || !strings.Contains(r.stderr, "-repo is required: $GITHUB_REPOSITORY is not set and the push URL of remote origin names no repository on "+w.gh.URL()) || !strings.Contains(r.stderr, "-repo lowRISC/ot-sku") {
		t.Errorf("remote on a path: exit %d\n%s", r.code, r.stderr)
	}
	// With -repo, such a remote is refused, naming the shapes accepted.
	r = w.run("presign", "-dry-run")
	if r.code != exitFail || !strings.Contains(r.stderr, "remote origin is "+w.remote+", which names no repository on "+w.gh.URL()) || !strings.Contains(r.stderr, "git@127.0.0.1:OWNER/NAME.git") {
		t.Errorf("remote on a path with -repo: exit %d\n%s", r.code, r.stderr)
	}
}

// TestTokenStoredNowhere: after a whole release, no file of the
// checkout's .git (config, FETCH_HEAD, logs, ...) holds the token, as is
// or as git's Basic header; git got it through its environment (the fake
// refuses git requests without it).
func TestTokenStoredNowhere(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.finish()
	secrets := []string{testToken, base64.StdEncoding.EncodeToString([]byte("x-access-token:" + testToken))}
	files := 0
	err := filepath.WalkDir(filepath.Join(w.work, ".git"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files++
		for _, s := range secrets {
			if strings.Contains(string(b), s) {
				t.Errorf("%s holds the token", p)
			}
		}
		return nil
	})
	if err != nil || files < 10 {
		t.Fatalf("walked %d files: %v", files, err)
	}
	// The fake saw git requests, every one with the token.
	calls := w.gh.GitCalls()
	if !slices.ContainsFunc(calls, func(c githubtest.Call) bool { return strings.HasSuffix(c.Path, "/git-receive-pack") }) {
		t.Errorf("no push went through the fake: %+v", calls)
	}
	for _, c := range calls {
		if c.Status != 0 {
			t.Errorf("git request %s %s refused with %d", c.Method, c.Path, c.Status)
		}
	}
}
