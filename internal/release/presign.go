package release

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/extras"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/gitcli"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/github"
)

// presign holds what the steps of a presign run share.
type presign struct {
	set    Set
	date   string
	rc     int
	tag    string
	branch string
	state  *State
	commit string // the commit built and tagged
	ot     string // the OpenTitan checkout's commit, "" if not a git checkout
	// localBranch and remoteBranch are the release branch's commits, ""
	// where it does not exist.
	localBranch, remoteBranch string
	// staleBranch is a local release branch at the build tag's commit
	// with no commit of its own: an earlier run's step 3 made it and its
	// commit failed. Step 3 moves it on.
	staleBranch string
	// remoteState is the state on the remote branch; remoteDone says it
	// records a complete presign.
	remoteState *State
	remoteDone  bool
	assets      []*localAsset
	rel         *github.Release
}

// Presign runs steps 1-3: tag, build and publish, release branch.
func (r *Runner) Presign(ctx context.Context) error {
	if err := r.checkRemote(ctx); err != nil {
		return err
	}
	p := &presign{set: r.cfg.Artifacts}
	if len(p.set) == 0 {
		return errors.New("presign needs the artifacts to release")
	}
	if err := r.cleanTree(ctx); err != nil {
		return err
	}
	var err error
	if p.ot, err = r.checkOpenTitan(ctx); err != nil {
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
		r.printf("Next: the signing ceremony signs the digests of %s (see docs/release.md), then run postsign on %s.", r.releasePage(p.tag), p.branch)
		return nil
	}
	r.header("presign", 1, "tag "+p.tag)
	if err := r.presignTag(ctx, p); err != nil {
		return &StepError{"presign", 1, "tag", err}
	}
	r.header("presign", 2, "build and publish the pre-signing archives of "+p.set.String())
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
	var names []string
	for _, a := range p.assets {
		names = append(names, a.name)
	}
	r.printf("Next: the signing ceremony signs the digests in %s; its signatures come back as a pull request into %s (see docs/release.md), then run postsign there.", strings.Join(names, " and "), p.branch)
	return nil
}

// cleanTree fails if the working tree has changes, which would not be
// part of the tagged commit.
func (r *Runner) cleanTree(ctx context.Context) error {
	return dirty(ctx, r.git, "the working tree", "which would not be part of the release")
}

func dirty(ctx context.Context, repo *gitcli.Repo, what, why string) error {
	st, err := repo.Status(ctx)
	if err != nil {
		return err
	}
	if st != "" {
		lines := strings.Split(strings.TrimSpace(st), "\n")
		if len(lines) > 5 {
			lines = append(lines[:5], fmt.Sprintf("... and %d more", len(lines)-5))
		}
		return fmt.Errorf("%s %s has uncommitted changes or untracked files, %s:\n  %s\ncommit, stash or remove them and run again", what, repo.Dir, why, strings.Join(lines, "\n  "))
	}
	return nil
}

// checkOpenTitan checks the OpenTitan checkout Bazel runs in, a clean git
// checkout, and returns its commit.
func (r *Runner) checkOpenTitan(ctx context.Context) (string, error) {
	dir := r.cfg.Bazel.Dir
	if dir == "" {
		return "", settingError("Bazel.Dir", "the OpenTitan checkout is not set (", ")")
	}
	if _, err := os.Stat(filepath.Join(dir, "MODULE.bazel")); err != nil {
		return "", settingError("Bazel.Dir", dir+" has no MODULE.bazel; ", " must name an OpenTitan checkout (such as lowRISC/opentitan at earlgrey_1.0.0)")
	}
	if same, _ := samePath(dir, r.git.Dir); same {
		return "", settingError("Bazel.Dir", "", fmt.Sprintf(" names this checkout (%s); Bazel runs in the OpenTitan checkout, with this one as --override_module=%s", dir, ModuleName))
	}
	if _, err := os.Stat(filepath.Join(dir, ".git")); err != nil {
		return "", settingError("Bazel.Dir", dir+" is not a git checkout, so the OpenTitan commit that the release is built with cannot be pinned; ", " must name a git checkout of OpenTitan (git clone https://github.com/lowRISC/opentitan)")
	}
	ot, err := gitcli.Open(ctx, dir)
	if err != nil {
		return "", err
	}
	if err := dirty(ctx, ot, "the OpenTitan checkout", "which the build would use"); err != nil {
		return "", err
	}
	c, err := ot.Head(ctx)
	if err != nil {
		return "", err
	}
	r.printf("OpenTitan: %s at %s", dir, shortSHA(c))
	return c, nil
}

func samePath(a, b string) (bool, error) {
	fa, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	fb, err := os.Stat(b)
	if err != nil {
		return false, err
	}
	return os.SameFile(fa, fb), nil
}

