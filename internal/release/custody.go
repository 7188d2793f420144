package release

// The chain of custody (docs/release.md, "What the tool guarantees"): the
// checks that tie every step to what the steps before it did, and the
// commits that leave nothing behind when git refuses them.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/extras"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/extrasfile"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/github"
)

// PinTrailer is the trailer of the build tag's message that pins the
// OpenTitan commit the release candidate is built with: the tag is
// pushed in step 1, before anything is built, and is never moved.
const PinTrailer = "OpenTitan-Commit"

// pinMessage returns a tag message that pins ot.
func pinMessage(subject, ot string) string {
	return fmt.Sprintf("%s\n\n%s: %s\n", subject, PinTrailer, ot)
}

// parsePin returns the OpenTitan commit that a tag message pins, or "".
func parsePin(msg string) string {
	for _, line := range strings.Split(msg, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), PinTrailer+":"); ok {
			if v = strings.TrimSpace(v); commitPattern.MatchString(v) {
				return v
			}
		}
	}
	return ""
}

// tagPin returns the OpenTitan commit that the local tag pins, or "".
func (r *Runner) tagPin(ctx context.Context, tag string) (string, error) {
	msg, ok, err := r.git.TagMessage(ctx, tag)
	if err != nil || !ok {
		return "", err
	}
	return parsePin(msg), nil
}

// checkPin refuses to go on when the OpenTitan checkout is not at the
// pinned commit pin, which source names.
func (r *Runner) checkPin(have, pin, source string) error {
	if have == pin {
		r.note("OpenTitan is at %s, the commit pinned by %s", shortSHA(pin), source)
		return nil
	}
	return settingError("Bazel.Dir", fmt.Sprintf("the OpenTitan checkout is at %s, but %s pins OpenTitan %s, which built this release candidate; check it out (git -C %s checkout --detach %s) or point ", have, source, pin, shellQuote(r.cfg.Bazel.Dir), pin), " at a checkout of it, and run again")
}

// onRemote refuses a commit that no branch of the remote holds: a tag on
// it would name a commit that the repository has only through the tag.
func (r *Runner) onRemote(ctx context.Context, commit string) error {
	heads, err := r.git.RemoteRefs(ctx, r.cfg.Remote, "refs/heads/*")
	if r.offline(err, "the branches of "+r.cfg.Remote) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, sha := range heads {
		if sha == commit {
			return nil
		}
	}
	// The base branch is the usual home of a release commit: fetch it so
	// that the ancestry can be read, then try every branch we have.
	if _, err := r.fetchBranch(ctx, r.cfg.Base); err != nil {
		return err
	}
	var names []string
	for ref, sha := range heads {
		names = append(names, strings.TrimPrefix(ref, "refs/heads/"))
		if !r.git.HasCommit(ctx, sha) {
			continue
		}
		if ok, err := r.git.IsAncestor(ctx, commit, sha); err != nil {
			return err
		} else if ok {
			return nil
		}
	}
	slices.Sort(names)
	return fmt.Errorf("commit %s (HEAD) is on no branch of %s (%s), so the build tag would name a commit that only the tag keeps; push it first (git push %s HEAD:%s, by pull request if %s is protected) and run again", shortSHA(commit), r.cfg.Remote, strings.Join(names, ", "), r.cfg.Remote, r.cfg.Base, r.cfg.Base)
}

// verifyTag checks, through GitHub's API, that GitHub has tag at commit,
// before a release of it is published: GitHub would otherwise create the
// tag itself, at the release's target.
func (r *Runner) verifyTag(ctx context.Context, tag, commit string) error {
	got, err := r.gh.TagCommit(ctx, r.cfg.Repository, tag)
	if errors.Is(err, github.ErrNotFound) {
		return fmt.Errorf("GitHub has no tag %s in %s, although it was pushed to %s: is %s the repository %s? Nothing was published", tag, r.cfg.Repository, r.cfg.Remote, r.cfg.Remote, r.cfg.Repository)
	}
	if err != nil {
		return err
	}
	if got != commit {
		return fmt.Errorf("GitHub has tag %s of %s at %s, but the local tag is at %s; tags are never moved: investigate who moved it. Nothing was published", tag, r.cfg.Repository, shortSHA(got), shortSHA(commit))
	}
	r.note("GitHub has tag %s at %s", tag, shortSHA(commit))
	return nil
}

