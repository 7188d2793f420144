package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestPlanShortErrors checks the fetch-time error, which Bazel shows in
// fail(): a huge value is shown once, truncated with its length, and
// thousands of bad URLs give a capped list.
func TestPlanShortErrors(t *testing.T) {
	huge := strings.Repeat("a", 100000)
	sha := strings.Repeat("0", 64)
	for _, tc := range []struct{ name, json string }{
		{"url", fmt.Sprintf(`{"e": {"urls": [%q], "sha256": %q}}`, "http://"+huge, sha)},
		{"sha256", fmt.Sprintf(`{"e": {"urls": ["https://example.com/a.tar.gz"], "sha256": %q}}`, huge)},
		{"strip_prefix", fmt.Sprintf(`{"e": {"urls": ["https://example.com/a.tar.gz"], "sha256": %q, "strip_prefix": %q}}`, sha, "/"+huge)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := writeFile(t, filepath.Join(t.TempDir(), "extras.json"), tc.json)
			r := runHelper("plan", "-file", file)
			msg := r.wantFail(t, 1)
			if len(msg) > 600 || strings.Count(msg, "…\" (1000") != 1 {
				t.Errorf("stderr is %d bytes, want the value once, truncated with its length:\n%.1000s", len(msg), msg)
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
		file := writeFile(t, filepath.Join(t.TempDir(), "extras.json"), b.String())
		r := runHelper("plan", "-file", file)
		msg := strings.TrimSuffix(r.wantFail(t, 1), "\n")
		lines := strings.Split(msg, "\n")
		if len(lines) != 21 {
			t.Errorf("%d lines of stderr, want 20 problems and the count of the rest", len(lines))
		}
		if want := "… and 19,980 more problems; fix these and run again to see the rest"; lines[len(lines)-1] != want {
			t.Errorf("last line %q, want %q", lines[len(lines)-1], want)
		}
	})
}