// chooseRC picks the release candidate: Config.RC unless it is -1, else the highest rc
// of the day if its presign is unfinished (to resume it), else the next
// one. It loads the state of the chosen rc's branch, if any.
func (r *Runner) chooseRC(ctx context.Context, p *presign) error {
	glob := p.set.BuildTagGlob(p.date)
	local, err := r.git.LocalTags(ctx, glob)
	if err != nil {
		return err
	}
	remote, err := r.git.RemoteRefs(ctx, r.cfg.Remote, "refs/tags/"+glob)
	if r.offline(err, "the tags on "+r.cfg.Remote) {
		remote, err = nil, nil
	}
	if err != nil {
		return err
	}
	top := -1
	for _, name := range append(mapsKeys(local), mapsKeys(remote)...) {
		if n, ok := p.set.ParseBuildTagRC(strings.TrimPrefix(name, "refs/tags/"), p.date); ok {
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
			again, err := r.sameBuild(ctx, p)
			if err != nil {
				return err
			}
			if again {
				r.printf("release candidate rc%02d: it is complete, built from this commit and OpenTitan %s (pass -rc %d to build another candidate of them)", p.rc, shortSHA(p.ot), top+1)
				return nil
			}
			p.rc = top + 1
			r.printf("release candidate rc%02d: rc%02d is complete (branch %s), and was built from another commit of this checkout or of OpenTitan", p.rc, top, p.branch)
		} else {
			r.printf("release candidate rc%02d: resuming it, its presign is not complete", p.rc)
		}
	}
	if p.rc > 99 {
		return settingError("Date", fmt.Sprintf("no release candidate number is left for %s (rc99 is taken); use another ", p.date), "")
	}
	return r.loadPresignState(ctx, p)
}

// sameBuild reports whether the complete presign of p.rc is a build of
// what the checkouts hold now: this checkout's HEAD is its tagged commit
// or on its release branch, and OpenTitan is at its pin.
func (r *Runner) sameBuild(ctx context.Context, p *presign) (bool, error) {
	rec := p.remoteState.Presign
	if rec.OpenTitan != p.ot {
		return false, nil
	}
	head, err := r.git.Head(ctx)
	if err != nil {
		return false, err
	}
	if head == rec.Commit {
		return true, nil
	}
	cur, err := r.git.CurrentBranch(ctx)
	return cur == p.branch, err
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
	p.branch = p.set.Branch(p.date, p.rc)
	p.tag = p.set.BuildTag(p.date, p.rc)
	p.state, p.remoteState, p.remoteDone, p.staleBranch = nil, nil, false, ""
	var err error
	if p.localBranch, err = r.git.RevParse(ctx, "refs/heads/"+p.branch); err != nil {
		return err
	}
	if p.localBranch != "" {
		tagged, err := r.git.RevParse(ctx, "refs/tags/"+p.tag)
		if err != nil {
			return err
		}
		if _, has, err := r.git.Show(ctx, p.localBranch, r.cfg.StatePath); err != nil {
			return err
		} else if !has && tagged == p.localBranch {
			p.staleBranch, p.localBranch = p.localBranch, ""
		}
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
		return nil, settingError("RC", fmt.Sprintf("%s exists but has no %s, so this tool did not make it; delete it or pass another ", what, r.cfg.StatePath), "")
	}
	if s.Set().Name() != p.set.Name() || s.Date != p.date || s.RC != p.rc {
		return nil, fmt.Errorf("%s has a %s for %s %s rc%02d; it does not belong to this release", what, r.cfg.StatePath, s.Set(), s.Date, s.RC)
	}
	return s, nil
}

