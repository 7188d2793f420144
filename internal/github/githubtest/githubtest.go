// Package githubtest is a fake GitHub for tests: a loopback HTTP (or, with
// [Start], HTTPS) server that implements the REST endpoints package github
// uses, answering in the shapes GitHub documents, serves uploaded assets
// back at their browser_download_url, and serves the git repositories
// registered with [Server.AddRepository] over git's smart HTTP protocol.
//
// Endpoints (the API lives under /api/v3/, uploads under /api/uploads/, as
// on GitHub Enterprise):
//
//	GET    /api/v3/repos/{owner}/{repo}/releases                 list (drafts included)
//	POST   /api/v3/repos/{owner}/{repo}/releases                 create
//	GET    /api/v3/repos/{owner}/{repo}/releases/tags/{tag}      published releases only
//	GET    /api/v3/repos/{owner}/{repo}/releases/{id}
//	PATCH  /api/v3/repos/{owner}/{repo}/releases/{id}            edit (publish a draft)
//	GET    /api/v3/repos/{owner}/{repo}/releases/{id}/assets
//	DELETE /api/v3/repos/{owner}/{repo}/releases/assets/{id}
//	POST   /api/uploads/repos/{owner}/{repo}/releases/{id}/assets?name=NAME
//	GET    /api/v3/repos/{owner}/{repo}/git/ref/{tags|heads}/{name}
//	GET    /api/v3/repos/{owner}/{repo}/git/matching-refs/{tags|heads}/{prefix}
//	GET    /api/v3/repos/{owner}/{repo}/git/tags/{sha}           an annotated tag object
//	GET    /api/v3/repos/{owner}/{repo}/pulls?state=&head=&base=
//	POST   /api/v3/repos/{owner}/{repo}/pulls
//	GET    /{owner}/{repo}/releases/download/{tag}/{name}        the asset bytes (published releases)
//	GET    /{owner}/{repo}.git/info/refs?service=...             git (also without .git)
//	POST   /{owner}/{repo}.git/git-upload-pack, .../git-receive-pack
//
// Repositories: every API call names a repository registered with
// [Server.AddRepository] (a bare git repository on disk), else it gets 404,
// as for a repository that does not exist. Tags and branches are that
// repository's refs: git pushes through [Server.GitURL] (or to the bare
// directory itself) are what the API sees. When [Server.Token] is set, git
// requests, fetches as well as pushes, need HTTP Basic authentication with
// the token as the password (any user name, such as GitHub Actions'
// x-access-token), or get 401 with WWW-Authenticate: Basic realm="GitHub",
// as a private repository's do.
//
// Releases behave as GitHub documents for POST and PATCH .../releases:
// creating a published release, or publishing a draft, whose tag does not
// exist creates the tag (a lightweight ref) at target_commitish, a branch
// name or a commit SHA, or at the default branch (the bare repository's
// HEAD) when target_commitish is empty; an unknown target_commitish is 422
// (Validation Failed, field target_commitish). A draft creates no tag
// until it is published. Tests of a tool that must push its tags itself
// therefore check the tag's commit, not only that it exists.
//
// Like GitHub, it refuses a second release for a tag and a second asset of
// a name (422, code already_exists), a second open pull request for a
// head and base, and a pull request from or into a missing branch.
//
// [Server.Fail] injects failures into API, upload and download requests:
// the Nth request matching a method and path fails with a status,
// optionally after its effect was applied (a lost response).
//
// # Where it simplifies
//
//   - Permissions are one token that may do everything; there are no
//     scopes, no 403s, no rate limits, and downloads are public.
//   - One token for the API (Bearer) and git (Basic password); GitHub
//     also takes "token X" and app installation tokens, not modelled.
//   - Pagination: lists come in one page, whatever per_page says.
//   - Pull requests: only head branches of the same repository (no forks),
//     no merging through the API ([Server.SetPullState] stands for it),
//     no mergeability, reviews or checks. Merging does not change the
//     repository's refs.
//   - Git requests are not subject to [Server.Fail] rules and are not in
//     [Server.Calls] (see [Server.GitCalls]); protected branches, rulesets
//     and tag protection are not modelled (a pre-receive hook in the bare
//     repository can stand for them).
//   - Release edits take draft, prerelease, name, body and
//     target_commitish; renaming a release's tag is not supported.
//   - Tags created for a release are lightweight, as GitHub's are; the
//     API's git database endpoints cover refs and tag objects only (no
//     commits, trees or blobs) and answer without verification data.
//   - API handlers run short git plumbing commands (rev-parse, cat-file,
//     update-ref) while holding the server's lock; git http-backend runs
//     without it.
package githubtest

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Server is the fake GitHub.
type Server struct {
	srv *httptest.Server

	// Token, if not "", must be sent as "Bearer <Token>" with every API
	// request (not with downloads, which are public), and as the password
	// of HTTP Basic authentication with every git request.
	Token string

	mu        sync.Mutex
	repos     map[string]string // "owner/name" -> bare repository
	gitCalls  []Call
	nextID    int64
	releases  []*release
	pulls     []*pull
	rules     []*Rule
	calls     []Call
	mutations int
}

