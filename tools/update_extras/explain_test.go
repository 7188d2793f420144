package main

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/download"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/extras"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/extrasfile"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/github"
)

// TestExplain checks that the tool names its flags in the typed errors of
// the libraries, which do not, wherever they are wrapped: also in each
// URL's error of a mirror check, and in a list of failures.
func TestExplain(t *testing.T) {
	tooLarge := func(url string, announced int64) error {
		return &download.Error{URL: url, Attempts: 1, Err: &download.TooLargeError{Limit: 100, Announced: announced}}
	}
	_, parseErr := extras.Parse(context.Background(), "entry", []byte(`{"a": {"url": "http://127.0.0.1/a.tar.gz", "sha256": "`+hexSHA(nil)+`"}}`), extras.Options{})
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"mirrors", fmt.Errorf("entry %q: %w", "a", &mirrorsError{[]error{tooLarge("u1", 200), tooLarge("u2", 300), errors.New("u3: 404 Not Found")}}),
			`entry "a": u1: the archive is too large: its announced size, 200 bytes, is more than the limit of 100 bytes, so nothing was downloaded; raise -max-size if it is really that large; ` +
				`u2: the archive is too large: its announced size, 300 bytes, is more than the limit of 100 bytes, so nothing was downloaded; raise -max-size if it is really that large; ` +
				`u3: 404 Not Found (every URL must serve the same archive; fix or remove the failing URLs, or pass -mirrors=first to accept any one)`},
		{"list", errors.Join(fmt.Errorf("entry %q: %w", "a", tooLarge("u1", 200)),
			fmt.Errorf("entry %q: %w", "b", &download.Error{URL: "u2", Attempts: 2, Err: &download.DeadlineError{Deadline: time.Minute, Attempts: 2, Last: errors.New("503")}})),
			`entry "a": u1: the archive is too large: its announced size, 200 bytes, is more than the limit of 100 bytes, so nothing was downloaded; raise -max-size if it is really that large` + "\n" +
				`entry "b": u2: gave up after 1m0s and 2 attempts (the last failed: 503); raise -deadline if the server is just slow`},
		{"lock", &extrasfile.LockTimeoutError{Holder: "another update_extras run", PID: 7, Lock: "skus/extras.json.lock", Timeout: time.Second},
			"another update_extras run (pid 7) holds the lock skus/extras.json.lock: wait for it to finish and run the command again (or raise -lock-timeout, now 1s)"},
		{"release without a token", &github.NotFoundError{Repository: "o/r", Tag: "v1", Endpoint: "GET https://api.github.com/repos/o/r/releases/tags/v1"},
			`release "v1" of o/r: not found (GET https://api.github.com/repos/o/r/releases/tags/v1: 404 Not Found); check -repo and -tag; for a private repository set GITHUB_TOKEN`},
		{"insecure URL", fmt.Errorf("invalid entry:\n%w", extrasfile.EntryErrors(parseErr)),
			"invalid entry:\n" + `entry "a": URL "http://127.0.0.1/a.tar.gz" is not https; use https:// (only tests may use http:// to a loopback host, with -allow-insecure)`},
	} {
		if got := explain(tc.err); got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, tc.want)
		}
	}
}
