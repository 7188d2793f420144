package release

import (
	"context"
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"strings"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/extras"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/github"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/tarxz"
)

// DigestSuffix marks the build outputs that the signing ceremony signs.
const DigestSuffix = ".digest"

// SignatureSuffix is the suffix of the signature files the ceremony
// returns: signatures/<artifact>/<digest base name without .digest>.sig.
const SignatureSuffix = ".sig"

// presign holds what the steps of a presign run share.
type presign struct {
	a      Artifact
	date   string
	rc     int
	tag    string
	branch string
	state  *State
	commit string // the commit built and tagged
	// localBranch and remoteBranch are the release branch's commits, ""
	// where it does not exist.
	localBranch, remoteBranch string
	// remoteState is the state on the remote branch; remoteDone says it
	// records a complete presign.
	remoteState *State
	remoteDone  bool
	asset       localAsset
	rel         *github.Release
	out         string
}

// Presign runs steps 1-3: tag, build and publish, release branch.
func (r *Runner) Presign(ctx context.Context) error {
	p := &presign{a: r.cfg.Artifact}
	if p.a == "" {
		return errors.New("presign needs the artifact to release")
	}
	if len(r.cfg.Targets) == 0 {
		return errors.New("presign needs the Bazel targets that build the pre-signing binaries and digests")
	}
	if err := r.cleanTree(ctx); err != nil {
		return err
	}
	p.date = r.cfg.Date
	if p.date == "" {
		p.date = Today(r.now())
	}
	if err := ParseDate(p.date); err != nil {
		return err
	}
	if err := r.chooseRC(ctx, p); err != nil {
		return &StepError{"presign", 1, "tag", err}
	}
	if p.remoteDone {
		r.printf("presign of %s is complete: branch %s on %s records it in %s; nothing to do.", p.tag, p.branch, r.cfg.Remote, r.cfg.StatePath)
		r.printf("Next: the signing ceremony signs the digests of %s (see docs/release.md), then run postsign on %s.", p.remoteState.Presign.Asset.URL, p.branch)
		return nil
	}
	dir, cleanup, err := r.outDir()
	if err != nil {
		return err
	}
	defer cleanup()
	p.out = dir

	r.header("presign", 1, "tag "+p.tag)
	if err := r.presignTag(ctx, p); err != nil {
		return &StepError{"presign", 1, "tag", err}
	}
	r.header("presign", 2, "build and publish "+AssetName(p.a.PresignEntry()))
	if err := r.presignBuild(ctx, p); err != nil {
		return &StepError{"presign", 2, "build and publish", err}
	}
	r.header("presign", 3, "release branch "+p.branch)
	if err := r.presignBranch(ctx, p); err != nil {
		return &StepError{"presign", 3, "release branch", err}
	}
	if r.cfg.DryRun {
		r.printf("[dry-run] nothing was changed.")
		return nil
	}
	r.printf("presign of %s done: release %s, branch %s.", p.tag, r.releasePage(p.tag), p.branch)
	r.printf("Next: the signing ceremony signs the %d digests of %s; its signatures come back as a pull request into %s (see docs/release.md), then run postsign there.", len(p.state.Presign.Digests), AssetName(p.a.PresignEntry()), p.branch)
	return nil
}

// cleanTree fails if the working tree has changes, which would not be
// part of the tagged commit.
func (r *Runner) cleanTree(ctx context.Context) error {
	st, err := r.git.Status(ctx)
	if err != nil {
		return err
	}
	if st != "" {
		lines := strings.Split(strings.TrimSpace(st), "\n")
		if len(lines) > 5 {
			lines = append(lines[:5], fmt.Sprintf("... and %d more", len(lines)-5))
		}
		return fmt.Errorf("the working tree %s has uncommitted changes or untracked files, which would not be part of the release:\n  %s\ncommit, stash or remove them and run again", r.git.Dir, strings.Join(lines, "\n  "))
	}
	return nil
}

