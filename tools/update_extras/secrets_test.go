package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const secretToken = "ghp_0123456789abcdefSECRET"

// releaseWithURL makes the fixture's GitHub API list one asset, name, with
// the browser_download_url dlURL and the digest of data.
func (w *workspace) releaseWithURL(tag, name, dlURL string, data []byte) {
	w.t.Helper()
	doc := fmt.Sprintf(`{"id": 1, "tag_name": %[1]q, "name": %[1]q, "draft": false, "prerelease": false, "assets": [
{"url": "%[2]s/repos/o/r/releases/assets/10", "id": 10, "name": %[3]q, "content_type": "application/octet-stream", "size": %[4]d, "digest": "sha256:%[5]s", "browser_download_url": %[6]q}]}`,
		tag, w.srv.URL, name, len(data), hexSHA(data), dlURL)
	p := filepath.Join(w.srv.root, "api", "o", "r", tag+".json")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		w.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(doc), 0o644); err != nil {
		w.t.Fatal(err)
	}
}

// checkNoSecret fails if the output shows secret.
func checkNoSecret(t *testing.T, r result, secret string) {
	t.Helper()
	if strings.Contains(r.stdout+r.stderr, secret) {
		t.Errorf("the output shows %q:\nstdout:\n%s\nstderr:\n%s", secret, r.stdout, r.stderr)
	}
}

// TestFromReleaseCredentialsInURL has the GitHub API answer with download
// URLs that carry the token or other credentials: from-release must
// refuse them before downloading anything, say why without showing the
// secret, and leave extras.json as it was.
func TestFromReleaseCredentialsInURL(t *testing.T) {
	srvHost := func(w *workspace) string { return strings.TrimPrefix(w.srv.URL, "http://") }
	for _, tc := range []struct {
		name   string
		url    func(w *workspace) string // the asset's browser_download_url
		secret string                    // must not be printed
		stderr string                    // a regular expression
	}{
		{
			name: "token as password",
			url: func(w *workspace) string {
				return "http://x-access-token:" + secretToken + "@" + srvHost(w) + "/dl/v1/perso_release.tar.gz"
			},
			secret: secretToken,
			stderr: `^update_extras from-release: entry "perso_release": asset perso_release\.tar\.gz: refusing the browser_download_url that GitHub gives: URL "http://REDACTED@127\.0\.0\.1:\d+/dl/v1/perso_release\.tar\.gz" carries credentials \(user information\); extras\.json is committed, so it must not hold secrets, and a release's download URLs must be public\nnothing was changed\n$`,
		},
		{
			name: "token as user name",
			url: func(w *workspace) string {
				return "http://" + secretToken + "@" + srvHost(w) + "/dl/v1/perso_release.tar.gz"
			},
			secret: secretToken,
			stderr: `URL "http://REDACTED@127\.0\.0\.1:\d+/dl/v1/perso_release\.tar\.gz" carries credentials \(user information\)`,
		},
		{
			name: "other password",
			url: func(w *workspace) string {
				return "http://deploy:hunter2hunter2@" + srvHost(w) + "/dl/v1/perso_release.tar.gz"
			},
			secret: "hunter2",
			stderr: `URL "http://REDACTED@127\.0\.0\.1:\d+/dl/v1/perso_release\.tar\.gz" carries credentials \(user information\)`,
		},
		{
			name:   "token in the query",
			url:    func(w *workspace) string { return w.srv.URL + "/dl/v1/perso_release.tar.gz?token=" + secretToken },
			secret: secretToken,
			stderr: `^update_extras from-release: entry "perso_release": asset perso_release\.tar\.gz: refusing the browser_download_url that GitHub gives: URL "http://127\.0\.0\.1:\d+/dl/v1/perso_release\.tar\.gz\?token=REDACTED" carries the GitHub token \(\$GITHUB_TOKEN\) in its query; extras\.json is committed, so it must not hold secrets, and a release's download URLs must be public\nnothing was changed\n$`,
		},
		{
			// A parameter name that does not look like a credential.
			name:   "token as another query value",
			url:    func(w *workspace) string { return w.srv.URL + "/dl/v1/perso_release.tar.gz?x=1&v=" + secretToken },
			secret: secretToken,
			stderr: `URL "http://127\.0\.0\.1:\d+/dl/v1/perso_release\.tar\.gz\?x=1&v=REDACTED" carries the GitHub token \(\$GITHUB_TOKEN\) in its query`,
		},
		{
			name:   "token in the path",
			url:    func(w *workspace) string { return w.srv.URL + "/dl/" + secretToken + "/perso_release.tar.gz" },
			secret: secretToken,
			stderr: `URL "http://127\.0\.0\.1:\d+/dl/REDACTED/perso_release\.tar\.gz" carries the GitHub token \(\$GITHUB_TOKEN\); extras\.json is committed`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorkspace(t, "{}\n")
			w.getenv["GITHUB_TOKEN"] = secretToken
			w.serve("dl/v1/perso_release.tar.gz", goodTarGz)
			w.serve("dl/"+secretToken+"/perso_release.tar.gz", goodTarGz)
			w.releaseWithURL("v1", "perso_release.tar.gz", tc.url(w), goodTarGz)
			before := w.readExtras()
			r := w.run("from-release", "-api-url", w.srv.URL, "-repo", "o/r", "-tag", "v1")
			checkNoSecret(t, r, tc.secret)
			if r.code != exitFail {
				t.Errorf("exit %d, want 1", r.code)
			}
			matchAll(t, "stderr", r.stderr, []string{tc.stderr})
			if !bytes.Equal(before, w.readExtras()) {
				t.Errorf("extras.json changed:\n%s", w.readExtras())
			}
			// Nothing was downloaded: the token went to the API only.
			if got := authHeaders(w.srv.root); len(got) != 1 {
				t.Errorf("requests: %v, want only the API's", got)
			}
			w.assertClean()
		})
	}
}

