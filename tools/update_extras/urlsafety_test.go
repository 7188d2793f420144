package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestSetRefusesSignedAndLookalikeURLs runs set with URLs that the format
// refuses although they download fine: a presigned URL (its signature is a
// secret), a token in the query, a host with a Cyrillic letter and a path
// with U+202E. Each is refused before anything is downloaded, without
// printing the secret, and extras.json stays byte for byte as it was.
func TestSetRefusesSignedAndLookalikeURLs(t *testing.T) {
	const sig = "0123456789abcdefSIGNATURE"
	const before = "{\n  \"perso_release\": {\n    \"urls\": [\n      \"https://github.com/lowRISC/ot-sku/releases/download/v1/perso_release.tar.gz\"\n    ],\n    \"sha256\": \"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\"\n  }\n}\n"
	for _, tc := range []struct {
		name   string
		url    func(served string) string
		stderr string // a regular expression
	}{
		{
			name: "presigned S3 URL",
			url: func(served string) string {
				return served + "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20250101&X-Amz-Date=20250101T000000Z&X-Amz-Expires=300&X-Amz-SignedHeaders=host&X-Amz-Signature=" + sig
			},
			stderr: `^update_extras set: invalid entry:\nentry "perso_release": URL "http://127\.0\.0\.1:\d+/a\.tar\.gz\?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=REDACTED&X-Amz-Date=20250101T000000Z&X-Amz-Expires=300&X-Amz-SignedHeaders=host&X-Amz-Signature=REDACTED" carries credentials in the query parameters "X-Amz-Credential", "X-Amz-Signature" \(a signed URL or a token: whoever reads it gets access, and signed URLs expire\); extras\.json is committed, so it must not hold secrets: publish the archive at a URL without credentials, such as a GitHub release asset \(https://github\.com/OWNER/NAME/releases/download/TAG/ASSET\)\nnothing was changed\n$`,
		},
		{
			name:   "token in the query",
			url:    func(served string) string { return served + "?token=" + sig },
			stderr: `^update_extras set: invalid entry:\nentry "perso_release": URL "http://127\.0\.0\.1:\d+/a\.tar\.gz\?token=REDACTED" carries credentials in the query parameter "token" .*publish the archive at a URL without credentials.*\nnothing was changed\n$`,
		},
		{
			name: "Cyrillic letter in the host",
			url: func(string) string {
				return "https://github.\u0441om/lowRISC/ot-sku/releases/download/v1/perso_release.tar.gz"
			},
			stderr: `^update_extras set: invalid entry:\nentry "perso_release": URL "https://github\.\\u0441om/lowRISC/ot-sku/releases/download/v1/perso_release\.tar\.gz" has the non-ASCII character '\\u0441' \(U\+0441, a Cyrillic character\) in its host "github\.\\u0441om", which can look like another host; write the host in ASCII: .*\(xn--\.\.\.\)\nnothing was changed\n$`,
		},
		{
			name:   "RIGHT-TO-LEFT OVERRIDE",
			url:    func(served string) string { return strings.Replace(served, "a.tar.gz", "a\u202ezg.rat.tar.gz", 1) },
			stderr: `^update_extras set: invalid entry:\nentry "perso_release": URL "http://127\.0\.0\.1:\d+/a\\u202ezg\.rat\.tar\.gz" contains U\+202E at character \d+, a bidirectional control character, which reorders how the text around it is displayed; remove it, or percent-encode it if it really belongs in the URL\nnothing was changed\n$`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorkspace(t, before)
			served := w.serve("a.tar.gz", goodTarGz)
			r := w.run("set", "perso_release", tc.url(served), "-strip-prefix", "rel-1.0")
			if r.code != exitFail {
				t.Errorf("exit %d, want %d; stdout:\n%s", r.code, exitFail, r.stdout)
			}
			checkNoSecret(t, r, sig)
			matchAll(t, "stderr", r.stderr, []string{tc.stderr})
			if got := string(w.readExtras()); got != before {
				t.Errorf("extras.json changed:\n%s", got)
			}
			if n := w.srv.Requests("/a.tar.gz"); n != 0 {
				t.Errorf("%d downloads, want none", n)
			}
			w.assertClean()
		})
	}
}