// chooseRC picks the release candidate: -rc if given, else the highest rc
// of the day if its presign is unfinished (to resume it), else the next
// one. It loads the state of the chosen rc's branch, if any.
func (r *Runner) chooseRC(ctx context.Context, p *presign) error {
	glob := p.a.BuildTagGlob(p.date)
	local, err := r.git.LocalTags(ctx, glob)
	if err != nil {
		return err
	}
	remote, err := r.git.RemoteRefs(ctx, r.cfg.Remote, "refs/tags/"+glob)
	if err != nil {
		return err
	}
	top := -1
	for _, name := range append(mapsKeys(local), mapsKeys(remote)...) {
		if n, ok := p.a.ParseBuildTagRC(strings.TrimPrefix(name, "refs/tags/"), p.date); ok {
			top = max(top, n)
		}
	}
	switch {
	case r.cfg.RC >= 0:
		p.rc = r.cfg.RC
		r.printf("release candidate rc%02d (given)", p.rc)
	case top < 0:
		p.rc = 0
		r.printf("release candidate rc00: no %s tag yet", glob)
	default:
		p.rc = top
		if err := r.loadPresignState(ctx, p); err != nil {
			return err
		}
		if p.remoteDone {
			p.rc = top + 1
			r.printf("release candidate rc%02d: rc%02d is complete (branch %s)", p.rc, top, p.branch)
		} else {
			r.printf("release candidate rc%02d: resuming it, its presign is not complete", p.rc)
		}
	}
	if p.rc > 99 {
		return fmt.Errorf("no release candidate number is left for %s (rc99 is taken); use another -date", p.date)
	}
	p.tag = p.a.BuildTag(p.date, p.rc)
	p.branch = p.a.Branch(p.date, p.rc)
	return r.loadPresignState(ctx, p)
}

func mapsKeys(m map[string]string) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	return keys
}

// loadPresignState looks for the release branch of p.rc, locally and on
// the remote, and reads its state file.
func (r *Runner) loadPresignState(ctx context.Context, p *presign) error {
	p.branch = p.a.Branch(p.date, p.rc)
	p.tag = p.a.BuildTag(p.date, p.rc)
	p.state, p.remoteState, p.remoteDone = nil, nil, false
	var err error
	if p.localBranch, err = r.git.RevParse(ctx, "refs/heads/"+p.branch); err != nil {
		return err
	}
	if p.remoteBranch, err = r.fetchBranch(ctx, p.branch); err != nil {
		return err
	}
	if p.remoteBranch != "" {
		if p.remoteState, err = r.branchState(ctx, p, p.remoteBranch, r.cfg.Remote+"'s "+p.branch); err != nil {
			return err
		}
		p.remoteDone = p.remoteState.Presign.Complete(PresignSteps)
	}
	if p.localBranch != "" {
		p.state, err = r.branchState(ctx, p, p.localBranch, "local branch "+p.branch)
	} else {
		p.state = p.remoteState
	}
	return err
}

// branchState reads and checks the state at commit of the release branch.
func (r *Runner) branchState(ctx context.Context, p *presign, commit, what string) (*State, error) {
	s, ok, err := r.loadStateAt(ctx, commit)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%s exists but has no %s, so this tool did not make it; delete it or pass another -rc", what, r.cfg.StatePath)
	}
	if s.Artifact != string(p.a) || s.Date != p.date || s.RC != p.rc || s.Presign == nil {
		return nil, fmt.Errorf("%s has a %s for %s %s rc%02d; it does not belong to this release", what, r.cfg.StatePath, s.Artifact, s.Date, s.RC)
	}
	return s, nil
}

