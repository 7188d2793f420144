package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/download"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/errtext"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/extras"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/extrasfile"
)

// setFlags are the flags of set.
type setFlags struct {
	stripPrefix, typ, sha256 string
	repository, tag, asset   string
	rehash                   bool
}

var setCommand = &command{
	name:      "set",
	aliases:   []string{"bump"},
	args:      "NAME URL [URL...]",
	short:     "add or replace entry NAME: download the archive, hash and check it, write the entry",
	downloads: true,
	flags: func(c *cli, fs *flag.FlagSet) {
		fs.StringVar(&c.set.stripPrefix, "strip-prefix", c.set.stripPrefix, "`directory` inside the archive to use as the repository root (default: the entry's; \"\" removes it)")
		fs.StringVar(&c.set.typ, "type", c.set.typ, "archive `type`, such as tar.gz, when the URL does not tell it (default: the entry's; \"\" removes it)")
		fs.StringVar(&c.set.sha256, "sha256", c.set.sha256, "expected `digest` (hex or sha256-<base64>), for example from the release notes; the download must match it")
		fs.BoolVar(&c.set.rehash, "rehash", c.set.rehash, "accept new content behind a URL that the entry already pins to another hash")
		fs.StringVar(&c.set.repository, "repository", c.set.repository, "provenance: GitHub repository as `owner/name`")
		fs.StringVar(&c.set.tag, "tag", c.set.tag, "provenance: release `tag`")
		fs.StringVar(&c.set.asset, "asset", c.set.asset, "provenance: release asset `file` name")
		fs.StringVar(&c.mirrors, "mirrors", c.mirrors, "`all` (every URL must serve the same archive) or first (the first URL that works is enough)")
	},
	edit: editSet,
	long: `
Adds entry NAME to the file, or replaces it, with the archive at URL;
further URLs are mirrors of the same file, in order of preference.

The archive is downloaded from the first URL that works and hashed while
it downloads. With -mirrors=all (the default) every other URL is
downloaded too and must serve identical bytes. The archive must then open
as its type (-type, else the entry's type, else the URL's extension:
.tar.gz, .tgz, .tar.xz, .txz, .tar.bz2, .tar, .zip), no member may leave
the archive root (absolute paths, "..", links pointing outside), and the
strip prefix (-strip-prefix, else the entry's) must be a directory in it.
Then the entry is written with both sha256 and integrity, and the fields
that changed are shown as "- old" and "+ new" lines.

What the download is verified against:
  - the -sha256 value, if given;
  - else the entry's current hash, if the entry already lists one of the
    URLs: other bytes behind a pinned URL are refused unless -rehash;
  - else nothing: the hash is computed from what the URL serves now.
    Nothing vouches for it, so review it (for example against the digest
    on the release page) before committing. For GitHub releases prefer
    from-release, which verifies GitHub's digest.

Provenance: -repository, -tag and -asset set it. For a GitHub release URL
(https://github.com/OWNER/NAME/releases/download/TAG/ASSET) it is taken
from the URL. Otherwise the entry keeps its provenance if its URLs are
unchanged, and loses it if they changed. A flag given as "" removes the
field (likewise -strip-prefix "" and -type "").

Examples:
  update_extras set perso_release \
      https://github.com/lowRISC/ot-sku/releases/download/v1.0.0/perso_release.tar.xz \
      -strip-prefix perso_release
  update_extras set rom_ext https://example.com/rom_ext.zip https://mirror.example.com/rom_ext.zip
  update_extras bump perso_release https://example.com/perso-1.0.1.tar.gz \
      -sha256 <the digest from the release notes>
`,
}

