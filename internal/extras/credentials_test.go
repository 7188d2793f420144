package extras

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestURLCredentials checks that a URL with user information is refused,
// whatever its scheme and even if it does not parse, with a message that
// shows where it is but never the secret.
func TestURLCredentials(t *testing.T) {
	const secret = "s3cretPW"
	for _, tc := range []struct {
		url   string
		shown string // the URL as the message shows it
		opts  Options
	}{
		{url: "https://x-access-token:" + secret + "@github.com/o/r/releases/download/v1/a.tar.gz", shown: "https://REDACTED@github.com/o/r/releases/download/v1/a.tar.gz"},
		{url: "https://" + secret + "@github.com/a.tar.gz", shown: "https://REDACTED@github.com/a.tar.gz"},
		{url: "https://user@example.com/a.tar.gz", shown: "https://REDACTED@example.com/a.tar.gz"},
		{url: "https://user:" + secret + "@example.com?x=1", shown: "https://REDACTED@example.com?x=1"},
		{url: "https://user:p@" + secret + "@example.com/a.tar.gz", shown: "https://REDACTED@example.com/a.tar.gz"},
		// URLs that other checks refuse too: the credentials come first.
		{url: "HTTPS://user:" + secret + "@example.com/a.tar.gz", shown: "HTTPS://REDACTED@example.com/a.tar.gz"},
		{url: "http://user:" + secret + "@example.com/a.tar.gz", shown: "http://REDACTED@example.com/a.tar.gz"},
		{url: "https://user:" + secret + "@example.com:port/a.tar.gz", shown: "https://REDACTED@example.com:port/a.tar.gz"},
		{url: "https://user:" + secret + " x@example.com/a.tar.gz", shown: "https://REDACTED@example.com/a.tar.gz"},
		{url: "//user:" + secret + "@example.com/a.tar.gz", shown: "//REDACTED@example.com/a.tar.gz"},
		{url: "ftp://user:" + secret + "@example.com/a.tar.gz", shown: "ftp://REDACTED@example.com/a.tar.gz"},
		// Also where tests may use insecure URLs.
		{url: "http://user:" + secret + "@127.0.0.1:8080/a.tar.gz", shown: "http://REDACTED@127.0.0.1:8080/a.tar.gz", opts: Options{AllowInsecure: true}},
		{url: "file://user:" + secret + "@/tmp/a.tar.gz", shown: "file://REDACTED@/tmp/a.tar.gz", opts: Options{AllowInsecure: true}},
	} {
		data := "{\n  \"perso_release\": {\n    \"urls\": [\"" + tc.url + "\"],\n    \"sha256\": \"" + testHex + "\"\n  }\n}\n"
		_, err := Parse(context.Background(), "extras.json", []byte(data), tc.opts)
		var list ErrorList
		if !errors.As(err, &list) || len(list) != 1 {
			t.Errorf("%s: got %v, want one error", tc.url, err)
			continue
		}
		want := `extras.json:3:14: entry "perso_release": URL "` + tc.shown + `" carries credentials (user information); extras.json is committed, so it must not hold secrets: use a URL without them`
		if got := list[0].Error(); got != want {
			t.Errorf("%s:\n got %s\nwant %s", tc.url, got, want)
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("%s: the message shows the secret: %s", tc.url, err)
		}
	}
}

// TestURLWithoutCredentials checks URLs with an "@" that is not user
// information.
func TestURLWithoutCredentials(t *testing.T) {
	for _, u := range []string{
		"https://example.com/@scope/a.tar.gz",
		"https://example.com/a.tar.gz?mail=a@b.example",
		"https://example.com/a.tar.gz#x@y",
	} {
		data := `{"a": {"urls": ["` + u + `"], "sha256": "` + testHex + `"}}`
		if _, err := Parse(context.Background(), "extras.json", []byte(data), Options{}); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
}