// presignTag is step 1: the build tag exists locally and on the remote,
// at the commit to build.
func (r *Runner) presignTag(ctx context.Context, p *presign) error {
	local, err := r.git.LocalTags(ctx, p.tag)
	if err != nil {
		return err
	}
	remote, err := r.git.RemoteRefs(ctx, r.cfg.Remote, "refs/tags/"+p.tag)
	if err != nil {
		return err
	}
	lc, rc := local[p.tag], remote["refs/tags/"+p.tag]
	head, err := r.git.Head(ctx)
	if err != nil {
		return err
	}
	switch {
	case lc != "" && rc != "" && lc != rc:
		return fmt.Errorf("tag %s is at %s here but at %s on %s; tags are never moved: delete the wrong one by hand if you are sure, or pass another -rc", p.tag, shortSHA(lc), shortSHA(rc), r.cfg.Remote)
	case lc != "":
		p.commit = lc
	case rc != "":
		p.commit = rc
	}
	if p.state != nil && p.state.Presign.Commit != "" && p.commit != "" && p.state.Presign.Commit != p.commit {
		return fmt.Errorf("tag %s is at %s, but %s on branch %s records commit %s; tags are never moved: investigate, or pass another -rc", p.tag, shortSHA(p.commit), r.cfg.StatePath, p.branch, shortSHA(p.state.Presign.Commit))
	}
	if p.commit == "" {
		if p.state != nil && p.state.Presign.Commit != "" {
			return fmt.Errorf("tag %s is gone, but branch %s records a build of %s; tags are never re-created: investigate, or pass another -rc", p.tag, p.branch, shortSHA(p.state.Presign.Commit))
		}
		p.commit = head
		if err := r.do(fmt.Sprintf("create the annotated tag %s at %s (HEAD)", p.tag, shortSHA(head)), func() error {
			return r.git.Tag(ctx, p.tag, head, fmt.Sprintf("%s pre-signing build %s rc%02d", p.a, p.date, p.rc))
		}); err != nil {
			return err
		}
	} else {
		r.note("tag %s exists at %s; not creating it again", p.tag, shortSHA(p.commit))
	}
	if lc == "" && rc != "" {
		if err := r.do(fmt.Sprintf("fetch tag %s from %s", p.tag, r.cfg.Remote), func() error {
			return r.git.Fetch(ctx, r.cfg.Remote, "refs/tags/"+p.tag+":refs/tags/"+p.tag)
		}); err != nil {
			return err
		}
	}
	if rc == "" {
		if err := r.do(fmt.Sprintf("push tag %s to %s", p.tag, r.cfg.Remote), func() error {
			return r.git.Push(ctx, r.cfg.Remote, "refs/tags/"+p.tag)
		}); err != nil {
			return fmt.Errorf("%w; the tag exists locally, run again to push it", err)
		}
	} else {
		r.note("tag %s is on %s", p.tag, r.cfg.Remote)
	}
	return nil
}

// presignBuild is step 2: build at the tag, package, publish.
func (r *Runner) presignBuild(ctx context.Context, p *presign) error {
	entry := p.a.PresignEntry()
	p.asset = localAsset{name: AssetName(entry)}
	if p.state != nil && p.state.Presign.Has(StepPublish) && p.state.Presign.Asset != nil {
		rec := p.state.Presign.Asset
		p.asset.sha256, p.asset.size = rec.SHA256, rec.Size
		r.note("not building: %s on branch %s records %s (sha256 %s)", r.cfg.StatePath, p.branch, rec.Name, rec.SHA256)
	} else {
		head, err := r.git.Head(ctx)
		if err != nil {
			return err
		}
		if head != p.commit {
			return fmt.Errorf("the build must be of tag %s (commit %s), but HEAD is %s; run git switch --detach %s and run again", p.tag, shortSHA(p.commit), shortSHA(head), p.tag)
		}
		digests, err := r.build(ctx, entry, p.out, &p.asset, true)
		if err != nil {
			return err
		}
		if !r.cfg.DryRun {
			p.state = &State{
				Version: StateVersion, Artifact: string(p.a), Date: p.date, RC: p.rc,
				Repository: r.cfg.Repository, Branch: p.branch,
				Presign: &Half{Tag: p.tag, Commit: p.commit, Targets: r.cfg.Targets, BazelArgs: r.cfg.Bazel.Args, Digests: digests},
			}
			p.state.Presign.Mark(StepTag)
			p.state.Presign.Mark(StepBuild)
		}
	}
	rel, err := r.ensureRelease(ctx, p.tag, github.NewRelease{
		Name:       fmt.Sprintf("%s pre-signing build %s rc%02d", p.a, p.date, p.rc),
		Body:       fmt.Sprintf("Pre-signing binaries and digests of %s, built at %s (tag %s) by tools/release.\n\nThe digests are signed in the offline signing ceremony; see docs/release.md.", p.a, p.commit, p.tag),
		Prerelease: true,
	}, p.asset)
	if err != nil {
		return err
	}
	if p.rel, err = r.publish(ctx, rel); err != nil {
		return err
	}
	if p.state != nil && p.rel != nil {
		u, err := assetURL(p.rel, p.asset.name)
		if err != nil {
			return err
		}
		p.state.Presign.Release = &ReleaseRecord{ID: p.rel.ID, URL: p.rel.HTMLURL}
		p.state.Presign.Asset = &AssetRecord{Name: p.asset.name, URL: u, SHA256: p.asset.sha256, Size: p.asset.size}
		p.state.Presign.Mark(StepPublish)
	}
	return nil
}