// TestFromReleaseRefusesRedirectToHTTP has the GitHub API at an https://
// URL redirect to the plain-HTTP fixture, which answers with a release
// whose asset it serves itself, with a digest that matches. Following the
// redirect would trust that plain answer for both the asset's URL and its
// digest; from-release must refuse the redirect, even with
// -allow-insecure (the loopback opt-in is for http:// URLs given as
// such, not for leaving https), and change nothing.
func TestFromReleaseRefusesRedirectToHTTP(t *testing.T) {
	w := newWorkspace(t, "{}\n")
	dl := w.serve("dl/v1/perso_release.tar.gz", goodTarGz)
	w.releaseWithURL("v1", "perso_release.tar.gz", dl, goodTarGz)
	api := httptest.NewTLSServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		http.Redirect(rw, r, w.srv.URL+r.URL.Path, http.StatusFound)
	}))
	defer api.Close()
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"from-release", "-allow-insecure", "-lock-timeout", "2s", "-backoff", "1ms", "-timeout", "2s", "-tmpdir", w.tmp,
		"-api-url", api.URL, "-repo", "o/r", "-tag", "v1"}, &env{
		stdout:    &out,
		stderr:    &errb,
		getenv:    func(k string) string { return w.getenv[k] },
		wd:        w.dir,
		transport: api.Client().Transport,
	})
	if code != exitFail {
		t.Errorf("exit %d, want %d; stdout:\n%s", code, exitFail, out.String())
	}
	matchAll(t, "stderr", errb.String(), []string{`^update_extras from-release: release "v1" of o/r: GET https://127\.0\.0\.1:\d+/repos/o/r/releases/tags/v1: redirected from https://127\.0\.0\.1:\d+/repos/o/r/releases/tags/v1 to http://127\.0\.0\.1:\d+/repos/o/r/releases/tags/v1, which leaves https: insecure URL; the server must redirect to an https:// URL \(a redirect away from https is never followed, not even with the loopback test opt-in\)\nnothing was changed\n$`})
	if got := string(w.readExtras()); got != "{}\n" {
		t.Errorf("extras.json changed:\n%s", got)
	}
	if n := w.srv.Requests(""); n != 0 {
		t.Errorf("the plain-HTTP server got %d requests, want none", n)
	}
	w.assertClean()
}

// TestFromReleaseAPIURLMustBeHTTPS checks that -api-url (and
// $GITHUB_API_URL), which receives the token, is https only; the loopback
// opt-in admits http:// to loopback hosts alone.
func TestFromReleaseAPIURLMustBeHTTPS(t *testing.T) {
	w := newWorkspace(t, "{}\n")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"from-release", "-api-url", "http://api.example.com/", "-repo", "o/r", "-tag", "v1"}, "update_extras from-release: GitHub API URL: URL http://api.example.com/ is not https: insecure URL\n"},
		{[]string{"from-release", "-allow-insecure", "-api-url", "http://api.example.com/", "-repo", "o/r", "-tag", "v1"}, `update_extras from-release: GitHub API URL: URL http://api.example.com/ uses http:// with the non-loopback host "api.example.com"`},
	} {
		r := w.runRaw(tc.args...)
		if r.code == 0 || !strings.HasPrefix(r.stderr, tc.want) {
			t.Errorf("%q: exit %d, stderr:\n%s\nwant it to start with %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
	w.getenv["GITHUB_API_URL"] = "http://api.example.com/"
	if r := w.runRaw("from-release", "-repo", "o/r", "-tag", "v1"); r.code == 0 || !strings.Contains(r.stderr, "GitHub API URL: URL http://api.example.com/ is not https") {
		t.Errorf("$GITHUB_API_URL: exit %d, stderr:\n%s", r.code, r.stderr)
	}
	if got := string(w.readExtras()); got != "{}\n" {
		t.Errorf("extras.json changed:\n%s", got)
	}
}
