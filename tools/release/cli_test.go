package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/download"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/extrasfile"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/release"
)

// TestHelp checks -h and --help on the tool and each command.
func TestHelp(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"-h"}, {"--help"}, {"help"}, {"presign", "-h"}, {"presign", "--help"}, {"postsign", "-h"}, {"help", "postsign"}} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), args, &env{stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }})
		out := stdout.String()
		if code != 0 || stderr.Len() != 0 || !strings.Contains(out, "Usage: release") || !strings.Contains(out, "Examples:") {
			t.Errorf("%v: exit %d\nstdout:\n%s\nstderr:\n%s", args, code, out, stderr.String())
		}
		if len(args) == 2 && (!strings.Contains(out, "-dry-run") || !strings.Contains(out, "-opentitan dir")) {
			t.Errorf("%v: no flags listed:\n%s", args, out)
		}
	}
}

// TestUsageErrors checks the errors for bad command lines.
func TestUsageErrors(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	for _, tc := range []struct {
		args  []string
		token string
		code  int
		want  string
	}{
		{nil, "ghp_x123", exitUsage, "Usage: release"},
		{[]string{"publish"}, "ghp_x123", exitUsage, `unknown command "publish"`},
		{[]string{"presign", "-opentitan", w.ot}, "ghp_x123", exitUsage, "-repo is required"},
		{[]string{"presign", "-repo", "a/b"}, "ghp_x123", exitUsage, "-opentitan is required"},
		{[]string{"presign", "-repo", "a", "-opentitan", w.ot}, "ghp_x123", exitUsage, `-repo "a" is not of the form owner/name`},
		{[]string{"presign", "-repo", "a/b", "-opentitan", w.ot, "-artifacts", "ft"}, "ghp_x123", exitUsage, `-artifacts: unknown artifact "ft"; the settings name perso, rom_ext`},
		{[]string{"presign", "-repo", "a/b", "-opentitan", w.ot, "-date", "2026-05-13"}, "ghp_x123", exitUsage, "yyyymmdd"},
		{[]string{"presign", "-repo", "a/b", "-opentitan", w.ot, "-rc", "100"}, "ghp_x123", exitUsage, "-rc must be between 0 and 99"},
		{[]string{"presign", "-repo", "a/b", "-opentitan", w.ot, "stray"}, "ghp_x123", exitUsage, `unexpected argument "stray"`},
		{[]string{"presign", "-repo", "a/b", "-opentitan", w.ot, "-config", "../x.json"}, "ghp_x123", exitUsage, `"../x.json" must be a path inside the checkout`},
		{[]string{"presign", "-repo", "a/b", "-opentitan", w.ot, "-config", "nope.json"}, "ghp_x123", exitFail, "reading the artifact settings: open " + filepath.Join(w.work, "nope.json")},
		{[]string{"presign", "-repo", "a/b", "-opentitan", w.ot, "-config", "skus/extras.json"}, "ghp_x123", exitFail, "skus/extras.json: no artifacts"},
		{[]string{"presign", "-repo", "a/b", "-opentitan", w.ot}, "", exitFail, "GITHUB_TOKEN is not set"},
		{[]string{"postsign", "-repo", "a/b", "-opentitan", w.ot, "-api-url", "http://example.com/"}, "ghp_x123", exitUsage, "-api-url"},
		{[]string{"postsign", "-repo", "a/b", "-opentitan", w.ot, "-server-url", "ftp://example.com/"}, "ghp_x123", exitUsage, "-server-url"},
		{[]string{"postsign", "-repo", "a/b", "-opentitan", w.ot, "-retries", "-1"}, "ghp_x123", exitUsage, "-retries must not be negative"},
	} {
		var stdout, stderr bytes.Buffer
		e := &env{stdout: &stdout, stderr: &stderr, wd: w.work, getenv: func(k string) string {
			if k == "GITHUB_TOKEN" {
				return tc.token
			}
			return ""
		}}
		code := run(context.Background(), tc.args, e)
		if code != tc.code || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr:\n%s\nwant exit %d and %q", tc.args, code, stderr.String(), tc.code, tc.want)
		}
	}
}

