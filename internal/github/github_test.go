package github_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/github"
)

const token = "ghp_testtoken0123456789"

// releaseJSON is a release in the shape GitHub documents for
// GET /repos/{owner}/{repo}/releases/tags/{tag}.
const releaseJSON = `{
  "url": "https://api.github.com/repos/lowRISC/ot-sku/releases/1",
  "id": 1,
  "tag_name": "v1.0.0",
  "name": "Release 1.0.0",
  "draft": false,
  "prerelease": true,
  "assets": [
    {
      "url": "https://api.github.com/repos/lowRISC/ot-sku/releases/assets/10",
      "id": 10,
      "name": "perso_release.tar.xz",
      "content_type": "application/x-xz",
      "size": 1234,
      "digest": "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
      "browser_download_url": "https://github.com/lowRISC/ot-sku/releases/download/v1.0.0/perso_release.tar.xz"
    },
    {
      "url": "https://api.github.com/repos/lowRISC/ot-sku/releases/assets/11",
      "id": 11,
      "name": "notes.txt",
      "content_type": "text/plain",
      "size": 5,
      "digest": null,
      "browser_download_url": "https://github.com/lowRISC/ot-sku/releases/download/v1.0.0/notes.txt"
    }
  ]
}`

func TestReleaseByTag(t *testing.T) {
	var gotAuth, gotPath atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth.Store(r.Header.Get("Authorization"))
		gotPath.Store(r.URL.Path)
		fmt.Fprint(w, releaseJSON)
	}))
	defer srv.Close()
	c, err := github.New(github.Options{APIURL: srv.URL, Token: token})
	if err != nil {
		t.Fatal(err)
	}
	rel, err := c.ReleaseByTag(context.Background(), "lowRISC/ot-sku", "v1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	want := &github.Release{
		ID: 1, Repository: "lowRISC/ot-sku", Tag: "v1.0.0", Name: "Release 1.0.0", Prerelease: true,
		Assets: []github.Asset{
			{ID: 10, Name: "perso_release.tar.xz", URL: "https://github.com/lowRISC/ot-sku/releases/download/v1.0.0/perso_release.tar.xz",
				SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
				Digest: "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
				Size:   1234, ContentType: "application/x-xz"},
			{ID: 11, Name: "notes.txt", URL: "https://github.com/lowRISC/ot-sku/releases/download/v1.0.0/notes.txt",
				Size: 5, ContentType: "text/plain"},
		},
	}
	if diff := cmp.Diff(want, rel); diff != "" {
		t.Errorf("release (-want +got):\n%s", diff)
	}
	if got := gotAuth.Load(); got != "Bearer "+token {
		t.Errorf("Authorization = %q, want the token", got)
	}
	if got := gotPath.Load(); got != "/repos/lowRISC/ot-sku/releases/tags/v1.0.0" {
		t.Errorf("path = %q", got)
	}
}

