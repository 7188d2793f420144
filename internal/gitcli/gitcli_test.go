package gitcli_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/gitcli"
)

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=T", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=T",
		"GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_GLOBAL="+os.DevNull, "GIT_CONFIG_NOSYSTEM=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func TestRepo(t *testing.T) {
	dir := t.TempDir()
	remote, work := filepath.Join(dir, "remote.git"), filepath.Join(dir, "work")
	git(t, dir, "-c", "init.defaultBranch=main", "init", "--quiet", "--bare", remote)
	git(t, dir, "-c", "init.defaultBranch=main", "init", "--quiet", work)
	os.WriteFile(filepath.Join(work, "a.txt"), []byte("a\n"), 0o644)
	git(t, work, "add", ".")
	git(t, work, "commit", "--quiet", "-m", "one")
	git(t, work, "remote", "add", "origin", remote)
	head := git(t, work, "rev-parse", "HEAD")

	ctx := context.Background()
	r, err := gitcli.Open(ctx, filepath.Join(work))
	if err != nil {
		t.Fatal(err)
	}
	r.Env = []string{"GIT_AUTHOR_NAME=T", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=T", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_GLOBAL=" + os.DevNull}
	var traced []string
	r.Trace = func(format string, args ...any) { traced = append(traced, fmt.Sprintf(format, args...)) }
	if err := r.Tag(ctx, "V1_rc00", head, "line one\nline two"); err != nil {
		t.Fatal(err)
	}
	if tags, err := r.LocalTags(ctx, "V1_*"); err != nil || tags["V1_rc00"] != head {
		t.Errorf("LocalTags = %v, %v; want the peeled commit %s", tags, err, head)
	}
	if err := r.Push(ctx, "origin", "refs/tags/V1_rc00", "refs/heads/main"); err != nil {
		t.Fatal(err)
	}
	refs, err := r.RemoteRefs(ctx, "origin", "refs/tags/V1_rc00", "refs/heads/main", "refs/heads/missing")
	if err != nil || refs["refs/tags/V1_rc00"] != head || refs["refs/heads/main"] != head || len(refs) != 2 {
		t.Errorf("RemoteRefs = %v, %v; want the annotated tag peeled to %s", refs, err, head)
	}
	if got := strings.Join(traced, "\n"); !strings.Contains(got, "tag --annotate --message 'line one ...' V1_rc00") {
		t.Errorf("trace:\n%s", got)
	}
	if c, err := r.RevParse(ctx, "refs/heads/nope"); c != "" || err != nil {
		t.Errorf("RevParse(missing) = %q, %v", c, err)
	}
	if b, err := r.CurrentBranch(ctx); b != "main" || err != nil {
		t.Errorf("CurrentBranch = %q, %v", b, err)
	}
	if st, err := r.Status(ctx); st != "" || err != nil {
		t.Errorf("Status = %q, %v", st, err)
	}
	data, ok, err := r.Show(ctx, "V1_rc00", "a.txt")
	if string(data) != "a\n" || !ok || err != nil {
		t.Errorf("Show = %q, %v, %v", data, ok, err)
	}
	if _, ok, err := r.Show(ctx, "HEAD", "missing.txt"); ok || err != nil {
		t.Errorf("Show(missing) = %v, %v", ok, err)
	}
	if err := r.CreateBranch(ctx, "release/x", "V1_rc00"); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(work, "b.txt"), []byte("b\n"), 0o644)
	c, err := r.Commit(ctx, "two", "b.txt")
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := r.IsAncestor(ctx, head, c); !ok || err != nil {
		t.Errorf("IsAncestor = %v, %v", ok, err)
	}
	if ok, _ := r.IsAncestor(ctx, c, head); ok {
		t.Error("a child is an ancestor of its parent")
	}
	if files, err := r.TrackedFiles(ctx, "."); err != nil || strings.Join(files, ",") != "a.txt,b.txt" {
		t.Errorf("TrackedFiles = %v, %v", files, err)
	}
	err = r.Push(ctx, "origin", "refs/heads/nope")
	if err == nil || !strings.Contains(err.Error(), "git push --quiet --atomic origin refs/heads/nope: ") {
		t.Errorf("failed push: %v", err)
	}
}