// TestPreconditions checks the errors for checkouts the tool refuses.
func TestPreconditions(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.write(filepath.Join(w.work, "stray.txt"), "x")
	r := w.run("presign")
	if r.code != exitFail || !strings.Contains(r.stderr, "the working tree "+w.work+" has uncommitted changes or untracked files") || !strings.Contains(r.stderr, "stray.txt") {
		t.Errorf("dirty tree: exit %d\n%s", r.code, r.stderr)
	}
	os.Remove(filepath.Join(w.work, "stray.txt"))
	w.write(filepath.Join(w.ot, "local.patch"), "x")
	r = w.run("presign")
	if r.code != exitFail || !strings.Contains(r.stderr, "the OpenTitan checkout "+w.ot+" has uncommitted changes") {
		t.Errorf("dirty OpenTitan: exit %d\n%s", r.code, r.stderr)
	}
	os.Remove(filepath.Join(w.ot, "local.patch"))
	for ot, want := range map[string]string{
		w.dir:  "has no MODULE.bazel; -opentitan must name an OpenTitan checkout",
		w.work: "-opentitan names this checkout",
	} {
		r = w.runEnv(w.work, nil, append(append([]string{"presign"}, w.common()...), "-opentitan", ot)...)
		if r.code != exitFail || !strings.Contains(r.stderr, want) {
			t.Errorf("-opentitan %s: exit %d\n%s", ot, r.code, r.stderr)
		}
	}
	r = w.run("postsign")
	if r.code != exitFail || !strings.Contains(r.stderr, "branch main") && !strings.Contains(r.stderr, "release/state.json") {
		t.Errorf("postsign on main: exit %d\n%s", r.code, r.stderr)
	}
	w.presign()
	r = w.run("postsign", "-artifacts", "rom_ext")
	if r.code != exitFail || !strings.Contains(r.stderr, "releases perso, rom_ext, not rom_ext") {
		t.Errorf("postsign for the wrong artifacts: exit %d\n%s", r.code, r.stderr)
	}
	r = w.run("postsign", "-branch", "main")
	if r.code != exitFail || !strings.Contains(r.stderr, "branch main has no release/state.json; postsign runs on a release branch that presign made") || w.git(w.work, "branch", "--show-current") != branch {
		t.Errorf("postsign -branch main: exit %d\n%s", r.code, r.stderr)
	}
	// Someone else pushed the signatures: the local branch is behind.
	w.sign(branch)
	w.git(w.work, "reset", "--quiet", "--hard", "HEAD^")
	r = w.run("postsign")
	if r.code != exitFail || !strings.Contains(r.stderr, "git pull --ff-only") {
		t.Errorf("postsign behind the remote: exit %d\n%s", r.code, r.stderr)
	}
}