// editSet says what set changes: entry NAME, whose archive is
// downloaded and checked before it is written.
func editSet(ctx context.Context, c *cli, fs *flag.FlagSet, args []string) (*change, error) {
	if len(args) < 2 {
		return nil, usagef("set needs an entry NAME and at least one URL")
	}
	name, urls := args[0], args[1:]
	if err := extras.ValidName(name); err != nil {
		return nil, usagef("%v", err)
	}
	want, err := parseDigest(c.set.sha256)
	if err != nil {
		return nil, usagef("-sha256: %v", err)
	}
	given := flagsGiven(fs)

	st, f, _, err := c.loadStore(ctx)
	if err != nil {
		return nil, err
	}
	old := extrasfile.Lookup(f, name)

	e := &extras.Entry{Name: name, URLs: urls}
	if old != nil {
		e.StripPrefix, e.Type = old.StripPrefix, old.Type
	}
	if given["strip-prefix"] {
		e.StripPrefix = c.set.stripPrefix
	}
	if given["type"] {
		e.Type = c.set.typ
	}
	if p, ok := githubProvenance(urls[0]); ok {
		e.Provenance = p
	} else if old != nil && slices.Equal(old.URLs, urls) {
		e.Provenance = old.Provenance
	}
	if given["repository"] {
		e.Provenance.Repository = c.set.repository
	}
	if given["tag"] {
		e.Provenance.Tag = c.set.tag
	}
	if given["asset"] {
		e.Provenance.Asset = c.set.asset
	}
	if err := c.checkSecrets(name, urls); err != nil {
		return nil, err
	}

	pinned := false
	if want == "" && old != nil && !c.set.rehash && slices.ContainsFunc(urls, func(u string) bool { return slices.Contains(old.URLs, u) }) {
		want, pinned = old.HexSHA256(), true
	}
	ed := &edit{name: name, old: old, entry: e}
	ed.fetch = func(ctx context.Context, fx *fetcher) (*fetched, error) {
		got, err := fx.fetch(ctx, &archiveSpec{
			label: name, urls: urls, sha256: want, typ: e.Type, stripPrefix: e.StripPrefix, mirrors: c.mirrors,
		})
		if err != nil {
			if pinned && errors.Is(err, download.ErrMismatch) {
				return nil, fmt.Errorf("%w\nThe entry pins this URL to sha256 %s, but it now serves other bytes: the archive changed upstream. If that is expected, run again with -rehash", err, want)
			}
			return nil, err
		}
		if want == "" {
			ed.note = fmt.Sprintf("the sha256 of %s was computed from what %s served just now, and nothing else vouches for it: review it (for example against the digest on the release page) before committing.", errtext.Quote(name), download.Redact(got.url))
		}
		return got, nil
	}
	return &change{st: st, edits: []*edit{ed}}, nil
}

// printArchive describes a checked archive in one line.
func printArchive(w io.Writer, got *fetched) {
	if got.report == nil {
		fmt.Fprintf(w, "archive: %s, %d bytes, NOT CHECKED (-allow-unchecked): its members were not read\n", got.typ, got.size)
		return
	}
	r := got.report
	top := strings.Join(r.TopLevel, ", ")
	if len(r.TopLevel) > 5 {
		top = strings.Join(r.TopLevel[:5], ", ") + fmt.Sprintf(" and %d more", len(r.TopLevel)-5)
	}
	fmt.Fprintf(w, "archive: %s, %d bytes, %s, %s, %s, %s unpacked; top level: %s\n",
		got.typ, got.size, plural(r.Files, "file"), plural(r.Dirs, "directory"), plural(r.Symlinks, "link"), size(r.Size), top)
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	if strings.HasSuffix(what, "y") {
		return fmt.Sprintf("%d %sies", n, strings.TrimSuffix(what, "y"))
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// flagsGiven returns the names of the flags set on the command line.
func flagsGiven(fs *flag.FlagSet) map[string]bool {
	m := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { m[f.Name] = true })
	return m
}

// parseDigest accepts a SHA-256 digest as hex (either case) or in SRI form
// and returns it as lower-case hex; "" stays "".
func parseDigest(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	if strings.HasPrefix(s, "sha256-") {
		return extras.HexFromSRI(s)
	}
	s = strings.TrimPrefix(strings.ToLower(s), "sha256:")
	if len(s) != 64 || strings.Trim(s, "0123456789abcdef") != "" {
		return "", fmt.Errorf("%s is neither 64 hex digits nor sha256-<base64>", errtext.Quote(s))
	}
	return s, nil
}

// githubProvenance returns the provenance of a GitHub release download
// URL, https://github.com/OWNER/NAME/releases/download/TAG/ASSET.
func githubProvenance(rawURL string) (extras.Provenance, bool) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "https" || u.Host != "github.com" {
		return extras.Provenance{}, false
	}
	parts := strings.Split(strings.TrimPrefix(u.EscapedPath(), "/"), "/")
	if len(parts) != 6 || parts[2] != "releases" || parts[3] != "download" {
		return extras.Provenance{}, false
	}
	for i, p := range parts {
		v, err := url.PathUnescape(p)
		if err != nil || v == "" {
			return extras.Provenance{}, false
		}
		parts[i] = v
	}
	return extras.Provenance{Repository: parts[0] + "/" + parts[1], Tag: parts[4], Asset: parts[5]}, true
}
