package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestTokenInFlags checks that the URLs the release is built from may not
// carry the token, which would end up in the committed extras.json.
func TestTokenInFlags(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-server-url", "https://github.com/?token=" + testToken}, `-server-url "https://github.com/?token=REDACTED" carries the GitHub token; pass the token in $GITHUB_TOKEN only`},
		{[]string{"-server-url", "https://github.com/" + testToken}, `-server-url "https://github.com/REDACTED" carries the GitHub token`},
		{[]string{"-api-url", "https://api.github.com/?access_token=" + testToken}, `-api-url "https://api.github.com/?access_token=REDACTED" carries the GitHub token`},
		{[]string{"-upload-url", "https://uploads.github.com/" + testToken + "/"}, `-upload-url "https://uploads.github.com/REDACTED/" carries the GitHub token`},
		{[]string{"-server-url", "https://github.com/?x=1"}, `-server-url "https://github.com/?x=1" has a query or fragment`},
		{[]string{"-server-url", "https://x-access-token:" + testToken + "@github.com/"}, "-server-url"},
		// Bazel gets every -bazel-arg, and the state file records them.
		{[]string{"-bazel-arg=--action_env=AUTH=" + testToken}, `-bazel-arg "--action_env=AUTH=REDACTED" carries the GitHub token; Bazel must never get it`},
		{[]string{"-bazel-arg", "--config=release", "-bazel-arg", "--remote_header=Authorization=Bearer " + testToken}, `-bazel-arg "--remote_header=Authorization=Bearer REDACTED" carries the GitHub token`},
		// The title and notes are published.
		{[]string{"-title", "Release " + testToken}, `-title "Release REDACTED" carries the GitHub token, and it would be published on the GitHub release`},
		{[]string{"-notes", "see\n" + testToken}, `-notes "see\nREDACTED" carries the GitHub token`},
		// The uploads carry the token in their headers, so they go over https.
		{[]string{"-upload-url", "http://uploads.example.com/"}, "-upload-url: URL http://uploads.example.com/ is not https"},
		{[]string{"-upload-url", "http://uploads.example.com/", "-allow-insecure"}, `-upload-url: URL http://uploads.example.com/ uses http:// with the non-loopback host "uploads.example.com"`},
		// So do the API requests, and the download URLs built from -server-url.
		{[]string{"-api-url", "http://api.example.com/"}, "-api-url: URL http://api.example.com/ is not https"},
		{[]string{"-api-url", "http://api.example.com/", "-allow-insecure"}, `-api-url: URL http://api.example.com/ uses http:// with the non-loopback host "api.example.com"`},
		{[]string{"-server-url", "http://github.example.com"}, "-server-url: URL http://github.example.com is not https"},
		{[]string{"-server-url", "http://github.example.com", "-allow-insecure"}, `-server-url: URL http://github.example.com uses http:// with the non-loopback host "github.example.com"`},
		// No URL carries credentials, the token's or others.
		{[]string{"-api-url", "https://me:hunter2@api.github.com/"}, `-api-url "https://me:REDACTED@api.github.com/" carries credentials (user:password@)`},
		{[]string{"-upload-url", "https://me@uploads.github.com/"}, `-upload-url "https://me@uploads.github.com/" carries credentials`},
		{[]string{"-server-url", "https://me:hunter2@github.com"}, `-server-url "https://me:REDACTED@github.com" carries credentials`},
	} {
		var stdout, stderr bytes.Buffer
		args := append([]string{"presign", "-repo", testRepo, "-opentitan", dir}, tc.args...)
		code := run(context.Background(), args, &env{stdout: &stdout, stderr: &stderr, wd: dir, getenv: func(k string) string {
			if k == "GITHUB_TOKEN" {
				return testToken
			}
			return ""
		}})
		out := stdout.String() + stderr.String()
		if code != exitUsage || !strings.Contains(stderr.String(), tc.want) || strings.Contains(out, testToken) {
			t.Errorf("%v: exit %d, stderr:\n%s\nwant exit %d and %q, without the token", tc.args, code, stderr.String(), exitUsage, tc.want)
		}
	}
}

// tokenProxy stands between the tool and the fake GitHub and adds the
// token to the html_url of pull requests, as a broken or hostile API
// might: the tool prints it in its report.
func tokenProxy(t *testing.T, target, token string) *httptest.Server {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	var self string
	pullURL := regexp.MustCompile(`(/pull/\d+)"`)
	rp.ModifyResponse = func(resp *http.Response) error {
		if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
			return nil
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		// Every URL leads back through the proxy.
		body = bytes.ReplaceAll(body, []byte(target), []byte(self))
		body = pullURL.ReplaceAll(body, []byte(`$1?t=`+token+`"`))
		resp.Body = io.NopCloser(bytes.NewReader(body))
		resp.ContentLength = int64(len(body))
		resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
		return nil
	}
	srv := httptest.NewServer(rp)
	self = srv.URL
	t.Cleanup(srv.Close)
	return srv
}

