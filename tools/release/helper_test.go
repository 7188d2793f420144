package main

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/github"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/github/githubtest"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/helperbuild"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/helperlock"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/release"
)

// helperWorld is a world whose main branch holds the helper's sources (this
// module's HELPER_SRCS) and a lock with no binaries, pinning the Go that
// runs the tests, so that no toolchain is downloaded.
func helperWorld(t *testing.T) (w *world, digest, tag string) {
	t.Helper()
	w = newWorld(t)
	w.httpsGitHub()
	files, err := helperbuild.ReadSources("../..")
	if err != nil {
		t.Fatal(err)
	}
	digest = helperlock.SourcesDigest(files)
	srcs, err := os.ReadFile(filepath.Join("../..", helperbuild.SrcsFile))
	if err != nil {
		t.Fatal(err)
	}
	files[helperbuild.SrcsFile] = srcs
	for p, data := range files {
		w.write(filepath.Join(w.work, filepath.FromSlash(p)), string(data))
	}
	goVersion, err := (&helperbuild.Builder{}).GoVersion(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	v := strings.TrimPrefix(goVersion, "go")
	lock := &helperlock.Lock{GoVersion: v, SourcesSHA256: strings.Repeat("0", 64), Go: map[string]helperlock.GoSDK{}}
	for _, p := range helperlock.Platforms {
		lock.Go[p] = helperlock.GoSDK{SHA256: strings.Repeat("1", 64), StripPrefix: helperlock.GoStripPrefix(v, p), URL: helperlock.GoURL(v, p)}
	}
	w.write(filepath.Join(w.work, helperlock.Path), string(lock.Encode()))
	w.git(w.work, "add", ".")
	w.git(w.work, "commit", "--quiet", "-m", "the helper")
	w.git(w.work, "push", "--quiet", w.remote, "main")
	return w, digest, release.HelperTag(digest)
}

// httpsGitHub replaces the world's GitHub by one over HTTPS, whose
// certificate the tool trusts, so that the tool runs without
// -allow-insecure.
func (w *world) httpsGitHub() {
	gh := githubtest.Start(&tls.Config{})
	w.t.Cleanup(gh.Close)
	gh.Token = w.gh.Token
	gh.AddRepository(testRepo, w.remote)
	// git trusts the server's certificate through the checkout's
	// configuration.
	ca := filepath.Join(w.dir, "github-ca.pem")
	w.write(ca, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: gh.Certificate().Raw})))
	w.git(w.work, "config", "http.sslCAInfo", ca)
	w.git(w.work, "remote", "set-url", "origin", gh.GitURL(testRepo))
	w.gh = gh
	tr := gh.Client().Transport.(*http.Transport).Clone()
	tr.DisableCompression = true
	w.transport = tr
}

// helperFlags are the flags of every helper run: this world's GitHub over
// HTTPS, no retries.
func (w *world) helperFlags() []string {
	return []string{"-repo", testRepo, "-api-url", w.gh.APIURL(), "-server-url", w.gh.URL(),
		"-retries", "0", "-backoff", "1ms", "-timeout", "10s"}
}

func (w *world) helper(args ...string) result {
	w.t.Helper()
	return w.runEnv(w.work, nil, append(append([]string{"helper"}, args...), w.helperFlags()...)...)
}

