package main

import (
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/github/githubtest"
)

const (
	buildTag   = "PERSO_BUILD_" + testDate + "_rc00"
	releaseTag = "PERSO_RELEASE_" + testDate + "_rc00"
	branch     = "release/perso_" + testDate + "_rc00"
)

// TestEndToEnd runs presign, the signing ceremony and postsign.
func TestEndToEnd(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	r := w.presign()
	for _, s := range []string{"presign step 1: tag " + buildTag, "presign step 2", "presign step 3: release branch " + branch, "presign of " + buildTag + " done"} {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("presign output lacks %q:\n%s", s, r.stdout)
		}
	}
	if got := w.git(w.work, "branch", "--show-current"); got != branch {
		t.Errorf("after presign the checkout is on %q, want %s", got, branch)
	}
	// Postsign refuses to run before the signatures are there.
	r = w.run("postsign", "-target", "//fw:perso_signed")
	if r.code != exitFail || !strings.Contains(r.stderr, "postsign step 5 (signatures)") || !strings.Contains(r.stderr, "signatures/perso/perso_presign.sig") {
		t.Errorf("postsign without signatures: exit %d\n%s", r.code, r.stderr)
	}
	w.sign(branch)
	r = w.postsign()
	for _, s := range []string{"postsign step 5", "all 1 digests have their signature", "postsign step 6", "postsign step 7", "postsign step 8", "postsign of " + releaseTag + " done"} {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("postsign output lacks %q:\n%s", s, r.stdout)
		}
	}
	w.check()
	if w.gh.Pulls()[0].State != "open" {
		t.Errorf("pull request is %s", w.gh.Pulls()[0].State)
	}

	// Both halves again: nothing to do, nothing changes.
	refs, mutations := w.remoteRefs(), w.gh.Mutations()
	if r := w.postsign(); !strings.Contains(r.stdout, "nothing to do") {
		t.Errorf("second postsign:\n%s", r.stdout)
	}
	if r := w.run("presign", "-artifact", "perso", "-target", "//fw:perso_presign", "-rc", "0"); r.code != 0 || !strings.Contains(r.stdout, "nothing to do") {
		t.Errorf("second presign of rc00: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if w.remoteRefs() != refs || w.gh.Mutations() != mutations {
		t.Error("running a complete release again changed something")
	}
	w.check()
}

