package main

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/github/githubtest"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/release"
)

// The chain of custody (docs/release.md, "What the tool guarantees"): each
// test breaks one link, the way a failure, a resume or a mistake would,
// and checks that the tool refuses (naming both values and the way out)
// or carries the chain through.

// fails runs the tool and expects exit 1 with want in its error output.
func (w *world) fails(want string, args ...string) result {
	w.t.Helper()
	r := w.run(args...)
	if r.code != exitFail || !strings.Contains(r.stderr, want) {
		w.t.Fatalf("%s: exit %d, want 1 and stderr containing %q\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, want, r.stdout, r.stderr)
	}
	return r
}

// finish finishes the release of both artifacts, rc00: presign (which
// resumes an unfinished one), the ceremony, postsign, and checks the end.
func (w *world) finish() {
	w.t.Helper()
	w.presign()
	w.signAndPostsign()
}

// signAndPostsign plays the ceremony on the release branch, runs postsign
// and checks the end.
func (w *world) signAndPostsign() {
	w.t.Helper()
	w.sign(branch)
	w.postsign()
	w.check()
}

// state reads the state file at rev of the maintainer's checkout.
func (w *world) state(rev string) *release.State {
	w.t.Helper()
	s, err := release.ParseState("state", []byte(w.git(w.work, "show", rev+":"+release.DefaultStatePath)))
	if err != nil {
		w.t.Fatal(err)
	}
	return s
}

// asset returns the bytes of a release's asset on the fake GitHub.
func (w *world) asset(tag, name string) []byte {
	w.t.Helper()
	for _, r := range w.gh.Releases() {
		for _, a := range r.Assets {
			if r.Tag == tag && a.Name == name {
				return a.Data
			}
		}
	}
	w.t.Fatalf("no asset %s on release %s", name, tag)
	return nil
}

// TestResignBetweenAttempts: a postsign attempt uploads perso_release to
// the draft and fails; the ceremony then signs perso again. The next
// attempt must publish the archive built with the new signatures, which
// the release tag's commit holds, not the draft's stale upload.
func TestResignBetweenAttempts(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.presign()
	w.sign(branch)
	w.gh.Fail(githubtest.Rule{Method: "POST", Path: "/api/uploads/", Nth: 2, Status: 500})
	w.fails("uploading asset rom_ext_release.zip", "postsign")
	w.gh.ClearFailures()
	stale := w.asset(releaseTag, "perso_release.tar.xz")

	// The re-signing: a new ECDSA signature of perso, merged into the branch.
	sig := filepath.Join(w.work, "skus/open/signatures/perso/perso.ecdsa_sig")
	w.write(sig, "ecdsa_sig(re-signed)\n")
	w.git(w.work, "commit", "--quiet", "-am", "Re-signed perso")
	w.git(w.work, "push", "--quiet", w.remote, branch)

	r := w.postsign()
	if !strings.Contains(r.stdout, "delete asset perso_release.tar.xz") {
		t.Errorf("the stale draft asset was not replaced:\n%s", r.stdout)
	}
	published := w.asset(releaseTag, "perso_release.tar.xz")
	if string(published) == string(stale) {
		t.Fatal("the published perso_release is the stale upload of the failed attempt")
	}
	signed := readArchive(t, "perso_release.tar.xz", published)["perso.signed"]
	atTag := w.git(w.remote, "show", releaseTag+":skus/open/signatures/perso/perso.ecdsa_sig")
	if !strings.Contains(signed, atTag) {
		t.Errorf("the published perso.signed %q lacks the signature %q that the release tag's commit holds", signed, atTag)
	}
	st := w.state(releaseTag)
	found := false
	for _, f := range st.Postsign.Signatures {
		if f.Path == "skus/open/signatures/perso/perso.ecdsa_sig" {
			found = f.SHA256 == sha256Hex([]byte(atTag+"\n"))
		}
	}
	if !found {
		t.Errorf("the state does not record the re-signed signature's sha256: %+v", st.Postsign.Signatures)
	}
	w.check()
}

// TestTamperedPresignEntry: a presign entry re-pointed on the release
// branch is refused before anything is built, naming both values.
func TestTamperedPresignEntry(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.presign()
	w.sign(branch)
	extrasPath := filepath.Join(w.work, "skus/extras.json")
	data, err := os.ReadFile(extrasPath)
	if err != nil {
		t.Fatal(err)
	}
	rec := w.state("HEAD").Presign.Asset("perso")
	evil := strings.Replace(rec.URL, buildTag, "EVIL_TAG", 1)
	w.write(extrasPath, strings.ReplaceAll(string(data), rec.URL, evil))
	w.git(w.work, "commit", "--quiet", "-am", "Re-point presign_perso")
	w.git(w.work, "push", "--quiet", w.remote, branch)
	log, refs, releases := w.bazelLog(), w.remoteRefs(), len(w.gh.Releases())

	r := w.fails(`has entry "presign_perso" at `+evil, "postsign")
	for _, s := range []string{rec.URL, "restore it"} {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("the error lacks %q:\n%s", s, r.stderr)
		}
	}
	if w.bazelLog() != log || w.remoteRefs() != refs || len(w.gh.Releases()) != releases {
		t.Error("postsign built, pushed or released with a tampered presign entry")
	}
}