// TestHelperPublish publishes the helper: tag, release with one asset per
// platform (the bytes that helperbuild makes), the branch with the lock
// and the pull request; then runs again, and again after the merge.
func TestHelperPublish(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-compiles the helper for four platforms; skipped under -short")
	}
	t.Parallel()
	w, digest, tag := helperWorld(t)
	head := w.git(w.work, "rev-parse", "HEAD")
	// The checkout's pre-push hook records the header git would send with
	// each push (the remote is a directory, which takes no header).
	header := filepath.Join(w.dir, "header")
	hook := filepath.Join(w.work, ".git", "hooks", "pre-push")
	w.write(hook, fmt.Sprintf("#!/bin/sh\ngit config --get %q >> %q\n", "http."+w.gh.URL()+"/.extraheader", header))
	os.Chmod(hook, 0o755)
	r := w.helper("-git-token", "-go", "go", "-lock", helperlock.Path)
	if r.code != 0 {
		t.Fatalf("helper: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	// -git-token: both pushes (tag, branch) carried the token.
	auth := "AUTHORIZATION: basic " + base64.StdEncoding.EncodeToString([]byte("x-access-token:"+testToken)) + "\n"
	if b, _ := os.ReadFile(header); string(b) != auth+auth {
		t.Errorf("the pushes sent the headers %q, want %q twice", b, auth)
	}
	for _, s := range []string{
		"helper step 1: sources", "have digest " + digest, "lists no prebuilt helper yet",
		"helper step 2", "built extras_helper-darwin_arm64 with Go",
		"helper step 3: release " + tag, "create the annotated tag " + tag, "GitHub's digest of extras_helper-linux_arm64 matches",
		"verified " + w.gh.URL() + "/" + testRepo + "/releases/download/" + tag + "/extras_helper-linux_amd64",
		"helper step 4", "push branch helper/" + tag, "helper step 5", "open a pull request from helper/" + tag + " into main",
	} {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("output lacks %q:\n%s", s, r.stdout)
		}
	}
	if got := w.remoteRef("refs/tags/" + tag); got != head {
		t.Errorf("tag %s is at %q on the remote, want HEAD %s", tag, got, head)
	}
	rels := w.gh.Releases()
	if len(rels) != 1 || rels[0].Tag != tag || rels[0].Draft || !rels[0].Prerelease {
		t.Fatalf("releases %+v, want one published prerelease of %s", rels, tag)
	}
	// The lock on the pull request's branch lists exactly the assets.
	branch := release.HelperBranch(tag)
	lock, err := helperlock.Parse("lock", []byte(w.git(w.remote, "show", branch+":"+helperlock.Path)+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if lock.SourcesSHA256 != digest {
		t.Errorf("sources_sha256 %s, want %s", lock.SourcesSHA256, digest)
	}
	var names []string
	for _, a := range rels[0].Assets {
		names = append(names, a.Name)
		p := strings.TrimPrefix(a.Name, "extras_helper-")
		sum := sha256.Sum256(a.Data)
		want := helperlock.Binary{SHA256: hex.EncodeToString(sum[:]), URL: w.gh.URL() + "/" + testRepo + "/releases/download/" + tag + "/" + a.Name}
		if lock.Helper[p] != want {
			t.Errorf("lock entry %s = %+v, want %+v", p, lock.Helper[p], want)
		}
		if p == runtime.GOOS+"_"+runtime.GOARCH {
			// The published binary is the helper.
			bin := filepath.Join(t.TempDir(), "extras_helper")
			os.WriteFile(bin, a.Data, 0o755)
			out, err := exec.Command(bin, "--help").Output()
			if err != nil || !strings.Contains(string(out), "extras_helper plan") {
				t.Errorf("%s --help: %v\n%s", a.Name, err, out)
			}
		}
	}
	slices.Sort(names)
	if want := []string{"extras_helper-darwin_amd64", "extras_helper-darwin_arm64", "extras_helper-linux_amd64", "extras_helper-linux_arm64"}; !slices.Equal(names, want) {
		t.Errorf("assets %v, want %v", names, want)
	}
	if parent := w.git(w.remote, "rev-parse", branch+"^"); parent != head {
		t.Errorf("%s is not one commit on main", branch)
	}
	if files := w.git(w.remote, "diff", "--name-only", "main", branch); files != helperlock.Path {
		t.Errorf("%s changes %q, want only %s", branch, files, helperlock.Path)
	}
	if pulls := w.gh.Pulls(); len(pulls) != 1 || pulls[0].Head != branch || pulls[0].Base != "main" {
		t.Errorf("pull requests %+v, want one from %s into main", pulls, branch)
	}

	// Again: everything exists and matches; nothing changes.
	os.Remove(hook)
	refs, mutations := w.remoteRefs(), w.gh.Mutations()
	r = w.helper()
	if r.code != 0 || !strings.Contains(r.stdout, "asset extras_helper-linux_amd64 is on release "+tag+" (sha256") ||
		!strings.Contains(r.stdout, "branch "+branch+" is on origin with the binaries") || !strings.Contains(r.stdout, "pull request #1 (open)") {
		t.Errorf("second run: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if w.remoteRefs() != refs || w.gh.Mutations() != mutations {
		t.Error("running again changed something")
	}

	// Merged: the lock lists these sources' binaries; nothing to do, not
	// even a build.
	w.git(w.work, "fetch", "--quiet", w.remote, branch)
	w.git(w.work, "merge", "--quiet", "--ff-only", "FETCH_HEAD")
	w.git(w.work, "push", "--quiet", w.remote, "main")
	r = w.helper()
	if r.code != 0 || !strings.Contains(r.stdout, "for every platform; nothing to do") || strings.Contains(r.stdout, "step 2") {
		t.Errorf("after the merge: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}

// TestHelperRefuses checks that an existing tag or asset that does not
// match is refused, never replaced.
func TestHelperRefuses(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-compiles the helper for four platforms; skipped under -short")
	}
	t.Parallel()
	ctx := context.Background()

	// An asset of other bytes on a draft of the tag.
	w, _, tag := helperWorld(t)
	gh, err := github.New(github.Options{APIURL: w.gh.APIURL(), Token: testToken, HTTPClient: w.gh.Client()})
	if err != nil {
		t.Fatal(err)
	}
	rel, err := gh.CreateRelease(ctx, testRepo, github.NewRelease{Tag: tag, Draft: true, Prerelease: true})
	if err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(t.TempDir(), "x")
	w.write(other, "not the helper")
	if _, err := gh.UploadAsset(ctx, rel, "extras_helper-linux_amd64", other, "application/octet-stream"); err != nil {
		t.Fatal(err)
	}
	mutations := w.gh.Mutations()
	r := w.helper()
	if r.code != exitFail || !strings.Contains(r.stderr, "helper step 3 (release): release "+tag+" has asset extras_helper-linux_amd64 with sha256") ||
		!strings.Contains(r.stderr, "nothing was changed") || !strings.Contains(r.stderr, "delete release "+tag+" and tag "+tag) {
		t.Errorf("mismatching asset: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if w.gh.Mutations() != mutations || len(w.gh.Pulls()) != 0 {
		t.Error("the run changed the release or opened a pull request")
	}

	// The tag, at a commit with other sources (here: none).
	w, digest, tag := helperWorld(t)
	w.git(w.work, "tag", tag, "HEAD~1")
	w.git(w.work, "push", "--quiet", w.remote, "refs/tags/"+tag)
	r = w.helper()
	if r.code != exitFail || !strings.Contains(r.stderr, "helper step 3 (release): tag "+tag+" is at ") || len(w.gh.Releases()) != 0 {
		t.Errorf("tag elsewhere: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	_ = digest
}

// TestHelperDryRun shows every step and changes nothing, without
// building.
func TestHelperDryRun(t *testing.T) {
	t.Parallel()
	w, _, tag := helperWorld(t)
	refs := w.remoteRefs()
	local := w.localRefs()
	r := w.helper("-dry-run")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, s := range []string{
		"[dry-run] helper step 1: sources", "would get Go", "would create the annotated tag " + tag,
		"would push tag " + tag, "would create the draft prerelease", "would upload extras_helper-darwin_amd64",
		"would create branch helper/" + tag, "would open a pull request from helper/" + tag + " into main", "[dry-run] nothing was changed.",
	} {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("output lacks %q:\n%s", s, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "built extras_helper") {
		t.Errorf("a dry run built:\n%s", r.stdout)
	}
	if w.remoteRefs() != refs || w.localRefs() != local || w.gh.Mutations() != 0 {
		t.Error("the dry run changed something")
	}
	// A checkout with changes is refused: they would be built, not tagged.
	w.write(filepath.Join(w.work, "tools", "extras_helper", "main.go"), "package main\n")
	if r := w.helper("-dry-run"); r.code != exitFail || !strings.Contains(r.stderr, "uncommitted changes") {
		t.Errorf("dirty checkout: exit %d\n%s", r.code, r.stderr)
	}
	// A malformed lock: the error names the file, the key and the fix.
	w, _, _ = helperWorld(t)
	lockFile := filepath.Join(w.work, helperlock.Path)
	b, _ := os.ReadFile(lockFile)
	w.write(lockFile, strings.Replace(string(b), `"go_version": "`, `"go_version": "go`, 1))
	w.git(w.work, "commit", "--quiet", "-am", "break the lock")
	if r := w.helper("-dry-run"); r.code != exitFail || !strings.Contains(r.stderr, "helper step 1 (sources): "+helperlock.Path+`: go_version: "go`) || !strings.Contains(r.stderr, `without the "go"`) {
		t.Errorf("malformed lock: exit %d\n%s", r.code, r.stderr)
	}
	// Help lists the command's flags and none of the halves'.
	if r := w.runEnv(w.work, nil, "helper", "-h"); r.code != 0 || !strings.Contains(r.stdout, "-git-token") || strings.Contains(r.stdout, "-opentitan") {
		t.Errorf("helper -h: exit %d\n%s", r.code, r.stdout)
	}
}

func TestGitTokenEnv(t *testing.T) {
	env := release.GitTokenEnv("https://github.com", "tok")
	want := []string{"GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=http.https://github.com/.extraheader",
		"GIT_CONFIG_VALUE_0=AUTHORIZATION: basic " + base64.StdEncoding.EncodeToString([]byte("x-access-token:tok"))}
	if !slices.Equal(env, want) {
		t.Errorf("GitTokenEnv = %q, want %q", env, want)
	}
}
