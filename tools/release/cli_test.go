package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
		if len(args) == 2 && !strings.Contains(out, "-dry-run") {
			t.Errorf("%v: no flags listed:\n%s", args, out)
		}
	}
}

// TestUsageErrors checks the errors for bad command lines.
func TestUsageErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args  []string
		token string
		code  int
		want  string
	}{
		{nil, "ghp_x123", exitUsage, "Usage: release"},
		{[]string{"publish"}, "ghp_x123", exitUsage, `unknown command "publish"`},
		{[]string{"presign", "-target", "//a:b", "-repo", "a/b"}, "ghp_x123", exitUsage, "-artifact is required"},
		{[]string{"presign", "-artifact", "ft", "-target", "//a:b", "-repo", "a/b"}, "ghp_x123", exitUsage, `unknown artifact "ft"; use one of perso, rom_ext`},
		{[]string{"presign", "-artifact", "perso", "-repo", "a/b"}, "ghp_x123", exitUsage, "-target is required"},
		{[]string{"presign", "-artifact", "perso", "-target", "//a:b"}, "ghp_x123", exitUsage, "-repo is required"},
		{[]string{"presign", "-artifact", "perso", "-target", "//a:b", "-repo", "a/b", "-date", "2026-05-13"}, "ghp_x123", exitUsage, "yyyymmdd"},
		{[]string{"presign", "-artifact", "perso", "-target", "//a:b", "-repo", "a/b", "-rc", "100"}, "ghp_x123", exitUsage, "-rc must be between 0 and 99"},
		{[]string{"presign", "-artifact", "perso", "-target", "//a:b", "-repo", "a/b", "stray"}, "ghp_x123", exitUsage, `unexpected argument "stray"`},
		{[]string{"presign", "-artifact", "perso", "-target", "//a:b", "-repo", "a/b"}, "", exitFail, "GITHUB_TOKEN is not set"},
		{[]string{"postsign", "-repo", "a/b", "-api-url", "http://example.com/"}, "ghp_x123", exitUsage, "-api-url"},
	} {
		var stdout, stderr bytes.Buffer
		e := &env{stdout: &stdout, stderr: &stderr, wd: t.TempDir(), getenv: func(k string) string {
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

// TestPreconditions checks the errors for a checkout the tool refuses.
func TestPreconditions(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.write(filepath.Join(w.work, "stray.txt"), "x")
	r := w.run("presign", "-artifact", "perso", "-target", "//fw:perso_presign")
	if r.code != exitFail || !strings.Contains(r.stderr, "uncommitted changes or untracked files") || !strings.Contains(r.stderr, "stray.txt") {
		t.Errorf("dirty tree: exit %d\n%s", r.code, r.stderr)
	}
	os.Remove(filepath.Join(w.work, "stray.txt"))
	r = w.run("postsign", "-target", "//fw:perso_signed")
	if r.code != exitFail || !strings.Contains(r.stderr, "branch main") && !strings.Contains(r.stderr, "release/state.json") {
		t.Errorf("postsign on main: exit %d\n%s", r.code, r.stderr)
	}
	w.presign()
	r = w.run("postsign", "-artifact", "rom_ext", "-target", "//fw:perso_signed")
	if r.code != exitFail || !strings.Contains(r.stderr, "releases perso, not rom_ext") {
		t.Errorf("postsign for the wrong artifact: exit %d\n%s", r.code, r.stderr)
	}
	// Someone else pushed the signatures: the local branch is behind.
	w.sign(branch)
	w.git(w.work, "reset", "--quiet", "--hard", "HEAD^")
	r = w.run("postsign", "-target", "//fw:perso_signed")
	if r.code != exitFail || !strings.Contains(r.stderr, "git pull --ff-only") {
		t.Errorf("postsign behind the remote: exit %d\n%s", r.code, r.stderr)
	}
}

// TestDeterministicBuild builds the pre-signing archive in two separate
// repositories with the same content (the fake bazel gives its outputs
// random timestamps): the archives must be identical, byte for byte.
func TestDeterministicBuild(t *testing.T) {
	t.Parallel()
	var archives [][]byte
	for i := 0; i < 2; i++ {
		w := newWorld(t)
		out := filepath.Join(w.dir, "out")
		w.presign("-out", out)
		b, err := os.ReadFile(filepath.Join(out, "presign_perso.tar.xz"))
		if err != nil {
			t.Fatal(err)
		}
		if got := w.gh.Releases()[0].Assets[0].Data; !bytes.Equal(got, b) {
			t.Error("the uploaded asset differs from the archive in -out")
		}
		archives = append(archives, b)
	}
	if !bytes.Equal(archives[0], archives[1]) {
		t.Error("two builds of the same commit gave different archives")
	}
}