// TestOpenTitanMoved: OpenTitan is pinned by the build tag; both a
// resumed presign and postsign refuse another OpenTitan commit.
func TestOpenTitanMoved(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	pin := w.git(w.ot, "rev-parse", "HEAD")
	failBazel("build")(w)
	w.fails("presign step 2", "presign", "-artifacts", "perso,rom_ext")
	os.Remove(filepath.Join(w.bazelDir, "fail-build"))
	if msg := w.git(w.work, "for-each-ref", "--format=%(contents)", "refs/tags/"+buildTag); !strings.Contains(msg, release.PinTrailer+": "+pin) {
		t.Errorf("the build tag's message does not pin OpenTitan %s:\n%s", pin, msg)
	}

	w.write(filepath.Join(w.ot, "NEW"), "moved\n")
	w.git(w.ot, "add", "NEW")
	w.git(w.ot, "commit", "--quiet", "-m", "OpenTitan moves on")
	moved := w.git(w.ot, "rev-parse", "HEAD")
	r := w.fails("pins OpenTitan "+pin, "presign", "-artifacts", "perso,rom_ext")
	if !strings.Contains(r.stderr, "is at "+moved) || !strings.Contains(r.stderr, "checkout --detach "+pin) {
		t.Errorf("the error does not name both commits and the way out:\n%s", r.stderr)
	}
	w.git(w.ot, "checkout", "--quiet", "--detach", pin)
	w.presign()
	if got := w.state("HEAD").Presign.OpenTitan; got != pin {
		t.Errorf("the state pins OpenTitan %s, want %s", got, pin)
	}
	w.sign(branch)

	w.git(w.ot, "checkout", "--quiet", "--detach", moved)
	log := w.bazelLog()
	w.fails("pins OpenTitan "+pin, "postsign")
	if w.bazelLog() != log {
		t.Error("postsign ran Bazel with the wrong OpenTitan")
	}
	w.git(w.ot, "checkout", "--quiet", "--detach", pin)
	w.postsign()
	w.check()
}

// TestLaterCommitOnReleaseBranch: after step 7 published the release, a
// commit lands on the release branch (a ceremony log); the rerun finds
// the release commit, leaves the tag there and opens the pull request.
func TestLaterCommitOnReleaseBranch(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.presign()
	w.sign(branch)
	w.gh.Fail(githubtest.Rule{Method: "POST", Path: "/pulls", Status: 500})
	w.fails("postsign step 8", "postsign")
	w.gh.ClearFailures()
	tagged := w.remoteRef("refs/tags/" + releaseTag)

	w.write(filepath.Join(w.work, "ceremony/log.txt"), "ceremony log\n")
	w.git(w.work, "add", "ceremony")
	w.git(w.work, "commit", "--quiet", "-m", "Ceremony log")
	w.git(w.work, "push", "--quiet", w.remote, branch)

	w.postsign()
	if got := w.remoteRef("refs/tags/" + releaseTag); got != tagged {
		t.Errorf("the release tag moved from %s to %s", tagged, got)
	}
	if w.git(w.remote, "show", branch+":ceremony/log.txt") != "ceremony log" {
		t.Error("the later commit is gone from the release branch")
	}
	w.check()
}

// TestRefusedPresignCommit: git refuses step 3's commit (a hook); the
// run leaves no branch and a clean checkout, and the rerun finishes.
func TestRefusedPresignCommit(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	flag := filepath.Join(w.dir, "refuse-commit")
	hook := filepath.Join(w.work, ".git/hooks/pre-commit")
	w.write(hook, "#!/bin/sh\nif [ -e "+flag+" ]; then echo 'pre-commit: refused by the test' >&2; exit 1; fi\n")
	os.Chmod(hook, 0o755)
	w.write(flag, "")
	r := w.fails("presign step 3 (release branch)", "presign", "-artifacts", "perso,rom_ext")
	if !strings.Contains(r.stderr, "refused by the test") || !strings.Contains(r.stderr, "nothing was committed") {
		t.Errorf("the error does not show git's refusal and what was left:\n%s", r.stderr)
	}
	if got := w.git(w.work, "branch", "--list", branch); got != "" {
		t.Errorf("the refused commit left branch %q", got)
	}
	if st := w.git(w.work, "status", "--porcelain"); st != "" {
		t.Errorf("the refused commit left changes:\n%s", st)
	}
	os.Remove(flag)
	w.finish()
}