// build runs Bazel on the targets and packages the outputs as the archive
// of entry in dir, filling in a. With presign, it requires digests and
// returns them.
func (r *Runner) build(ctx context.Context, entry, dir string, a *localAsset, presign bool) ([]Digest, error) {
	b := r.cfg.Bazel
	if r.cfg.DryRun {
		r.printf("  would run %s", b.BuildCommand(r.cfg.Targets))
		r.printf("  would package the outputs (bazel cquery --output=files) into %s, under %s/, with %s", a.name, entry, SumsName)
		return nil, nil
	}
	r.note("running %s", b.BuildCommand(r.cfg.Targets))
	if err := b.Build(ctx, r.cfg.Targets); err != nil {
		return nil, err
	}
	files, err := b.Outputs(ctx, r.cfg.Targets)
	if err != nil {
		return nil, err
	}
	files, sums, err := withSums(files)
	if err != nil {
		return nil, err
	}
	var digests []Digest
	if presign {
		seen := map[string]string{}
		for _, f := range files {
			if !strings.HasSuffix(f.Name, DigestSuffix) {
				continue
			}
			sig := path.Join(r.cfg.SignaturesDir, string(r.cfg.Artifact), strings.TrimSuffix(path.Base(f.Name), DigestSuffix)+SignatureSuffix)
			if other, ok := seen[sig]; ok {
				return nil, fmt.Errorf("digests %s and %s would both need the signature %s; give them different file names", other, f.Name, sig)
			}
			seen[sig] = f.Name
			digests = append(digests, Digest{Path: path.Join(entry, f.Name), SHA256: sums[f.Name], Signature: sig})
		}
		if len(digests) == 0 {
			return nil, fmt.Errorf("the targets %s build no %s file, so the signing ceremony would have nothing to sign; add the targets that produce the digests", strings.Join(r.cfg.Targets, " "), DigestSuffix)
		}
	}
	res, err := tarxz.WriteFile(filepath.Join(dir, a.name), entry, files)
	if err != nil {
		return nil, fmt.Errorf("packaging %s: %w", a.name, err)
	}
	a.path, a.sha256, a.size = res.Path, res.SHA256, res.Size
	r.note("packaged %d files into %s: %d bytes, sha256 %s", len(files), res.Path, res.Size, res.SHA256)
	return digests, nil
}

