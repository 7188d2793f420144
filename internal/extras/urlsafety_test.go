package extras

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// parseOneURL parses a file whose entry "perso_release" has the single URL
// u, at line 3, column 14, and returns the messages.
func parseOneURL(t *testing.T, u string) []string {
	t.Helper()
	data := "{\n  \"perso_release\": {\n    \"urls\": [\"" + u + "\"],\n    \"sha256\": \"" + testHex + "\"\n  }\n}\n"
	_, err := Parse(context.Background(), "extras.json", []byte(data), Options{})
	if err == nil {
		return nil
	}
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("%s: got %v, want an ErrorList", u, err)
	}
	var msgs []string
	for _, e := range list {
		msgs = append(msgs, e.Error())
	}
	return msgs
}

// TestURLQueryCredentials checks that signed URLs and URLs with a token in
// their query are refused, naming the file, line, column, entry and
// parameter, never the parameter's value, and the way out.
func TestURLQueryCredentials(t *testing.T) {
	const secret = "s3cretSIGvalue"
	const prefix = `extras.json:3:14: entry "perso_release": URL `
	const suffix = ` (a signed URL or a token: whoever reads it gets access, and signed URLs expire); extras.json is committed, so it must not hold secrets: publish the archive at a URL without credentials, such as a GitHub release asset (https://github.com/OWNER/NAME/releases/download/TAG/ASSET)`
	for _, tc := range []struct {
		name, url, shown, params string
	}{
		{
			name:   "S3 SigV4 presigned",
			url:    "https://bucket.s3.amazonaws.com/a.tar.gz?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA" + secret + "%2F20250101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20250101T000000Z&X-Amz-Expires=300&X-Amz-SignedHeaders=host&X-Amz-Signature=" + secret,
			shown:  "https://bucket.s3.amazonaws.com/a.tar.gz?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=REDACTED&X-Amz-Date=20250101T000000Z&X-Amz-Expires=300&X-Amz-SignedHeaders=host&X-Amz-Signature=REDACTED",
			params: `the query parameters "X-Amz-Credential", "X-Amz-Signature"`,
		},
		{
			name:   "GitHub's release redirect, lower case",
			url:    "https://objects.githubusercontent.com/github-production-release-asset/1/2?x-amz-signature=" + secret + "&response-content-disposition=attachment",
			shown:  "https://objects.githubusercontent.com/github-production-release-asset/1/2?x-amz-signature=REDACTED&response-content-disposition=attachment",
			params: `the query parameter "x-amz-signature"`,
		},
		{
			name:   "STS session token",
			url:    "https://b.example/a.tar.gz?X-Amz-Security-Token=" + secret,
			shown:  "https://b.example/a.tar.gz?X-Amz-Security-Token=REDACTED",
			params: `the query parameter "X-Amz-Security-Token"`,
		},
		{
			name:   "GCS V4",
			url:    "https://storage.googleapis.com/b/a.tar.gz?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Credential=sa%40p.iam&X-Goog-Signature=" + secret,
			shown:  "https://storage.googleapis.com/b/a.tar.gz?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Credential=REDACTED&X-Goog-Signature=REDACTED",
			params: `the query parameters "X-Goog-Credential", "X-Goog-Signature"`,
		},
		{
			name:   "CloudFront",
			url:    "https://d111.cloudfront.net/a.tar.gz?Expires=1700000000&Signature=" + secret + "&Key-Pair-Id=K2JCJMDEHXQW5F",
			shown:  "https://d111.cloudfront.net/a.tar.gz?Expires=1700000000&Signature=REDACTED&Key-Pair-Id=K2JCJMDEHXQW5F",
			params: `the query parameter "Signature"`,
		},
		{
			name:   "Azure SAS",
			url:    "https://acct.blob.core.windows.net/c/a.tar.gz?sv=2022-11-02&se=2025-01-01&sp=r&sig=" + secret,
			shown:  "https://acct.blob.core.windows.net/c/a.tar.gz?sv=2022-11-02&se=2025-01-01&sp=r&sig=REDACTED",
			params: `the query parameter "sig"`,
		},
		{
			name:   "token",
			url:    "https://raw.githubusercontent.com/o/r/main/a.tar.gz?token=" + secret,
			shown:  "https://raw.githubusercontent.com/o/r/main/a.tar.gz?token=REDACTED",
			params: `the query parameter "token"`,
		},
		{
			name:   "GitLab private token, percent-encoded name, fragment kept",
			url:    "https://gitlab.example/a.tar.gz?private%5Ftoken=" + secret + "#x",
			shown:  "https://gitlab.example/a.tar.gz?private%5Ftoken=REDACTED#x",
			params: `the query parameter "private_token"`,
		},
		{
			name:   "access_token, api_key, apikey, auth, client_secret, password",
			url:    "https://e.example/a.tar.gz?ACCESS_TOKEN=" + secret + "&api_key=" + secret + "&ApiKey=" + secret + "&auth=" + secret + "&client_secret=" + secret + "&password=" + secret,
			shown:  "https://e.example/a.tar.gz?ACCESS_TOKEN=REDACTED&api_key=REDACTED&ApiKey=REDACTED&auth=REDACTED&client_secret=REDACTED&password=REDACTED",
			params: `the query parameters "ACCESS_TOKEN", "api_key", "ApiKey", "auth", "client_secret", "password"`,
		},
		{
			name:   "Google API key",
			url:    "https://www.googleapis.com/storage/v1/b/x/o/a.tar.gz?alt=media&key=AIza" + secret,
			shown:  "https://www.googleapis.com/storage/v1/b/x/o/a.tar.gz?alt=media&key=REDACTED",
			params: `the query parameter "key"`,
		},
		{
			name:   "semicolon separator",
			url:    "https://e.example/a.tar.gz?a=1;sig=" + secret,
			shown:  "https://e.example/a.tar.gz?a=1;sig=REDACTED",
			params: `the query parameter "sig"`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msgs := parseOneURL(t, tc.url)
			want := prefix + `"` + tc.shown + `" carries credentials in ` + tc.params + suffix
			if len(msgs) != 1 || msgs[0] != want {
				t.Errorf("got %q\nwant [%q]", msgs, want)
			}
			if strings.Contains(strings.Join(msgs, "\n"), secret) {
				t.Errorf("the message shows the secret: %s", msgs)
			}
		})
	}
}