// TestTokenFromAPI runs a release against a GitHub whose pull request
// URLs carry the token: neither the output (runEnv fails the test if any
// output shows the token) nor anything committed holds it, because the
// tool records the pull request's URL made from -server-url, not
// GitHub's answer.
func TestTokenFromAPI(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	proxy := tokenProxy(t, w.gh.URL(), testToken)
	w.git(w.work, "remote", "set-url", "origin", proxy.URL+"/"+testRepo+".git") // git goes through the proxy too
	common := w.common()
	for i, a := range common {
		switch a {
		case w.gh.APIURL():
			common[i] = proxy.URL + "/api/v3/"
		case w.gh.URL():
			common[i] = proxy.URL
		}
	}
	if r := w.runEnv(w.work, nil, append([]string{"presign", "-artifacts", "perso,rom_ext"}, common...)...); r.code != 0 {
		t.Fatalf("presign: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	w.sign(branch)
	r := w.runEnv(w.work, nil, append([]string{"postsign"}, common...)...)
	if r.code != 0 {
		t.Fatalf("postsign: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	page := proxy.URL + "/" + testRepo + "/pull/1"
	if want := "review and merge " + page + "."; !strings.Contains(r.stdout, want) {
		t.Errorf("postsign output lacks %q:\n%s", want, r.stdout)
	}
	if log := w.git(w.remote, "log", "-p", "--all"); strings.Contains(log, testToken) {
		t.Error("a pushed commit holds the token")
	}
	// Once more: the report names the pull request again.
	r = w.runEnv(w.work, nil, append([]string{"postsign"}, common...)...)
	if want := "pull request " + page + " (open, awaiting review); nothing to do."; r.code != 0 || !strings.Contains(r.stdout, want) {
		t.Errorf("second postsign: exit %d, output lacks %q:\n%s\n%s", r.code, want, r.stdout, r.stderr)
	}
}

// TestBazelGetsNoToken runs a whole release with the token in
// $GITHUB_TOKEN (as the world gives it), in $GH_TOKEN, in a git
// configuration variable and in the value of an innocent-looking
// variable: none of them reaches Bazel, which runs OpenTitan's code,
// while an ordinary variable does.
func TestBazelGetsNoToken(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	vars := map[string]string{
		"GH_TOKEN":           testToken,
		"GIT_CONFIG_COUNT":   "1",
		"GIT_CONFIG_KEY_0":   "http.extraheader",
		"GIT_CONFIG_VALUE_0": "AUTHORIZATION: basic eC1hY2Nlc3MtdG9rZW4K",
		"My_Secret_Thing":    "hunter2",
		"UPSTREAM_URL":       "https://x:" + testToken + "@example.com/",
		"RELEASE_TEST_KEEP":  "harmless-value",
	}
	run := func(args ...string) {
		t.Helper()
		if r := w.runEnv(w.work, vars, append(args, w.common()...)...); r.code != 0 {
			t.Fatalf("%s: exit %d\n%s\n%s", args[0], r.code, r.stdout, r.stderr)
		}
	}
	run("presign", "-artifacts", "perso,rom_ext")
	w.sign(branch)
	run("postsign")
	w.check()
	b, err := os.ReadFile(filepath.Join(w.bazelDir, "bazel.env"))
	if err != nil {
		t.Fatal(err)
	}
	env := string(b)
	if strings.Contains(env, testToken) {
		t.Error("Bazel's environment holds the token")
	}
	for _, name := range []string{"GITHUB_TOKEN", "GH_TOKEN", "GIT_CONFIG_COUNT", "GIT_CONFIG_KEY_0", "GIT_CONFIG_VALUE_0", "GIT_CONFIG_GLOBAL", "My_Secret_Thing", "UPSTREAM_URL"} {
		if strings.Contains("\n"+env, "\n"+name+"=") {
			t.Errorf("Bazel's environment has %s", name)
		}
	}
	if !strings.Contains(env, "\nRELEASE_TEST_KEEP=harmless-value\n") || !strings.Contains(env, "\nPATH=") {
		t.Errorf("Bazel's environment lacks RELEASE_TEST_KEEP or PATH:\n%s", env)
	}
}

// TestTokenInCommitMessage runs presign with a state file whose path (named
// in the commit message) holds the token: the commit is refused before
// anything is committed or pushed.
func TestTokenInCommitMessage(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	r := w.run("presign", "-artifacts", "perso", "-state", "meta/"+testToken+".json")
	if r.code != exitFail || !strings.Contains(r.stderr, "presign step 3 (release branch): refusing to write the commit message: it would hold the GitHub token") {
		t.Errorf("presign: exit %d, want 1 and the commit refused\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if log := w.git(w.remote, "log", "--all", "--format=%H %B"); strings.Contains(log, testToken) {
		t.Errorf("a pushed commit message holds the token:\n%s", log)
	}
	if log := w.git(w.work, "log", "--all", "--format=%H %B"); strings.Contains(log, testToken) {
		t.Errorf("a commit message holds the token:\n%s", log)
	}
}