func TestNoToken(t *testing.T) {
	var gotAuth atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth.Store(r.Header.Get("Authorization"))
		fmt.Fprint(w, releaseJSON)
	}))
	defer srv.Close()
	c, err := github.New(github.Options{APIURL: srv.URL + "/"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ReleaseByTag(context.Background(), "lowRISC/ot-sku", "v1.0.0"); err != nil {
		t.Fatal(err)
	}
	if got := gotAuth.Load(); got != "" {
		t.Errorf("Authorization = %q without a token", got)
	}
}

// The token must not follow a redirect to another host.
func TestTokenNotSentElsewhere(t *testing.T) {
	var otherAuth atomic.Value
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		otherAuth.Store(r.Header.Get("Authorization"))
		fmt.Fprint(w, releaseJSON)
	}))
	defer other.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusMovedPermanently)
	}))
	defer api.Close()
	c, err := github.New(github.Options{APIURL: api.URL, Token: token, AllowInsecure: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ReleaseByTag(context.Background(), "a/b", "v1"); err != nil {
		t.Fatal(err)
	}
	if got := otherAuth.Load(); got != "" {
		t.Errorf("the redirect target got Authorization %q", got)
	}
}

func TestErrors(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		switch r.URL.Path {
		case "/repos/a/b/releases/tags/missing":
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}`)
		case "/repos/a/b/releases/tags/flaky":
			if calls.Load() == 1 {
				w.WriteHeader(http.StatusBadGateway)
				return
			}
			fmt.Fprint(w, releaseJSON)
		case "/repos/a/b/releases/tags/broken":
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprintf(w, `{"message": "token %s rejected"}`, token)
		case "/repos/a/b/releases/tags/auth":
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"message": "Bad credentials"}`)
		}
	}))
	defer srv.Close()
	c, err := github.New(github.Options{APIURL: srv.URL, Token: token, Retries: 2, Backoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	_, err = c.ReleaseByTag(ctx, "a/b", "missing")
	// The message says what was asked and the answer; where the
	// repository and the tag came from (and so what to check) is the
	// caller's business, which finds the fields with errors.As.
	want := `release "missing" of a/b: not found (GET ` + srv.URL + `/repos/a/b/releases/tags/missing: 404 Not Found)`
	if err == nil || err.Error() != want || !errors.Is(err, github.ErrNotFound) {
		t.Errorf("missing release:\n got %v\nwant %s", err, want)
	}
	var nf *github.NotFoundError
	if !errors.As(fmt.Errorf("wrapped: %w", err), &nf) || nf.Repository != "a/b" || nf.Tag != "missing" || !nf.Token ||
		nf.Endpoint != "GET "+srv.URL+"/repos/a/b/releases/tags/missing" {
		t.Errorf("missing release: %#v, want a *NotFoundError with the repository, the tag, the request and Token set", err)
	}
	if strings.Contains(err.Error(), "-repo") || strings.Contains(err.Error(), "-tag") {
		t.Errorf("missing release: the message names a flag: %v", err)
	}

	calls.Store(0)
	if _, err := c.ReleaseByTag(ctx, "a/b", "flaky"); err != nil || calls.Load() != 2 {
		t.Errorf("flaky: %v after %d calls, want success after 2", err, calls.Load())
	}

	calls.Store(0)
	_, err = c.ReleaseByTag(ctx, "a/b", "broken")
	want = `release "broken" of a/b: GET ` + srv.URL + `/repos/a/b/releases/tags/broken: 500 Internal Server Error: token REDACTED rejected`
	if err == nil || err.Error() != want || calls.Load() != 3 {
		t.Errorf("broken after %d calls:\n got %v\nwant %s", calls.Load(), err, want)
	}

	_, err = c.ReleaseByTag(ctx, "a/b", "auth")
	want = `release "auth" of a/b: GET ` + srv.URL + `/repos/a/b/releases/tags/auth: 401 Unauthorized; GITHUB_TOKEN is invalid or expired`
	if err == nil || err.Error() != want {
		t.Errorf("auth:\n got %v\nwant %s", err, want)
	}

	for _, repo := range []string{"ab", "a/b/c", "/b", "a/"} {
		if _, err := c.ReleaseByTag(ctx, repo, "v1"); err == nil || !strings.Contains(err.Error(), "not of the form owner/name") {
			t.Errorf("ReleaseByTag(%q) = %v", repo, err)
		}
	}
}

func TestNewErrors(t *testing.T) {
	for _, u := range []string{"api.github.com", "ftp://x/", "https://user:pw@x/"} {
		if _, err := github.New(github.Options{APIURL: u}); err == nil {
			t.Errorf("New(%q) succeeded", u)
		} else if strings.Contains(err.Error(), "pw") {
			t.Errorf("New(%q) error shows the password: %v", u, err)
		}
	}
	c, err := github.New(github.Options{})
	if err != nil || c.APIURL() != github.DefaultAPIURL {
		t.Errorf("New() = %v, %v", c, err)
	}
}
