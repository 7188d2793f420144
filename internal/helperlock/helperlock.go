// Package helperlock reads and writes the helper's lock file,
// extensions/private/helper.lock.json, and computes the digest of the
// helper's sources that it pins.
//
// The lock names, per platform, an official Go distribution (the zip that
// the Go module proxy serves for the module golang.org/toolchain, which is
// what GOTOOLCHAIN downloads) and, once published, a prebuilt
// tools/extras_helper binary, with the digest of the sources the binaries
// were built from. The repository rule extensions/private/helper_repo.bzl
// reads it at fetch time; the release tool's helper subcommand rewrites it.
//
// It imports only the standard library, so that it can become part of the
// helper's sources without a download at fetch time.
package helperlock

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Path is where the lock is, relative to the module root.
const Path = "extensions/private/helper.lock.json"

// Platforms are the platforms the lock may name, "<goos>_<goarch>", sorted.
var Platforms = []string{"darwin_amd64", "darwin_arm64", "linux_amd64", "linux_arm64"}

// Lock is the content of the lock file.
type Lock struct {
	// Go is an official Go distribution per platform: every platform of
	// Platforms.
	Go map[string]GoSDK
	// GoVersion is the version of those distributions, such as "1.26.8".
	GoVersion string
	// Helper is the prebuilt helper per platform: empty until a first
	// publication.
	Helper map[string]Binary
	// SourcesSHA256 is SourcesDigest of the helper's sources that the
	// binaries of Helper were built from.
	SourcesSHA256 string
}

// GoSDK is one Go distribution: a zip whose GOROOT is under StripPrefix.
type GoSDK struct {
	SHA256      string
	StripPrefix string
	URL         string
}

// Binary is one prebuilt helper executable.
type Binary struct {
	SHA256 string
	URL    string
}

// SplitPlatform returns the GOOS and GOARCH of a platform of Platforms, and
// false for any other string.
func SplitPlatform(p string) (goos, goarch string, ok bool) {
	if !slices.Contains(Platforms, p) {
		return "", "", false
	}
	goos, goarch, _ = strings.Cut(p, "_")
	return goos, goarch, true
}

// GoModuleVersion is the version of the module golang.org/toolchain that
// holds Go goVersion for a platform: "v0.0.1-go1.26.8.linux-amd64".
func GoModuleVersion(goVersion, platform string) string {
	return "v0.0.1-go" + goVersion + "." + strings.Replace(platform, "_", "-", 1)
}

// GoURL is the address of that module's zip on proxy.golang.org.
func GoURL(goVersion, platform string) string {
	return "https://proxy.golang.org/golang.org/toolchain/@v/" + GoModuleVersion(goVersion, platform) + ".zip"
}

// GoStripPrefix is the directory of that zip that holds the GOROOT.
func GoStripPrefix(goVersion, platform string) string {
	return "golang.org/toolchain@" + GoModuleVersion(goVersion, platform)
}

