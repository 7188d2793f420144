package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/archive"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/download"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/errtext"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/extras"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/extrasfile"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/github"
)

// defaultReleaseEntries are the entries that from-release picks up from a
// release without being named or already in the file.
var defaultReleaseEntries = []string{"presign_perso", "presign_rom_ext", "perso_release", "rom_ext_release"}

// releaseFlags are the flags of from-release.
type releaseFlags struct {
	repo, tag, apiURL  string
	allowMissingDigest bool
	stripPrefix        map[string]string
}

var fromReleaseCommand = &command{
	name:      "from-release",
	args:      "-repo OWNER/NAME -tag TAG [NAME...]",
	short:     "set entries from the assets of a GitHub release, verified against GitHub's digests",
	downloads: true,
	flags: func(c *cli, fs *flag.FlagSet) {
		fs.StringVar(&c.release.repo, "repo", c.release.repo, "GitHub repository as `owner/name` (required)")
		fs.StringVar(&c.release.tag, "tag", c.release.tag, "release `tag` (required)")
		fs.StringVar(&c.release.apiURL, "api-url", c.release.apiURL, "GitHub REST API base `URL` (default: $GITHUB_API_URL, else "+github.DefaultAPIURL+")")
		fs.BoolVar(&c.release.allowMissingDigest, "allow-missing-digest", c.release.allowMissingDigest, "accept assets for which GitHub reports no digest, hashing them here (review the result)")
		fs.Func("strip-prefix", "`NAME=DIR`: strip prefix of entry NAME (repeatable; default: the entry's current one)", func(v string) error {
			name, dir, ok := strings.Cut(v, "=")
			if !ok || name == "" {
				return fmt.Errorf("want NAME=DIR, got %s", errtext.Quote(v))
			}
			if c.release.stripPrefix == nil {
				c.release.stripPrefix = map[string]string{}
			}
			c.release.stripPrefix[name] = dir
			return nil
		})
	},
	edit: editFromRelease,
	long: `
Sets entries from the assets of the GitHub release TAG of OWNER/NAME,
listed through the REST API (GET /repos/OWNER/NAME/releases/tags/TAG).

An asset named ENTRY.tar.xz, ENTRY.tar.gz, ENTRY.zip (or another archive
extension) becomes entry ENTRY. Without NAMEs, every asset whose ENTRY is
a valid repository name and either already an entry of the file or one of
presign_perso, presign_rom_ext, perso_release and rom_ext_release is
taken; with NAMEs, exactly those, each of which must have one asset.

Each asset is downloaded from its browser_download_url (without the
token: the URL must be public, as Bazel fetches it without one) and must
match the digest GitHub reports for it ("sha256:<hex>") and its size; an
asset without a digest is refused unless -allow-missing-digest. The
archive is then checked as by set. The entry gets the asset's URL as its
only URL, both hashes, and provenance (repository, tag, asset); it keeps
its strip_prefix unless -strip-prefix NAME=DIR says otherwise, and its
type only if it matches the asset's extension. If anything fails, nothing
is written.

The token comes from $GITHUB_TOKEN, if set, and is sent only to the API.
It is never printed, and a download URL that carries it (or any user
information) is refused: extras.json is committed.

Examples:
  update_extras from-release -repo lowRISC/ot-sku -tag v1.0.0
  update_extras from-release -repo lowRISC/ot-sku -tag v1.0.1 perso_release \
      -strip-prefix perso_release=perso-v1.0.1
`,
}

// releaseItem is one asset to turn into an entry.
type releaseItem struct {
	name  string
	typ   string
	asset github.Asset
}

// editFromRelease says what from-release changes: an entry per asset of
// the release, each downloaded and verified against GitHub's digest
// before anything is written.
func editFromRelease(ctx context.Context, c *cli, fs *flag.FlagSet, args []string) (*change, error) {
	rf := &c.release
	if rf.repo == "" || rf.tag == "" {
		return nil, usagef("from-release needs -repo OWNER/NAME and -tag TAG")
	}
	if _, _, ok := github.SplitRepository(rf.repo); !ok {
		return nil, usagef("-repo %s is not of the form owner/name", errtext.Quote(rf.repo))
	}
	for _, name := range args {
		if err := extras.ValidName(name); err != nil {
			return nil, usagef("%v", err)
		}
	}
	for name := range rf.stripPrefix {
		if len(args) > 0 && !slices.Contains(args, name) {
			return nil, usagef("-strip-prefix names %s, which is not among the NAMEs", errtext.Quote(name))
		}
	}

	st, f, _, err := c.loadStore(ctx)
	if err != nil {
		return nil, err
	}

	apiURL := rf.apiURL
	if apiURL == "" {
		apiURL = c.env.getenv("GITHUB_API_URL")
	}
	if apiURL == "" {
		apiURL = github.DefaultAPIURL
	}
	if err := download.CheckURL(apiURL, c.allowInsecure); err != nil {
		return nil, fmt.Errorf("GitHub API URL: %w", err)
	}
	gc, err := github.New(github.Options{
		APIURL:        apiURL,
		Token:         c.token,
		HTTPClient:    &http.Client{Timeout: c.timeout, Transport: c.env.transport},
		Retries:       c.retries,
		Backoff:       c.backoff,
		AllowInsecure: c.allowInsecure,
	})
	if err != nil {
		return nil, err
	}
	rel, err := gc.ReleaseByTag(ctx, rf.repo, rf.tag)
	if err != nil {
		return nil, err
	}
	if rel.Draft {
		c.ui.logf("warning: release %s of %s is a draft: its download URLs are not public", rel.Tag, rf.repo)
	}

	items, err := pickAssets(rel, f, args)
	if err != nil {
		return nil, err
	}
	for name := range rf.stripPrefix {
		if !slices.ContainsFunc(items, func(it *releaseItem) bool { return it.name == name }) {
			return nil, usagef("-strip-prefix names %s, but the release has no asset for it", errtext.Quote(name))
		}
	}
	ch := &change{st: st}
	for _, it := range items {
		a := it.asset
		ed := &edit{name: it.name, old: extrasfile.Lookup(f, it.name)}
		ch.edits = append(ch.edits, ed)
		if ed.err = c.checkAsset(it); ed.err != nil {
			continue // reported with the failures of the downloads
		}
		e := &extras.Entry{
			Name:       it.name,
			URLs:       []string{a.URL},
			Provenance: extras.Provenance{Repository: rel.Repository, Tag: rel.Tag, Asset: a.Name},
		}
		if d, ok := rf.stripPrefix[it.name]; ok {
			e.StripPrefix = d
		} else if ed.old != nil {
			e.StripPrefix = ed.old.StripPrefix
		}
		if ed.old != nil && ed.old.Type == it.typ {
			e.Type = it.typ
		}
		ed.entry = e
		ed.fetch = func(ctx context.Context, fx *fetcher) (*fetched, error) {
			got, err := fx.fetch(ctx, &archiveSpec{
				label:       it.name,
				urls:        []string{a.URL},
				sha256:      a.SHA256,
				size:        a.Size,
				typ:         it.typ,
				stripPrefix: e.StripPrefix,
				mirrors:     "all",
			})
			if errors.Is(err, download.ErrMismatch) {
				return nil, fmt.Errorf("%w; the download does not match what GitHub reports for asset %s, refusing it", err, a.Name)
			}
			return got, err
		}
		if a.SHA256 == "" {
			ed.note = fmt.Sprintf("GitHub reported no digest for %s; the sha256 of %s was computed from what it served just now: review it before committing.", a.Name, errtext.Quote(it.name))
		}
	}
	return ch, nil
}

