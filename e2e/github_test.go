package e2e

import (
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/github/githubtest"
	"github.com/rogpeppe/go-internal/testscript"
)

// githubKey is the key under which setup stores a scenario's *githubHolder,
// through which the github-* commands reach the fake that `github` started.
type githubKey struct{}

// githubHolder holds a scenario's fake GitHub, once `github` started it.
type githubHolder struct {
	srv  *githubtest.Server
	repo string // the -repo of `github`
}

// defaultGitHubRepository is the repository `github` stands for unless
// -repo says otherwise.
const defaultGitHubRepository = "acme/ot-sku"

// fakeGitHub returns the scenario's fake GitHub, failing the scenario if
// `github` has not started it.
func fakeGitHub(ts *testscript.TestScript, cmd string) *githubHolder {
	h := ts.Value(githubKey{}).(*githubHolder)
	if h.srv == nil {
		ts.Fatalf("%s: no fake GitHub; start one with `github BARE_REPO_DIR` first", cmd)
	}
	return h
}

// github [-repo owner/name] BARE_REPO_DIR
//
// Starts a fake GitHub (internal/github/githubtest) on loopback, over HTTPS
// with the run's test CA, which the scenario's Go programs trust through
// $SSL_CERT_FILE and git through $GIT_SSL_CAINFO (the same bundle: the
// test CA and the system's roots). Its API requires the token
// $GITHUB_TOKEN, and so does git. The bare repository BARE_REPO_DIR, the
// scenario's "origin", is registered as -repo (default acme/ot-sku): the
// API's tags and branches are its refs, publishing a release whose tag is
// missing creates the tag at the default branch as GitHub does, and git
// reaches it at $GITHUB_GIT_URL. Any other repository is 404. It sets
//
//	GITHUB_API_URL      the REST API base ($GITHUB_SERVER_URL/api/v3/)
//	GITHUB_UPLOAD_URL   the upload base ($GITHUB_SERVER_URL/api/uploads/)
//	GITHUB_SERVER_URL   the web base: assets download from
//	                    $GITHUB_SERVER_URL/OWNER/NAME/releases/download/TAG/ASSET
//	GITHUB_REPOSITORY   -repo
//	GITHUB_GIT_URL      the repository's git URL, $GITHUB_SERVER_URL/OWNER/NAME.git
//	                    (the checkout's origin; the harness's own git may use
//	                    BARE_REPO_DIR, which needs no token)
//	GIT_SSL_CAINFO      the CA bundle
//
// One per scenario; it stops when the scenario ends.
func cmdGitHub(ts *testscript.TestScript, neg bool, args []string) {
	fset := flag.NewFlagSet("github", flag.ContinueOnError)
	repo := fset.String("repo", defaultGitHubRepository, "the repository (owner/name) whose tags and branches BARE_REPO_DIR holds")
	if neg || fset.Parse(args) != nil || fset.NArg() != 1 {
		ts.Fatalf("usage: github [-repo owner/name] BARE_REPO_DIR")
	}
	if owner, name, ok := strings.Cut(*repo, "/"); !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		ts.Fatalf("github: -repo %q is not owner/name", *repo)
	}
	bare := ts.MkAbs(fset.Arg(0))
	out, err := gitCommand("--git-dir="+bare, "rev-parse", "--is-bare-repository").Output()
	if err != nil || strings.TrimSpace(string(out)) != "true" {
		ts.Fatalf("github: %s is not a bare git repository (git init --bare %s)", fset.Arg(0), fset.Arg(0))
	}
	token := ts.Getenv("GITHUB_TOKEN")
	if token == "" {
		ts.Fatalf("github: $GITHUB_TOKEN is empty; the fake needs a token to require")
	}
	h := ts.Value(githubKey{}).(*githubHolder)
	if h.srv != nil {
		ts.Fatalf("github: already started in this scenario, at %s", h.srv.URL())
	}
	srv := githubtest.Start(theCA.ServerTLSConfig())
	srv.Token = token
	want := *repo
	srv.AddRepository(want, bare)
	h.srv, h.repo = srv, want
	ts.Defer(srv.Close)
	ts.Setenv("GITHUB_API_URL", srv.APIURL())
	ts.Setenv("GITHUB_UPLOAD_URL", srv.UploadURL())
	ts.Setenv("GITHUB_SERVER_URL", srv.URL())
	ts.Setenv("GITHUB_REPOSITORY", want)
	ts.Setenv("GITHUB_GIT_URL", srv.GitURL(want))
	ts.Setenv("GIT_SSL_CAINFO", caBundle)
}

