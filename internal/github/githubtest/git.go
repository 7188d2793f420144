package githubtest

// Git: the smart HTTP protocol through git http-backend, and the REST
// API's git database endpoints, both on the registered bare repositories.

import (
	"fmt"
	"net/http"
	"net/http/cgi"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// gitPath reports whether p is a git request, /{owner}/{repo}.git/...
// or /{owner}/{repo}/{info/refs,git-upload-pack,git-receive-pack}, and
// returns the repository and the URL prefix that names it.
func gitPath(p string) (repo, root string, ok bool) {
	parts := strings.SplitN(strings.TrimPrefix(p, "/"), "/", 3)
	if len(parts) < 3 || parts[0] == "" || parts[1] == "" || parts[0] == "api" {
		return "", "", false
	}
	name, dotGit := strings.CutSuffix(parts[1], ".git")
	if name == "" {
		return "", "", false
	}
	switch {
	case dotGit:
	case parts[2] == "info/refs", parts[2] == "git-upload-pack", parts[2] == "git-receive-pack":
	default:
		return "", "", false
	}
	return parts[0] + "/" + name, "/" + parts[0] + "/" + parts[1], true
}

// serveGit answers a git request by running git http-backend on the
// repository's bare directory, without holding s.mu.
func (s *Server) serveGit(w http.ResponseWriter, r *http.Request, repo, root string) {
	s.mu.Lock()
	dir, token := s.repos[repo], s.Token
	status := 0
	switch {
	case dir == "":
		status = http.StatusNotFound
	case token != "":
		if _, pass, ok := r.BasicAuth(); !ok || pass != token {
			status = http.StatusUnauthorized
		}
	}
	s.gitCalls = append(s.gitCalls, Call{r.Method, r.URL.Path, status})
	s.mu.Unlock()
	switch status {
	case http.StatusNotFound:
		http.Error(w, "Repository not found.", http.StatusNotFound)
		return
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Basic realm="GitHub"`)
		http.Error(w, "Invalid username or token. Password authentication is not supported for Git operations.", http.StatusUnauthorized)
		return
	}
	git, err := exec.LookPath("git")
	if err != nil {
		http.Error(w, "githubtest: "+err.Error(), http.StatusInternalServerError)
		return
	}
	h := &cgi.Handler{
		Path: git,
		Root: root,
		Args: []string{"http-backend"},
		Dir:  dir,
		Env: []string{
			"GIT_PROJECT_ROOT=" + dir,
			"GIT_HTTP_EXPORT_ALL=1",
			"GIT_CONFIG_COUNT=1",
			"GIT_CONFIG_KEY_0=http.receivepack",
			"GIT_CONFIG_VALUE_0=true",
			"GIT_CONFIG_NOSYSTEM=1",
			"GIT_CONFIG_GLOBAL=" + os.DevNull,
			"PATH=" + os.Getenv("PATH"),
		},
		Stderr: os.Stderr,
	}
	h.ServeHTTP(w, r)
}

// gitAPI answers GET .../git/...: a ref, the refs matching a prefix, or
// an annotated tag object.
func (s *Server) gitAPI(repo string, parts []string) response {
	api := fmt.Sprintf("%s/api/v3/repos/%s/git/", s.srv.URL, repo)
	refJSON := func(ref, sha string) map[string]any {
		typ, _ := s.git(repo, "cat-file", "-t", sha)
		kind := "commits"
		if typ == "tag" {
			kind = "tags"
		}
		return map[string]any{
			"ref":     ref,
			"node_id": "REF_" + sha[:12],
			"url":     api + strings.TrimPrefix(ref, "refs/"),
			"object":  map[string]any{"type": typ, "sha": sha, "url": api + kind + "/" + sha},
		}
	}
	if len(parts) < 2 {
		return notFound()
	}
	rest := strings.Join(parts[1:], "/")
	switch parts[0] {
	case "ref":
		ref := "refs/" + rest
		if !strings.HasPrefix(rest, "tags/") && !strings.HasPrefix(rest, "heads/") {
			return notFound()
		}
		sha, err := s.git(repo, "rev-parse", "--verify", "--quiet", ref)
		if err != nil || sha == "" {
			return notFound()
		}
		return response{status: http.StatusOK, body: refJSON(ref, sha)}
	case "matching-refs":
		if !strings.HasPrefix(rest, "tags") && !strings.HasPrefix(rest, "heads") {
			return response{status: http.StatusOK, body: []any{}}
		}
		out, err := s.git(repo, "for-each-ref", "--format=%(refname) %(objectname)", "refs/"+path.Dir(rest+"x"))
		if err != nil {
			return errorBody(http.StatusInternalServerError, err.Error())
		}
		list := []any{}
		var lines []string
		if out != "" {
			lines = strings.Split(out, "\n")
		}
		sort.Strings(lines)
		for _, line := range lines {
			ref, sha, _ := strings.Cut(line, " ")
			if strings.HasPrefix(ref, "refs/"+rest) {
				list = append(list, refJSON(ref, sha))
			}
		}
		return response{status: http.StatusOK, body: list}
	case "tags":
		sha := rest
		if !fullSHA.MatchString(sha) {
			return notFound()
		}
		if typ, err := s.git(repo, "cat-file", "-t", sha); err != nil || typ != "tag" {
			return notFound()
		}
		raw, err := s.git(repo, "cat-file", "tag", sha)
		if err != nil {
			return notFound()
		}
		head, message, _ := strings.Cut(raw, "\n\n")
		fields := map[string]string{}
		for _, line := range strings.Split(head, "\n") {
			k, v, _ := strings.Cut(line, " ")
			fields[k] = v
		}
		kind := "commits"
		if fields["type"] == "tag" {
			kind = "tags"
		}
		return response{status: http.StatusOK, body: map[string]any{
			"node_id": "TAG_" + sha[:12],
			"sha":     sha,
			"url":     api + "tags/" + sha,
			"tag":     fields["tag"],
			"message": message,
			"tagger":  map[string]any{"name": "", "email": "", "date": nil},
			"object":  map[string]any{"type": fields["type"], "sha": fields["object"], "url": api + kind + "/" + fields["object"]},
		}}
	}
	return notFound()
}

// NewRepository creates a bare git repository in a test's temporary
// directory with one commit (an empty tree) on main, its default branch,
// and returns its directory, ready for [Server.AddRepository].
func NewRepository(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "repo.git")
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Env = append(os.Environ(),
			"GIT_AUTHOR_NAME=githubtest", "GIT_AUTHOR_EMAIL=githubtest@example.com",
			"GIT_COMMITTER_NAME=githubtest", "GIT_COMMITTER_EMAIL=githubtest@example.com",
			"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+os.DevNull)
		out, err := cmd.Output()
		if err != nil {
			var stderr []byte
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = ee.Stderr
			}
			t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, stderr)
		}
		return strings.TrimSpace(string(out))
	}
	run("init", "--quiet", "--bare", "--initial-branch=main", dir)
	tree := run("--git-dir="+dir, "mktree")
	commit := run("--git-dir="+dir, "commit-tree", "-m", "initial", tree)
	run("--git-dir="+dir, "update-ref", "refs/heads/main", commit)
	return dir
}