// pickAssets maps the release's archive assets to entries: the named ones,
// or else those already in f or among defaultReleaseEntries.
func pickAssets(rel *github.Release, f *extras.File, names []string) ([]*releaseItem, error) {
	byName := map[string][]*releaseItem{}
	var archives []string
	for _, a := range rel.Assets {
		typ := archive.InferType(a.Name)
		if typ == "" {
			continue
		}
		archives = append(archives, a.Name)
		name := a.Name[:len(a.Name)-len(typ)-1]
		byName[name] = append(byName[name], &releaseItem{name: name, typ: typ, asset: a})
	}
	listed := "it has no archive assets"
	if len(archives) > 0 {
		listed = "its archive assets are " + strings.Join(archives, ", ")
	}
	var items []*releaseItem
	pick := func(name string, cands []*releaseItem) error {
		if len(cands) > 1 {
			var ns []string
			for _, it := range cands {
				ns = append(ns, it.asset.Name)
			}
			return fmt.Errorf("release %s of %s has several assets for entry %s (%s); remove all but one from the release, or use set with the URL of the one you want", rel.Tag, rel.Repository, errtext.Quote(name), strings.Join(ns, ", "))
		}
		items = append(items, cands[0])
		return nil
	}
	if len(names) > 0 {
		for _, name := range slices.Compact(slices.Sorted(slices.Values(names))) {
			cands := byName[name]
			if len(cands) == 0 {
				return nil, fmt.Errorf("release %s of %s has no asset for entry %s (such as %s.tar.xz); %s", rel.Tag, rel.Repository, errtext.Quote(name), name, listed)
			}
			if err := pick(name, cands); err != nil {
				return nil, err
			}
		}
		return items, nil
	}
	for _, name := range slices.Sorted(maps.Keys(byName)) {
		if extras.ValidName(name) != nil {
			continue
		}
		if _, ok := f.Lookup(name); !ok && !slices.Contains(defaultReleaseEntries, name) {
			continue
		}
		if err := pick(name, byName[name]); err != nil {
			return nil, err
		}
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("release %s of %s has no asset for an entry of the file or for %s; %s. Name the entries to take as arguments", rel.Tag, rel.Repository, strings.Join(defaultReleaseEntries, ", "), listed)
	}
	return items, nil
}

// checkAsset checks, before anything is downloaded, that the asset of it
// can become an entry: its URL is public and allowed, and GitHub reports a
// digest to verify the download against (unless -allow-missing-digest).
func (c *cli) checkAsset(it *releaseItem) error {
	a := it.asset
	if msg := c.secretsProblem(a.URL); msg != "" {
		return fmt.Errorf("asset %s: refusing the browser_download_url that GitHub gives: %s, and a release's download URLs must be public", a.Name, msg)
	}
	if a.SHA256 == "" {
		if a.Digest != "" {
			return fmt.Errorf("asset %s has the digest %s, but only sha256 is supported", a.Name, errtext.Quote(a.Digest))
		}
		if !c.release.allowMissingDigest {
			return fmt.Errorf("GitHub reports no digest for asset %s (it records one for assets uploaded since mid-2025), so the download cannot be verified; re-upload the asset, or pass -allow-missing-digest to hash it here and review the result", a.Name)
		}
		c.ui.logf("warning: entry %s: GitHub reports no digest for asset %s; hashing it here without verification", errtext.Quote(it.name), a.Name)
	}
	if a.URL == "" {
		return fmt.Errorf("asset %s has no browser_download_url", a.Name)
	}
	if err := download.CheckURL(a.URL, c.allowInsecure); err != nil {
		return fmt.Errorf("asset %s: %w", a.Name, err)
	}
	return nil
}