// checkPresign ties postsign to what presign published: the build tag's
// commit and OpenTitan pin, the published pre-signing assets' digests on
// GitHub, and the presign entries of extras.json on the release branch
// must all agree with the state file.
func (r *Runner) checkPresign(ctx context.Context, p *postsign) error {
	s := p.state
	// The build tag: its commit, and the OpenTitan commit it pins.
	lc, rc, err := r.tagCommits(ctx, s.Presign.Tag)
	if err != nil {
		return err
	}
	for _, c := range []string{lc, rc} {
		if c != "" && c != s.Presign.Commit {
			return fmt.Errorf("tag %s is at %s, but %s records the build of %s; tags are never moved: investigate", s.Presign.Tag, shortSHA(c), r.cfg.StatePath, shortSHA(s.Presign.Commit))
		}
	}
	if lc == "" && rc != "" {
		if err := r.git.Fetch(ctx, r.cfg.Remote, "refs/tags/"+s.Presign.Tag+":refs/tags/"+s.Presign.Tag); err != nil {
			return fmt.Errorf("fetching tag %s from %s: %w", s.Presign.Tag, r.cfg.Remote, err)
		}
		lc = rc
	}
	if lc == "" && !r.cfg.DryRun {
		return fmt.Errorf("tag %s of the pre-signing build is on neither this checkout nor %s; investigate", s.Presign.Tag, r.cfg.Remote)
	}
	if lc != "" {
		pin, err := r.tagPin(ctx, s.Presign.Tag)
		if err != nil {
			return err
		}
		if pin != s.Presign.OpenTitan {
			return fmt.Errorf("tag %s pins OpenTitan %q, but %s records %s; the state file was changed: investigate", s.Presign.Tag, pin, r.cfg.StatePath, s.Presign.OpenTitan)
		}
	}
	if err := r.checkPin(p.ot, s.Presign.OpenTitan, "tag "+s.Presign.Tag); err != nil {
		return err
	}

	// The published pre-signing assets, as GitHub reports them.
	rel, assets, err := r.findRelease(ctx, s.Presign.Tag)
	if err != nil {
		return err
	}
	if rel == nil && !r.cfg.DryRun {
		return fmt.Errorf("GitHub has no release for the build tag %s; investigate", s.Presign.Tag)
	}
	for _, name := range p.set {
		rec := s.Presign.Asset(name)
		if rec == nil {
			return fmt.Errorf("%s records no pre-signing archive of %s", r.cfg.StatePath, name)
		}
		if rel == nil {
			continue
		}
		if rel.Draft {
			return fmt.Errorf("the release of the build tag %s is a draft, but %s records it as published; investigate", s.Presign.Tag, r.cfg.StatePath)
		}
		have, err := existingAsset(rel, assets, rec.Entry)
		if err != nil {
			return err
		}
		switch {
		case have == nil:
			return fmt.Errorf("release %s has no asset %s, which %s records (sha256 %s); investigate who deleted it", s.Presign.Tag, rec.Name, r.cfg.StatePath, rec.SHA256)
		case have.Name != rec.Name || have.SHA256 != rec.SHA256:
			return fmt.Errorf("release %s has the asset %s with sha256 %s, but %s records %s with sha256 %s: what was published is not what was built; investigate", s.Presign.Tag, have.Name, have.SHA256, r.cfg.StatePath, rec.Name, rec.SHA256)
		}
	}

	// The presign entries of extras.json on the release branch.
	f, err := r.loadExtras(ctx, r.git.Dir)
	if err != nil {
		return err
	}
	for _, name := range p.set {
		rec := s.Presign.Asset(name)
		want, err := r.entry(localAsset{artifact: name, entry: rec.Entry, name: rec.Name, sha256: rec.SHA256}, rec.URL, s.Presign.Tag)
		if err != nil {
			return err
		}
		if err := entryMatches(f, want, fmt.Sprintf("%s on branch %s", r.cfg.ExtrasPath, p.branch), fmt.Sprintf("presign published (%s)", r.cfg.StatePath)); err != nil {
			return fmt.Errorf("%w; restore it (git show %s:%s) and run again", err, shortSHA(s.Presign.Commit), r.cfg.ExtrasPath)
		}
	}
	r.note("the presign entries of %s are the assets of %s that %s records", r.cfg.ExtrasPath, s.Presign.Tag, r.cfg.StatePath)
	return nil
}