// presignTag is step 1: the build tag exists locally and on the remote,
// at the commit to build.
func (r *Runner) presignTag(ctx context.Context, p *presign) error {
	lc, rc, err := r.tagCommits(ctx, p.tag)
	if err != nil {
		return err
	}
	head, err := r.git.Head(ctx)
	if err != nil {
		return err
	}
	switch {
	case lc != "" && rc != "" && lc != rc:
		return settingError("RC", fmt.Sprintf("tag %s is at %s here but at %s on %s; tags are never moved: delete the wrong one by hand if you are sure, or pass another ", p.tag, shortSHA(lc), shortSHA(rc), r.cfg.Remote), "")
	case lc != "":
		p.commit = lc
	case rc != "":
		p.commit = rc
	}
	if p.state != nil && p.state.Presign.Commit != "" && p.commit != "" && p.state.Presign.Commit != p.commit {
		return settingError("RC", fmt.Sprintf("tag %s is at %s, but %s on branch %s records commit %s; tags are never moved: investigate, or pass another ", p.tag, shortSHA(p.commit), r.cfg.StatePath, p.branch, shortSHA(p.state.Presign.Commit)), "")
	}
	if p.commit == "" {
		if p.state != nil && p.state.Presign.Commit != "" {
			return settingError("RC", fmt.Sprintf("tag %s is gone, but branch %s records a build of %s; tags are never re-created: investigate, or pass another ", p.tag, p.branch, shortSHA(p.state.Presign.Commit)), "")
		}
		p.commit = head
		if err := r.onRemote(ctx, head); err != nil {
			return err
		}
		if err := r.do(fmt.Sprintf("create the annotated tag %s at %s (HEAD), pinning OpenTitan %s", p.tag, shortSHA(head), shortSHA(p.ot)), func() error {
			return r.git.Tag(ctx, p.tag, head, pinMessage(fmt.Sprintf("pre-signing build of %s, %s rc%02d", p.set, p.date, p.rc), p.ot))
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
	if lc != "" || rc != "" {
		// The tag pins the OpenTitan commit of the candidate's build:
		// a resumed run builds with the same one.
		pin, err := r.tagPin(ctx, p.tag)
		if err != nil {
			return err
		}
		if pin == "" && p.state != nil {
			pin = p.state.Presign.OpenTitan
		}
		if pin == "" && !r.cfg.DryRun {
			return settingError("RC", fmt.Sprintf("tag %s pins no OpenTitan commit (no %s trailer), so this tool did not make it; pass another ", p.tag, PinTrailer), "")
		}
		if pin != "" {
			if err := r.checkPin(p.ot, pin, "tag "+p.tag); err != nil {
				return err
			}
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

// presignBuild is step 2: build at the tag the archives the release lacks,
// and publish the release with all of them.
func (r *Runner) presignBuild(ctx context.Context, p *presign) error {
	var labels []string
	for _, name := range p.set {
		a, _ := r.cfg.Settings.Get(name)
		p.assets = append(p.assets, &localAsset{artifact: name, entry: PresignEntry(name), label: a.PresignLabel})
		labels = append(labels, a.PresignLabel)
	}
	if p.state != nil && p.state.Presign.Has(StepPublish) {
		for _, a := range p.assets {
			rec := p.state.Presign.Asset(a.artifact)
			if rec == nil {
				return fmt.Errorf("%s on branch %s records no asset for %s; delete the branch and run again", r.cfg.StatePath, p.branch, a.artifact)
			}
			a.name, a.sha256, a.size, a.reused = rec.Name, rec.SHA256, rec.Size, true
		}
		r.note("not building: %s on branch %s records the published release", r.cfg.StatePath, p.branch)
		return nil
	}
	rel, assets, err := r.releaseWithAssets(ctx, p.tag, p.assets)
	if err != nil {
		return err
	}
	head, err := r.git.Head(ctx)
	if err != nil {
		return err
	}
	if head != p.commit && !r.cfg.DryRun {
		for _, a := range p.assets {
			if !a.reused {
				return fmt.Errorf("the build must be of tag %s (commit %s), but HEAD is %s; run git switch --detach %s and run again", p.tag, shortSHA(p.commit), shortSHA(head), p.tag)
			}
		}
	}
	err = r.buildAssets(ctx, p.assets, func(a *localAsset) error {
		s, _ := r.cfg.Settings.Get(a.artifact)
		digests, err := readDigests(a.path, archiveExt(a.name), s.DigestSuffix)
		if err != nil {
			return fmt.Errorf("%s: %w", a.name, err)
		}
		if len(digests) == 0 {
			return fmt.Errorf("%s (built by %s) holds no *%s file, so the signing ceremony would have nothing to sign; check the label or digest_suffix in the artifact settings", a.name, a.label, s.DigestSuffix)
		}
		r.note("%s: %d digests to sign (*%s)", a.artifact, len(digests), s.DigestSuffix)
		return nil
	})
	if err != nil {
		return err
	}
	if !r.cfg.DryRun && p.state == nil {
		p.state = &State{
			Version: StateVersion, Artifacts: p.set, Date: p.date, RC: p.rc,
			Repository: r.cfg.Repository, Branch: p.branch,
			Presign: &Half{Tag: p.tag, Commit: p.commit, OpenTitan: p.ot, Labels: labels, BazelArgs: r.cfg.Bazel.Args},
		}
		p.state.Presign.Mark(StepTag)
	}
	title, notes := r.releaseText(p.tag, fmt.Sprintf("The pre-signing binaries and digests of %s, built by tools/release at %s (tag %s) with OpenTitan %s.\n\nThe digests are signed in the offline signing ceremony; see docs/release.md.", p.set, p.commit, p.tag, p.ot))
	rel, err = r.ensureRelease(ctx, rel, assets, p.tag, p.commit, github.NewRelease{Name: title, Body: notes}, p.assets)
	if err != nil {
		return err
	}
	if p.rel, err = r.publish(ctx, rel, p.commit); err != nil {
		return err
	}
	if p.state != nil && p.rel != nil {
		p.state.Presign.Release = &ReleaseRecord{ID: p.rel.ID, URL: r.releasePage(p.tag)}
		p.state.Presign.Assets = nil
		for _, a := range p.assets {
			u, err := assetURL(p.rel, a.name)
			if err != nil {
				return err
			}
			p.state.Presign.Assets = append(p.state.Presign.Assets, AssetRecord{Artifact: a.artifact, Entry: a.entry, Name: a.name, URL: u, SHA256: a.sha256, Size: a.size})
		}
		p.state.Presign.Mark(StepPublish)
	}
	return nil
}

// presignBranch is step 3: the release branch at the tag, with the
// presign entry of extras.json and the state, pushed.
func (r *Runner) presignBranch(ctx context.Context, p *presign) error {
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
	if r.cfg.DryRun {
		for _, a := range p.assets {
			r.note("would download %s and check it against sha256 %s", r.dryRunURL(p.tag, a), orBuilt(a.sha256))
		}
		r.note("would create branch %s at tag %s", p.branch, p.tag)
		r.note("would set %s in %s, and write %s", entryNames(p.assets), r.cfg.ExtrasPath, r.cfg.StatePath)
		r.note("would commit and push branch %s to %s", p.branch, r.cfg.Remote)
		return nil
	}
	entries, err := r.verifiedEntries(ctx, p.rel, p.tag, p.assets)
	if err != nil {
		return err
	}
	// The commit is made in a temporary worktree, and the branch only
	// created once it exists: a refused commit leaves no branch behind.
	p.state.Presign.Mark(StepBranch)
	message := fmt.Sprintf("release: pre-signing build of %s, %s rc%02d\n\nSets %s to the assets of release %s.\nRecorded by tools/release in %s.", p.set, p.date, p.rc, entryNames(p.assets), p.tag, r.cfg.StatePath)
	var commit string
	if err := r.do(fmt.Sprintf("commit %s and %s on tag %s", r.cfg.ExtrasPath, r.cfg.StatePath, p.tag), func() error {
		var err error
		commit, err = r.commitOff(ctx, p.commit, message, func(dir string) error {
			if err := r.setEntries(ctx, dir, entries...); err != nil {
				return err
			}
			return r.writeState(dir, p.state)
		}, r.cfg.ExtrasPath, r.cfg.StatePath)
		return err
	}); err != nil {
		return err
	}
	if err := r.do(fmt.Sprintf("point branch %s at %s and check it out", p.branch, shortSHA(commit)), func() error {
		cur, err := r.git.CurrentBranch(ctx)
		if err != nil {
			return err
		}
		if p.staleBranch != "" && cur == p.branch {
			return r.git.FastForward(ctx, commit)
		}
		if err := r.git.SetBranch(ctx, p.branch, commit, p.staleBranch); err != nil {
			return err
		}
		return r.git.Switch(ctx, p.branch)
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
		if err := r.refuseSecrets(fmt.Sprintf("entry %q of %s", e.Name, r.cfg.ExtrasPath), []byte(strings.Join(e.URLs, " "))); err != nil {
			return err
		}
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

// entryNames lists the assets' entries for messages.
func entryNames(assets []*localAsset) string {
	var names []string
	for _, a := range assets {
		names = append(names, a.entry)
	}
	return strings.Join(names, ", ")
}

// verifiedEntries downloads every asset from the published release rel,
// checks it against its sha256 and as an archive with a BUILD file at its
// root, and returns the extras.json entries.
func (r *Runner) verifiedEntries(ctx context.Context, rel *github.Release, tag string, assets []*localAsset) ([]extras.Entry, error) {
	var entries []extras.Entry
	for _, a := range assets {
		u, err := assetURL(rel, a.name)
		if err != nil {
			return nil, err
		}
		if want := r.downloadURL(tag, a.name); u != want {
			return nil, settingError("ServerURL", fmt.Sprintf("GitHub serves asset %s at %s, not at %s; fix ", a.name, u, want), " (GitHub's web URL)")
		}
		if err := r.verifyArchive(ctx, u, a.sha256, "", func(file string) error {
			if err := checkBuildFile(file, archiveExt(a.name)); err != nil {
				return fmt.Errorf("%s: %w", a.name, err)
			}
			return nil
		}); err != nil {
			return nil, err
		}
		e, err := r.entry(*a, u, tag)
		if err != nil {
			return nil, err
		}
		entries = append(entries, e)
	}
	return entries, nil
}
