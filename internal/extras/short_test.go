package extras

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// TestShortErrors checks that a huge value is quoted once, truncated with
// its length, and that thousands of problems give a capped list.
func TestShortErrors(t *testing.T) {
	huge := strings.Repeat("a", 100000)
	const entry = `{"e": {"urls": [%q], "sha256": %q%s}}`
	url, sha := "https://example.com/a.tar.gz", strings.Repeat("0", 64)
	for _, tc := range []struct{ name, json string }{
		{"url", fmt.Sprintf(entry, "http://"+huge, sha, "")},
		{"upper-case scheme", fmt.Sprintf(entry, "HTTPS://"+huge, sha, "")},
		{"sha256", fmt.Sprintf(entry, url, "b"+huge, "")},
		{"integrity", fmt.Sprintf(`{"e": {"urls": [%q], "integrity": %q}}`, url, "SHA256-"+huge)},
		{"strip_prefix", fmt.Sprintf(entry, url, sha, fmt.Sprintf(`, "strip_prefix": %q`, "/"+huge))},
		{"strip_prefix with empty components", fmt.Sprintf(entry, url, sha, fmt.Sprintf(`, "strip_prefix": %q`, "x//"+huge))},
		{"type", fmt.Sprintf(entry, url, sha, fmt.Sprintf(`, "type": %q`, huge))},
		{"duplicate URL", fmt.Sprintf(`{"e": {"urls": [%q, %q], "sha256": %q}}`, "https://"+huge, "https://"+huge, sha)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(context.Background(), "extras.json", []byte(tc.json), Options{})
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if len(msg) > 600 || strings.Count(msg, "aaaaaaaaaa") > 20 {
				t.Errorf("a %d-byte message (the value %d times):\n%.1000s", len(msg), strings.Count(msg, "aaaaaaaaaa")/15, msg)
			}
			if !strings.Contains(msg, "…\" (1000") {
				t.Errorf("the message does not show the value truncated with its length:\n%.1000s", msg)
			}
		})
	}
	t.Run("20,000 bad URLs", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("{")
		for i := range 20000 {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `"e%d": {"urls": ["http://bad%d.example/a.tar.gz"], "sha256": %q}`, i, i, sha)
		}
		b.WriteString("}")
		_, err := Parse(context.Background(), "extras.json", []byte(b.String()), Options{})
		if err == nil {
			t.Fatal("no error")
		}
		lines := strings.Split(err.Error(), "\n")
		if len(lines) != 21 {
			t.Errorf("%d lines, want 20 problems and the count of the rest", len(lines))
		}
		if want := "… and 19,980 more problems; fix these and run again to see the rest"; lines[len(lines)-1] != want {
			t.Errorf("last line %q, want %q", lines[len(lines)-1], want)
		}
		if l, ok := err.(ErrorList); !ok || len(l) != 20000 {
			t.Errorf("the ErrorList does not hold every problem")
		}
	})
}