// TestNextRC checks that a second presign on the same day takes rc01
// (from main), and that rom_ext has its own numbering.
func TestNextRC(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.presign()
	w.git(w.work, "switch", "--quiet", "main")
	r := w.presign()
	if !strings.Contains(r.stdout, "release candidate rc01: rc00 is complete") {
		t.Errorf("second presign:\n%s", r.stdout)
	}
	w.git(w.work, "switch", "--quiet", "main")
	r = w.run("presign", "-artifact", "rom_ext", "-target", "//fw:rom_ext_presign")
	if r.code != 0 || !strings.Contains(r.stdout, "ROM_EXT_BUILD_"+testDate+"_rc00") {
		t.Errorf("rom_ext presign: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, ref := range []string{"refs/tags/PERSO_BUILD_" + testDate + "_rc01", "refs/heads/release/perso_" + testDate + "_rc01", "refs/tags/ROM_EXT_BUILD_" + testDate + "_rc00", "refs/heads/release/rom_ext_" + testDate + "_rc00"} {
		if w.remoteRef(ref) == "" {
			t.Errorf("remote lacks %s", ref)
		}
	}
	if n := len(w.gh.Releases()); n != 3 {
		t.Errorf("%d releases, want 3", n)
	}
}

// TestDryRun checks that -dry-run prints every step and changes nothing,
// before and after the signatures.
func TestDryRun(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	snapshot := func() string {
		return w.remoteRefs() + "\n--\n" + w.localRefs() + "\n--\n" + w.git(w.work, "status", "--porcelain") + w.git(w.work, "rev-parse", "HEAD")
	}
	before, calls := snapshot(), len(w.gh.Calls())
	r := w.run("presign", "-artifact", "perso", "-target", "//fw:perso_presign", "-dry-run")
	if r.code != 0 {
		t.Fatalf("presign -dry-run: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, s := range []string{
		"[dry-run] presign step 1: tag " + buildTag, "would create the annotated tag " + buildTag, "would push tag " + buildTag,
		"[dry-run] presign step 2", "would run " + w.bazel + " build -- //fw:perso_presign", "would create the draft release", "would upload presign_perso.tar.xz", "would publish",
		"[dry-run] presign step 3", "would create branch " + branch, "would commit and push branch " + branch,
		"nothing was changed",
	} {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("presign -dry-run output lacks %q:\n%s", s, r.stdout)
		}
	}
	if after := snapshot(); after != before {
		t.Errorf("presign -dry-run changed the repositories:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if w.gh.Mutations() != 0 {
		t.Errorf("presign -dry-run made %d changes on GitHub", w.gh.Mutations())
	}
	for _, c := range w.gh.Calls()[calls:] {
		if c.Method != http.MethodGet {
			t.Errorf("presign -dry-run sent %s %s", c.Method, c.Path)
		}
	}
	if _, err := os.Stat(w.execroot); err == nil {
		t.Error("presign -dry-run ran bazel build")
	}

	w.presign()
	w.sign(branch)
	before, mutations := snapshot(), w.gh.Mutations()
	r = w.run("postsign", "-target", "//fw:perso_signed", "-dry-run")
	if r.code != 0 {
		t.Fatalf("postsign -dry-run: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, s := range []string{
		"[dry-run] postsign step 5", "all 1 digests have their signature",
		"[dry-run] postsign step 6", "would run " + w.bazel + " build -- //fw:perso_signed", "would create the draft release", "would upload perso_release.tar.xz",
		"[dry-run] postsign step 7", "would set entry \"perso_release\"", "would create the annotated tag " + releaseTag,
		"[dry-run] postsign step 8", "would create branch " + branch + "-to-main", "would open a pull request",
		"nothing was changed",
	} {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("postsign -dry-run output lacks %q:\n%s", s, r.stdout)
		}
	}
	if after := snapshot(); after != before {
		t.Errorf("postsign -dry-run changed the repositories:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if w.gh.Mutations() != mutations {
		t.Errorf("postsign -dry-run made %d changes on GitHub", w.gh.Mutations()-mutations)
	}
	w.postsign()
	w.check()
}

// failure is a fault injected into one run.
type failure struct {
	name string
	half string // "presign" or "postsign"
	// inject sets the fault up; clear removes it.
	inject func(w *world)
	// want is in the failed run's error output; "" means the run
	// recovers by itself and succeeds.
	want string
}

func githubFault(rule githubtest.Rule) func(w *world) {
	return func(w *world) { w.gh.Fail(rule) }
}

// rejectPush makes the remote reject pushes of refs matching the extended
// regular expression pattern; a second line names a ref that must exist
// for the rejection to apply.
func rejectPush(pattern string) func(w *world) {
	return func(w *world) { w.write(w.rejectPush, pattern) }
}

func failBazel(w *world) { w.write(w.failBazel, "") }

var failures = []failure{
	{"presign/tag-push-rejected", "presign", rejectPush("^refs/tags/"), "presign step 1 (tag)"},
	{"presign/bazel-fails", "presign", failBazel, "presign step 2 (build and publish): " + "%BAZEL% build -- //fw:perso_presign failed"},
	{"presign/list-releases-fails", "presign", githubFault(githubtest.Rule{Method: "GET", Path: "/releases", Nth: 2, Status: 500}), "presign step 2"},
	{"presign/create-release-fails", "presign", githubFault(githubtest.Rule{Method: "POST", Path: "/releases", Status: 500}), "creating the release for tag \"" + buildTag},
	{"presign/create-release-response-lost", "presign", githubFault(githubtest.Rule{Method: "POST", Path: "/releases", Status: 502, Apply: true}), "presign step 2"},
	{"presign/upload-fails", "presign", githubFault(githubtest.Rule{Method: "POST", Path: "/api/uploads/", Status: 500}), "uploading asset presign_perso.tar.xz"},
	{"presign/upload-response-lost", "presign", githubFault(githubtest.Rule{Method: "POST", Path: "/api/uploads/", Status: 502, Apply: true}), "uploading asset presign_perso.tar.xz"},
	{"presign/publish-fails", "presign", githubFault(githubtest.Rule{Method: "PATCH", Status: 500}), "publishing release"},
	{"presign/download-fails", "presign", githubFault(githubtest.Rule{Method: "GET", Path: "/releases/download/", Status: 503}), "presign step 3 (release branch): downloading"},
	{"presign/branch-push-rejected", "presign", rejectPush("^refs/heads/release/"), "presign step 3 (release branch)"},
	{"postsign/bazel-fails", "postsign", failBazel, "postsign step 6 (build and upload)"},
	{"postsign/download-presign-fails", "postsign", githubFault(githubtest.Rule{Method: "GET", Path: "/releases/download/", Status: 500}), "postsign step 5 (signatures)"},
	{"postsign/create-draft-response-lost", "postsign", githubFault(githubtest.Rule{Method: "POST", Path: "/releases", Status: 502, Apply: true}), "postsign step 6"},
	{"postsign/upload-response-lost", "postsign", githubFault(githubtest.Rule{Method: "POST", Path: "/api/uploads/", Status: 502, Apply: true}), "postsign step 6"},
	{"postsign/branch-and-tag-push-rejected", "postsign", rejectPush("^refs/tags/PERSO_RELEASE"), "postsign step 7"},
	{"postsign/publish-fails", "postsign", githubFault(githubtest.Rule{Method: "PATCH", Status: 500}), "postsign step 7"},
	{"postsign/verify-download-fails", "postsign", githubFault(githubtest.Rule{Method: "GET", Path: "/releases/download/PERSO_RELEASE", Status: 500}), "postsign step 7"},
	{"postsign/merge-branch-push-rejected", "postsign", rejectPush("-to-main$"), "postsign step 8"},
	{"postsign/pull-request-fails", "postsign", githubFault(githubtest.Rule{Method: "POST", Path: "/pulls", Status: 500}), "postsign step 8"},
	// The run notices the pull request that it opened and recovers at once.
	{"postsign/pull-request-response-lost", "postsign", githubFault(githubtest.Rule{Method: "POST", Path: "/pulls", Status: 502, Apply: true}), ""},
	// The release branch's last push (the state with the pull request) is
	// rejected, but not step 7's: the hook rejects only once the pull
	// request's branch exists.
	{"postsign/final-state-push-rejected", "postsign", rejectPush("^refs/heads/" + branch + "$\nrefs/heads/" + branch + "-to-main"), "postsign step 8"},
	{"postsign/list-pulls-fails", "postsign", githubFault(githubtest.Rule{Method: "GET", Path: "/pulls", Status: 500}), "postsign step 8"},
}

// TestResume injects each failure, checks that the run fails naming the
// step, then runs the same command again and finishes the release: every
// tag, release, asset and pull request must exist exactly once.
func TestResume(t *testing.T) {
	t.Parallel()
	for _, f := range failures {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			if f.half == "postsign" {
				w.presign()
				w.sign(branch)
			}
			f.inject(w)
			args := []string{"presign", "-artifact", "perso", "-target", "//fw:perso_presign"}
			if f.half == "postsign" {
				args = []string{"postsign", "-target", "//fw:perso_signed"}
			}
			r := w.run(args...)
			want := strings.ReplaceAll(f.want, "%BAZEL%", w.bazel)
			switch {
			case want == "" && r.code != 0:
				t.Fatalf("with the failure: exit %d, want the run to recover\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
			case want != "" && (r.code != exitFail || !strings.Contains(r.stderr, want)):
				t.Fatalf("with the failure: exit %d, want 1 and stderr containing %q\nstdout:\n%s\nstderr:\n%s", r.code, want, r.stdout, r.stderr)
			case want != "" && !strings.Contains(r.stderr, "run the same command again"):
				t.Errorf("the error does not say how to resume:\n%s", r.stderr)
			}
			w.gh.ClearFailures()
			os.Remove(w.rejectPush)
			os.Remove(w.failBazel)
			if f.half == "presign" {
				w.presign()
				w.sign(branch)
			}
			w.postsign()
			w.check()
		})
	}
}