// TestFlags runs a whole release with every flag that has a default set
// to something else, from another directory, and checks each one's
// effect.
func TestFlags(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	// Another remote name, main branch, settings, extras and state paths.
	w.git(w.work, "remote", "rename", "origin", "upstream")
	w.git(w.work, "branch", "-m", "main", "trunk")
	w.git(w.work, "push", "--quiet", w.remote, "trunk")
	w.git(w.remote, "symbolic-ref", "HEAD", "refs/heads/trunk")
	w.git(w.remote, "branch", "-D", "main")
	w.git(w.work, "mv", "release/artifacts.json", "cfg.json")
	w.git(w.work, "mv", "skus/extras.json", "skus/other.json")
	w.git(w.work, "commit", "--quiet", "-m", "move things")
	w.git(w.work, "push", "--quiet", w.remote, "trunk")
	elsewhere := t.TempDir()
	flags := []string{
		"-C", w.work, "-config", "cfg.json", "-extras", "skus/other.json", "-state", "meta/run.json",
		"-remote", "upstream", "-base", "trunk", "-title", "Provisioning 2026-05-13", "-notes", "Hand-written notes.",
		"-bazel-arg=--config=release", "-bazel-arg", "--jobs=2", "-upload-url", w.gh.UploadURL(), "-lock-timeout", "5s",
	}
	// The OpenTitan checkout is given relative to the directory the tool
	// runs in; under bazel run that is $BUILD_WORKING_DIRECTORY.
	rel, err := filepath.Rel(elsewhere, w.ot)
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"BUILD_WORKING_DIRECTORY": elsewhere, "BUILD_WORKSPACE_DIRECTORY": w.dir}
	common := append(w.common(), flags...)
	for i, f := range common {
		if f == w.ot {
			common[i] = rel
		}
	}
	r := w.runEnv(t.TempDir(), vars, append([]string{"presign", "-artifacts", "rom_ext", "-date", "20260601", "-rc", "7"}, common...)...)
	if r.code != 0 {
		t.Fatalf("presign: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	const b = "release/rom_ext_20260601_rc07"
	if w.remoteRef("refs/tags/ROM_EXT_BUILD_20260601_rc07") == "" || w.remoteRef("refs/heads/"+b) == "" {
		t.Errorf("remote refs:\n%s", w.remoteRefs())
	}
	for _, f := range []string{"skus/other.json", "meta/run.json"} {
		if out := w.git(w.work, "show", "--name-only", "--format=", b); !strings.Contains(out, f) {
			t.Errorf("the presign commit does not change %s: %s", f, out)
		}
	}
	if log := w.bazelLog(); !strings.Contains(log, "--config=release --jobs=2") {
		t.Errorf("bazel did not get the -bazel-arg options:\n%s", log)
	}
	rels := w.gh.Releases()
	if rels[0].Name != "Provisioning 2026-05-13" || rels[0].Body != "Hand-written notes." {
		t.Errorf("release title %q, notes %q", rels[0].Name, rels[0].Body)
	}
	w.statePath = "meta/run.json"
	w.sign(b)
	r = w.runEnv(t.TempDir(), vars, append([]string{"postsign", "-branch", b, "-artifacts", "rom_ext"}, common...)...)
	if r.code != 0 {
		t.Fatalf("postsign: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if pulls := w.gh.Pulls(); len(pulls) != 1 || pulls[0].Base != "trunk" || pulls[0].Head != b+"-to-trunk" {
		t.Errorf("pull requests %+v", pulls)
	}
	if got := w.git(w.remote, "show", b+"-to-trunk:skus/other.json"); !strings.Contains(got, "rom_ext_release") {
		t.Errorf("the pull request's extras:\n%s", got)
	}
}

// TestEveryFlagIsTested checks that each flag of each command appears,
// as "-name" or "-name=", in this package's tests, so that none goes
// untried: the tests above give each one a non-default value.
func TestEveryFlagIsTested(t *testing.T) {
	var src strings.Builder
	files, _ := filepath.Glob("*_test.go")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src.Write(b)
	}
	for _, cmd := range commands {
		fs := flag.NewFlagSet(cmd.name, flag.ContinueOnError)
		var o options
		o.register(cmd, fs, &env{getenv: func(string) string { return "" }})
		fs.VisitAll(func(f *flag.Flag) {
			if !regexp.MustCompile(`"-` + regexp.QuoteMeta(f.Name) + `[="]`).MatchString(src.String()) {
				t.Errorf("%s: no test passes -%s", cmd.name, f.Name)
			}
		})
	}
}

// TestExplain checks that the tool names its flags in the typed errors of
// the libraries, which do not, wherever they are wrapped.
func TestExplain(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("downloading u to verify it: %w", &download.Error{URL: "u", Attempts: 1, Err: &download.TooLargeError{Limit: 100, Announced: 266}}),
			"downloading u to verify it: u: the archive is too large: its announced size, 266 bytes, is more than the limit of 100 bytes, so nothing was downloaded; raise -max-size if it is really that large"},
		{&download.Error{URL: "u", Attempts: 1, Err: &download.DeadlineError{Deadline: time.Second, Attempts: 1, Received: 3, Total: -1}},
			"u: gave up after 1s; the server sent 3 bytes; raise -deadline if the server is just slow"},
		{&extrasfile.LockTimeoutError{Holder: "another process", Lock: "skus/extras.json.lock", Timeout: 5 * time.Second},
			"another process holds the lock skus/extras.json.lock: wait for it to finish and run the command again (or raise -lock-timeout, now 5s)"},
		{&release.StepError{Half: "presign", Step: 1, Name: "tag", Err: &release.SettingError{Setting: "RC"}}, "presign step 1 (tag): -rc"},
	} {
		if got := explain(tc.err); got != tc.want {
			t.Errorf("explain(%v):\n got %s\nwant %s", tc.err, got, tc.want)
		}
	}
	// Every setting's flag exists.
	for setting, name := range settingFlags {
		found := false
		for _, cmd := range commands {
			fs := flag.NewFlagSet(cmd.name, flag.ContinueOnError)
			var o options
			o.register(cmd, fs, &env{getenv: func(string) string { return "" }})
			found = found || fs.Lookup(strings.TrimPrefix(name, "-")) != nil
		}
		if !found {
			t.Errorf("setting %s: no flag %s", setting, name)
		}
	}
}
