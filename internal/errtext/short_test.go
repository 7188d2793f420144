package errtext_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/errtext"
)

func TestQuote(t *testing.T) {
	long := "https://" + strings.Repeat("a", 100000)
	for _, tc := range []struct {
		name, in, want string
	}{
		{"short", "https://example.com/a.tar.gz", `"https://example.com/a.tar.gz"`},
		{"empty", "", `""`},
		{"exactly the limit", strings.Repeat("b", errtext.QuoteLimit-2), strconv.Quote(strings.Repeat("b", errtext.QuoteLimit-2))},
		{"long", long, `"https://` + strings.Repeat("a", errtext.QuoteLimit-len(`""…`)-len("https://")) + `…" (100008 bytes)`},
		{"control characters", strings.Repeat("\x01", 1000), `"` + strings.Repeat(`\x01`, (errtext.QuoteLimit-len(`""…`))/4) + `…" (1000 bytes)`},
		{"multi-byte", strings.Repeat("é", 1000), `"` + strings.Repeat("é", (errtext.QuoteLimit-len(`""…`))/2) + `…" (2000 bytes)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := errtext.Quote(tc.in)
			if got != tc.want {
				t.Errorf("Quote:\n got %s\nwant %s", got, tc.want)
			}
			if n := len(got); n > errtext.QuoteLimit+len(" (100008 bytes)") {
				t.Errorf("Quote gave %d bytes", n)
			}
		})
	}
}

func TestList(t *testing.T) {
	items := make([]string, 20000)
	for i := range items {
		items[i] = fmt.Sprint(i)
	}
	got := errtext.List(items, 10)
	if len(got) != 11 || got[9] != "9" || got[10] != "… and 19,990 more" {
		t.Errorf("List = %q", got)
	}
	if got := errtext.List(items[:3], 3); len(got) != 3 {
		t.Errorf("List of 3 with max 3 = %q", got)
	}
	if got := errtext.List(items, 0); len(got) != errtext.MaxItems+1 {
		t.Errorf("List with max 0 = %d items", len(got))
	}
	msg := strings.Join(items, "\n")
	if got := errtext.CapLines(msg, 5); got != "0\n1\n2\n3\n4\n… and 19,995 more lines" {
		t.Errorf("CapLines = %q", got)
	}
	if got := errtext.CapLines("a\nb", 5); got != "a\nb" {
		t.Errorf("CapLines = %q", got)
	}
}

func TestCount(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 19990: "19,990", 1234567: "1,234,567", -1000: "-1,000"} {
		if got := errtext.Count(n); got != want {
			t.Errorf("Count(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestCut(t *testing.T) {
	if got := errtext.Cut("/a/b"); got != "/a/b" {
		t.Errorf("Cut = %q", got)
	}
	long := strings.Repeat("é", 1000)
	if got, want := errtext.Cut(long), strings.Repeat("é", (errtext.QuoteLimit-len("…"))/2)+"… (2000 bytes)"; got != want {
		t.Errorf("Cut:\n got %q\nwant %q", got, want)
	}
}