// gitCommand is git with no user or system configuration.
func gitCommand(args ...string) *exec.Cmd {
	cmd := exec.Command("git", args...)
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	return cmd
}

// github-state [-v]
//
// Prints the fake GitHub's state to stdout, sorted, one line per release,
// asset and pull request, then the counts:
//
//	release TAG draft=false prerelease=true
//	asset TAG NAME sha256=HEX
//	pull #N HEAD -> BASE state=open
//	releases 2 assets 4 pulls 1
//
// Releases sort by tag (then creation), assets by tag and name, pull
// requests by number. A release or pull request of a repository other than
// `github -repo` ends in " repo=OWNER/NAME". -v adds the release's
// target=COMMITISH and title="..." (Go-quoted), and the pull request's
// title="...".
func cmdGitHubState(ts *testscript.TestScript, neg bool, args []string) {
	fset := flag.NewFlagSet("github-state", flag.ContinueOnError)
	verbose := fset.Bool("v", false, "also print targets and titles")
	if neg || fset.Parse(args) != nil || fset.NArg() != 0 {
		ts.Fatalf("usage: github-state [-v]")
	}
	h := fakeGitHub(ts, "github-state")
	other := func(repo string) string {
		if repo == h.repo {
			return ""
		}
		return " repo=" + repo
	}
	rels := h.srv.Releases()
	sort.SliceStable(rels, func(i, j int) bool { return rels[i].Tag < rels[j].Tag })
	type assetLine struct{ tag, name, line string }
	var assets []assetLine
	w := ts.Stdout()
	for _, r := range rels {
		line := fmt.Sprintf("release %s draft=%t prerelease=%t", r.Tag, r.Draft, r.Prerelease)
		if *verbose {
			line += fmt.Sprintf(" target=%s title=%q", r.Target, r.Name)
		}
		fmt.Fprintln(w, line+other(r.Repository))
		for _, a := range r.Assets {
			assets = append(assets, assetLine{r.Tag, a.Name, fmt.Sprintf("asset %s %s sha256=%s%s", r.Tag, a.Name, a.SHA256, other(r.Repository))})
		}
	}
	sort.SliceStable(assets, func(i, j int) bool {
		if assets[i].tag != assets[j].tag {
			return assets[i].tag < assets[j].tag
		}
		return assets[i].name < assets[j].name
	})
	for _, a := range assets {
		fmt.Fprintln(w, a.line)
	}
	pulls := h.srv.Pulls()
	sort.SliceStable(pulls, func(i, j int) bool { return pulls[i].Number < pulls[j].Number })
	for _, p := range pulls {
		line := fmt.Sprintf("pull #%d %s -> %s state=%s", p.Number, p.Head, p.Base, p.State)
		if *verbose {
			line += fmt.Sprintf(" title=%q", p.Title)
		}
		fmt.Fprintln(w, line+other(p.Repository))
	}
	fmt.Fprintf(w, "releases %d assets %d pulls %d\n", len(rels), len(assets), len(pulls))
}

// github-calls
//
// Prints every request the fake GitHub received so far, in order, as
// "METHOD PATH STATUS", then "calls N mutations M" (M counts the requests
// that created or edited something).
func cmdGitHubCalls(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: github-calls")
	}
	h := fakeGitHub(ts, "github-calls")
	calls := h.srv.Calls()
	for _, c := range calls {
		fmt.Fprintf(ts.Stdout(), "%s %s %d\n", c.Method, c.Path, c.Status)
	}
	fmt.Fprintf(ts.Stdout(), "calls %d mutations %d\n", len(calls), h.srv.Mutations())
}