// TestSetAndImportRefuseToken checks that set and import-bzl refuse a URL
// carrying the token before downloading it.
func TestSetAndImportRefuseToken(t *testing.T) {
	w := newWorkspace(t, "{}\n")
	w.getenv["GITHUB_TOKEN"] = secretToken
	u := w.serve("a.tar.gz", goodTarGz) + "?access=" + secretToken
	r := w.run("set", "perso_release", u, "-strip-prefix", "rel-1.0")
	checkNoSecret(t, r, secretToken)
	matchAll(t, "stderr", r.stderr, []string{`^update_extras set: entry "perso_release": URL "http://127\.0\.0\.1:\d+/a\.tar\.gz\?access=REDACTED" carries the GitHub token \(\$GITHUB_TOKEN\) in its query; extras\.json is committed, so it must not hold secrets: use a URL without them\nnothing was changed\n$`})
	if r.code != exitFail || string(w.readExtras()) != "{}\n" || w.srv.Requests("/a.tar.gz") != 0 {
		t.Errorf("exit %d, %d downloads, extras.json:\n%s", r.code, w.srv.Requests("/a.tar.gz"), w.readExtras())
	}

	bzl := filepath.Join(w.dir, "extension.bzl")
	os.WriteFile(bzl, []byte(fmt.Sprintf("_ARCHIVES = {\n    \"perso_release\": {\n        \"url\": %q,\n        \"sha256\": %q,\n    },\n}\n", u, hexSHA(goodTarGz))), 0o644)
	r = w.run("import-bzl", "-verify", "extension.bzl")
	checkNoSecret(t, r, secretToken)
	matchAll(t, "stderr", r.stderr, []string{`^update_extras import-bzl: extension\.bzl: entry "perso_release": URL "http://127\.0\.0\.1:\d+/a\.tar\.gz\?access=REDACTED" carries the GitHub token \(\$GITHUB_TOKEN\) in its query; extras\.json is committed, so it must not hold secrets: use a URL without them\nnothing was changed\n$`})
	if r.code != exitFail || string(w.readExtras()) != "{}\n" || w.srv.Requests("/a.tar.gz") != 0 {
		t.Errorf("exit %d, %d downloads, extras.json:\n%s", r.code, w.srv.Requests("/a.tar.gz"), w.readExtras())
	}
	w.assertClean()
}

// TestOutputRedacted checks that the token is hidden in every line the
// tool prints, not only in error messages: here in the diff, when
// from-release replaces an entry whose old URL carries the token.
func TestOutputRedacted(t *testing.T) {
	w := newWorkspace(t, "")
	w.getenv["GITHUB_TOKEN"] = secretToken
	// Parse takes such a file: it cannot know the token.
	old := w.serve("old/perso_release.tar.gz", goodTarGz) + "?v=" + secretToken
	w.writeExtras(`{"perso_release": {"urls": ["` + old + `"], "sha256": "` + hexSHA(goodTarGz) + `", "strip_prefix": "rel-1.0"}}`)
	dl := w.serve("dl/v1/perso_release.tar.gz", goodTarGz)
	w.releaseWithURL("v1", "perso_release.tar.gz", dl, goodTarGz)
	r := w.run("from-release", "-api-url", w.srv.URL, "-repo", "o/r", "-tag", "v1")
	if r.code != 0 {
		t.Fatalf("exit %d:\n%s", r.code, r.stderr)
	}
	checkNoSecret(t, r, secretToken)
	matchAll(t, "stdout", r.stdout, []string{`^- url: http://127\.0\.0\.1:\d+/old/perso_release\.tar\.gz\?v=REDACTED\n\+ url: ` + regexp.QuoteMeta(dl) + `\n`})
	if strings.Contains(string(w.readExtras()), secretToken) {
		t.Errorf("extras.json keeps the token:\n%s", w.readExtras())
	}
}
