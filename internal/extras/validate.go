package extras

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"path"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The functions in this file check single values. Each returns "" if the
// value is fine, or a message of the form "what is wrong; how to fix it".

// urlProblem checks one URL of an entry.
func urlProblem(raw string, opts Options) string {
	if raw == "" {
		return "URL is empty; remove it or write the full https:// URL of the archive"
	}
	// First, so that no other message shows the credentials.
	if shown, ok := RedactUserInfo(raw); ok {
		return credentialsProblem(shown)
	}
	if msg := queryCredentialsProblem(raw); msg != "" {
		return msg
	}
	if strings.IndexFunc(raw, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return fmt.Sprintf("URL %s contains white space or a control character; percent-encode it (a space is %%20)", quote(raw))
	}
	if msg := hiddenRuneProblem("URL", raw); msg != "" {
		return msg
	}
	if strings.ContainsRune(raw, utf8.RuneError) {
		return fmt.Sprintf("URL %s contains U+FFFD, the replacement character (often from a broken \\u escape); write the URL percent-encoded", quote(raw))
	}
	u, err := url.Parse(raw)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return fmt.Sprintf("URL %s does not parse (%s); write the full https:// URL of the archive", quote(raw), shortErr(err))
	}
	if u.Scheme == "" {
		return fmt.Sprintf("URL %s has no scheme; write the full https:// URL of the archive", quote(raw))
	}
	if !strings.HasPrefix(raw, u.Scheme+":") {
		return fmt.Sprintf("URL %s has an upper-case scheme; %s", quote(raw), fixAs(u.Scheme+raw[len(u.Scheme):], "write the scheme in lower case"))
	}
	if msg := nonASCIIHostProblem(u, raw); msg != "" {
		return msg
	}
	switch u.Scheme {
	case "https":
		return hostProblem(u, raw)
	case "http":
		if !opts.AllowInsecure {
			return fmt.Sprintf("URL %s is not https; use https:// (only tests may use http:// to a loopback host, with Options.AllowInsecure)", quote(raw))
		}
		if msg := hostProblem(u, raw); msg != "" {
			return msg
		}
		if !isLoopback(u.Hostname()) {
			return fmt.Sprintf("URL %s uses http:// with the non-loopback host %s; use https:// (Options.AllowInsecure allows http:// only for 127.0.0.0/8, localhost and [::1])", quote(raw), quote(u.Hostname()))
		}
	case "file":
		if !opts.AllowInsecure {
			return fmt.Sprintf("URL %s is a local file; use an https:// URL (only tests may use file:// URLs, with Options.AllowInsecure)", quote(raw))
		}
		if u.Opaque != "" || !strings.HasPrefix(u.Path, "/") {
			return fmt.Sprintf("file URL %s has no absolute path; write it as file:///absolute/path", quote(raw))
		}
	default:
		return fmt.Sprintf("URL %s has the unsupported scheme %s; use an https:// URL", quote(raw), quote(u.Scheme))
	}
	return ""
}

// hostProblem checks the host part of an http or https URL.
func hostProblem(u *url.URL, raw string) string {
	if u.Opaque != "" || u.Hostname() == "" {
		return fmt.Sprintf("URL %s has no host; write it as %s://host/path", quote(raw), u.Scheme)
	}
	if u.User != nil { // RedactUserInfo should have caught it
		return credentialsProblem(u.Scheme + "://" + redacted + "@" + u.Host + "/...")
	}
	return ""
}

// credentialsProblem is the message for a URL with user information,
// shown as given (already redacted).
func credentialsProblem(shown string) string {
	return fmt.Sprintf("URL %s carries credentials (user information); extras.json is committed, so it must not hold secrets: use a URL without them", quote(shown))
}

// redacted replaces the user information of URLs in messages.
const redacted = "REDACTED"

// RedactUserInfo reports whether the URL raw carries credentials as user
// information, as in https://user:password@host/ or https://token@host/
// (with or without a scheme, and even if raw does not parse), and returns
// raw with them replaced by "REDACTED", for messages. The user information
// is what lies before the last "@" of the authority, which ends at the
// first "/", "?" or "#", as url.Parse splits it. Parse refuses such URLs.
func RedactUserInfo(raw string) (shown string, ok bool) {
	start := 0
	if i := strings.IndexByte(raw, ':'); i > 0 && isScheme(raw[:i]) {
		start = i + 1
	}
	if strings.HasPrefix(raw[start:], "//") {
		start += 2
	}
	end := len(raw)
	if i := strings.IndexAny(raw[start:], "/?#"); i >= 0 {
		end = start + i
	}
	at := strings.LastIndexByte(raw[start:end], '@')
	if at < 0 {
		return raw, false
	}
	return raw[:start] + redacted + raw[start+at:], true
}