// presignBranch is step 3: the release branch at the tag, with the
// presign entry of extras.json and the state, pushed.
func (r *Runner) presignBranch(ctx context.Context, p *presign) error {
	entryName := p.a.PresignEntry()
	if p.localBranch != "" {
		// An earlier run made the commit; check it and push it.
		ok, err := r.git.IsAncestor(ctx, p.commit, p.localBranch)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("local branch %s does not contain tag %s; it is not this release's branch: rename or delete it and run again", p.branch, p.tag)
		}
		if !p.state.Presign.Has(StepBranch) {
			return fmt.Errorf("local branch %s exists, but its %s does not record the presign; delete the branch (git branch -D %s) and run again", p.branch, r.cfg.StatePath, p.branch)
		}
		r.note("branch %s exists locally with the presign commit %s", p.branch, shortSHA(p.localBranch))
		return r.pushBranch(ctx, p.branch, p.localBranch, p.remoteBranch)
	}
	if p.remoteBranch != "" {
		return fmt.Errorf("branch %s exists on %s but does not record a complete presign in %s; inspect it, delete it if it is stale, and run again", p.branch, r.cfg.Remote, r.cfg.StatePath)
	}
	url := r.downloadURL(p.tag, p.asset.name)
	if p.rel != nil {
		var err error
		if url, err = assetURL(p.rel, p.asset.name); err != nil {
			return err
		}
	}
	if r.cfg.DryRun {
		r.note("would download %s and check it against the sha256 of the build", url)
		r.note("would create branch %s at tag %s", p.branch, p.tag)
		r.note("would set entry %q of %s to %s, and write %s", entryName, r.cfg.ExtrasPath, url, r.cfg.StatePath)
		r.note("would commit and push branch %s to %s", p.branch, r.cfg.Remote)
		return nil
	}
	if err := r.verifyArchive(ctx, url, p.asset.sha256, entryName, nil); err != nil {
		return err
	}
	e, err := r.entry(entryName, url, p.asset.sha256, p.tag)
	if err != nil {
		return err
	}
	if err := r.do(fmt.Sprintf("create branch %s at tag %s", p.branch, p.tag), func() error {
		return r.git.CreateBranch(ctx, p.branch, "refs/tags/"+p.tag)
	}); err != nil {
		return err
	}
	if err := r.setEntries(ctx, r.git.Dir, e); err != nil {
		return err
	}
	p.state.Presign.Mark(StepBranch)
	if err := r.writeState(p.state); err != nil {
		return err
	}
	var commit string
	if err := r.do("commit "+r.cfg.ExtrasPath+" and "+r.cfg.StatePath, func() error {
		var err error
		commit, err = r.git.Commit(ctx, fmt.Sprintf("release: %s pre-signing build %s rc%02d\n\nSets %s to the asset of release %s.\nRecorded by tools/release in %s.", p.a, p.date, p.rc, entryName, p.tag, r.cfg.StatePath), r.cfg.ExtrasPath, r.cfg.StatePath)
		return err
	}); err != nil {
		return err
	}
	return r.pushBranch(ctx, p.branch, commit, "")
}

// setEntries sets entries in the extras.json of the working tree dir.
func (r *Runner) setEntries(ctx context.Context, dir string, entries ...extras.Entry) error {
	st, err := r.store(dir)
	if err != nil {
		return err
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name)
	}
	return r.do(fmt.Sprintf("set %s in %s", strings.Join(names, ", "), r.cfg.ExtrasPath), func() error {
		_, err := st.Update(ctx, func(f *extras.File) error {
			for _, e := range entries {
				f.Set(e)
			}
			return nil
		})
		return err
	})
}

// pushBranch pushes commit to branch on the remote, whose branch is at
// remote ("" if absent); the remote must not have commits the local
// branch lacks.
func (r *Runner) pushBranch(ctx context.Context, branch, commit, remote string, extra ...string) error {
	if remote == commit && len(extra) == 0 {
		r.note("branch %s is up to date on %s", branch, r.cfg.Remote)
		return nil
	}
	if remote != "" && remote != commit {
		ok, err := r.git.IsAncestor(ctx, remote, commit)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("branch %s on %s has commits that the local branch lacks; pull them (git pull --ff-only) and run again", branch, r.cfg.Remote)
		}
	}
	refspecs := []string{commit + ":refs/heads/" + branch}
	if remote == commit {
		refspecs = nil
	}
	refspecs = append(refspecs, extra...)
	what := fmt.Sprintf("push branch %s", branch)
	for _, e := range extra {
		what += " and " + strings.TrimPrefix(e, "refs/tags/")
	}
	return r.do(what+" to "+r.cfg.Remote, func() error {
		if err := r.git.Push(ctx, r.cfg.Remote, refspecs...); err != nil {
			return fmt.Errorf("%w; the commit is safe in the local branch %s: run again to push it", err, branch)
		}
		return nil
	})
}