// entryMatches fails unless f's entry want.Name is want, naming both.
func entryMatches(f *extras.File, want extras.Entry, where, source string) error {
	got := extrasfile.Lookup(f, want.Name)
	if got == nil {
		return fmt.Errorf("%s has no entry %q, which %s as %s (sha256 %s)", where, want.Name, source, strings.Join(want.URLs, " "), want.SHA256)
	}
	g := *got
	g.Pos = extras.Position{}
	if !extrasfile.SameEntry(&g, &want) {
		return fmt.Errorf("%s has entry %q at %s (sha256 %s), but %s it at %s (sha256 %s)", where, want.Name, strings.Join(g.URLs, " "), g.SHA256, source, strings.Join(want.URLs, " "), want.SHA256)
	}
	return nil
}

// loadExtras reads the extras.json of the working tree dir, to compare
// its entries with recorded ones: http:// URLs are read too (and then
// differ from the records), so that the message names them.
func (r *Runner) loadExtras(ctx context.Context, dir string) (*extras.File, error) {
	st, err := r.store(dir)
	if err != nil {
		return nil, err
	}
	st.Options.AllowInsecure = true
	f, _, err := st.Load(ctx)
	return f, err
}

// extrasAt reads extras.json at rev.
func (r *Runner) extrasAt(ctx context.Context, rev string) (*extras.File, error) {
	data, ok, err := r.git.Show(ctx, rev, r.cfg.ExtrasPath)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%s has no %s", shortSHA(rev), r.cfg.ExtrasPath)
	}
	return extras.Parse(ctx, shortSHA(rev)+":"+r.cfg.ExtrasPath, data, extras.Options{AllowInsecure: r.cfg.Download.AllowInsecure})
}

// releaseCommit returns the commit of the release branch that records
// the signed release (postsign step 7), which the release tag names: the
// oldest commit, back from head along the state file's history, whose
// state records it. Later commits (a ceremony log, the final state) may
// follow it.
func (r *Runner) releaseCommit(ctx context.Context, p *postsign, head string) (string, error) {
	commits, err := r.git.PathHistory(ctx, head, r.cfg.StatePath)
	if err != nil {
		return "", err
	}
	found := ""
	for _, c := range commits {
		s, ok, err := r.loadStateAt(ctx, c)
		if err != nil || !ok || !s.Postsign.Has(StepExtras) || s.Postsign.Tag != p.tag {
			break
		}
		found = c
	}
	if found == "" {
		return "", fmt.Errorf("no commit of branch %s records the release entries in %s, although its state says so; investigate", p.branch, r.cfg.StatePath)
	}
	return found, nil
}

// signatureRecords lists the signature files of the artifacts, with
// their sha256, as committed at HEAD.
func (r *Runner) signatureRecords(ctx context.Context, set Set) ([]FileRecord, error) {
	var out []FileRecord
	for _, name := range set {
		a, _ := r.cfg.Settings.Get(name)
		files, err := r.git.TrackedFiles(ctx, a.SignaturesDir)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			if !slices.ContainsFunc(a.SignatureSuffixes, func(sfx string) bool { return strings.HasSuffix(f, sfx) }) {
				continue
			}
			sum, _, err := fileSHA256(r.path(f))
			if err != nil {
				return nil, err
			}
			out = append(out, FileRecord{Path: f, SHA256: sum})
		}
	}
	return out, nil
}
