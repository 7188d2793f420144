package release

// The runner's GitHub calls: releases, their assets, and the downloads
// that verify what is published.

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/archive"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/download"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/github"
)

// downloadURL is the public download URL GitHub gives a published
// release's asset.
func (r *Runner) downloadURL(tag, asset string) string {
	return fmt.Sprintf("%s/%s/releases/download/%s/%s", r.cfg.ServerURL, r.cfg.Repository, url.PathEscape(tag), url.PathEscape(asset))
}

// releasePage is the web page of a published release.
func (r *Runner) releasePage(tag string) string {
	return fmt.Sprintf("%s/%s/releases/tag/%s", r.cfg.ServerURL, r.cfg.Repository, url.PathEscape(tag))
}

// pullPage is the web page of pull request n.
func (r *Runner) pullPage(n int) string {
	return fmt.Sprintf("%s/%s/pull/%d", r.cfg.ServerURL, r.cfg.Repository, n)
}

// verifyArchive downloads url, checks it against sha256 and checks it as
// an archive with the directory prefix, as Bazel's http_archive with
// strip_prefix will open it. keep, if not nil, gets the downloaded file's
// path before it is removed.
func (r *Runner) verifyArchive(ctx context.Context, rawURL, sha256, prefix string, keep func(path string) error) error {
	opts := r.cfg.Download
	opts.SHA256 = sha256
	res, err := download.Fetch(ctx, []string{rawURL}, opts)
	if err != nil {
		return fmt.Errorf("downloading %s to verify it: %w", download.Redact(rawURL), err)
	}
	defer res.Remove()
	rep, err := archive.Check(ctx, res.Path, archive.InferType(rawURL), prefix, r.cfg.Archive)
	if err != nil {
		return fmt.Errorf("%s: %w", download.Redact(rawURL), err)
	}
	r.note("verified %s: sha256 %s, %d bytes, %d files", download.Redact(rawURL), res.SHA256, res.Size, rep.Files)
	if keep != nil {
		return keep(res.Path)
	}
	return nil
}

// findRelease returns the release for tag, or nil if there is none (or,
// in a dry run, if GitHub cannot be reached).
func (r *Runner) findRelease(ctx context.Context, tag string) (*github.Release, []github.Asset, error) {
	rel, err := r.gh.FindRelease(ctx, r.cfg.Repository, tag)
	if errors.Is(err, github.ErrNotFound) || r.offline(err, "the release for tag "+tag) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	assets, err := r.gh.ReleaseAssets(ctx, r.cfg.Repository, rel.ID)
	if r.offline(err, "the assets of release "+tag) {
		return rel, nil, nil
	}
	return rel, assets, err
}

// releaseWithAssets returns the release for tag (nil if there is none)
// and its assets. If the release is published, each of want that is
// there already is marked as reused: a published asset is never
// replaced, and a stamped rebuild need not give its bytes. A draft's
// assets are not reused: this run builds them, and ensureAsset replaces
// those whose bytes differ.
func (r *Runner) releaseWithAssets(ctx context.Context, tag string, want []*localAsset) (*github.Release, []github.Asset, error) {
	rel, assets, err := r.findRelease(ctx, tag)
	if err != nil || rel == nil || rel.Draft {
		return rel, assets, err
	}
	for _, a := range want {
		have, err := existingAsset(rel, assets, a.entry)
		if err != nil {
			return nil, nil, err
		}
		if have != nil {
			r.reuse(a, have, tag)
		}
	}
	return rel, assets, nil
}

// existingAsset returns the asset of rel for entry (entry.tar.xz or
// entry.zip). Two are an error; an unfinished upload or one without a
// digest too.
func existingAsset(rel *github.Release, assets []github.Asset, entry string) (*github.Asset, error) {
	var found []github.Asset
	for _, have := range assets {
		if strings.TrimSuffix(have.Name, archiveExt(have.Name)) == entry && archiveExt(have.Name) != "" {
			found = append(found, have)
		}
	}
	switch {
	case len(found) == 0:
		return nil, nil
	case len(found) > 1:
		return nil, fmt.Errorf("release %s has %d assets for %s (%s and %s); delete the wrong one on the release page and run again", rel.Tag, len(found), entry, found[0].Name, found[1].Name)
	}
	have := found[0]
	if have.State != "" && have.State != "uploaded" {
		return nil, fmt.Errorf("asset %s of release %s is an unfinished upload (state %q); delete it on the release page and run again", have.Name, rel.Tag, have.State)
	}
	if have.SHA256 == "" {
		return nil, fmt.Errorf("asset %s of release %s exists, but GitHub reports no sha256 digest for it, so it cannot be checked; delete it on the release page and run again", have.Name, rel.Tag)
	}
	return &have, nil
}

