package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/github/githubtest"
)

// TestEndToEnd runs presign of both artifacts, the signing ceremony and
// postsign: one tag, release, branch and pull request per half.
func TestEndToEnd(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	r := w.presign()
	for _, s := range []string{
		"OpenTitan: " + w.ot + " at ",
		"presign step 1: tag " + buildTag, "presign step 2",
		"--override_module=ot_provisioning_exts=" + w.work + " --stamp -- @provisioning_exts//open/perso:presign_perso @provisioning_exts//open/rom_ext:presign_rom_ext",
		"perso: 1 digests to sign", "published as presign_perso.tar.xz", "published as presign_rom_ext.zip",
		"GitHub's digest of presign_rom_ext.zip matches",
		"presign step 3: release branch " + branch, "presign of " + buildTag + " done",
	} {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("presign output lacks %q:\n%s", s, r.stdout)
		}
	}
	if got := w.git(w.work, "branch", "--show-current"); got != branch {
		t.Errorf("after presign the checkout is on %q, want %s", got, branch)
	}
	// Bazel ran in the OpenTitan checkout: one build, one cquery per label.
	if log := w.bazelLog(); strings.Count(log, "build ") != 1 || strings.Count(log, "cquery ") != 2 {
		t.Errorf("bazel commands:\n%s", log)
	}
	// Postsign refuses to run before the signatures are there.
	r = w.run("postsign")
	if r.code != exitFail || !strings.Contains(r.stderr, "postsign step 5 (signatures)") || !strings.Contains(r.stderr, "skus/open/signatures/perso/perso.ecdsa_sig") {
		t.Errorf("postsign without signatures: exit %d\n%s", r.code, r.stderr)
	}
	w.sign(branch)
	r = w.postsign()
	for _, s := range []string{
		"postsign step 5", "perso: all 1 digests have their .ecdsa_sig and .spx_sig in skus/open/signatures/perso/",
		"test --override_module=ot_provisioning_exts=" + w.work + " --test_output=errors -- @provisioning_exts//open/perso:signature_test @provisioning_exts//open/rom_ext:signature_test",
		"postsign step 6", "published as rom_ext_release.zip", "postsign step 7", "postsign step 8", "postsign of " + releaseTag + " done",
	} {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("postsign output lacks %q:\n%s", s, r.stdout)
		}
	}
	w.check()
	if w.gh.Pulls()[0].State != "open" {
		t.Errorf("pull request is %s", w.gh.Pulls()[0].State)
	}
	// The signed archive holds both signatures (the fake attaches them).
	for _, rel := range w.gh.Releases() {
		for _, a := range rel.Assets {
			if a.Name == "rom_ext_release.zip" {
				if signed := readArchive(t, a.Name, a.Data)["rom_ext.signed"]; !strings.Contains(signed, "ecdsa_sig(") || !strings.Contains(signed, "spx_sig(") {
					t.Errorf("rom_ext.signed = %q", signed)
				}
			}
		}
	}

	// Both halves again: nothing to do, nothing changes.
	refs, mutations, log := w.remoteRefs(), w.gh.Mutations(), w.bazelLog()
	if r := w.postsign(); !strings.Contains(r.stdout, "nothing to do") {
		t.Errorf("second postsign:\n%s", r.stdout)
	}
	if r := w.run("presign", "-artifacts", "rom_ext,perso", "-rc", "0"); r.code != 0 || !strings.Contains(r.stdout, "nothing to do") {
		t.Errorf("second presign of rc00: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if w.remoteRefs() != refs || w.gh.Mutations() != mutations || w.bazelLog() != log {
		t.Error("running a complete release again changed something or ran Bazel")
	}
	w.check()
}

