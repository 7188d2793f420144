package github_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/github"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/github/githubtest"
)

// TestReleaseLifecycle drives the write operations against the fake
// GitHub: a draft, an upload, publishing, and the errors for duplicates.
func TestReleaseLifecycle(t *testing.T) {
	srv := githubtest.New(t)
	srv.Token = token
	bare := githubtest.NewRepository(t)
	srv.AddRepository("acme/sku", bare)
	c, err := github.New(github.Options{APIURL: srv.APIURL(), UploadURL: srv.UploadURL(), Token: token})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const repo = "acme/sku"

	if _, err := c.FindRelease(ctx, repo, "v1"); !errors.Is(err, github.ErrNotFound) {
		t.Fatalf("FindRelease before creation: %v", err)
	}
	rel, err := c.CreateRelease(ctx, repo, github.NewRelease{Tag: "v1", Name: "One", Draft: true, Prerelease: true})
	if err != nil {
		t.Fatal(err)
	}
	if !rel.Draft || !rel.Prerelease || rel.ID == 0 || !strings.HasPrefix(rel.UploadURL, srv.UploadURL()) || strings.Contains(rel.UploadURL, "{") {
		t.Errorf("created %+v", rel)
	}
	// Drafts are invisible to GET .../tags/{tag}, but FindRelease finds them.
	if _, err := c.ReleaseByTag(ctx, repo, "v1"); !errors.Is(err, github.ErrNotFound) {
		t.Errorf("ReleaseByTag of a draft: %v", err)
	}
	found, err := c.FindRelease(ctx, repo, "v1")
	if err != nil || found.ID != rel.ID {
		t.Fatalf("FindRelease = %+v, %v", found, err)
	}

	file := filepath.Join(t.TempDir(), "a.tar.xz")
	os.WriteFile(file, []byte("archive bytes"), 0o644)
	a, err := c.UploadAsset(ctx, rel, "a.tar.xz", file, "application/x-xz")
	if err != nil {
		t.Fatal(err)
	}
	if a.Name != "a.tar.xz" || a.Size != 13 || a.SHA256 != fmt.Sprintf("%x", sha256.Sum256([]byte("archive bytes"))) || a.State != "uploaded" {
		t.Errorf("uploaded %+v", a)
	}
	if _, err := c.UploadAsset(ctx, rel, "a.tar.xz", file, ""); !errors.Is(err, github.ErrExists) {
		t.Errorf("second upload: %v, want ErrExists", err)
	}
	assets, err := c.ReleaseAssets(ctx, repo, rel.ID)
	if err != nil || len(assets) != 1 || assets[0].SHA256 != a.SHA256 {
		t.Errorf("assets %+v, %v", assets, err)
	}

	// The draft has no tag; publishing creates it at the default branch,
	// as GitHub does.
	if _, err := c.TagCommit(ctx, repo, "v1"); !errors.Is(err, github.ErrNotFound) {
		t.Errorf("TagCommit of a draft's tag: %v", err)
	}
	pub, err := c.PublishRelease(ctx, repo, rel.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := c.TagCommit(ctx, repo, "v1"); err != nil || got != revParse(t, bare, "main") {
		t.Errorf("TagCommit after publishing = %q, %v; want main", got, err)
	}
	if pub.Draft || !strings.HasSuffix(pub.Assets[0].URL, "/acme/sku/releases/download/v1/a.tar.xz") {
		t.Errorf("published %+v", pub)
	}
	if got, err := c.Release(ctx, repo, rel.ID); err != nil || got.Draft {
		t.Errorf("Release = %+v, %v", got, err)
	}
	if _, err := c.CreateRelease(ctx, repo, github.NewRelease{Tag: "v1"}); !errors.Is(err, github.ErrExists) {
		t.Errorf("second release for v1: %v, want ErrExists", err)
	}
	for _, call := range srv.Calls() {
		if strings.Contains(call.Path, token) {
			t.Errorf("token in %s", call.Path)
		}
	}
}

// revParse returns the object rev names in the bare repository dir.
func revParse(t *testing.T, dir, rev string) string {
	t.Helper()
	out, err := exec.Command("git", "--git-dir="+dir, "rev-parse", rev).Output()
	if err != nil {
		t.Fatalf("git rev-parse %s: %v", rev, err)
	}
	return strings.TrimSpace(string(out))
}

func TestPullRequests(t *testing.T) {
	srv := githubtest.New(t)
	bare := githubtest.NewRepository(t)
	srv.AddRepository("acme/sku", bare)
	if out, err := exec.Command("git", "--git-dir="+bare, "branch", "feature", "main").CombinedOutput(); err != nil {
		t.Fatalf("git branch: %v\n%s", err, out)
	}
	c, err := github.New(github.Options{APIURL: srv.APIURL()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if pr, err := c.FindPullRequest(ctx, "acme/sku", "feature", "main"); pr != nil || err != nil {
		t.Fatalf("FindPullRequest before creation = %+v, %v", pr, err)
	}
	pr, err := c.CreatePullRequest(ctx, "acme/sku", github.NewPullRequest{Title: "T", Head: "feature", Base: "main"})
	if err != nil {
		t.Fatal(err)
	}
	if pr.Number != 1 || pr.State != "open" || pr.Head != "feature" || pr.Base != "main" || pr.HTMLURL == "" {
		t.Errorf("created %+v", pr)
	}
	if _, err := c.CreatePullRequest(ctx, "acme/sku", github.NewPullRequest{Title: "T", Head: "feature", Base: "main"}); err == nil || !strings.Contains(err.Error(), "A pull request already exists") {
		t.Errorf("second pull request: %v", err)
	}
	srv.SetPullState(1, "closed")
	got, err := c.FindPullRequest(ctx, "acme/sku", "feature", "main")
	if err != nil || got == nil || got.Number != 1 || got.State != "closed" || got.Merged {
		t.Errorf("FindPullRequest = %+v, %v", got, err)
	}
	// A merged pull request is found, and says so.
	srv.SetPullState(1, "merged")
	got, err = c.FindPullRequest(ctx, "acme/sku", "feature", "main")
	if err != nil || got == nil || got.Number != 1 || got.State != "closed" || !got.Merged {
		t.Errorf("FindPullRequest of a merged one = %+v, %v", got, err)
	}
	if got, _ := c.FindPullRequest(ctx, "acme/sku", "other", "main"); got != nil {
		t.Errorf("found %+v for another branch", got)
	}
}

// TestWriteErrors checks the messages of failed writes: they name the
// operation and the request, hide the token, and writes are not retried.
func TestWriteErrors(t *testing.T) {
	srv := githubtest.New(t)
	srv.AddRepository("acme/sku", githubtest.NewRepository(t))
	srv.Fail(githubtest.Rule{Method: "POST", Path: "/releases", Status: 500})
	c, err := github.New(github.Options{APIURL: srv.APIURL(), Token: token, Retries: 3, Backoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateRelease(context.Background(), "acme/sku", github.NewRelease{Tag: "v1"})
	want := `creating the release for tag "v1" of acme/sku: POST ` + srv.APIURL() + `repos/acme/sku/releases: 500 Internal Server Error: injected failure (500)`
	if err == nil || err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}
	if n := len(srv.Calls()); n != 1 {
		t.Errorf("%d calls, want 1 (no retry of a write)", n)
	}
	// Reads are retried.
	srv.Fail(githubtest.Rule{Method: "GET", Path: "/releases", Status: 502})
	if _, err := c.FindRelease(context.Background(), "acme/sku", "v1"); !errors.Is(err, github.ErrNotFound) {
		t.Errorf("FindRelease after a transient failure: %v", err)
	}
	// The upload URL must be on a host that may see the token.
	rel := &github.Release{Repository: "acme/sku", Tag: "v1", ID: 1, UploadURL: "https://evil.example.com/upload"}
	if _, err := c.UploadAsset(context.Background(), rel, "a", os.DevNull, ""); err == nil || !strings.Contains(err.Error(), "not on the API or upload host") {
		t.Errorf("upload elsewhere: %v", err)
	}
}

// TestTagCommit peels tags as GitHub's git database API shows them: a
// lightweight tag's ref names the commit, an annotated one's a tag object
// (possibly of another tag object). Reads are retried; a missing tag is
// ErrNotFound.
func TestTagCommit(t *testing.T) {
	const (
		commit = "1111111111111111111111111111111111111111"
		outer  = "2222222222222222222222222222222222222222"
		inner  = "3333333333333333333333333333333333333333"
	)
	var flaky atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		ref := func(typ, sha string) {
			fmt.Fprintf(w, `{"ref": "refs/%s", "node_id": "REF_x", "url": "u", "object": {"type": %q, "sha": %q, "url": "u"}}`, strings.TrimPrefix(r.URL.Path, "/repos/acme/sku/git/ref/"), typ, sha)
		}
		switch r.URL.Path {
		case "/repos/acme/sku/git/ref/tags/light":
			if flaky.Add(1) == 1 {
				w.WriteHeader(http.StatusBadGateway)
				fmt.Fprint(w, `{"message": "flaky"}`)
				return
			}
			ref("commit", commit)
		case "/repos/acme/sku/git/ref/tags/annotated":
			ref("tag", outer)
		case "/repos/acme/sku/git/ref/tags/tree":
			ref("tree", commit)
		case "/repos/acme/sku/git/tags/" + outer:
			fmt.Fprintf(w, `{"sha": %q, "tag": "annotated", "message": "m", "object": {"type": "tag", "sha": %q}}`, outer, inner)
		case "/repos/acme/sku/git/tags/" + inner:
			fmt.Fprintf(w, `{"sha": %q, "tag": "inner", "message": "m", "object": {"type": "commit", "sha": %q}}`, inner, commit)
		default:
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"message": "Not Found"}`)
		}
	}))
	defer srv.Close()
	c, err := github.New(github.Options{APIURL: srv.URL, Token: token, Retries: 1, Backoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, tag := range []string{"light", "annotated"} {
		if got, err := c.TagCommit(ctx, "acme/sku", tag); err != nil || got != commit {
			t.Errorf("TagCommit(%s) = %q, %v; want %s", tag, got, err, commit)
		}
	}
	if flaky.Load() != 2 {
		t.Errorf("%d requests for the flaky tag, want 2 (one retry)", flaky.Load())
	}
	_, err = c.TagCommit(ctx, "acme/sku", "missing")
	if !errors.Is(err, github.ErrNotFound) || !strings.Contains(err.Error(), `tag "missing" of acme/sku: GET `+srv.URL+`/repos/acme/sku/git/ref/tags/missing: 404 Not Found`) {
		t.Errorf("missing tag: %v", err)
	}
	if _, err := c.TagCommit(ctx, "acme/sku", "tree"); err == nil || !strings.Contains(err.Error(), `names a "tree" object`) {
		t.Errorf("tag of a tree: %v", err)
	}
}

// TestDeleteAsset sends DELETE .../releases/assets/{id}, once; a missing
// asset is ErrNotFound.
func TestDeleteAsset(t *testing.T) {
	var calls []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls = append(calls, r.Method+" "+r.URL.Path)
		if r.URL.Path == "/repos/acme/sku/releases/assets/7" {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"message": "Not Found"}`)
	}))
	defer srv.Close()
	c, err := github.New(github.Options{APIURL: srv.URL, Token: token, Retries: 3, Backoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteAsset(context.Background(), "acme/sku", 7); err != nil {
		t.Errorf("DeleteAsset(7): %v", err)
	}
	if err := c.DeleteAsset(context.Background(), "acme/sku", 8); !errors.Is(err, github.ErrNotFound) || !strings.Contains(err.Error(), "deleting asset 8 of acme/sku: DELETE ") {
		t.Errorf("DeleteAsset(8): %v", err)
	}
	if want := []string{"DELETE /repos/acme/sku/releases/assets/7", "DELETE /repos/acme/sku/releases/assets/8"}; !slices.Equal(calls, want) {
		t.Errorf("calls %q, want %q", calls, want)
	}
}

// TestReleaseTarget: Release carries target_commitish.
func TestReleaseTarget(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"id": 1, "tag_name": "v1", "target_commitish": "release/x", "draft": true}`)
	}))
	defer srv.Close()
	c, err := github.New(github.Options{APIURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	rel, err := c.Release(context.Background(), "acme/sku", 1)
	if err != nil || rel.Target != "release/x" {
		t.Errorf("Release = %+v, %v; want Target release/x", rel, err)
	}
}
