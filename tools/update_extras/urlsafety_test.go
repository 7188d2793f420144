package main

import (
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