// TestNextRC checks that a second presign on the same day takes rc01
// (from main), and that a single artifact has its own numbering.
func TestNextRC(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.presign()
	w.git(w.work, "switch", "--quiet", "main")
	// A new commit on main: a new candidate of the day.
	w.write(filepath.Join(w.work, "skus/open/perso/perso.src"), "perso firmware v2\n")
	w.git(w.work, "commit", "--quiet", "-am", "perso v2")
	w.git(w.work, "push", "--quiet", w.remote, "main")
	r := w.presign()
	if !strings.Contains(r.stdout, "release candidate rc01: rc00 is complete") {
		t.Errorf("second presign:\n%s", r.stdout)
	}
	w.git(w.work, "switch", "--quiet", "main")
	r = w.run("presign", "-artifacts", "rom_ext")
	if r.code != 0 || !strings.Contains(r.stdout, "ROM_EXT_BUILD_"+testDate+"_rc00") {
		t.Errorf("rom_ext presign: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, ref := range []string{"refs/tags/PERSO_ROM_EXT_BUILD_" + testDate + "_rc01", "refs/heads/release/perso_rom_ext_" + testDate + "_rc01", "refs/tags/ROM_EXT_BUILD_" + testDate + "_rc00", "refs/heads/release/rom_ext_" + testDate + "_rc00"} {
		if w.remoteRef(ref) == "" {
			t.Errorf("remote lacks %s", ref)
		}
	}
	rels := w.gh.Releases()
	if len(rels) != 3 || len(rels[2].Assets) != 1 || rels[2].Assets[0].Name != "presign_rom_ext.zip" {
		t.Errorf("releases %+v, want 3, the last with presign_rom_ext.zip only", rels)
	}
}

// TestDryRun checks that -dry-run prints every step and changes nothing,
// before and after the signatures, and that it works offline.
func TestDryRun(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	snapshot := func() string {
		return w.remoteRefs() + "\n--\n" + w.localRefs() + "\n--\n" + w.git(w.work, "status", "--porcelain") + w.git(w.work, "rev-parse", "HEAD")
	}
	presignSteps := []string{
		"[dry-run] presign step 1: tag " + buildTag, "would create the annotated tag " + buildTag, "would push tag " + buildTag,
		"[dry-run] presign step 2", "would run (cd " + w.ot + " && " + w.bazel + " build --override_module=ot_provisioning_exts=" + w.work + " --stamp -- @provisioning_exts//open/perso:presign_perso @provisioning_exts//open/rom_ext:presign_rom_ext)",
		"running (cd " + w.ot + " && " + w.bazel + " query --override_module=ot_provisioning_exts=" + w.work + " -- @provisioning_exts//open/perso:presign_perso)",
		"running (cd " + w.ot + " && " + w.bazel + " cquery --override_module=ot_provisioning_exts=" + w.work + " --stamp --output=files -- @provisioning_exts//open/rom_ext:presign_rom_ext)",
		"rom_ext: @provisioning_exts//open/rom_ext:presign_rom_ext will build presign_rom_ext.zip (not built in a dry run), published as presign_rom_ext.zip",
		"would create the draft prerelease", "would upload presign_perso.tar.xz (", "would upload presign_rom_ext.zip (", "would publish",
		"would download " + w.gh.URL() + "/" + testRepo + "/releases/download/" + buildTag + "/presign_perso.tar.xz and check it",
		"[dry-run] presign step 3", "would create branch " + branch, "would commit and push branch " + branch,
		"nothing was changed",
	}
	before, calls := snapshot(), len(w.gh.Calls())
	r := w.run("presign", "-dry-run")
	if r.code != 0 {
		t.Fatalf("presign -dry-run: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, s := range presignSteps {
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
	// Bazel only queries: it builds and tests nothing.
	onlyQueries := func(what, log string) {
		t.Helper()
		if log == "" {
			t.Errorf("%s ran no bazel query", what)
			return
		}
		for _, line := range strings.Split(strings.TrimSpace(log), "\n") {
			if cmd, _, _ := strings.Cut(line, " "); cmd != "query" && cmd != "cquery" && cmd != "info" {
				t.Errorf("%s ran bazel %s", what, line)
			}
		}
	}
	onlyQueries("presign -dry-run", w.bazelLog())
	for _, s := range []string{"|", "%7C", "%7c"} {
		if strings.Contains(r.stdout, "presign_perso.tar.xz"+s) {
			t.Errorf("presign -dry-run shows a placeholder asset name:\n%s", r.stdout)
		}
	}

	// Offline: GitHub unreachable, and so the remote (a remote of the
	// repository on that GitHub). The same steps, and the run says what
	// it could not read.
	w.git(w.work, "remote", "add", "nowhere", "https://127.0.0.1:1/"+testRepo+".git")
	offline := w.runEnv(w.work, nil, "presign", "-dry-run", "-repo", testRepo, "-api-url", "https://127.0.0.1:1/api/v3/", "-server-url", "https://127.0.0.1:1",
		"-opentitan", w.ot, "-bazel", w.bazel, "-remote", "nowhere", "-retries", "0", "-timeout", "2s")
	if offline.code != 0 {
		t.Fatalf("offline presign -dry-run: exit %d\n%s\n%s", offline.code, offline.stdout, offline.stderr)
	}
	for _, s := range append(presignSteps[:3], "(offline?)", "[dry-run] presign step 2", "would create the draft prerelease", "[dry-run] presign step 3", "nothing was changed") {
		if !strings.Contains(offline.stdout, s) {
			t.Errorf("offline presign -dry-run output lacks %q:\n%s", s, offline.stdout)
		}
	}
	if after := snapshot(); after != before {
		t.Errorf("offline presign -dry-run changed the repositories")
	}
	onlyQueries("offline presign -dry-run", w.bazelLog())

	w.presign()
	w.sign(branch)
	before, mutations, log := snapshot(), w.gh.Mutations(), w.bazelLog()
	r = w.run("postsign", "-dry-run")
	if r.code != 0 {
		t.Fatalf("postsign -dry-run: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, s := range []string{
		"[dry-run] postsign step 5", "perso: all 1 digests have their .ecdsa_sig and .spx_sig", "would run (cd " + w.ot + " && " + w.bazel + " test",
		"[dry-run] postsign step 6", "would run (cd " + w.ot + " && " + w.bazel + " build --override_module=ot_provisioning_exts=" + w.work + " --stamp -- @provisioning_exts//open/perso:perso_release @provisioning_exts//open/rom_ext:rom_ext_release)",
		"running (cd " + w.ot + " && " + w.bazel + " query --override_module=ot_provisioning_exts=" + w.work + " -- @provisioning_exts//open/rom_ext:signature_test)",
		"running (cd " + w.ot + " && " + w.bazel + " query --override_module=ot_provisioning_exts=" + w.work + " -- @provisioning_exts//open/perso:perso_release)",
		"would create the draft prerelease", "would upload perso_release.tar.xz (", "would upload rom_ext_release.zip (",
		"[dry-run] postsign step 7", "would set entry \"perso_release\" of skus/extras.json to " + w.gh.URL() + "/" + testRepo + "/releases/download/" + releaseTag + "/perso_release.tar.xz (", "would create the annotated tag " + releaseTag,
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
	onlyQueries("postsign -dry-run", strings.TrimPrefix(w.bazelLog(), log))
	if strings.Contains(r.stdout, "|") || strings.Contains(r.stdout, "%7C") {
		t.Errorf("postsign -dry-run shows a placeholder:\n%s", r.stdout)
	}
	offline = w.runEnv(w.work, nil, "postsign", "-dry-run", "-repo", testRepo, "-api-url", "https://127.0.0.1:1/api/v3/", "-server-url", "https://127.0.0.1:1",
		"-opentitan", w.ot, "-bazel", w.bazel, "-remote", "nowhere", "-retries", "0", "-timeout", "2s")
	for _, s := range []string{"(offline?)", "[dry-run] postsign step 5", "would check that every *.digest of presign_perso.tar.xz has .ecdsa_sig and .spx_sig", "[dry-run] postsign step 6", "[dry-run] postsign step 7", "[dry-run] postsign step 8", "nothing was changed"} {
		if offline.code != 0 || !strings.Contains(offline.stdout, s) {
			t.Errorf("offline postsign -dry-run: exit %d, output lacks %q:\n%s\n%s", offline.code, s, offline.stdout, offline.stderr)
		}
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

func failBazel(what string) func(w *world) {
	return func(w *world) { w.write(filepath.Join(w.bazelDir, "fail-"+what), "") }
}

var failures = []failure{
	{"presign/tag-push-rejected", "presign", rejectPush("^refs/tags/"), "presign step 1 (tag)"},
	{"presign/bazel-fails", "presign", failBazel("build"), "presign step 2 (build and publish): (cd %OT% && %BAZEL% build --override_module"},
	{"presign/list-releases-fails", "presign", githubFault(githubtest.Rule{Method: "GET", Path: "/releases", Nth: 2, Status: 500}), "presign step 2"},
	{"presign/create-release-fails", "presign", githubFault(githubtest.Rule{Method: "POST", Path: "/releases", Status: 500}), "creating the release for tag \"" + buildTag},
	{"presign/create-release-response-lost", "presign", githubFault(githubtest.Rule{Method: "POST", Path: "/releases", Status: 502, Apply: true}), "presign step 2"},
	{"presign/first-upload-fails", "presign", githubFault(githubtest.Rule{Method: "POST", Path: "/api/uploads/", Status: 500}), "uploading asset presign_perso.tar.xz"},
	{"presign/second-upload-fails", "presign", githubFault(githubtest.Rule{Method: "POST", Path: "/api/uploads/", Nth: 2, Status: 500}), "uploading asset presign_rom_ext.zip"},
	{"presign/upload-response-lost", "presign", githubFault(githubtest.Rule{Method: "POST", Path: "/api/uploads/", Status: 502, Apply: true}), "uploading asset presign_perso.tar.xz"},
	{"presign/publish-fails", "presign", githubFault(githubtest.Rule{Method: "PATCH", Status: 500}), "publishing release"},
	{"presign/download-fails", "presign", githubFault(githubtest.Rule{Method: "GET", Path: "/releases/download/", Status: 503}), "presign step 3 (release branch): downloading"},
	{"presign/branch-push-rejected", "presign", rejectPush("^refs/heads/release/"), "presign step 3 (release branch)"},
	{"postsign/signature-test-fails", "postsign", failBazel("test"), "postsign step 5 (signatures): the signature tests fail, so nothing is built or published"},
	{"postsign/bazel-fails", "postsign", failBazel("build"), "postsign step 6 (build and upload)"},
	{"postsign/download-presign-fails", "postsign", githubFault(githubtest.Rule{Method: "GET", Path: "/releases/download/", Status: 500}), "postsign step 5 (signatures)"},
	{"postsign/create-draft-response-lost", "postsign", githubFault(githubtest.Rule{Method: "POST", Path: "/releases", Status: 502, Apply: true}), "postsign step 6"},
	{"postsign/second-upload-fails", "postsign", githubFault(githubtest.Rule{Method: "POST", Path: "/api/uploads/", Nth: 2, Status: 500}), "uploading asset rom_ext_release.zip"},
	{"postsign/upload-response-lost", "postsign", githubFault(githubtest.Rule{Method: "POST", Path: "/api/uploads/", Status: 502, Apply: true}), "postsign step 6"},
	{"postsign/branch-and-tag-push-rejected", "postsign", rejectPush("^refs/tags/PERSO_ROM_EXT_RELEASE"), "postsign step 7"},
	{"postsign/publish-fails", "postsign", githubFault(githubtest.Rule{Method: "PATCH", Status: 500}), "postsign step 7"},
	{"postsign/verify-download-fails", "postsign", githubFault(githubtest.Rule{Method: "GET", Path: "/releases/download/PERSO_ROM_EXT_RELEASE", Status: 500}), "postsign step 7"},
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

// shortFailures are the failures TestResume injects with -short: one of
// each half, one from git and one from GitHub.
var shortFailures = map[string]bool{"presign/tag-push-rejected": true, "postsign/upload-response-lost": true}

// TestResume injects each failure, checks that the run fails naming the
// step, then runs the same command again and finishes the release: every
// tag, release, asset and pull request must exist exactly once.
func TestResume(t *testing.T) {
	t.Parallel()
	for _, f := range failures {
		t.Run(f.name, func(t *testing.T) {
			if testing.Short() && !shortFailures[f.name] {
				t.Skip("real git, many round trips; run without -short")
			}
			t.Parallel()
			w := newWorld(t)
			if f.half == "postsign" {
				w.presign()
				w.sign(branch)
			}
			f.inject(w)
			args := []string{"presign", "-artifacts", "perso,rom_ext"}
			if f.half == "postsign" {
				args = []string{"postsign"}
			}
			r := w.run(args...)
			want := strings.NewReplacer("%BAZEL%", w.bazel, "%OT%", w.ot).Replace(f.want)
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
			os.Remove(filepath.Join(w.bazelDir, "fail-build"))
			os.Remove(filepath.Join(w.bazelDir, "fail-test"))
			if f.half == "presign" {
				w.presign()
				w.sign(branch)
			}
			w.postsign()
			w.check()
		})
	}
}

// TestDraftAssetsReplaced checks that an asset uploaded to the draft by a
// failed run is not reused blindly: the rerun builds every archive, and
// replaces the draft's upload whose bytes differ (the fake's stamped
// builds differ every time, as real ones with the build time may), so
// that what is published is what this run built and recorded.
func TestDraftAssetsReplaced(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.gh.Fail(githubtest.Rule{Method: "POST", Path: "/api/uploads/", Nth: 2, Status: 500})
	if r := w.run("presign"); r.code != exitFail || !strings.Contains(r.stderr, "uploading asset presign_rom_ext.zip") {
		t.Fatalf("presign: exit %d\n%s", r.code, r.stderr)
	}
	w.gh.ClearFailures()
	first := w.gh.Releases()[0].Assets[0]
	os.WriteFile(filepath.Join(w.bazelDir, "bazel.log"), nil, 0o644)
	r := w.presign()
	if !strings.Contains(r.stdout, "delete asset presign_perso.tar.xz (sha256 "+first.SHA256+", an earlier attempt's) from the draft release "+buildTag) {
		t.Errorf("resumed presign:\n%s", r.stdout)
	}
	if log := w.bazelLog(); !strings.Contains(log, "presign_perso") || !strings.Contains(log, "presign_rom_ext") {
		t.Errorf("the resumed run did not build both:\n%s", log)
	}
	st := w.state("HEAD")
	for _, a := range w.gh.Releases()[0].Assets {
		if rec := st.Presign.Asset(strings.TrimPrefix(strings.Split(a.Name, ".")[0], "presign_")); rec == nil || rec.SHA256 != a.SHA256 {
			t.Errorf("asset %s has sha256 %s, the state records %+v", a.Name, a.SHA256, rec)
		}
	}
	w.signAndPostsign()
}

// TestPublishedAssetsReused checks that the assets of a published release
// are reused, never rebuilt or replaced, when a later step failed.
func TestPublishedAssetsReused(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.gh.Fail(githubtest.Rule{Method: "GET", Path: "/releases/download/", Status: 503})
	if r := w.run("presign"); r.code != exitFail || !strings.Contains(r.stderr, "presign step 3") {
		t.Fatalf("presign: exit %d\n%s", r.code, r.stderr)
	}
	w.gh.ClearFailures()
	first := w.gh.Releases()[0].Assets[0]
	os.WriteFile(filepath.Join(w.bazelDir, "bazel.log"), nil, 0o644)
	r := w.presign()
	if !strings.Contains(r.stdout, "perso: asset presign_perso.tar.xz is on the published release "+buildTag+" already (sha256 "+first.SHA256+"); reusing it, not rebuilding it") {
		t.Errorf("resumed presign:\n%s", r.stdout)
	}
	if log := w.bazelLog(); strings.Contains(log, "build ") {
		t.Errorf("the resumed run built:\n%s", log)
	}
	if got := w.gh.Releases()[0].Assets[0]; got.SHA256 != first.SHA256 {
		t.Errorf("presign_perso changed: %s, was %s", got.SHA256, first.SHA256)
	}
	w.signAndPostsign()
}

// TestSignatureChecks checks step 5's findings: a missing, an empty and a
// stray signature file, and a failing signature test. Nothing is built
// or published while they stand.
func TestSignatureChecks(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.presign()
	w.sign(branch, "rom_ext.spx_sig")
	w.write(filepath.Join(w.work, "skus/open/signatures/perso/perso.spx_sig"), "")
	w.write(filepath.Join(w.work, "skus/open/signatures/perso/old.ecdsa_sig"), "x")
	w.write(filepath.Join(w.work, "skus/open/signatures/perso/README.md"), "not a signature")
	w.git(w.work, "commit", "--quiet", "-am", "break the signatures")
	w.git(w.work, "add", ".")
	w.git(w.work, "commit", "--quiet", "-m", "stray")
	w.git(w.work, "push", "--quiet", w.remote, branch)
	mutations, log := w.gh.Mutations(), w.bazelLog()
	r := w.run("postsign")
	for _, s := range []string{
		"the signatures of presign_perso.tar.xz are not complete",
		"empty: skus/open/signatures/perso/perso.spx_sig",
		"matching no digest of the archive: skus/open/signatures/perso/old.ecdsa_sig",
		"every digest D.digest needs D.ecdsa_sig and D.spx_sig in skus/open/signatures/perso/",
	} {
		if r.code != exitFail || !strings.Contains(r.stderr, s) {
			t.Errorf("postsign: exit %d, stderr lacks %q:\n%s", r.code, s, r.stderr)
		}
	}
	w.write(filepath.Join(w.work, "skus/open/signatures/perso/perso.spx_sig"), "spx_sig(fixed)\n")
	w.git(w.work, "rm", "--quiet", "skus/open/signatures/perso/old.ecdsa_sig")
	w.git(w.work, "commit", "--quiet", "-am", "fix perso")
	w.git(w.work, "push", "--quiet", w.remote, branch)
	r = w.run("postsign")
	if r.code != exitFail || !strings.Contains(r.stderr, "missing (not committed on "+branch+"): skus/open/signatures/rom_ext/rom_ext.spx_sig") {
		t.Errorf("postsign with rom_ext.spx_sig missing: exit %d\n%s", r.code, r.stderr)
	}
	w.write(filepath.Join(w.work, "skus/open/signatures/rom_ext/rom_ext.spx_sig"), "BAD\n")
	w.git(w.work, "add", ".")
	w.git(w.work, "commit", "--quiet", "-m", "a wrong signature")
	w.git(w.work, "push", "--quiet", w.remote, branch)
	r = w.run("postsign")
	if r.code != exitFail || !strings.Contains(r.stderr, "the signature tests fail") || !strings.Contains(r.stderr, "rom_ext.spx_sig is not a valid signature") {
		t.Errorf("postsign with a wrong signature: exit %d\n%s", r.code, r.stderr)
	}
	if w.gh.Mutations() != mutations || strings.Contains(strings.TrimPrefix(w.bazelLog(), log), "build ") {
		t.Error("postsign built or published with bad signatures")
	}
	w.write(filepath.Join(w.work, "skus/open/signatures/rom_ext/rom_ext.spx_sig"), "spx_sig(good)\n")
	w.git(w.work, "commit", "--quiet", "-am", "fix rom_ext")
	w.git(w.work, "push", "--quiet", w.remote, branch)
	w.postsign()
}

// TestDryRunMissingLabel checks that a dry run fails, building nothing,
// when the artifact settings name labels that the OpenTitan checkout does
// not have, naming each one.
func TestDryRunMissingLabel(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	settings := strings.NewReplacer(
		"open/perso:presign_perso", "open/perso:nope",
		"open/rom_ext:presign_rom_ext", "open/gone:presign_rom_ext",
		"open/rom_ext:rom_ext_release", "open/rom_ext:rom_ext_release_v2",
	).Replace(testSettings)
	w.write(filepath.Join(w.work, "release", "artifacts.json"), settings)
	w.write(filepath.Join(w.work, "release", "good.json"), testSettings)
	w.git(w.work, "add", "release")
	w.git(w.work, "commit", "--quiet", "-m", "labels OpenTitan lacks")
	w.git(w.work, "push", "--quiet", w.remote, "main")
	// The fake bazel knows the new release label, not the others.
	w.write(filepath.Join(w.bazelDir, "known-labels"), "@provisioning_exts//open/rom_ext:rom_ext_release_v2\n")

	r := w.run("presign", "-artifacts", "perso,rom_ext", "-dry-run")
	for _, want := range []string{
		"release presign: presign step 2 (build and publish): the artifact settings (release/artifacts.json) name @provisioning_exts//open/perso:nope, which the OpenTitan checkout at " + w.ot + " does not have: ERROR: no such target '@@provisioning_exts//open/perso:nope': target 'nope' not declared in package 'open/perso'",
		"\nthe artifact settings (release/artifacts.json) name @provisioning_exts//open/gone:presign_rom_ext, which the OpenTitan checkout at " + w.ot + " does not have: ERROR: no such target",
		"\nfix the label in release/artifacts.json (a pull request into the main branch), or use an OpenTitan checkout that has it",
	} {
		if r.code != exitFail || !strings.Contains(r.stderr, want) {
			t.Errorf("presign -dry-run: exit %d, want 1 and %q:\n%s\n%s", r.code, want, r.stdout, r.stderr)
		}
	}
	if strings.Contains(r.stdout, "would create the draft prerelease") || strings.Contains(w.bazelLog(), "cquery") {
		t.Errorf("presign -dry-run went on past the missing labels:\n%s\n%s", r.stdout, w.bazelLog())
	}

	// Postsign: the signature test of perso is missing; the release label
	// that known-labels adds is found.
	w.presign("-config", "release/good.json")
	w.sign(branch)
	want := "postsign step 5 (signatures): the artifact settings (release/artifacts.json) name @provisioning_exts//open/perso:signature_test_v2"
	w.write(filepath.Join(w.work, "release", "artifacts.json"), strings.ReplaceAll(settings, "open/perso:signature_test", "open/perso:signature_test_v2"))
	w.git(w.work, "commit", "--quiet", "-am", "a signature test OpenTitan lacks")
	r = w.run("postsign", "-dry-run")
	if r.code != exitFail || !strings.Contains(r.stderr, want) || strings.Contains(r.stderr, "rom_ext:signature_test,") {
		t.Errorf("postsign -dry-run: exit %d, want 1 and %q:\n%s\n%s", r.code, want, r.stdout, r.stderr)
	}
	w.write(filepath.Join(w.bazelDir, "known-labels"), "@provisioning_exts//open/rom_ext:rom_ext_release_v2\n@provisioning_exts//open/perso:signature_test_v2\n")
	r = w.run("postsign", "-dry-run")
	if r.code != 0 || !strings.Contains(r.stdout, "bazel query finds @provisioning_exts//open/perso:perso_release and @provisioning_exts//open/rom_ext:rom_ext_release_v2") {
		t.Errorf("postsign -dry-run with every label known: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}