// reuse fills a from the asset an earlier run uploaded: it is not built
// again, because a stamped rebuild need not give the same bytes.
func (r *Runner) reuse(a *localAsset, have *github.Asset, tag string) {
	a.name, a.sha256, a.size, a.reused = have.Name, have.SHA256, have.Size, true
	r.note("%s: asset %s is on the published release %s already (sha256 %s); reusing it, not rebuilding it", a.artifact, have.Name, tag, have.SHA256)
}

// ensureRelease makes sure the release for tag exists (created as a
// draft prerelease of commit, the tag's, if it has to be) and holds every
// asset, uploading those that are missing. It returns the release (nil in
// a dry run that would create it).
func (r *Runner) ensureRelease(ctx context.Context, rel *github.Release, assets []github.Asset, tag, commit string, nr github.NewRelease, want []*localAsset) (*github.Release, error) {
	if rel == nil {
		// target_commitish is the tagged commit: should GitHub ever lack
		// the tag when the release is published, it would create it
		// there, not at the default branch (publish checks it has it).
		nr.Tag, nr.Target, nr.Draft, nr.Prerelease = tag, commit, true, true
		err := r.do(fmt.Sprintf("create the draft prerelease %q for tag %s (target %s)", nr.Name, tag, shortSHA(commit)), func() error {
			var err error
			rel, err = r.gh.CreateRelease(ctx, r.cfg.Repository, nr)
			if errors.Is(err, github.ErrExists) {
				// An earlier attempt created it but its answer was lost.
				rel, err = r.gh.FindRelease(ctx, r.cfg.Repository, tag)
			}
			return err
		})
		if err != nil {
			return nil, err
		}
		if rel == nil {
			for _, a := range want {
				r.note("would upload %s (%s)", a.assetName(), a.describe())
			}
			return nil, nil
		}
		if assets, err = r.gh.ReleaseAssets(ctx, r.cfg.Repository, rel.ID); err != nil {
			return nil, err
		}
	} else {
		state := "published"
		if rel.Draft {
			state = "draft"
		}
		r.note("release for tag %s exists (id %d, %s); reusing it", tag, rel.ID, state)
	}
	for _, a := range want {
		if err := r.ensureAsset(ctx, rel, assets, a); err != nil {
			return nil, err
		}
	}
	return rel, nil
}