// TestURLHarmlessQuery checks query parameters that carry no credential.
func TestURLHarmlessQuery(t *testing.T) {
	for _, u := range []string{
		"https://example.com/a.tar.gz?key=perso-1.0.tar.gz",
		"https://example.com/a.tar.gz?Expires=1700000000&Key-Pair-Id=K2J",
		"https://example.com/a.tar.gz?sv=2022-11-02&se=2025-01-01&sp=r",
		"https://example.com/a.tar.gz?download=1&tokens=3&signature_version=2&author=me",
		"https://example.com/a.tar.gz?token=",
		"https://example.com/a.tar.gz?token",
		"https://example.com/a.tar.gz#token=x",
		"https://example.com/token=x/a.tar.gz",
		"https://xn--pple-43d.com/a.tar.gz",
	} {
		if msgs := parseOneURL(t, u); msgs != nil {
			t.Errorf("%s: %q", u, msgs)
		}
	}
}

// TestQueryCredentialsUnparsable checks that QueryCredentials finds and
// hides credentials in URLs that url.Parse refuses.
func TestQueryCredentialsUnparsable(t *testing.T) {
	shown, params := QueryCredentials("https://e.example:port/a b.tar.gz?sig=s3cret&x=%zz")
	if want := "https://e.example:port/a b.tar.gz?sig=REDACTED&x=%zz"; shown != want || len(params) != 1 || params[0] != "sig" {
		t.Errorf("got %q, %q; want %q, [sig]", shown, params, want)
	}
}

