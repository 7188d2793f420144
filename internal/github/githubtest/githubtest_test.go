package githubtest_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/github"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/github/githubtest"
)

// selfSigned returns a TLS certificate for 127.0.0.1 and a pool that
// trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "githubtest"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, pool
}

// TestStartTLS runs a release through the fake over HTTPS with the
// caller's certificate: every URL it hands out is https, and the asset
// downloads from its browser_download_url.
func TestStartTLS(t *testing.T) {
	cert, pool := selfSigned(t)
	srv := githubtest.Start(&tls.Config{Certificates: []tls.Certificate{cert}})
	defer srv.Close()
	srv.Token = "tls-token"
	bare := githubtest.NewRepository(t)
	srv.AddRepository("acme/sku", bare)
	for _, u := range []string{srv.URL(), srv.APIURL(), srv.UploadURL()} {
		if !strings.HasPrefix(u, "https://127.0.0.1:") {
			t.Errorf("URL %s, want https://127.0.0.1:PORT...", u)
		}
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	c, err := github.New(github.Options{APIURL: srv.APIURL(), UploadURL: srv.UploadURL(), Token: "tls-token", HTTPClient: client})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rel, err := c.CreateRelease(ctx, "acme/sku", github.NewRelease{Tag: "v1", Draft: true, Prerelease: true})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(rel.UploadURL, "https://") {
		t.Errorf("upload URL %s, want https", rel.UploadURL)
	}
	file := filepath.Join(t.TempDir(), "a.tar.xz")
	if err := os.WriteFile(file, []byte("tls bytes"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UploadAsset(ctx, rel, "a.tar.xz", file, "application/x-xz"); err != nil {
		t.Fatal(err)
	}
	pub, err := c.PublishRelease(ctx, "acme/sku", rel.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	want := srv.URL() + "/acme/sku/releases/download/v1/a.tar.xz"
	if len(pub.Assets) != 1 || pub.Assets[0].URL != want {
		t.Fatalf("assets %+v, want one at %s", pub.Assets, want)
	}
	if pub.Assets[0].SHA256 != fmt.Sprintf("%x", sha256.Sum256([]byte("tls bytes"))) {
		t.Errorf("asset digest %s", pub.Assets[0].SHA256)
	}
	resp, err := client.Get(want)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != "tls bytes" {
		t.Errorf("download: %s %q", resp.Status, body)
	}

	// A client that does not trust the certificate is refused.
	if _, err := http.Get(want); err == nil {
		t.Error("a client without the certificate downloaded over TLS")
	}
	// Client() trusts the server's certificate too.
	if resp, err := srv.Client().Get(want); err != nil {
		t.Errorf("Client(): %v", err)
	} else {
		resp.Body.Close()
	}

	rels := srv.Releases()
	if len(rels) != 1 || rels[0].Tag != "v1" || rels[0].Draft || !rels[0].Prerelease || len(rels[0].Assets) != 1 {
		t.Errorf("Releases() = %+v", rels)
	}
	// Publishing created the missing tag at the default branch.
	if got, want := gitIn(t, bare, "rev-parse", "v1"), gitIn(t, bare, "rev-parse", "main"); got != want {
		t.Errorf("tag v1 at %s, want main's %s", got, want)
	}

	srv.Close()
	if _, err := client.Get(want); err == nil {
		t.Error("the server still answers after Close")
	}
}

// TestStartPlain: Start(nil) serves plain HTTP, as New does.
func TestStartPlain(t *testing.T) {
	srv := githubtest.Start(nil)
	defer srv.Close()
	if !strings.HasPrefix(srv.URL(), "http://127.0.0.1:") {
		t.Errorf("URL %s, want http://127.0.0.1:PORT", srv.URL())
	}
	get := func() (int, string) {
		resp, err := http.Get(srv.APIURL() + "repos/acme/sku/releases")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, strings.TrimSpace(string(body))
	}
	// An unregistered repository does not exist.
	if status, body := get(); status != http.StatusNotFound {
		t.Errorf("list releases of an unregistered repository: %d %q", status, body)
	}
	srv.AddRepository("acme/sku", githubtest.NewRepository(t))
	if status, body := get(); status != http.StatusOK || body != "[]" {
		t.Errorf("list releases: %d %q", status, body)
	}
}

// gitIn runs git in dir (a bare repository or a working tree) and returns
// its trimmed output.
func gitIn(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com",
		"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+os.DevNull, "GIT_TERMINAL_PROMPT=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// gitTry runs git in dir with extra environment and returns its combined
// output and error.
func gitTry(dir string, env []string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com",
		"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+os.DevNull, "GIT_TERMINAL_PROMPT=0"), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// basicAuth is the environment that makes git send user:password to url's
// host, as release.GitTokenEnv does.
func basicAuth(serverURL, user, password string) []string {
	return []string{"GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=http." + serverURL + "/.extraheader",
		"GIT_CONFIG_VALUE_0=AUTHORIZATION: basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))}
}

// TestGit clones, fetches and pushes over the smart HTTP protocol: with
// the token as a Basic password (any user name), at GitURL and without
// .git; without it, or with another, 401 and nothing changes. The API
// sees what was pushed.
func TestGit(t *testing.T) {
	srv := githubtest.New(t)
	srv.Token = "git-token"
	bare := githubtest.NewRepository(t)
	srv.AddRepository("acme/sku", bare)
	if got, want := srv.GitURL("acme/sku"), srv.URL()+"/acme/sku.git"; got != want {
		t.Errorf("GitURL = %s, want %s", got, want)
	}
	auth := basicAuth(srv.URL(), "x-access-token", "git-token")
	work := filepath.Join(t.TempDir(), "work")

	// No token, a wrong one: 401 with the challenge, for fetches too.
	for _, env := range [][]string{nil, basicAuth(srv.URL(), "x-access-token", "wrong")} {
		if out, err := gitTry(t.TempDir(), env, "clone", "--quiet", srv.GitURL("acme/sku"), work); err == nil {
			t.Errorf("clone without the token succeeded:\n%s", out)
		}
		if calls := srv.GitCalls(); calls[len(calls)-1].Status != http.StatusUnauthorized {
			t.Errorf("git calls %+v, want a 401 last", calls)
		}
	}
	resp, err := http.Get(srv.GitURL("acme/sku") + "/info/refs?service=git-receive-pack")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") != `Basic realm="GitHub"` {
		t.Errorf("info/refs for a push without the token: %s, WWW-Authenticate %q", resp.Status, resp.Header.Get("WWW-Authenticate"))
	}

	if out, err := gitTry(t.TempDir(), auth, "clone", "--quiet", srv.GitURL("acme/sku"), work); err != nil {
		t.Fatalf("clone: %v\n%s", err, out)
	}
	gitIn(t, work, "commit", "--quiet", "--allow-empty", "-m", "second")
	gitIn(t, work, "tag", "-a", "-m", "annotated", "v2")
	gitIn(t, work, "tag", "v2-light")
	head := gitIn(t, work, "rev-parse", "HEAD")
	// A push without the token is refused and changes nothing.
	if out, err := gitTry(work, nil, "push", "--quiet", "origin", "main", "v2"); err == nil {
		t.Errorf("push without the token succeeded:\n%s", out)
	}
	if got := gitIn(t, bare, "rev-parse", "main"); got == head {
		t.Error("a push without the token moved main")
	}
	if out, err := gitTry(work, auth, "push", "--quiet", "origin", "main", "v2", "v2-light"); err != nil {
		t.Fatalf("push: %v\n%s", err, out)
	}
	if got := gitIn(t, bare, "rev-parse", "main"); got != head {
		t.Errorf("main is %s after the push, want %s", got, head)
	}
	// Without .git too.
	if out, err := gitTry(work, auth, "ls-remote", srv.URL()+"/acme/sku", "refs/heads/main"); err != nil || !strings.HasPrefix(out, head) {
		t.Errorf("ls-remote without .git: %v\n%s", err, out)
	}
	// An unregistered repository: 404.
	if out, err := gitTry(work, auth, "ls-remote", srv.GitURL("acme/other")); err == nil {
		t.Errorf("ls-remote of an unregistered repository succeeded:\n%s", out)
	}

	// The API sees the pushed tags, peeled through their tag objects.
	c, err := github.New(github.Options{APIURL: srv.APIURL(), Token: "git-token"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, tag := range []string{"v2", "v2-light"} {
		if got, err := c.TagCommit(ctx, "acme/sku", tag); err != nil || got != head {
			t.Errorf("TagCommit(%s) = %q, %v; want %s", tag, got, err, head)
		}
	}
	if _, err := c.TagCommit(ctx, "acme/sku", "v3"); !errors.Is(err, github.ErrNotFound) {
		t.Errorf("TagCommit of a missing tag: %v", err)
	}
	// The raw shapes.
	var ref struct {
		Ref    string
		Object struct{ Type, SHA string }
	}
	getJSON(t, srv, "repos/acme/sku/git/ref/tags/v2", &ref)
	tagObj := gitIn(t, bare, "rev-parse", "v2")
	if ref.Ref != "refs/tags/v2" || ref.Object.Type != "tag" || ref.Object.SHA != tagObj {
		t.Errorf("ref v2 = %+v, want the tag object %s", ref, tagObj)
	}
	var tagJSON struct {
		SHA, Tag, Message string
		Object            struct{ Type, SHA string }
	}
	getJSON(t, srv, "repos/acme/sku/git/tags/"+tagObj, &tagJSON)
	if tagJSON.SHA != tagObj || tagJSON.Tag != "v2" || tagJSON.Message != "annotated" || tagJSON.Object.Type != "commit" || tagJSON.Object.SHA != head {
		t.Errorf("tag object = %+v", tagJSON)
	}
	var refs []struct{ Ref string }
	getJSON(t, srv, "repos/acme/sku/git/matching-refs/tags/v2", &refs)
	if len(refs) != 2 || refs[0].Ref != "refs/tags/v2" || refs[1].Ref != "refs/tags/v2-light" {
		t.Errorf("matching-refs tags/v2 = %+v", refs)
	}
	for _, p := range []string{"repos/acme/sku/git/ref/tags/v3", "repos/acme/sku/git/tags/" + head, "repos/acme/other/git/ref/tags/v2"} {
		if status := getStatus(t, srv, p); status != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", p, status)
		}
	}
	if calls := srv.GitCalls(); len(calls) == 0 {
		t.Error("GitCalls is empty")
	}
}

func getStatus(t *testing.T, srv *githubtest.Server, p string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, srv.APIURL()+p, nil)
	req.Header.Set("Authorization", "Bearer "+srv.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func getJSON(t *testing.T, srv *githubtest.Server, p string, v any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, srv.APIURL()+p, nil)
	req.Header.Set("Authorization", "Bearer "+srv.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", p, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", p, err)
	}
}

// TestReleaseCreatesTag: as GitHub documents, a published release whose
// tag is missing creates it at target_commitish (a branch or a commit),
// or at the default branch; a draft creates none until published; an
// unknown target is 422.
func TestReleaseCreatesTag(t *testing.T) {
	srv := githubtest.New(t)
	bare := githubtest.NewRepository(t)
	srv.AddRepository("acme/sku", bare)
	main := gitIn(t, bare, "rev-parse", "main")
	tree := gitIn(t, bare, "mktree")
	other := gitIn(t, bare, "commit-tree", "-p", main, "-m", "other", tree)
	gitIn(t, bare, "update-ref", "refs/heads/feature", other)
	third := gitIn(t, bare, "commit-tree", "-p", other, "-m", "third", tree)
	gitIn(t, bare, "update-ref", "refs/heads/keep", third) // reachable, not a branch tip we name

	c, err := github.New(github.Options{APIURL: srv.APIURL()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, tc := range []struct{ tag, target, want string }{
		{"at-default", "", main}, {"at-branch", "feature", other}, {"at-sha", third, third},
	} {
		if _, err := c.CreateRelease(ctx, "acme/sku", github.NewRelease{Tag: tc.tag, Target: tc.target}); err != nil {
			t.Fatalf("release %s: %v", tc.tag, err)
		}
		if got, err := c.TagCommit(ctx, "acme/sku", tc.tag); err != nil || got != tc.want {
			t.Errorf("tag %s (target %q) at %q, %v; want %s", tc.tag, tc.target, got, err, tc.want)
		}
	}
	// An existing tag stays where it is, whatever the target.
	if _, err := c.CreateRelease(ctx, "acme/sku", github.NewRelease{Tag: "at-branch-again", Target: "main"}); err != nil {
		t.Fatal(err)
	}
	gitIn(t, bare, "update-ref", "refs/tags/kept", other)
	if _, err := c.CreateRelease(ctx, "acme/sku", github.NewRelease{Tag: "kept", Target: "main"}); err != nil {
		t.Fatal(err)
	}
	if got := gitIn(t, bare, "rev-parse", "kept"); got != other {
		t.Errorf("the existing tag moved to %s", got)
	}
	// A draft creates no tag; publishing does, at the draft's target.
	draft, err := c.CreateRelease(ctx, "acme/sku", github.NewRelease{Tag: "drafted", Target: "feature", Draft: true})
	if err != nil {
		t.Fatal(err)
	}
	if draft.Target != "feature" {
		t.Errorf("draft target %q, want feature", draft.Target)
	}
	if _, err := c.TagCommit(ctx, "acme/sku", "drafted"); !errors.Is(err, github.ErrNotFound) {
		t.Errorf("a draft created its tag: %v", err)
	}
	if _, err := c.PublishRelease(ctx, "acme/sku", draft.ID, ""); err != nil {
		t.Fatal(err)
	}
	if got, err := c.TagCommit(ctx, "acme/sku", "drafted"); err != nil || got != other {
		t.Errorf("published draft's tag at %q, %v; want feature's %s", got, err, other)
	}
	// An unknown target: 422, nothing created.
	n := srv.Mutations()
	for _, target := range []string{"no-such-branch", strings.Repeat("a", 40)} {
		_, err := c.CreateRelease(ctx, "acme/sku", github.NewRelease{Tag: "bad", Target: target})
		if err == nil || !strings.Contains(err.Error(), "422") || !strings.Contains(err.Error(), "target_commitish") {
			t.Errorf("target %s: %v, want 422 on target_commitish", target, err)
		}
	}
	if srv.Mutations() != n || strings.Contains(gitIn(t, bare, "tag"), "bad") {
		t.Error("a release with an unknown target changed something")
	}
}

// TestDeleteAssetAndPulls: DELETE of an asset is a mutation that removes
// it; pull requests list by state and head, and merged ones say so.
func TestDeleteAssetAndPulls(t *testing.T) {
	srv := githubtest.New(t)
	bare := githubtest.NewRepository(t)
	srv.AddRepository("acme/sku", bare)
	gitIn(t, bare, "update-ref", "refs/heads/feature", "main")
	c, err := github.New(github.Options{APIURL: srv.APIURL(), UploadURL: srv.UploadURL()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rel, err := c.CreateRelease(ctx, "acme/sku", github.NewRelease{Tag: "v1", Draft: true})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "a")
	os.WriteFile(file, []byte("a"), 0o644)
	a, err := c.UploadAsset(ctx, rel, "a", file, "")
	if err != nil {
		t.Fatal(err)
	}
	n := srv.Mutations()
	if err := c.DeleteAsset(ctx, "acme/sku", a.ID); err != nil {
		t.Fatal(err)
	}
	if srv.Mutations() != n+1 || len(srv.Releases()[0].Assets) != 0 {
		t.Errorf("after DeleteAsset: %d mutations (want %d), release %+v", srv.Mutations(), n+1, srv.Releases()[0])
	}
	if err := c.DeleteAsset(ctx, "acme/sku", a.ID); !errors.Is(err, github.ErrNotFound) {
		t.Errorf("deleting it again: %v", err)
	}

	// A pull request from a missing branch: 422.
	if _, err := c.CreatePullRequest(ctx, "acme/sku", github.NewPullRequest{Title: "T", Head: "missing", Base: "main"}); err == nil || !strings.Contains(err.Error(), "422") {
		t.Errorf("pull request from a missing branch: %v", err)
	}
	pr, err := c.CreatePullRequest(ctx, "acme/sku", github.NewPullRequest{Title: "T", Head: "feature", Base: "main"})
	if err != nil {
		t.Fatal(err)
	}
	count := func(query string) int {
		var list []struct {
			Number   int
			State    string
			MergedAt *string `json:"merged_at"`
		}
		getJSON(t, srv, "repos/acme/sku/pulls"+query, &list)
		return len(list)
	}
	for _, tc := range []struct {
		state   string
		queries map[string]int
	}{
		{"open", map[string]int{"": 1, "?state=open": 1, "?state=closed": 0, "?state=all": 1, "?head=acme:feature": 1, "?head=acme:other": 0}},
		{"merged", map[string]int{"": 0, "?state=closed": 1, "?state=all&head=acme:feature": 1}},
		{"closed", map[string]int{"": 0, "?state=closed": 1, "?state=all": 1}},
	} {
		srv.SetPullState(pr.Number, tc.state)
		for q, want := range tc.queries {
			if got := count(q); got != want {
				t.Errorf("%s: GET pulls%s lists %d, want %d", tc.state, q, got, want)
			}
		}
		got, err := c.FindPullRequest(ctx, "acme/sku", "feature", "main")
		wantState := map[string]string{"open": "open", "merged": "closed", "closed": "closed"}[tc.state]
		if err != nil || got == nil || got.State != wantState || got.Merged != (tc.state == "merged") {
			t.Errorf("%s: FindPullRequest = %+v, %v", tc.state, got, err)
		}
		if p := srv.Pulls()[0]; p.Merged != (tc.state == "merged") {
			t.Errorf("%s: Pulls() = %+v", tc.state, p)
		}
	}
	if status := getStatus(t, srv, "repos/acme/sku/pulls?state=bogus"); status != http.StatusUnprocessableEntity {
		t.Errorf("state=bogus: %d, want 422", status)
	}
}