// SourcesDigest is the digest of the helper's sources: files maps each
// file of HELPER_SRCS, named by its slash-separated path from the module
// root (such as "internal/extras/parse.go"), to its content. It is the hex
// sha256 of, for every file sorted by path (byte order), the path, "\n",
// the content's length in bytes in decimal, "\n" and the content. The
// repository rule computes the same digest in Starlark.
func SourcesDigest(files map[string][]byte) string {
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	h := sha256.New()
	for _, p := range paths {
		c := files[p]
		h.Write([]byte(p + "\n" + strconv.Itoa(len(c)) + "\n"))
		h.Write(c)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// jsonLock and its parts fix the names and, in sorted order, the keys that
// Encode writes.
type jsonLock struct {
	Go            map[string]jsonGo     `json:"go"`
	GoVersion     string                `json:"go_version"`
	Helper        map[string]jsonBinary `json:"helper"`
	SourcesSHA256 string                `json:"sources_sha256"`
}

type jsonGo struct {
	SHA256      string `json:"sha256"`
	StripPrefix string `json:"strip_prefix"`
	URL         string `json:"url"`
}

type jsonBinary struct {
	SHA256 string `json:"sha256"`
	URL    string `json:"url"`
}

// Encode returns the canonical form of l: two-space indent, keys sorted,
// a trailing newline. It does not validate l.
func (l *Lock) Encode() []byte {
	j := jsonLock{
		Go:            map[string]jsonGo{},
		GoVersion:     l.GoVersion,
		Helper:        map[string]jsonBinary{},
		SourcesSHA256: l.SourcesSHA256,
	}
	for p, g := range l.Go {
		j.Go[p] = jsonGo(g)
	}
	for p, b := range l.Helper {
		j.Helper[p] = jsonBinary(b)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(j); err != nil {
		panic(err) // strings and maps of strings always encode
	}
	return buf.Bytes()
}

// Options change what Parse accepts.
type Options struct {
	// AllowHTTP accepts http:// URLs, for tests that serve from loopback.
	// Without it every URL must be https://.
	AllowHTTP bool
}

// Parse parses and validates a lock file; file names it in errors.
func Parse(file string, data []byte) (*Lock, error) {
	return Options{}.Parse(file, data)
}

var (
	hexSHA256  = regexp.MustCompile(`^[0-9a-f]{64}$`)
	goVersionR = regexp.MustCompile(`^1\.[0-9]+(\.[0-9]+|rc[0-9]+)?$`)
)

// Parse parses and validates a lock file; file names it in errors. Every
// problem found is reported, one per line, as "file: key: what is wrong;
// how to fix it", where key is the path of JSON keys (such as
// helper.linux_amd64.sha256).
func (o Options) Parse(file string, data []byte) (*Lock, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, fmt.Errorf("%s: %s; the lock must be a JSON object (see docs/release.md)", file, syntaxError(data, err))
	}
	p := parser{file: file, opts: o}
	l := &Lock{Go: map[string]GoSDK{}, Helper: map[string]Binary{}}
	p.object("", top, "go", "go_version", "helper", "sources_sha256")
	p.str("go_version", top["go_version"], &l.GoVersion)
	if l.GoVersion != "" && !goVersionR.MatchString(l.GoVersion) {
		p.errorf("go_version", "%q is not a Go version; write it as in go.dev/dl, without the \"go\", such as \"1.26.8\"", l.GoVersion)
		l.GoVersion = ""
	}
	p.str("sources_sha256", top["sources_sha256"], &l.SourcesSHA256)
	p.sha256("sources_sha256", l.SourcesSHA256)

	if raw, ok := top["go"]; ok {
		for _, plat := range p.platforms("go", raw, true) {
			key := "go." + plat.name
			var g GoSDK
			p.object(key, plat.fields, "sha256", "strip_prefix", "url")
			p.str(key+".sha256", plat.fields["sha256"], &g.SHA256)
			p.str(key+".strip_prefix", plat.fields["strip_prefix"], &g.StripPrefix)
			p.str(key+".url", plat.fields["url"], &g.URL)
			p.sha256(key+".sha256", g.SHA256)
			p.url(key+".url", g.URL)
			if l.GoVersion != "" {
				if want := GoStripPrefix(l.GoVersion, plat.name); g.StripPrefix != "" && g.StripPrefix != want {
					p.errorf(key+".strip_prefix", "is %q, but the zip of Go %s for %s holds its GOROOT under %q; write that", g.StripPrefix, l.GoVersion, plat.name, want)
				}
				if suffix := "/" + GoModuleVersion(l.GoVersion, plat.name) + ".zip"; g.URL != "" && !strings.HasSuffix(g.URL, suffix) {
					p.errorf(key+".url", "%q does not end with %q, the zip of Go %s for %s; such as %s", g.URL, suffix, l.GoVersion, plat.name, GoURL(l.GoVersion, plat.name))
				}
			}
			l.Go[plat.name] = g
		}
	}
	if raw, ok := top["helper"]; ok {
		for _, plat := range p.platforms("helper", raw, false) {
			key := "helper." + plat.name
			var b Binary
			p.object(key, plat.fields, "sha256", "url")
			p.str(key+".sha256", plat.fields["sha256"], &b.SHA256)
			p.str(key+".url", plat.fields["url"], &b.URL)
			p.sha256(key+".sha256", b.SHA256)
			p.url(key+".url", b.URL)
			l.Helper[plat.name] = b
		}
	}
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	return l, nil
}

type parser struct {
	file string
	opts Options
	errs []error
}

func (p *parser) errorf(key, format string, args ...any) {
	p.errs = append(p.errs, fmt.Errorf("%s: %s: %s", p.file, key, fmt.Sprintf(format, args...)))
}

// object checks that obj (at key; "" for the top level) has exactly the
// keys keys, all required.
func (p *parser) object(key string, obj map[string]json.RawMessage, keys ...string) {
	name := func(k string) string {
		if key == "" {
			return k
		}
		return key + "." + k
	}
	for _, k := range keys {
		if _, ok := obj[k]; !ok {
			p.errorf(name(k), "missing; add it (the keys here are %s)", strings.Join(quoteAll(keys), ", "))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		if slices.Contains(keys, k) {
			continue
		}
		p.errorf(name(k), "unknown key; the keys here are %s: remove it", strings.Join(quoteAll(keys), ", "))
	}
}

func (p *parser) str(key string, raw json.RawMessage, dst *string) {
	if raw == nil {
		return // reported by object
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		p.errorf(key, "is %s, not a string", raw)
		return
	}
	if *dst == "" {
		p.errorf(key, "is empty")
	}
}

func (p *parser) sha256(key, v string) {
	if v != "" && !hexSHA256.MatchString(v) {
		p.errorf(key, "%q is not a sha256: write 64 lowercase hex digits (sha256sum's output)", v)
	}
}

func (p *parser) url(key, v string) {
	if v == "" {
		return
	}
	u, err := url.Parse(v)
	switch {
	case err != nil:
		p.errorf(key, "%q is not a URL: %v", v, err)
	case u.Scheme == "https" && u.Host != "":
	case u.Scheme == "http" && u.Host != "" && p.opts.AllowHTTP:
	default:
		p.errorf(key, "%q is not an https:// URL; the lock pins downloads over HTTPS only", v)
	}
}

type platformEntry struct {
	name   string
	fields map[string]json.RawMessage
}

// platforms decodes an object of platforms, sorted by name. With all, it
// must hold every platform.
func (p *parser) platforms(key string, raw json.RawMessage, all bool) []platformEntry {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		p.errorf(key, "is %s, not an object of platforms such as {\"linux_amd64\": {...}}", raw)
		return nil
	}
	var out []platformEntry
	for _, name := range slices.Sorted(maps.Keys(m)) {
		v := m[name]
		if !slices.Contains(Platforms, name) {
			p.errorf(key+"."+name, "is not a platform; the platforms are %s: rename or remove it", strings.Join(quoteAll(Platforms), ", "))
			continue
		}
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(v, &fields); err != nil || fields == nil {
			p.errorf(key+"."+name, "is %s, not an object", v)
			continue
		}
		out = append(out, platformEntry{name, fields})
	}
	if all {
		for _, name := range Platforms {
			if _, ok := m[name]; !ok {
				p.errorf(key+"."+name, "missing; %q must name a Go distribution for every platform (%s)", key, strings.Join(quoteAll(Platforms), ", "))
			}
		}
	}
	return out
}

func quoteAll(s []string) []string {
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = strconv.Quote(v)
	}
	return q
}

// syntaxError describes a JSON decoding error with its line and column.
func syntaxError(data []byte, err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	var off int64
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	default:
		return err.Error()
	}
	// The offsets count the bytes read, the culprit's included.
	off = min(max(off-1, 0), int64(len(data)))
	before := data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(off) - bytes.LastIndexByte(before, '\n')
	msg := strings.TrimPrefix(err.Error(), "json: ")
	return fmt.Sprintf("line %d, column %d: %s", line, col, msg)
}
