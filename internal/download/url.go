package download

import (
	"fmt"
	"net/netip"
	"net/url"
	"strings"
)

// CheckURL reports whether rawURL may be fetched: an https:// URL with a
// host and without user information, or, if allowInsecure, also an
// http:// URL of a loopback host (127.0.0.0/8, localhost, [::1]) or a
// file:///absolute/path URL. Errors for URLs rejected only for being
// insecure wrap [ErrInsecure]. The URL in messages is redacted.
func CheckURL(rawURL string, allowInsecure bool) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return fmt.Errorf("URL %s does not parse", Redact(rawURL))
	}
	return checkParsedURL(u, Redact(rawURL), allowInsecure)
}

func checkParsedURL(u *url.URL, shown string, allowInsecure bool) error {
	switch u.Scheme {
	case "https":
	case "http":
		if !allowInsecure {
			return fmt.Errorf("URL %s is not https: %w", shown, ErrInsecure)
		}
		if !isLoopback(u.Hostname()) {
			return fmt.Errorf("URL %s uses http:// with the non-loopback host %q (only loopback hosts may use http://): %w", shown, u.Hostname(), ErrInsecure)
		}
	case "file":
		if !allowInsecure {
			return fmt.Errorf("URL %s is a local file, not https: %w", shown, ErrInsecure)
		}
		if u.Opaque != "" || !strings.HasPrefix(u.Path, "/") || (u.Host != "" && u.Host != "localhost") {
			return fmt.Errorf("file URL %s has no absolute local path; write it as file:///absolute/path", shown)
		}
		return nil
	case "":
		return fmt.Errorf("URL %s has no scheme; write the full https:// URL", shown)
	default:
		return fmt.Errorf("URL %s has the unsupported scheme %q; use https://", shown, u.Scheme)
	}
	if u.Opaque != "" || u.Hostname() == "" {
		return fmt.Errorf("URL %s has no host", shown)
	}
	if u.User != nil {
		return fmt.Errorf("URL %s contains user information; never put credentials in a URL", shown)
	}
	return nil
}

// isLoopback reports whether host names the local machine, with the same
// rule as extras.Options.AllowInsecure.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	addr, err := netip.ParseAddr(host)
	return err == nil && addr.Unmap().IsLoopback()
}

// sensitiveParams are substrings of query parameter names (compared in lower
// case) whose values Redact hides: tokens, signatures and keys, such as the
// X-Amz-Signature and X-Amz-Credential of the signed URLs that GitHub
// redirects release downloads to.
var sensitiveParams = []string{"token", "sig", "key", "secret", "password", "passwd", "auth", "credential", "session", "x-amz-", "x-goog-"}

// Redact returns rawURL for messages: user information is replaced by
// "REDACTED", as are the values of query parameters whose names suggest
// credentials (token, signature, key, ...). A URL that does not parse is
// shown only up to its first "?" and without anything before an "@".
func Redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		s, _, _ := strings.Cut(rawURL, "?")
		if scheme, rest, ok := strings.Cut(s, "://"); ok {
			if _, after, ok := strings.Cut(rest, "@"); ok {
				s = scheme + "://REDACTED@" + after
			}
		}
		return s
	}
	if u.User != nil {
		u.User = url.User("REDACTED")
	}
	if u.RawQuery != "" {
		q := u.Query()
		changed := false
		for k, vs := range q {
			lk := strings.ToLower(k)
			for _, s := range sensitiveParams {
				if strings.Contains(lk, s) {
					for i := range vs {
						vs[i] = "REDACTED"
					}
					changed = true
					break
				}
			}
		}
		if changed {
			u.RawQuery = q.Encode()
		}
	}
	return u.String()
}