// ensureAsset uploads a to rel unless it is there already.
func (r *Runner) ensureAsset(ctx context.Context, rel *github.Release, assets []github.Asset, a *localAsset) error {
	have, err := existingAsset(rel, assets, a.entry)
	if err != nil {
		return err
	}
	if have != nil && have.Name == a.name && have.SHA256 == a.sha256 && a.sha256 != "" {
		r.note("asset %s is on release %s with the bytes this run built (sha256 %s)", have.Name, rel.Tag, have.SHA256)
		return nil
	}
	if have != nil && a.reused {
		r.note("asset %s is on release %s (sha256 %s)", have.Name, rel.Tag, have.SHA256)
		return nil
	}
	if have != nil && a.path != "" {
		// An earlier attempt's upload: never reused blindly.
		if !rel.Draft {
			return fmt.Errorf("asset %s of the published release %s has sha256 %s, but this run built %s with sha256 %s; a published asset is never replaced: investigate", have.Name, rel.Tag, have.SHA256, a.name, a.sha256)
		}
		if err := r.do(fmt.Sprintf("delete asset %s (sha256 %s, an earlier attempt's) from the draft release %s: this run built %s with sha256 %s", have.Name, have.SHA256, rel.Tag, a.name, a.sha256), func() error {
			return r.gh.DeleteAsset(ctx, r.cfg.Repository, have.ID)
		}); err != nil {
			return err
		}
		have = nil
	}
	if have != nil {
		if r.cfg.DryRun {
			r.note("would replace asset %s (sha256 %s) of release %s with this run's build, if they differ", have.Name, have.SHA256, rel.Tag)
			return nil
		}
		return fmt.Errorf("asset %s of release %s exists with sha256 %s, and this run did not build it; investigate", have.Name, rel.Tag, have.SHA256)
	}
	if a.path == "" {
		if r.cfg.DryRun {
			r.note("would upload %s to release %s (%s)", a.assetName(), rel.Tag, a.describe())
			return nil
		}
		return fmt.Errorf("release %s has no asset %s, and this run did not build it; investigate who deleted it", rel.Tag, a.assetName())
	}
	var got *github.Asset
	ctype := "application/x-xz"
	if strings.HasSuffix(a.name, ".zip") {
		ctype = "application/zip"
	}
	err = r.do(fmt.Sprintf("upload %s to release %s (%s)", a.name, rel.Tag, a.describe()), func() error {
		var err error
		got, err = r.gh.UploadAsset(ctx, rel, a.name, a.path, ctype)
		if errors.Is(err, github.ErrExists) {
			// An earlier attempt uploaded it but its answer was lost.
			all, lerr := r.gh.ReleaseAssets(ctx, r.cfg.Repository, rel.ID)
			if lerr != nil {
				return lerr
			}
			h, herr := existingAsset(rel, all, a.entry)
			if herr != nil || h == nil {
				return errors.Join(err, herr)
			}
			got, err = h, nil
		}
		return err
	})
	if err != nil || got == nil {
		return err
	}
	if got.SHA256 == "" {
		return fmt.Errorf("GitHub reports no sha256 digest for the uploaded asset %s of release %s, so the upload cannot be checked", a.name, rel.Tag)
	}
	if got.SHA256 != a.sha256 {
		return fmt.Errorf("GitHub reports sha256 %s for the uploaded asset %s of release %s, but the built archive has %s: the upload was damaged; delete the asset on the release page and run again", got.SHA256, a.name, rel.Tag, a.sha256)
	}
	r.note("GitHub's digest of %s matches: sha256 %s", a.name, got.SHA256)
	return nil
}

// publish publishes rel if it is a draft and returns it as published,
// once GitHub's API shows its tag at commit.
func (r *Runner) publish(ctx context.Context, rel *github.Release, commit string) (*github.Release, error) {
	if rel == nil {
		return nil, r.do("publish the release, once GitHub's API shows its tag at "+shortSHA(commit), func() error { return nil })
	}
	if err := r.verifyTag(ctx, rel.Tag, commit); err != nil && !r.offline(err, "tag "+rel.Tag+" on GitHub") {
		return nil, err
	}
	if !rel.Draft {
		r.note("release %s is published", rel.Tag)
		return rel, nil
	}
	var pub *github.Release
	err := r.do(fmt.Sprintf("publish the draft release %d for tag %s (as a prerelease)", rel.ID, rel.Tag), func() error {
		var err error
		pub, err = r.gh.PublishRelease(ctx, r.cfg.Repository, rel.ID, commit)
		return err
	})
	if r.cfg.DryRun {
		return rel, err
	}
	return pub, err
}

// assetURL returns the download URL of asset name of the published rel.
func assetURL(rel *github.Release, name string) (string, error) {
	for _, a := range rel.Assets {
		if a.Name == name {
			if a.URL == "" {
				return "", fmt.Errorf("asset %s of release %s has no browser_download_url", name, rel.Tag)
			}
			return a.URL, nil
		}
	}
	return "", fmt.Errorf("release %s has no asset %s", rel.Tag, name)
}

// releaseText returns the title and notes of a release: the flags'
// if given, else the generated ones.
func (r *Runner) releaseText(title, notes string) (string, string) {
	if r.cfg.Title != "" {
		title = r.cfg.Title
	}
	if r.cfg.Notes != "" {
		notes = r.cfg.Notes
	}
	return title, notes
}
