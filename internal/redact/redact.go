// Package redact keeps secrets out of what the command-line tools print.
//
// [String] hides secrets in one text: every occurrence of a given secret
// (the GitHub token, also percent-encoded), the password of every URL's
// user information (scheme://user:PASSWORD@host) and anything shaped like
// a GitHub token (ghp_..., github_pat_..., and so on), each replaced by
// [Mask]. [Writer] applies it to everything written through it, line by
// line, so that the tools can wrap their stdout and stderr once and need
// not redact each message.
package redact

import (
	"io"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// Mask replaces a hidden secret.
const Mask = "REDACTED"

var (
	// urlPassword matches the user information of a URL with a password:
	// the scheme, "//", the user name, ":", the password, and the last
	// "@" before the path, as url.Parse splits it.
	urlPassword = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.\-]*://[^\s/?#@:"'<>\\]*):[^\s/?#"'<>\\]*@`)
	// githubToken matches GitHub's token formats: classic and OAuth
	// tokens (ghp_, gho_, ghu_, ghs_, ghr_) and fine-grained personal
	// access tokens (github_pat_).
	githubToken = regexp.MustCompile(`\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})\b`)
)

// String returns s with each of secrets (ignoring empty ones), the
// passwords of URLs' user information and GitHub-token-shaped words
// replaced by Mask.
func String(s string, secrets ...string) string {
	for _, sec := range expand(secrets) {
		s = strings.ReplaceAll(s, sec, Mask)
	}
	s = urlPassword.ReplaceAllString(s, "${1}:"+Mask+"@")
	return githubToken.ReplaceAllString(s, Mask)
}

// expand returns the non-empty secrets and their percent-encoded forms,
// longest first, so that a secret containing another is replaced whole.
func expand(secrets []string) []string {
	var out []string
	for _, s := range secrets {
		if s == "" {
			continue
		}
		for _, v := range []string{s, url.QueryEscape(s), url.PathEscape(s)} {
			if !slices.Contains(out, v) {
				out = append(out, v)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b string) int { return len(b) - len(a) })
	return out
}

// maxLine bounds the text a Writer holds back while waiting for the end
// of a line; past it, all but the last keep bytes are written out.
const (
	maxLine = 64 << 10
	keep    = 4 << 10
)

// Writer writes to another writer what is written to it, redacted with
// [String]. A secret may arrive in pieces, split across Write calls, so
// it holds back the text after the last line end ("\n", or "\r", with
// which a terminal's status line is redrawn) until the line is complete,
// or Flush is called. It is safe for concurrent use.
type Writer struct {
	mu      sync.Mutex
	w       io.Writer
	secrets []string
	buf     []byte
}

// NewWriter returns a Writer that writes to w, hiding secrets (empty ones
// are ignored) as String does.
func NewWriter(w io.Writer, secrets ...string) *Writer {
	return &Writer{w: w, secrets: slices.Clone(secrets)}
}

// Write redacts and writes every complete line of what it has been given
// so far, and holds back the rest. It returns len(p) unless the
// underlying writer fails.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	end := strings.LastIndexAny(string(w.buf), "\n\r") + 1
	if end == 0 && len(w.buf) > maxLine {
		// A very long line: redact it as far as it goes, and write all
		// but its end, which may hold the start of a secret.
		s := String(string(w.buf), w.secrets...)
		w.buf = append(w.buf[:0], s[len(s)-keep:]...)
		if _, err := io.WriteString(w.w, s[:len(s)-keep]); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	if end == 0 {
		return len(p), nil
	}
	s := String(string(w.buf[:end]), w.secrets...)
	w.buf = append(w.buf[:0], w.buf[end:]...)
	if _, err := io.WriteString(w.w, s); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush writes the held-back end of the last line, redacted. Call it
// before the program exits.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) == 0 {
		return nil
	}
	s := String(string(w.buf), w.secrets...)
	w.buf = w.buf[:0]
	_, err := io.WriteString(w.w, s)
	return err
}

// Contains reports whether s holds secret, as is or percent-encoded (in a
// path or a query).
func Contains(s, secret string) bool {
	if secret == "" {
		return false
	}
	if strings.Contains(s, secret) {
		return true
	}
	for _, unescape := range []func(string) (string, error){url.PathUnescape, url.QueryUnescape} {
		if u, err := unescape(s); err == nil && strings.Contains(u, secret) {
			return true
		}
	}
	return false
}