// Call is one request the server received.
type Call struct {
	Method, Path string
	Status       int
}

// Rule makes the server fail a request.
type Rule struct {
	Method string // "" matches any method
	Path   string // a substring of the URL path; "" matches any
	Nth    int    // fail the Nth matching request (1 for the first); 0 means 1
	Status int    // the status to answer; 0 means 502
	// Apply performs the request's effect before failing, as when GitHub
	// did the work but the response was lost.
	Apply bool

	seen int
}

type release struct {
	ID         int64
	Repository string
	Tag        string
	Target     string
	Name       string
	Body       string
	Draft      bool
	Prerelease bool
	Created    time.Time
	Published  time.Time
	Assets     []*asset
}

type asset struct {
	ID          int64
	Name        string
	ContentType string
	Data        []byte
	Created     time.Time
}

type pull struct {
	Number     int
	Repository string
	Title      string
	Body       string
	Head, Base string
	State      string
	Merged     time.Time
}

// New starts a plain HTTP server that is closed when the test ends.
func New(t testing.TB) *Server {
	s := Start(nil)
	t.Cleanup(s.Close)
	return s
}

// Start starts a server on loopback outside of a test: plain HTTP if
// tlsConfig is nil, else HTTPS with tlsConfig (whose Certificates the
// server presents; with none, httptest's built-in certificate for
// 127.0.0.1 and example.com). Every URL the server hands out (URL, APIURL,
// UploadURL, and the url, upload_url and browser_download_url fields of
// its answers) then uses https. The caller must call [Server.Close].
func Start(tlsConfig *tls.Config) *Server {
	s := &Server{nextID: 1, repos: map[string]string{}}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	if tlsConfig == nil {
		s.srv.Start()
	} else {
		s.srv.TLS = tlsConfig
		s.srv.StartTLS()
	}
	return s
}

// Close stops the server, waiting for the requests in flight.
func (s *Server) Close() { s.srv.Close() }

// Client returns an HTTP client for the server: with TLS, one that trusts
// the certificate the server presents.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// Certificate is the certificate the server presents over HTTPS (for
// git's http.sslCAInfo), nil for plain HTTP.
func (s *Server) Certificate() *x509.Certificate { return s.srv.Certificate() }

// URL is the server's base URL, which stands for https://github.com.
func (s *Server) URL() string { return s.srv.URL }

// APIURL is the REST API base URL, ending in "/".
func (s *Server) APIURL() string { return s.srv.URL + "/api/v3/" }

// UploadURL is the base URL for uploads, ending in "/".
func (s *Server) UploadURL() string { return s.srv.URL + "/api/uploads/" }