// github-fail [-apply] METHOD PATHSUBSTR [N] [STATUS]
// github-fail -clear
//
// Makes the fake GitHub fail the Nth (default 1st) request from now on whose
// method is METHOD ("*" for any) and whose URL path contains PATHSUBSTR
// ("" for any), answering STATUS (default 502) with a JSON error. With
// -apply the request takes effect first and only its answer is the failure,
// as when GitHub did the work but the response was lost. Each rule fires
// once; rules add up. -clear removes every rule.
func cmdGitHubFail(ts *testscript.TestScript, neg bool, args []string) {
	const usage = "usage: github-fail [-apply] METHOD PATHSUBSTR [N] [STATUS] | github-fail -clear"
	fset := flag.NewFlagSet("github-fail", flag.ContinueOnError)
	apply := fset.Bool("apply", false, "apply the request's effect, then fail")
	clear := fset.Bool("clear", false, "remove every failure rule")
	if neg || fset.Parse(args) != nil {
		ts.Fatalf(usage)
	}
	h := fakeGitHub(ts, "github-fail")
	if *clear {
		if *apply || fset.NArg() != 0 {
			ts.Fatalf(usage)
		}
		h.srv.ClearFailures()
		return
	}
	if fset.NArg() < 2 || fset.NArg() > 4 {
		ts.Fatalf(usage)
	}
	rule := githubtest.Rule{Method: fset.Arg(0), Path: fset.Arg(1), Nth: 1, Status: http.StatusBadGateway, Apply: *apply}
	if rule.Method == "*" {
		rule.Method = ""
	} else if rule.Method != strings.ToUpper(rule.Method) {
		ts.Fatalf("github-fail: METHOD %q: write it in upper case (GET, POST, PATCH) or *", rule.Method)
	}
	for i, p := range []*int{&rule.Nth, &rule.Status} {
		if fset.NArg() <= 2+i {
			break
		}
		n, err := strconv.Atoi(fset.Arg(2 + i))
		if err != nil || n < 1 || (i == 1 && (n < 100 || n > 599)) {
			ts.Fatalf("github-fail: %q is not a valid %s\n%s", fset.Arg(2+i), []string{"N (1 or more)", "HTTP status"}[i], usage)
		}
		*p = n
	}
	h.srv.Fail(rule)
}

// github-pull-state N open|closed|merged
//
// Sets the state of pull request #N, as a maintainer closing (or
// reopening, or merging) it would.
func cmdGitHubPullState(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 || (args[1] != "open" && args[1] != "closed" && args[1] != "merged") {
		ts.Fatalf("usage: github-pull-state N open|closed|merged")
	}
	n, err := strconv.Atoi(strings.TrimPrefix(args[0], "#"))
	if err != nil {
		ts.Fatalf("github-pull-state: %q is not a pull request number", args[0])
	}
	h := fakeGitHub(ts, "github-pull-state")
	found := false
	for _, p := range h.srv.Pulls() {
		found = found || p.Number == n
	}
	if !found {
		ts.Fatalf("github-pull-state: no pull request #%d", n)
	}
	h.srv.SetPullState(n, args[1])
}

// github-repo OWNER/NAME BARE_REPO_DIR
//
// Registers another bare repository with the fake GitHub that `github`
// started, as OWNER/NAME (a fork, say): git reaches it at
// $GITHUB_SERVER_URL/OWNER/NAME.git, with the token.
func cmdGitHubRepo(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: github-repo OWNER/NAME BARE_REPO_DIR")
	}
	if owner, name, ok := strings.Cut(args[0], "/"); !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		ts.Fatalf("github-repo: %q is not owner/name", args[0])
	}
	h := fakeGitHub(ts, "github-repo")
	bare := ts.MkAbs(args[1])
	out, err := gitCommand("--git-dir="+bare, "rev-parse", "--is-bare-repository").Output()
	if err != nil || strings.TrimSpace(string(out)) != "true" {
		ts.Fatalf("github-repo: %s is not a bare git repository", args[1])
	}
	h.srv.AddRepository(args[0], bare)
}

// github-asset TAG NAME FILE
//
// Writes the bytes of asset NAME of the release for TAG (draft or
// published) to FILE, as the signing ceremony downloads a pre-signing
// archive from the release page.
func cmdGitHubAsset(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: github-asset TAG NAME FILE")
	}
	h := fakeGitHub(ts, "github-asset")
	for _, r := range h.srv.Releases() {
		if r.Tag != args[0] {
			continue
		}
		for _, a := range r.Assets {
			if a.Name == args[1] {
				ts.Check(os.WriteFile(ts.MkAbs(args[2]), a.Data, 0o644))
				return
			}
		}
	}
	ts.Fatalf("github-asset: release %s has no asset %s", args[0], args[1])
}