// TestURLLookalikes checks that URLs with a non-ASCII host, a
// bidirectional control or an invisible character are refused, naming the
// code point and where it is, and showing the URL with non-ASCII escaped.
func TestURLLookalikes(t *testing.T) {
	const prefix = `extras.json:3:14: entry "perso_release": `
	const hostFix = `, which can look like another host; write the host in ASCII: if it really is an internationalized domain name, use its punycode form (xn--...)`
	const bidi = `a bidirectional control character, which reorders how the text around it is displayed; remove it, or percent-encode it if it really belongs in the URL`
	const invisible = `an invisible formatting character; remove it, or percent-encode it if it really belongs in the URL`
	for _, tc := range []struct {
		name, url, want string
	}{
		{"Cyrillic a in the host", "https://github.\u0441om/o/r/releases/download/v1/a.tar.gz",
			`URL "https://github.\u0441om/o/r/releases/download/v1/a.tar.gz" has the non-ASCII character '\u0441' (U+0441, a Cyrillic character) in its host "github.\u0441om"` + hostFix},
		{"percent-encoded Cyrillic host", "https://%D0%B0pple.com/a.tar.gz",
			`URL "https://%D0%B0pple.com/a.tar.gz" has the non-ASCII character '\u0430' (U+0430, a Cyrillic character) in its host "\u0430pple.com"` + hostFix},
		{"Greek omicron", "https://g\u03bfogle.com/a.tar.gz",
			`URL "https://g\u03bfogle.com/a.tar.gz" has the non-ASCII character '\u03bf' (U+03BF, a Greek character) in its host "g\u03bfogle.com"` + hostFix},
		{"full-width letter", "https://\uff47ithub.com/a.tar.gz",
			`URL "https://\uff47ithub.com/a.tar.gz" has the non-ASCII character '\uff47' (U+FF47, a Latin character) in its host "\uff47ithub.com"` + hostFix},
		{"RIGHT-TO-LEFT OVERRIDE in the path", "https://example.com/perso\u202ezg.rat.tar.gz",
			`URL "https://example.com/perso\u202ezg.rat.tar.gz" contains U+202E at character 26, ` + bidi},
		{"RIGHT-TO-LEFT ISOLATE in the host", "https://exa\u2067mple.com/a.tar.gz",
			`URL "https://exa\u2067mple.com/a.tar.gz" contains U+2067 at character 12, ` + bidi},
		{"ARABIC LETTER MARK", "https://example.com/a.tar.gz?\u061c",
			`URL "https://example.com/a.tar.gz?\u061c" contains U+061C at character 30, ` + bidi},
		{"LEFT-TO-RIGHT MARK", "https://example.com/\u200ea.tar.gz",
			`URL "https://example.com/\u200ea.tar.gz" contains U+200E at character 21, ` + bidi},
		{"ZERO WIDTH SPACE in the host", "https://git\u200bhub.com/a.tar.gz",
			`URL "https://git\u200bhub.com/a.tar.gz" contains U+200B at character 12, ` + invisible},
		{"ZERO WIDTH JOINER", "https://example.com/a\u200d.tar.gz",
			`URL "https://example.com/a\u200d.tar.gz" contains U+200D at character 22, ` + invisible},
		{"WORD JOINER", "https://example.com/a\u2060.tar.gz",
			`URL "https://example.com/a\u2060.tar.gz" contains U+2060 at character 22, ` + invisible},
		{"BYTE ORDER MARK", "\ufeffhttps://example.com/a.tar.gz",
			`URL "\ufeffhttps://example.com/a.tar.gz" contains U+FEFF at character 1, ` + invisible},
		{"SOFT HYPHEN", "https://exam\u00adple.com/a.tar.gz",
			`URL "https://exam\u00adple.com/a.tar.gz" contains U+00AD at character 13, ` + invisible},
		{"TAG LATIN SMALL LETTER A (Cf outside the BMP)", "https://example.com/a.tar.gz\U000E0061",
			`URL "https://example.com/a.tar.gz\U000e0061" contains U+E0061 at character 29, ` + invisible},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msgs := parseOneURL(t, tc.url)
			if want := prefix + tc.want; len(msgs) != 1 || msgs[0] != want {
				t.Errorf("got %q\nwant [%q]", msgs, want)
			}
		})
	}
}

// TestHiddenRunesInStrings checks that strip_prefix and provenance, which
// refuse control characters, also refuse bidirectional controls and
// invisible characters.
func TestHiddenRunesInStrings(t *testing.T) {
	for _, tc := range []struct {
		key, value, want string
	}{
		{"strip_prefix", `perso\u202e1.0`, `extras.json:1:142: entry "a": strip_prefix "perso\u202e1.0" contains U+202E at character 6, a bidirectional control character, which reorders how the text around it is displayed; remove it`},
		{"strip_prefix", `perso\u200b`, `extras.json:1:142: entry "a": strip_prefix "perso\u200b" contains U+200B at character 6, an invisible formatting character; remove it`},
	} {
		data := `{"a": {"urls": ["https://e.example/a.tar.gz"], "sha256": "` + testHex + `", "` + tc.key + `": "` + tc.value + `"}}`
		_, err := Parse(context.Background(), "extras.json", []byte(data), Options{})
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s %s:\n got %v\nwant %s", tc.key, tc.value, err, tc.want)
		}
	}
	data := `{"a": {"urls": ["https://e.example/a.tar.gz"], "sha256": "` + testHex + `", "provenance": {"tag": "v1\u2066.0"}}}`
	_, err := Parse(context.Background(), "extras.json", []byte(data), Options{})
	if want := `provenance.tag "v1\u2066.0" contains U+2066 at character 3, a bidirectional control character`; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("provenance.tag: got %v, want it to contain %s", err, want)
	}
}