// AddRepository registers the bare git repository bareDir as repository
// ("owner/name"): the API serves its releases, pull requests, tags and
// branches, and git reaches it at [Server.GitURL].
func (s *Server) AddRepository(repository, bareDir string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.repos[repository] = bareDir
}

// GitURL is the URL git clones, fetches and pushes repository at:
// URL()/owner/name.git.
func (s *Server) GitURL(repository string) string {
	return s.srv.URL + "/" + repository + ".git"
}

// GitCalls returns the git requests received so far (not in
// [Server.Calls]); Status is 401 or 404 for a request refused, 0 for one
// handed to git http-backend.
func (s *Server) GitCalls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.gitCalls)
}

// Fail adds a failure rule.
func (s *Server) Fail(r Rule) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rules = append(s.rules, &r)
}

// ClearFailures removes the failure rules.
func (s *Server) ClearFailures() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rules = nil
}

// Calls returns the requests received so far.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// Mutations counts the API requests that changed something (created a
// release, an asset or a pull request, edited a release or deleted an
// asset). Git pushes are not counted.
func (s *Server) Mutations() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mutations
}

// ReleaseInfo is a snapshot of a release for assertions.
type ReleaseInfo struct {
	ID         int64
	Repository string
	Tag        string
	Target     string // target_commitish as given at creation
	Name       string // the title
	Body       string // the notes
	Draft      bool
	Prerelease bool
	Assets     []AssetInfo
}

// AssetInfo is a snapshot of an asset.
type AssetInfo struct {
	Name   string
	SHA256 string
	Data   []byte
}

// Releases returns the releases, oldest first.
func (s *Server) Releases() []ReleaseInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []ReleaseInfo
	for _, r := range s.releases {
		ri := ReleaseInfo{
			ID: r.ID, Repository: r.Repository, Tag: r.Tag, Target: r.Target, Name: r.Name, Body: r.Body,
			Draft: r.Draft, Prerelease: r.Prerelease,
		}
		for _, a := range r.Assets {
			ri.Assets = append(ri.Assets, AssetInfo{Name: a.Name, SHA256: sha(a.Data), Data: slices.Clone(a.Data)})
		}
		out = append(out, ri)
	}
	return out
}

// PullInfo is a snapshot of a pull request.
type PullInfo struct {
	Number     int
	Repository string
	Title      string
	Body       string
	Head, Base string
	State      string // "open" or "closed"
	Merged     bool   // closed by merging
}

// Pulls returns the pull requests, oldest first.
func (s *Server) Pulls() []PullInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []PullInfo
	for _, p := range s.pulls {
		out = append(out, PullInfo{Number: p.Number, Repository: p.Repository, Title: p.Title, Body: p.Body, Head: p.Head, Base: p.Base, State: p.State, Merged: !p.Merged.IsZero()})
	}
	return out
}

// SetPullState sets the state of pull request n, as a maintainer would:
// "open", "closed", or "merged" (closed, with merged_at set). It does not
// change the repository's branches. Another state panics.
func (s *Server) SetPullState(n int, state string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var merged time.Time
	switch state {
	case "open", "closed":
	case "merged":
		state, merged = "closed", time.Now().UTC().Truncate(time.Second)
	default:
		panic(fmt.Sprintf("githubtest: SetPullState(%d, %q): the state is open, closed or merged", n, state))
	}
	for _, p := range s.pulls {
		if p.Number == n {
			p.State, p.Merged = state, merged
		}
	}
}