// isScheme reports whether s is a URL scheme: a letter, then letters,
// digits, "+", "-" and ".".
func isScheme(s string) bool {
	for i, c := range []byte(s) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	return s != ""
}

// isLoopback reports whether host names the local machine: localhost or an
// address in 127.0.0.0/8 or ::1.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	addr, err := netip.ParseAddr(host)
	return err == nil && addr.Unmap().IsLoopback()
}

// sha256Problem checks the value of "sha256". It returns what is wrong and,
// if there is a fix other than recomputing the hash, the fix.
func sha256Problem(s string) (what, fix string) {
	if isLowerHex(s, 64) {
		return "", ""
	}
	switch {
	case len(s) == 64 && isLowerHex(strings.ToLower(s), 64):
		return fmt.Sprintf("sha256 %s has upper-case hex digits", quote(s)), fmt.Sprintf("write it in lower case as %s", quote(strings.ToLower(s)))
	case strings.HasPrefix(s, "sha256-"):
		return fmt.Sprintf("sha256 %s is in SRI form", quote(s)), "rename the key to \"integrity\""
	}
	if i := strings.IndexFunc(s, func(r rune) bool { return !isHexDigit(r) }); i >= 0 {
		return fmt.Sprintf("sha256 %s contains %q, which is not a hex digit", quote(s), []rune(s[i:])[0]), ""
	}
	return fmt.Sprintf("sha256 %s has %d hex digits, want 64", quote(s), len(s)), ""
}

// integrityProblem checks the value of "integrity". It returns what is wrong
// and, if there is a fix other than recomputing the hash, the fix.
func integrityProblem(s string) (what, fix string) {
	if _, err := digestFromSRI(s); err == nil {
		return "", ""
	}
	alg, b64, ok := strings.Cut(s, "-")
	switch {
	case strings.ContainsAny(s, " \t\r\n"):
		return fmt.Sprintf("integrity %s holds several values", quote(s)), "keep exactly one \"sha256-<base64>\""
	case isLowerHex(s, 64):
		return fmt.Sprintf("integrity %s is a hex digest", quote(s)), "rename the key to \"sha256\""
	case !ok:
		return fmt.Sprintf("integrity %s is not of the form \"sha256-<base64>\"", quote(s)), ""
	case strings.EqualFold(alg, "sha256") && alg != "sha256":
		return fmt.Sprintf("integrity %s does not start with \"sha256-\" in lower case", quote(s)), fixAs("sha256-"+b64, "write the prefix as \"sha256-\"")
	case alg != "sha256":
		return fmt.Sprintf("integrity %s uses %s, but only sha256 is supported", quote(s), quote(alg)), ""
	case strings.ContainsAny(b64, "-_"):
		return fmt.Sprintf("integrity %s uses URL-safe base64 instead of standard base64", quote(s)), ""
	}
	return fmt.Sprintf("integrity %s is not \"sha256-\" followed by the padded standard base64 encoding of a 32-byte digest", quote(s)), ""
}

// stripPrefixProblem checks the value of "strip_prefix".
func stripPrefixProblem(s string) string {
	if s == "" {
		return "strip_prefix is empty; remove the key, an empty prefix strips nothing"
	}
	if strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return fmt.Sprintf("strip_prefix %s contains a control character; write the directory name as it appears in the archive", quote(s))
	}
	if msg := hiddenRuneProblem("strip_prefix", s); msg != "" {
		return msg
	}
	var why string
	parts := strings.Split(s, "/")
	switch {
	case strings.HasPrefix(s, "/"):
		why = "starts with \"/\""
	case strings.HasSuffix(s, "/"):
		why = "ends with \"/\""
	case slices.Contains(parts, ".."):
		why = "has a \"..\" component"
	case path.Clean(s) != s || s == ".":
		why = "has \".\" or empty components"
	default:
		return ""
	}
	msg := fmt.Sprintf("strip_prefix %s %s, but it must be a clean relative path", quote(s), why)
	clean := strings.Trim(path.Clean("/"+s), "/")
	if slices.Contains(parts, "..") || clean == "" {
		return msg + "; write the directory inside the archive, such as \"firmware-1.0\""
	}
	return msg + "; " + fixAs(clean, "remove the extra \"/\", \".\" and empty components")
}

// typeProblem checks the value of "type".
func typeProblem(s string) string {
	if slices.Contains(ArchiveTypes, s) {
		return ""
	}
	return fmt.Sprintf("unsupported archive type %s%s; use one of %s, or remove \"type\" to let Bazel infer it from the URL",
		quote(s), suggest(strings.TrimPrefix(s, "."), ArchiveTypes), strings.Join(ArchiveTypes, ", "))
}