// TestStaleBranchAdopted: a local release branch at the build tag with no
// commit of its own (what an older version left when its commit failed)
// is moved on by the rerun, not disowned.
func TestStaleBranchAdopted(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.gh.Fail(githubtest.Rule{Method: "GET", Path: "/releases/download/", Status: 503})
	w.fails("presign step 3", "presign", "-artifacts", "perso,rom_ext")
	w.gh.ClearFailures()
	w.git(w.work, "branch", branch, buildTag)
	r := w.presign()
	if !strings.Contains(r.stdout, "point branch "+branch) {
		t.Errorf("presign:\n%s", r.stdout)
	}
	w.signAndPostsign()
}

// TestFinishedRerun: a finished presign run again, from the release
// branch or from its commit, does nothing and says so (no rc01).
func TestFinishedRerun(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.presign()
	refs, mutations := w.remoteRefs(), w.gh.Mutations()
	for _, from := range []string{branch, buildTag} {
		w.git(w.work, "switch", "--quiet", "--detach", from)
		if from == branch {
			w.git(w.work, "switch", "--quiet", branch)
		}
		r := w.presign()
		if !strings.Contains(r.stdout, "presign of "+buildTag+" is complete") || !strings.Contains(r.stdout, "nothing to do") || !strings.Contains(r.stdout, "pass -rc 1") {
			t.Errorf("presign again from %s:\n%s", from, r.stdout)
		}
	}
	if w.remoteRefs() != refs || w.gh.Mutations() != mutations {
		t.Error("running a finished presign again changed something")
	}
}

// TestClosedPullRequest: a pull request closed without merging is
// reported, never counted as done; a merged one is.
func TestClosedPullRequest(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.presign()
	w.sign(branch)
	w.postsign()
	n := w.gh.Pulls()[0].Number
	w.gh.SetPullState(n, "closed")
	r := w.fails("was closed without being merged", "postsign")
	if !strings.Contains(r.stderr, "reopen it") {
		t.Errorf("the error gives no way out:\n%s", r.stderr)
	}
	w.gh.SetPullState(n, "merged")
	if r := w.postsign(); !strings.Contains(r.stdout, "(merged); nothing to do") {
		t.Errorf("postsign after the merge:\n%s", r.stdout)
	}
}

// TestUnpushedCommit: presign refuses to tag a commit that no branch of
// the remote holds.
func TestUnpushedCommit(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.write(filepath.Join(w.work, "skus/open/perso/perso.src"), "perso firmware v2, never pushed\n")
	w.git(w.work, "commit", "--quiet", "-am", "local only")
	refs := w.remoteRefs()
	r := w.fails("is on no branch of origin", "presign", "-artifacts", "perso,rom_ext")
	if !strings.Contains(r.stderr, "git push origin HEAD:main") {
		t.Errorf("the error gives no way out:\n%s", r.stderr)
	}
	if w.remoteRefs() != refs || w.git(w.work, "tag", "--list") != "" {
		t.Error("presign tagged or pushed an unpushed commit")
	}
	w.git(w.work, "push", "--quiet", w.remote, "main")
	w.presign()
}

// TestBranchFlag: postsign -branch works from another branch, as the
// docs say: it checks the release branch out.
func TestBranchFlag(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.presign()
	w.sign(branch)
	w.git(w.work, "switch", "--quiet", "main")
	w.git(w.work, "branch", "--quiet", "-D", branch)
	w.postsign("-branch", branch)
	if got := w.git(w.work, "branch", "--show-current"); got != branch {
		t.Errorf("after postsign -branch the checkout is on %q", got)
	}
	w.check()
}

// TestTagVerifiedBeforePublishing: GitHub's API must show the tag at the
// commit before a release is published; here it answers that the tag does
// not exist (as when the tag went to another repository), and nothing is
// published.
func TestTagVerifiedBeforePublishing(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.gh.Fail(githubtest.Rule{Method: "GET", Path: "/git/ref/tags/" + buildTag, Status: 404})
	w.fails("GitHub has no tag "+buildTag, "presign", "-artifacts", "perso,rom_ext")
	for _, r := range w.gh.Releases() {
		if !r.Draft {
			t.Errorf("release %s was published", r.Tag)
		}
	}
	w.gh.ClearFailures()
	w.finish()
}

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// TestDraftTargetOnGitHub: the draft of step 6 is created before the
// release commit exists, while the branch may have local commits that
// GitHub lacks (they are pushed in step 7); its target_commitish must be a
// commit GitHub has, or GitHub refuses the release.
func TestDraftTargetOnGitHub(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.presign()
	w.sign(branch)
	w.write(filepath.Join(w.work, "notes.txt"), "a local commit, pushed with the release\n")
	w.git(w.work, "add", "notes.txt")
	w.git(w.work, "commit", "--quiet", "-m", "Notes")
	w.postsign()
	w.check()
}
