package redact

import (
	"bytes"
	"strings"
	"sync"
	"testing"
)

const token = "ghp_0123456789abcdefSECRETsecret"

func TestString(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"no secret here", "no secret here"},
		{"token " + token + " twice " + token, "token REDACTED twice REDACTED"},
		{"https://x-access-token:" + token + "@github.com/o/r", "https://x-access-token:REDACTED@github.com/o/r"},
		{"https://host/a.tar.gz?token=" + token + "&x=1", "https://host/a.tar.gz?token=REDACTED&x=1"},
		// A URL's password, whatever it is.
		{`URL "https://user:hunter2@example.com/f.tar.gz" failed`, `URL "https://user:REDACTED@example.com/f.tar.gz" failed`},
		{"https://:pw@example.com/", "https://:REDACTED@example.com/"},
		// The last "@" ends the user information, as in url.Parse.
		{"https://user:p@ss@example.com/x", "https://user:REDACTED@example.com/x"},
		// A user name alone is not a secret (git@), an "@" in the path
		// or query is not user information.
		{"ssh://git@github.com/o/r", "ssh://git@github.com/o/r"},
		{"https://example.com/a:b@c?mail=a:b@c", "https://example.com/a:b@c?mail=a:b@c"},
		// Any GitHub token, also one other than the secret given.
		{"https://ghp_abcdefghijklmnopqrstuvwxyz0123456789@github.com/", "https://REDACTED@github.com/"},
		{"github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz", "REDACTED"},
		// The percent-encoded form of a secret.
		{"q=a%2Fb%3Dc", "q=REDACTED"},
	} {
		if got := String(tc.in, token, "a/b=c", ""); got != tc.want {
			t.Errorf("String(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestWriterSplit writes a text cut at every position into two writes, and
// at every byte, and checks that the secret never gets through.
func TestWriterSplit(t *testing.T) {
	const secret = "s3cr3t-Value-4242"
	text := "first line\nURL https://host/f?t=" + secret + " and https://u:pw-" + secret + "@host/\npartial " + secret
	want := "first line\nURL https://host/f?t=REDACTED and https://u:REDACTED@host/\npartial REDACTED"
	for i := 0; i <= len(text); i++ {
		var out bytes.Buffer
		w := NewWriter(&out, secret)
		for _, part := range []string{text[:i], text[i:]} {
			if n, err := w.Write([]byte(part)); n != len(part) || err != nil {
				t.Fatalf("Write(%q) = %d, %v", part, n, err)
			}
		}
		if strings.Contains(out.String(), "s3cr3t") {
			t.Fatalf("split at %d: the secret got through before Flush: %q", i, out.String())
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		if out.String() != want {
			t.Errorf("split at %d:\n got %q\nwant %q", i, out.String(), want)
		}
	}
	var out bytes.Buffer
	w := NewWriter(&out, secret)
	for i := range len(text) {
		w.Write([]byte{text[i]})
	}
	w.Flush()
	if out.String() != want {
		t.Errorf("byte by byte:\n got %q\nwant %q", out.String(), want)
	}
}

// TestWriterLines checks that complete lines are written at once, and
// that a carriage return (a terminal's status line) ends a line too.
func TestWriterLines(t *testing.T) {
	var out bytes.Buffer
	w := NewWriter(&out, token)
	w.Write([]byte("one\ntwo"))
	if out.String() != "one\n" {
		t.Errorf("after one write: %q", out.String())
	}
	w.Write([]byte(" " + token + "\r\x1b[Kstatus"))
	if out.String() != "one\ntwo REDACTED\r" {
		t.Errorf("after a carriage return: %q", out.String())
	}
	w.Flush()
	w.Flush()
	if out.String() != "one\ntwo REDACTED\r\x1b[Kstatus" {
		t.Errorf("after Flush: %q", out.String())
	}
}

// TestWriterLongLine checks that a line without an end is not held back
// without bound, and still loses its secrets.
func TestWriterLongLine(t *testing.T) {
	var out bytes.Buffer
	w := NewWriter(&out, token)
	chunk := strings.Repeat("x", 1000) + token
	for range 200 {
		w.Write([]byte(chunk))
	}
	if out.Len() == 0 {
		t.Error("nothing written of a 200 KB line")
	}
	w.Flush()
	if got, want := out.String(), strings.Repeat(strings.Repeat("x", 1000)+"REDACTED", 200); got != want {
		t.Errorf("long line: got %d bytes, want %d; token shown: %v", len(got), len(want), strings.Contains(got, token))
	}
}

func TestWriterConcurrent(t *testing.T) {
	var out bytes.Buffer
	w := NewWriter(&out, token)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				w.Write([]byte("line " + token + "\n"))
			}
		})
	}
	wg.Wait()
	if got, want := out.String(), strings.Repeat("line REDACTED\n", 800); got != want {
		t.Errorf("concurrent writes: got %d bytes, want %d", len(got), len(want))
	}
}

func TestContains(t *testing.T) {
	for _, tc := range []struct {
		s, secret string
		want      bool
	}{
		{"https://h/p?t=ghp_x1", "ghp_x1", true},
		{"https://h/p?t=ghp%5Fx1", "ghp_x1", true},
		{"https://h/ghp%5Fx1/a", "ghp_x1", true},
		{"https://h/p", "ghp_x1", false},
		{"https://h/p", "", false},
	} {
		if got := Contains(tc.s, tc.secret); got != tc.want {
			t.Errorf("Contains(%q, %q) = %v, want %v", tc.s, tc.secret, got, tc.want)
		}
	}
}