// provenanceProblem checks the value of provenance key.
func provenanceProblem(key, s string) string {
	if s == "" {
		return fmt.Sprintf("provenance.%s is empty; fill it in or remove the key", key)
	}
	if strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return fmt.Sprintf("provenance.%s %s contains a control character; remove it", key, quote(s))
	}
	if msg := hiddenRuneProblem("provenance."+key, s); msg != "" {
		return msg
	}
	if key == "repository" && !isRepository(s) {
		return fmt.Sprintf("provenance.repository %s is not a GitHub repository; write it as \"owner/name\", such as \"lowRISC/opentitan\"", quote(s))
	}
	return ""
}

// isRepository reports whether s has the form owner/name of a GitHub
// repository: owner of ASCII letters, digits and "-", name of ASCII letters,
// digits, "-", "_" and ".".
func isRepository(s string) bool {
	owner, name, ok := strings.Cut(s, "/")
	if !ok || owner == "" || name == "" {
		return false
	}
	for _, c := range []byte(owner) {
		if !isAlnum(c) && c != '-' {
			return false
		}
	}
	for _, c := range []byte(name) {
		if !isAlnum(c) && c != '-' && c != '_' && c != '.' {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// suggest returns ` (did you mean "x"?)` for the candidate x closest to
// word, ignoring case, or "" if none is close.
func suggest(word string, candidates []string) string {
	best, bestDist := "", -1
	lower := []rune(strings.ToLower(word))
	for _, c := range candidates {
		if abs(len(lower)-len([]rune(c))) > 2 {
			continue // too far apart, and distance is quadratic
		}
		d := distance(string(lower), c)
		if bestDist < 0 || d < bestDist {
			best, bestDist = c, d
		}
	}
	if bestDist < 0 || bestDist > 2 || 2*bestDist > len(best) {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// distance returns the optimal string alignment distance between a and b:
// the number of rune insertions, deletions, substitutions and transpositions
// of adjacent runes that turn a into b.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	// d[i][j] is the distance between ra[:i] and rb[:j].
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// This file holds the URL checks that keep secrets and lookalikes out of
// extras.json: credential-bearing query parameters, non-ASCII hosts, and
// invisible or bidirectional-control characters.

// credentialParams are the query parameters, in lower case, that carry a
// credential or a signature made with one. A URL with any of them is a
// secret, or a capability that expires: extras.json is committed and
// Bazel fetches its URLs without credentials, so neither belongs in it.
//
//   - x-amz-signature, x-amz-credential, x-amz-security-token: AWS S3
//     presigned URLs (Signature Version 4); the security token is an STS
//     session credential. GitHub redirects release downloads to such URLs,
//     so copying the URL a browser ended up at gives one.
//   - x-goog-signature, x-goog-credential: Google Cloud Storage V4 signed
//     URLs.
//   - signature: S3 Signature Version 2 (with AWSAccessKeyId, Expires),
//     Google Cloud Storage V2 signed URLs (with GoogleAccessId, Expires)
//     and Amazon CloudFront signed URLs (with Expires or Policy, and
//     Key-Pair-Id). Only the signature is refused: Expires, Policy and
//     Key-Pair-Id are not secret, and Expires alone is a common harmless
//     parameter.
//   - sig: Azure Storage shared access signatures (SAS). A SAS also has
//     se (expiry), sp (permissions) and sv (version), but only sig is the
//     secret, and sv, se and sp are short names that other services use
//     harmlessly; they are not refused on their own.
//   - token, access_token, private_token, job_token: OAuth and personal
//     access tokens passed in the query: GitHub (raw.githubusercontent.com
//     ?token=), GitLab (private_token, job_token), Bitbucket and other
//     OAuth 2 APIs (access_token, RFC 6750).
//   - auth, api_key, apikey, client_secret, password: API keys and
//     secrets in the query (Artifactory, Nexus, generic REST services).
//
// Not refused: "key", which many services use for an object's name or a
// cache key (Google's API keys, "key=AIza...", are caught by their
// prefix, see googleAPIKeyPrefix), "expires", "policy", "key-pair-id",
// "se", "sp", "sv", "st" and any other parameter: they carry no secret.
var credentialParams = []string{
	"x-amz-signature", "x-amz-credential", "x-amz-security-token",
	"x-goog-signature", "x-goog-credential",
	"signature",
	"sig",
	"token", "access_token", "private_token", "job_token",
	"auth", "api_key", "apikey", "client_secret", "password",
}

// googleAPIKeyPrefix starts every Google API key, which Google's APIs take
// as the query parameter "key".
const googleAPIKeyPrefix = "AIza"

// QueryCredentials reports the query parameters of the URL raw that carry
// credentials (see credentialParams) with a non-empty value, in the order
// they appear, and
// returns raw with their values replaced by "REDACTED", for messages. It
// works on the text, so also on URLs that do not parse: the query is what
// follows the first "?", up to a "#"; parameters are separated by "&" (or
// ";"), and their names are compared case-insensitively, after
// percent-decoding.
func QueryCredentials(raw string) (shown string, params []string) {
	q := strings.IndexByte(raw, '?')
	if q < 0 {
		return raw, nil
	}
	end := len(raw)
	if i := strings.IndexByte(raw[q:], '#'); i >= 0 {
		end = q + i
	}
	var b strings.Builder
	b.WriteString(raw[:q+1])
	start := q + 1
	for start <= end {
		stop := end
		if i := strings.IndexAny(raw[start:end], "&;"); i >= 0 {
			stop = start + i
		}
		pair := raw[start:stop]
		name, value, hasValue := strings.Cut(pair, "=")
		decoded := name
		if d, err := url.QueryUnescape(name); err == nil {
			decoded = d
		}
		dvalue := value
		if d, err := url.QueryUnescape(value); err == nil {
			dvalue = d
		}
		lower := strings.ToLower(strings.TrimSpace(decoded))
		secret := slices.Contains(credentialParams, lower) ||
			lower == "key" && strings.HasPrefix(strings.TrimSpace(dvalue), googleAPIKeyPrefix)
		if secret && hasValue && value != "" {
			params = append(params, decoded)
			b.WriteString(name + "=" + redacted)
		} else {
			b.WriteString(pair) // nothing to hide, such as "?token="
		}
		if stop < end {
			b.WriteByte(raw[stop])
		}
		start = stop + 1
	}
	b.WriteString(raw[end:])
	return b.String(), params
}

// queryCredentialsProblem refuses a URL whose query carries credentials,
// naming the parameters but never their values.
func queryCredentialsProblem(raw string) string {
	shown, params := QueryCredentials(raw)
	if len(params) == 0 {
		return ""
	}
	what := fmt.Sprintf("the query parameter %q", params[0])
	if len(params) > 1 {
		quoted := make([]string, len(params))
		for i, p := range params {
			quoted[i] = fmt.Sprintf("%q", p)
		}
		what = "the query parameters " + strings.Join(quoted, ", ")
	}
	return fmt.Sprintf("URL %+q carries credentials in %s (a signed URL or a token: whoever reads it gets access, and signed URLs expire); extras.json is committed, so it must not hold secrets: publish the archive at a URL without credentials, such as a GitHub release asset (https://github.com/OWNER/NAME/releases/download/TAG/ASSET)", shown, what)
}

// hiddenRuneProblem refuses, in the value s of what ("URL", "strip_prefix",
// ...), a character that does not show or that reorders the text around
// it: bidirectional controls (U+200E, U+200F, U+202A-U+202E,
// U+2066-U+2069, U+061C) and other format characters (Unicode category
// Cf: U+200B-U+200D, U+2060, U+FEFF, U+00AD, ...). Such characters make
// a value display as another one. The message names the code point and
// its position, counted in characters from 1, and shows s with non-ASCII
// characters escaped, so that it cannot reorder the message itself.
func hiddenRuneProblem(what, s string) string {
	pos := 0
	for _, r := range s {
		pos++
		if !unicode.Is(unicode.Cf, r) {
			continue
		}
		kind := "an invisible formatting character"
		if isBidiControl(r) {
			kind = "a bidirectional control character, which reorders how the text around it is displayed"
		}
		fix := "remove it"
		if what == "URL" {
			fix = "remove it, or percent-encode it if it really belongs in the URL"
		}
		return fmt.Sprintf("%s %+q contains U+%04X at character %d, %s; %s", what, s, r, pos, kind, fix)
	}
	return ""
}

// isBidiControl reports whether r is one of the Unicode bidirectional
// control characters (Unicode's Bidi_Control property).
func isBidiControl(r rune) bool {
	return r == 0x061C || r == 0x200E || r == 0x200F ||
		0x202A <= r && r <= 0x202E || 0x2066 <= r && r <= 0x2069
}

// nonASCIIHostProblem refuses a host with a character outside ASCII, as
// written or percent-encoded: "аpple.com" with a Cyrillic "а" displays as
// apple.com but is another host. The message names the first such
// character, its code point, its script if it has one, and the way out.
func nonASCIIHostProblem(u *url.URL, raw string) string {
	host := u.Hostname()
	i := strings.IndexFunc(host, func(r rune) bool { return r >= utf8.RuneSelf })
	if i < 0 {
		return ""
	}
	r, _ := utf8.DecodeRuneInString(host[i:])
	script := ""
	for name, table := range unicode.Scripts {
		if name != "Common" && name != "Inherited" && unicode.Is(table, r) {
			script = fmt.Sprintf(", a %s character", name)
			break
		}
	}
	return fmt.Sprintf("URL %+q has the non-ASCII character %+q (U+%04X%s) in its host %+q, which can look like another host; write the host in ASCII: if it really is an internationalized domain name, use its punycode form (xn--...)", raw, r, r, script, host)
}