func sha(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// response collects what a handler answers, so that a failure rule with
// Apply can throw the answer away after the effect.
type response struct {
	status int
	header http.Header
	body   any
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if repo, root, ok := gitPath(r.URL.Path); ok {
		s.serveGit(w, r, repo, root)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var rule *Rule
	for _, ru := range s.rules {
		if (ru.Method == "" || ru.Method == r.Method) && strings.Contains(r.URL.Path, ru.Path) {
			ru.seen++
			nth := ru.Nth
			if nth == 0 {
				nth = 1
			}
			if ru.seen == nth {
				rule = ru
				break
			}
		}
	}
	fail := func() {
		status := rule.Status
		if status == 0 {
			status = http.StatusBadGateway
		}
		s.calls = append(s.calls, Call{r.Method, r.URL.Path, status})
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"message": "injected failure (%d)"}`, status)
	}
	if rule != nil && !rule.Apply {
		fail()
		return
	}
	resp := s.route(r)
	if rule != nil {
		fail()
		return
	}
	s.calls = append(s.calls, Call{r.Method, r.URL.Path, resp.status})
	for k, v := range resp.header {
		w.Header()[k] = v
	}
	if b, ok := resp.body.([]byte); ok {
		w.WriteHeader(resp.status)
		w.Write(b)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(resp.status)
	if resp.body != nil {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(resp.body)
	}
}

func errorBody(status int, message string, errs ...map[string]string) response {
	body := map[string]any{"message": message, "documentation_url": "https://docs.github.com/rest", "status": strconv.Itoa(status)}
	if len(errs) > 0 {
		body["errors"] = errs
	}
	return response{status: status, body: body}
}

func notFound() response { return errorBody(http.StatusNotFound, "Not Found") }

// route dispatches a request; s.mu is held.
func (s *Server) route(r *http.Request) response {
	p := r.URL.Path
	switch {
	case strings.HasPrefix(p, "/api/v3/"), strings.HasPrefix(p, "/api/uploads/"):
		if s.Token != "" && r.Header.Get("Authorization") != "Bearer "+s.Token {
			return errorBody(http.StatusUnauthorized, "Bad credentials")
		}
	}
	if rest, ok := strings.CutPrefix(p, "/api/uploads/repos/"); ok {
		parts := strings.Split(rest, "/")
		if len(parts) == 5 && parts[2] == "releases" && parts[4] == "assets" && r.Method == http.MethodPost {
			return s.upload(r, parts[0]+"/"+parts[1], parts[3])
		}
		return notFound()
	}
	if rest, ok := strings.CutPrefix(p, "/api/v3/repos/"); ok {
		parts := strings.Split(rest, "/")
		if len(parts) < 3 {
			return notFound()
		}
		repo := parts[0] + "/" + parts[1]
		if s.repos[repo] == "" {
			return notFound()
		}
		parts = parts[2:]
		switch {
		case parts[0] == "releases":
			return s.releasesAPI(r, repo, parts[1:])
		case parts[0] == "pulls" && len(parts) == 1:
			return s.pullsAPI(r, repo)
		case parts[0] == "git" && r.Method == http.MethodGet:
			return s.gitAPI(repo, parts[1:])
		}
		return notFound()
	}
	// /{owner}/{repo}/releases/download/{tag}/{name}
	parts := strings.Split(strings.TrimPrefix(p, "/"), "/")
	if r.Method == http.MethodGet && len(parts) == 6 && parts[2] == "releases" && parts[3] == "download" && s.repos[parts[0]+"/"+parts[1]] != "" {
		return s.download(parts[0]+"/"+parts[1], parts[4], parts[5])
	}
	return notFound()
}

func (s *Server) releasesAPI(r *http.Request, repo string, parts []string) response {
	switch {
	case len(parts) == 0 && r.Method == http.MethodGet:
		var out []any
		for i := len(s.releases) - 1; i >= 0; i-- { // newest first, as GitHub
			if rel := s.releases[i]; rel.Repository == repo {
				out = append(out, s.releaseJSON(rel))
			}
		}
		if out == nil {
			out = []any{}
		}
		return response{status: http.StatusOK, body: out}
	case len(parts) == 0 && r.Method == http.MethodPost:
		return s.createRelease(r, repo)
	case len(parts) == 2 && parts[0] == "assets" && r.Method == http.MethodDelete:
		return s.deleteAsset(repo, parts[1])
	case len(parts) == 2 && parts[0] == "tags" && r.Method == http.MethodGet:
		for _, rel := range s.releases {
			if rel.Repository == repo && rel.Tag == parts[1] && !rel.Draft {
				return response{status: http.StatusOK, body: s.releaseJSON(rel)}
			}
		}
		return notFound()
	}
	rel := s.releaseByID(repo, parts[0])
	if rel == nil {
		return notFound()
	}
	switch {
	case len(parts) == 1 && r.Method == http.MethodGet:
		return response{status: http.StatusOK, body: s.releaseJSON(rel)}
	case len(parts) == 1 && r.Method == http.MethodPatch:
		return s.editRelease(r, rel)
	case len(parts) == 2 && parts[1] == "assets" && r.Method == http.MethodGet:
		out := []any{}
		for _, a := range rel.Assets {
			out = append(out, s.assetJSON(rel, a))
		}
		return response{status: http.StatusOK, body: out}
	}
	return notFound()
}

func (s *Server) releaseByID(repo, id string) *release {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return nil
	}
	for _, rel := range s.releases {
		if rel.ID == n && rel.Repository == repo {
			return rel
		}
	}
	return nil
}

func (s *Server) createRelease(r *http.Request, repo string) response {
	var in struct {
		TagName         string `json:"tag_name"`
		TargetCommitish string `json:"target_commitish"`
		Name            string `json:"name"`
		Body            string `json:"body"`
		Draft           bool   `json:"draft"`
		Prerelease      bool   `json:"prerelease"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		return errorBody(http.StatusBadRequest, "Problems parsing JSON")
	}
	if in.TagName == "" {
		return errorBody(http.StatusUnprocessableEntity, "Validation Failed", map[string]string{"resource": "Release", "code": "missing_field", "field": "tag_name"})
	}
	for _, rel := range s.releases {
		if rel.Repository == repo && rel.Tag == in.TagName && !rel.Draft {
			return errorBody(http.StatusUnprocessableEntity, "Validation Failed", map[string]string{"resource": "Release", "code": "already_exists", "field": "tag_name"})
		}
	}
	if !s.refExists(repo, "refs/tags/"+in.TagName) && in.TargetCommitish != "" {
		if _, ok := s.resolveTarget(repo, in.TargetCommitish); !ok {
			return badTarget()
		}
	}
	if !in.Draft {
		if resp, ok := s.createTag(repo, in.TagName, in.TargetCommitish); !ok {
			return resp
		}
	}
	now := time.Now().UTC().Truncate(time.Second)
	rel := &release{
		ID: s.id(), Repository: repo, Tag: in.TagName, Target: in.TargetCommitish, Name: in.Name, Body: in.Body,
		Draft: in.Draft, Prerelease: in.Prerelease, Created: now,
	}
	if !rel.Draft {
		rel.Published = now
	}
	s.releases = append(s.releases, rel)
	s.mutations++
	return response{status: http.StatusCreated, body: s.releaseJSON(rel)}
}

func badTarget() response {
	return errorBody(http.StatusUnprocessableEntity, "Validation Failed", map[string]string{"resource": "Release", "code": "invalid", "field": "target_commitish"})
}

// createTag creates tag in repo at target (a branch or a commit; "" is the
// default branch) if it does not exist, as GitHub does when it publishes a
// release. It reports false with the answer if it cannot.
func (s *Server) createTag(repo, tag, target string) (response, bool) {
	if s.refExists(repo, "refs/tags/"+tag) {
		return response{}, true
	}
	commit, ok := s.resolveTarget(repo, target)
	if !ok {
		return badTarget(), false
	}
	if !validRefName("refs/tags/" + tag) {
		return errorBody(http.StatusUnprocessableEntity, "Validation Failed", map[string]string{"resource": "Release", "code": "invalid", "field": "tag_name"}), false
	}
	if _, err := s.git(repo, "update-ref", "refs/tags/"+tag, commit, ""); err != nil {
		return errorBody(http.StatusInternalServerError, "creating the tag: "+err.Error()), false
	}
	return response{}, true
}

// resolveTarget returns the commit of target_commitish: a branch, a
// commit SHA, or "" for the default branch.
func (s *Server) resolveTarget(repo, target string) (string, bool) {
	switch {
	case target == "":
		head, err := s.git(repo, "symbolic-ref", "HEAD")
		if err != nil {
			return "", false
		}
		return s.commitOf(repo, head)
	case s.refExists(repo, "refs/heads/"+target):
		return s.commitOf(repo, "refs/heads/"+target)
	case fullSHA.MatchString(target):
		return s.commitOf(repo, target)
	}
	return "", false
}

var fullSHA = regexp.MustCompile(`^[0-9a-f]{40}([0-9a-f]{24})?$`)

// validRefName reports whether git accepts ref as a ref name.
func validRefName(ref string) bool {
	return exec.Command("git", "check-ref-format", ref).Run() == nil
}

// git runs git plumbing in the bare repository of repo and returns its
// trimmed output.
func (s *Server) git(repo string, args ...string) (string, error) {
	cmd := exec.Command("git", append([]string{"--git-dir=" + s.repos[repo]}, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(out)), nil
}

// refExists reports whether the repository has ref.
func (s *Server) refExists(repo, ref string) bool {
	_, err := s.git(repo, "rev-parse", "--verify", "--quiet", ref)
	return err == nil
}

// commitOf returns the commit that rev names, peeled.
func (s *Server) commitOf(repo, rev string) (string, bool) {
	out, err := s.git(repo, "rev-parse", "--verify", "--quiet", rev+"^{commit}")
	return out, err == nil && out != ""
}

func (s *Server) editRelease(r *http.Request, rel *release) response {
	var in struct {
		Draft      *bool   `json:"draft"`
		Prerelease *bool   `json:"prerelease"`
		Name       *string `json:"name"`
		Body       *string `json:"body"`
		Target     *string `json:"target_commitish"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		return errorBody(http.StatusBadRequest, "Problems parsing JSON")
	}
	target := rel.Target
	if in.Target != nil {
		target = *in.Target
		if target != "" && !s.refExists(rel.Repository, "refs/tags/"+rel.Tag) {
			if _, ok := s.resolveTarget(rel.Repository, target); !ok {
				return badTarget()
			}
		}
	}
	if in.Draft != nil && !*in.Draft && rel.Draft {
		for _, o := range s.releases {
			if o != rel && o.Repository == rel.Repository && o.Tag == rel.Tag && !o.Draft {
				return errorBody(http.StatusUnprocessableEntity, "Validation Failed", map[string]string{"resource": "Release", "code": "already_exists", "field": "tag_name"})
			}
		}
		if resp, ok := s.createTag(rel.Repository, rel.Tag, target); !ok {
			return resp
		}
		rel.Draft = false
		rel.Published = time.Now().UTC().Truncate(time.Second)
	}
	rel.Target = target
	if in.Prerelease != nil {
		rel.Prerelease = *in.Prerelease
	}
	if in.Name != nil {
		rel.Name = *in.Name
	}
	if in.Body != nil {
		rel.Body = *in.Body
	}
	s.mutations++
	return response{status: http.StatusOK, body: s.releaseJSON(rel)}
}

func (s *Server) upload(r *http.Request, repo, id string) response {
	rel := s.releaseByID(repo, id)
	if rel == nil {
		return notFound()
	}
	name := r.URL.Query().Get("name")
	if name == "" {
		return errorBody(http.StatusUnprocessableEntity, "Validation Failed", map[string]string{"resource": "ReleaseAsset", "code": "missing_field", "field": "name"})
	}
	data, err := io.ReadAll(r.Body)
	if err != nil {
		return errorBody(http.StatusBadRequest, "reading the body: "+err.Error())
	}
	if r.ContentLength >= 0 && int64(len(data)) != r.ContentLength {
		return errorBody(http.StatusBadRequest, "body shorter than Content-Length")
	}
	for _, a := range rel.Assets {
		if a.Name == name {
			return errorBody(http.StatusUnprocessableEntity, "Validation Failed", map[string]string{"resource": "ReleaseAsset", "code": "already_exists", "field": "name"})
		}
	}
	a := &asset{ID: s.id(), Name: name, ContentType: r.Header.Get("Content-Type"), Data: data, Created: time.Now().UTC().Truncate(time.Second)}
	rel.Assets = append(rel.Assets, a)
	s.mutations++
	return response{status: http.StatusCreated, body: s.assetJSON(rel, a)}
}

func (s *Server) deleteAsset(repo, id string) response {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return notFound()
	}
	for _, rel := range s.releases {
		if rel.Repository != repo {
			continue
		}
		for i, a := range rel.Assets {
			if a.ID == n {
				rel.Assets = slices.Delete(rel.Assets, i, i+1)
				s.mutations++
				return response{status: http.StatusNoContent}
			}
		}
	}
	return notFound()
}

func (s *Server) download(repo, tag, name string) response {
	for _, rel := range s.releases {
		if rel.Repository != repo || rel.Draft || rel.Tag != tag {
			continue
		}
		for _, a := range rel.Assets {
			if a.Name == name {
				h := http.Header{}
				h.Set("Content-Type", "application/octet-stream")
				h.Set("Content-Length", strconv.Itoa(len(a.Data)))
				return response{status: http.StatusOK, header: h, body: slices.Clone(a.Data)}
			}
		}
	}
	return response{status: http.StatusNotFound, body: []byte("Not Found")}
}

func (s *Server) pullsAPI(r *http.Request, repo string) response {
	owner, _, _ := strings.Cut(repo, "/")
	switch r.Method {
	case http.MethodGet:
		q := r.URL.Query()
		state := q.Get("state")
		switch state {
		case "":
			state = "open"
		case "open", "closed", "all":
		default:
			return errorBody(http.StatusUnprocessableEntity, "Validation Failed", map[string]string{"resource": "PullRequest", "code": "invalid", "field": "state"})
		}
		out := []any{}
		for i := len(s.pulls) - 1; i >= 0; i-- {
			p := s.pulls[i]
			if p.Repository != repo || (state != "all" && p.State != state) {
				continue
			}
			if h := q.Get("head"); h != "" && h != owner+":"+p.Head {
				continue
			}
			if b := q.Get("base"); b != "" && b != p.Base {
				continue
			}
			out = append(out, s.pullJSON(p))
		}
		return response{status: http.StatusOK, body: out}
	case http.MethodPost:
		var in struct {
			Title, Head, Base, Body string
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			return errorBody(http.StatusBadRequest, "Problems parsing JSON")
		}
		for _, b := range []struct{ field, name string }{{"head", in.Head}, {"base", in.Base}} {
			if b.name == "" || !s.refExists(repo, "refs/heads/"+b.name) {
				return errorBody(http.StatusUnprocessableEntity, "Validation Failed", map[string]string{"resource": "PullRequest", "code": "invalid", "field": b.field})
			}
		}
		for _, p := range s.pulls {
			if p.Repository == repo && p.Head == in.Head && p.Base == in.Base && p.State == "open" {
				return errorBody(http.StatusUnprocessableEntity, "Validation Failed", map[string]string{"resource": "PullRequest", "code": "custom", "message": "A pull request already exists for " + owner + ":" + in.Head + "."})
			}
		}
		n := 1
		for _, p := range s.pulls {
			n = max(n, p.Number+1)
		}
		p := &pull{Number: n, Repository: repo, Title: in.Title, Body: in.Body, Head: in.Head, Base: in.Base, State: "open"}
		s.pulls = append(s.pulls, p)
		s.mutations++
		return response{status: http.StatusCreated, body: s.pullJSON(p)}
	}
	return notFound()
}

func (s *Server) id() int64 {
	id := s.nextID
	s.nextID++
	return id
}

var user = map[string]any{"login": "release-bot", "id": 1, "type": "Bot"}

func stamp(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.Format(time.RFC3339)
}

// releaseJSON renders a release as GitHub does.
func (s *Server) releaseJSON(rel *release) map[string]any {
	api := fmt.Sprintf("%s/api/v3/repos/%s/releases/%d", s.srv.URL, rel.Repository, rel.ID)
	assets := []any{}
	for _, a := range rel.Assets {
		assets = append(assets, s.assetJSON(rel, a))
	}
	return map[string]any{
		"url":              api,
		"assets_url":       api + "/assets",
		"upload_url":       fmt.Sprintf("%s/api/uploads/repos/%s/releases/%d/assets{?name,label}", s.srv.URL, rel.Repository, rel.ID),
		"html_url":         fmt.Sprintf("%s/%s/releases/tag/%s", s.srv.URL, rel.Repository, url.PathEscape(s.urlTag(rel))),
		"id":               rel.ID,
		"node_id":          fmt.Sprintf("RE_%d", rel.ID),
		"tag_name":         rel.Tag,
		"target_commitish": rel.Target,
		"name":             rel.Name,
		"body":             rel.Body,
		"draft":            rel.Draft,
		"prerelease":       rel.Prerelease,
		"immutable":        false,
		"created_at":       stamp(rel.Created),
		"published_at":     stamp(rel.Published),
		"author":           user,
		"assets":           assets,
		"tarball_url":      fmt.Sprintf("%s/api/v3/repos/%s/tarball/%s", s.srv.URL, rel.Repository, rel.Tag),
		"zipball_url":      fmt.Sprintf("%s/api/v3/repos/%s/zipball/%s", s.srv.URL, rel.Repository, rel.Tag),
	}
}

// urlTag is the tag in a release's URLs: "untagged-..." for a draft, as
// on GitHub, whose draft download URLs are not public.
func (s *Server) urlTag(rel *release) string {
	if rel.Draft {
		return "untagged-" + sha([]byte(strconv.FormatInt(rel.ID, 10)))[:20]
	}
	return rel.Tag
}

func (s *Server) assetJSON(rel *release, a *asset) map[string]any {
	return map[string]any{
		"url":                  fmt.Sprintf("%s/api/v3/repos/%s/releases/assets/%d", s.srv.URL, rel.Repository, a.ID),
		"browser_download_url": fmt.Sprintf("%s/%s/releases/download/%s/%s", s.srv.URL, rel.Repository, url.PathEscape(s.urlTag(rel)), url.PathEscape(a.Name)),
		"id":                   a.ID,
		"node_id":              fmt.Sprintf("RA_%d", a.ID),
		"name":                 a.Name,
		"label":                "",
		"state":                "uploaded",
		"content_type":         a.ContentType,
		"size":                 len(a.Data),
		"digest":               "sha256:" + sha(a.Data),
		"download_count":       0,
		"created_at":           stamp(a.Created),
		"updated_at":           stamp(a.Created),
		"uploader":             user,
	}
}

func (s *Server) pullJSON(p *pull) map[string]any {
	owner, _, _ := strings.Cut(p.Repository, "/")
	return map[string]any{
		"url":       fmt.Sprintf("%s/api/v3/repos/%s/pulls/%d", s.srv.URL, p.Repository, p.Number),
		"html_url":  fmt.Sprintf("%s/%s/pull/%d", s.srv.URL, p.Repository, p.Number),
		"id":        1000 + p.Number,
		"number":    p.Number,
		"state":     p.State,
		"title":     p.Title,
		"body":      p.Body,
		"user":      user,
		"head":      map[string]any{"label": owner + ":" + p.Head, "ref": p.Head},
		"base":      map[string]any{"label": owner + ":" + p.Base, "ref": p.Base},
		"merged":    !p.Merged.IsZero(),
		"merged_at": stamp(p.Merged),
		"draft":     false,
	}
}
