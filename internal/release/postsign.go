package release

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/extras"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/extrasfile"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/github"
)

// postsign holds what the steps of a postsign run share.
type postsign struct {
	set    Set
	state  *State
	branch string
	tag    string // the release tag
	remote string // the release branch's commit on the remote
	// release is the commit that records the release (step 7), which
	// the release tag names; "" until known.
	release string
	ot      string // the OpenTitan checkout's commit
	assets  []*localAsset
	rel     *github.Release
}

// Postsign runs steps 5-8 on the release branch, after the signatures are
// merged into it: check the signatures and run the signature tests, build
// and upload the signed archives, record them in extras.json and tag,
// open the pull request into the main branch.
func (r *Runner) Postsign(ctx context.Context) error {
	if err := r.checkRemote(ctx); err != nil {
		return err
	}
	p := &postsign{}
	if err := r.postsignSetup(ctx, p); err != nil {
		return err
	}
	if p.state.Postsign.Complete(PostsignSteps) {
		head, err := r.git.Head(ctx)
		if err != nil {
			return err
		}
		if err := r.pushBranch(ctx, p.branch, head, p.remote); err != nil {
			return err
		}
		rec := p.state.Postsign.PullRequest
		pr, err := r.gh.FindPullRequest(ctx, r.cfg.Repository, rec.Head, rec.Base)
		if r.offline(err, "pull request #"+fmt.Sprint(rec.Number)) {
			pr, err = nil, nil
		}
		if err != nil && !errors.Is(err, github.ErrNotFound) {
			return err
		}
		if err := r.pullClosed(pr, rec.Head); err != nil {
			return err
		}
		state := "open, awaiting review"
		switch {
		case pr == nil:
			state = "not found on GitHub"
		case pr.Merged:
			state = "merged"
		}
		r.printf("postsign of %s is complete: release %s, pull request %s (%s); nothing to do.", p.tag, r.releasePage(p.tag), rec.URL, state)
		return nil
	}
	for _, name := range p.set {
		a, _ := r.cfg.Settings.Get(name)
		p.assets = append(p.assets, &localAsset{artifact: name, entry: ReleaseEntry(name), label: a.ReleaseLabel})
	}
	if !p.state.Postsign.Has(StepExtras) {
		r.header("postsign", 5, "signatures of "+p.set.String())
		if err := r.postsignSignatures(ctx, p); err != nil {
			return &StepError{"postsign", 5, "signatures", err}
		}
		r.header("postsign", 6, "build and upload the signed archives of "+p.set.String())
		if err := r.postsignBuild(ctx, p); err != nil {
			return &StepError{"postsign", 6, "build and upload", err}
		}
	} else {
		for _, a := range p.assets {
			rec := p.state.Postsign.Asset(a.artifact)
			if rec == nil {
				return fmt.Errorf("%s records the release entries but no asset for %s; investigate", r.cfg.StatePath, a.artifact)
			}
			a.name, a.sha256, a.size, a.reused = rec.Name, rec.SHA256, rec.Size, true
		}
		r.printf("steps 5 and 6 are done: %s records the signed archives", r.cfg.StatePath)
	}
	r.header("postsign", 7, "record the release entries and tag "+p.tag)
	if err := r.postsignTag(ctx, p); err != nil {
		return &StepError{"postsign", 7, "extras.json and release tag", err}
	}
	r.header("postsign", 8, "pull request into "+r.cfg.Base)
	if err := r.postsignPull(ctx, p); err != nil {
		return &StepError{"postsign", 8, "pull request", err}
	}
	if r.cfg.DryRun {
		r.printf("[dry-run] nothing was changed.")
		return nil
	}
	r.printf("postsign of %s done: release %s; review and merge %s.", p.tag, r.releasePage(p.tag), p.state.Postsign.PullRequest.URL)
	return nil
}

// postsignSetup checks the checkouts and reads the state.
func (r *Runner) postsignSetup(ctx context.Context, p *postsign) error {
	if err := r.cleanTree(ctx); err != nil {
		return err
	}
	var err error
	if p.ot, err = r.checkOpenTitan(ctx); err != nil {
		return err
	}
	cur, err := r.git.CurrentBranch(ctx)
	if err != nil {
		return err
	}
	p.branch = r.cfg.Branch
	if p.branch == "" {
		p.branch = cur
	}
	if p.branch == "" {
		return settingError("Branch", "HEAD is detached; check out the release branch (git switch release/<artifacts>_<date>_rcNN) or name it with ", "")
	}
	if p.remote, err = r.fetchBranch(ctx, p.branch); err != nil {
		return err
	}
	if cur != p.branch {
		if err := r.switchTo(ctx, p.branch, p.remote); err != nil {
			return err
		}
	}
	head, err := r.git.Head(ctx)
	if err != nil {
		return err
	}
	switch {
	case p.remote == "" && r.cfg.DryRun:
		p.remote = head
	case p.remote == "":
		return fmt.Errorf("branch %s is not on %s; postsign runs on the release branch that presign pushed", p.branch, r.cfg.Remote)
	case head != p.remote:
		behind, err := r.git.IsAncestor(ctx, head, p.remote)
		if err != nil {
			return err
		}
		if behind {
			return fmt.Errorf("branch %s is behind %s (the signatures may have been merged there); run git pull --ff-only and run again", p.branch, r.cfg.Remote)
		}
		ahead, err := r.git.IsAncestor(ctx, p.remote, head)
		if err != nil {
			return err
		}
		if !ahead {
			return fmt.Errorf("branch %s and its copy on %s have diverged; reconcile them (git pull --rebase) and run again", p.branch, r.cfg.Remote)
		}
		r.printf("branch %s has commits that %s lacks (an earlier run's); they will be pushed", p.branch, r.cfg.Remote)
	}
	data, err := os.ReadFile(r.path(r.cfg.StatePath))
	if err != nil {
		return fmt.Errorf("reading %s: %w; postsign runs on a release branch that presign made", r.cfg.StatePath, err)
	}
	if p.state, err = ParseState(r.cfg.StatePath, data); err != nil {
		return err
	}
	s := p.state
	p.set = s.Set()
	if !s.Presign.Complete(PresignSteps) || len(s.Presign.Assets) != len(p.set) {
		return fmt.Errorf("%s does not record a complete presign; run presign again for %s %s rc%02d first", r.cfg.StatePath, p.set, s.Date, s.RC)
	}
	if len(r.cfg.Artifacts) > 0 && r.cfg.Artifacts.Name() != p.set.Name() {
		return fmt.Errorf("branch %s releases %s, not %s; pick the right artifacts or branch", p.branch, p.set, r.cfg.Artifacts)
	}
	for _, name := range p.set {
		if _, ok := r.cfg.Settings.Get(name); !ok {
			return fmt.Errorf("%s releases %s, which the artifact settings do not name", r.cfg.StatePath, name)
		}
	}
	if s.Branch != p.branch {
		return fmt.Errorf("%s belongs to branch %s, but this is %s", r.cfg.StatePath, s.Branch, p.branch)
	}
	if s.Repository != r.cfg.Repository {
		return fmt.Errorf("%s records repository %s, but this run is for %s", r.cfg.StatePath, s.Repository, r.cfg.Repository)
	}
	p.tag = p.set.ReleaseTag(s.Date, s.RC)
	r.printf("release of %s, %s rc%02d, on branch %s (build tag %s, release tag %s)", p.set, s.Date, s.RC, p.branch, s.Presign.Tag, p.tag)
	return r.checkPresign(ctx, p)
}

// switchTo checks out the release branch for -branch: the local branch
// if there is one, else a new one at the remote's commit.
func (r *Runner) switchTo(ctx context.Context, branch, remote string) error {
	local, err := r.git.RevParse(ctx, "refs/heads/"+branch)
	if err != nil {
		return err
	}
	if local == "" && remote == "" {
		return fmt.Errorf("branch %s is neither here nor on %s; postsign runs on the release branch that presign pushed", branch, r.cfg.Remote)
	}
	at := local
	if at == "" {
		at = remote
	}
	if _, ok, err := r.loadStateAt(ctx, at); err != nil {
		return err
	} else if !ok {
		return fmt.Errorf("branch %s has no %s; postsign runs on a release branch that presign made", branch, r.cfg.StatePath)
	}
	if r.cfg.DryRun {
		return fmt.Errorf("the checked-out branch is not %s, and a dry run switches no branch: run git switch %s first", branch, branch)
	}
	return r.do("check out branch "+branch, func() error {
		if local == "" {
			if err := r.git.SetBranch(ctx, branch, remote, ""); err != nil {
				return err
			}
		}
		return r.git.Switch(ctx, branch)
	})
}

// pullClosed fails if pr, the pull request from head, was closed without
// being merged: the release's entries are then not on the base branch.
func (r *Runner) pullClosed(pr *github.PullRequest, head string) error {
	if pr == nil || pr.State != "closed" || pr.Merged {
		return nil
	}
	return fmt.Errorf("pull request #%d (%s) from %s into %s was closed without being merged, so the release's entries are not on %s: reopen it, or delete branch %s on %s and run postsign again to open a new one", pr.Number, r.pullPage(pr.Number), head, r.cfg.Base, r.cfg.Base, head, r.cfg.Remote)
}

// postsignSignatures is step 5: every digest of each pre-signing archive
// has all its signature files committed on the branch, there are no
// others, and the signature tests pass.
func (r *Runner) postsignSignatures(ctx context.Context, p *postsign) error {
	var tests []string
	for _, name := range p.set {
		a, _ := r.cfg.Settings.Get(name)
		tests = append(tests, a.SignatureTestLabel)
		if err := r.checkSignatures(ctx, p, a); err != nil {
			return err
		}
	}
	b := &r.cfg.Bazel
	if r.cfg.DryRun {
		if err := r.checkLabels(ctx, tests); err != nil {
			return err
		}
		r.note("would run %s", b.Command(b.TestArgs(tests)))
		return nil
	}
	r.note("running %s", b.Command(b.TestArgs(tests)))
	if err := b.Test(ctx, tests); err != nil {
		return fmt.Errorf("the signature tests fail, so nothing is built or published: %w", err)
	}
	return nil
}

// checkSignatures checks the signature files of one artifact against the
// digests of its published pre-signing archive.
func (r *Runner) checkSignatures(ctx context.Context, p *postsign, a ArtifactSettings) error {
	pre := p.state.Presign.Asset(a.Name)
	if pre == nil {
		return fmt.Errorf("%s records no pre-signing archive of %s", r.cfg.StatePath, a.Name)
	}
	var digests map[string][]byte
	err := r.verifyArchive(ctx, pre.URL, pre.SHA256, "", func(file string) error {
		var err error
		digests, err = readDigests(file, archiveExt(pre.Name), a.DigestSuffix)
		return err
	})
	if r.offline(err, pre.URL) {
		r.note("would check that every *%s of %s has %s in %s/", a.DigestSuffix, pre.Name, strings.Join(a.SignatureSuffixes, " and "), a.SignaturesDir)
		return nil
	}
	if err != nil {
		return err
	}
	if len(digests) == 0 {
		return fmt.Errorf("%s holds no *%s file; check digest_suffix in the artifact settings", pre.Name, a.DigestSuffix)
	}
	var want []string
	for base := range digests {
		stem := strings.TrimSuffix(base, a.DigestSuffix)
		for _, sfx := range a.SignatureSuffixes {
			want = append(want, path.Join(a.SignaturesDir, stem+sfx))
		}
	}
	slices.Sort(want)
	tracked, err := r.git.TrackedFiles(ctx, a.SignaturesDir)
	if err != nil {
		return err
	}
	var missing, empty, stray []string
	for _, sig := range want {
		if !slices.Contains(tracked, sig) {
			missing = append(missing, sig)
			continue
		}
		fi, err := os.Stat(r.path(sig))
		if err != nil {
			return err
		}
		if fi.Size() == 0 {
			empty = append(empty, sig)
		}
	}
	for _, f := range tracked {
		for _, sfx := range a.SignatureSuffixes {
			if strings.HasSuffix(f, sfx) && !slices.Contains(want, f) {
				stray = append(stray, f)
			}
		}
	}
	var problems []string
	if len(missing) > 0 {
		problems = append(problems, fmt.Sprintf("missing (not committed on %s): %s", p.branch, strings.Join(missing, ", ")))
	}
	if len(empty) > 0 {
		problems = append(problems, "empty: "+strings.Join(empty, ", "))
	}
	if len(stray) > 0 {
		problems = append(problems, "matching no digest of the archive: "+strings.Join(stray, ", "))
	}
	if len(problems) > 0 {
		return fmt.Errorf("the signatures of %s are not complete:\n  %s\nevery digest D%s needs %s in %s/, merged into %s by pull request; see docs/release.md",
			pre.Name, strings.Join(problems, "\n  "), a.DigestSuffix, "D"+strings.Join(a.SignatureSuffixes, " and D"), a.SignaturesDir, p.branch)
	}
	r.note("%s: all %d digests have their %s in %s/", a.Name, len(digests), strings.Join(a.SignatureSuffixes, " and "), a.SignaturesDir)
	return nil
}

// postsignBuild is step 6: build the signed archives the release lacks
// and upload them to the (draft) release of the release tag.
func (r *Runner) postsignBuild(ctx context.Context, p *postsign) error {
	rel, assets, err := r.releaseWithAssets(ctx, p.tag, p.assets)
	if err != nil {
		return err
	}
	if err := r.buildAssets(ctx, p.assets, nil); err != nil {
		return err
	}
	s := p.state
	// The release commit is made in step 7; until then the draft's
	// target is the branch's commit on the remote (GitHub refuses a
	// target it does not have), and publishing sets the release's.
	title, notes := r.releaseText(p.tag, fmt.Sprintf("The signed binaries of %s, built by tools/release on branch %s from the pre-signing build %s and the signatures of the offline signing ceremony, with OpenTitan %s.", p.set, p.branch, s.Presign.Tag, p.ot))
	p.rel, err = r.ensureRelease(ctx, rel, assets, p.tag, p.remote, github.NewRelease{Name: title, Body: notes}, p.assets)
	return err
}

// postsignTag is step 7: record the release entries and the state in a
// commit, tag it with the release tag, push both, publish the release and
// verify its downloads.
func (r *Runner) postsignTag(ctx context.Context, p *postsign) error {
	s := p.state
	head, err := r.git.Head(ctx)
	if err != nil {
		return err
	}
	// release is the commit that records the release: the release tag's.
	// Later commits on the branch (a ceremony log, say) may follow it.
	var release string
	if !s.Postsign.Has(StepExtras) {
		if r.cfg.DryRun {
			for _, a := range p.assets {
				r.note("would set entry %q of %s to %s (sha256 %s)", a.entry, r.cfg.ExtrasPath, r.dryRunURL(p.tag, a), orBuilt(a.sha256))
			}
			r.note("would record the postsign in %s and commit both on %s", r.cfg.StatePath, p.branch)
			r.note("would create the annotated tag %s at that commit and push it with branch %s to %s", p.tag, p.branch, r.cfg.Remote)
			r.note("would check through GitHub's API that GitHub has the tag at that commit, publish the release of %s (as a prerelease) and download its assets to verify them", p.tag)
			return nil
		}
		var entries []extras.Entry
		var records []AssetRecord
		var labels []string
		for _, a := range p.assets {
			u := r.downloadURL(p.tag, a.name)
			e, err := r.entry(*a, u, p.tag)
			if err != nil {
				return err
			}
			entries = append(entries, e)
			records = append(records, AssetRecord{Artifact: a.artifact, Entry: a.entry, Name: a.name, URL: u, SHA256: a.sha256, Size: a.size})
			labels = append(labels, a.label)
		}
		sigs, err := r.signatureRecords(ctx, p.set)
		if err != nil {
			return err
		}
		var relRec *ReleaseRecord
		if p.rel != nil {
			relRec = &ReleaseRecord{ID: p.rel.ID, URL: r.releasePage(p.tag)}
		}
		s.Postsign = &Half{Tag: p.tag, Commit: head, OpenTitan: p.ot, Labels: labels, BazelArgs: r.cfg.Bazel.Args, Release: relRec, Assets: records, Signatures: sigs}
		for _, step := range []string{StepSignatures, StepUpload, StepExtras} {
			s.Postsign.Mark(step)
		}
		message := fmt.Sprintf("release: signed release of %s, %s rc%02d\n\nSets %s to the assets of release %s.\nRecorded by tools/release in %s.", p.set, s.Date, s.RC, entryNames(p.assets), p.tag, r.cfg.StatePath)
		if err := r.do("commit "+r.cfg.ExtrasPath+" and "+r.cfg.StatePath, func() error {
			commit, err := r.commitOff(ctx, head, message, func(dir string) error {
				if err := r.setEntries(ctx, dir, entries...); err != nil {
					return err
				}
				return r.writeState(dir, s)
			}, r.cfg.ExtrasPath, r.cfg.StatePath)
			if err != nil {
				return err
			}
			head = commit
			return r.git.FastForward(ctx, commit)
		}); err != nil {
			return err
		}
		release = head
	} else {
		if release, err = r.releaseCommit(ctx, p, head); err != nil {
			return err
		}
		r.note("%s already records %s in %s, in commit %s", r.cfg.StatePath, entryNames(p.assets), r.cfg.ExtrasPath, shortSHA(release))
		f, err := r.extrasAt(ctx, release)
		if err != nil {
			return err
		}
		for _, a := range p.assets {
			rec := s.Postsign.Asset(a.artifact)
			want, err := r.entry(localAsset{artifact: a.artifact, entry: rec.Entry, name: rec.Name, sha256: rec.SHA256}, rec.URL, p.tag)
			if err != nil {
				return err
			}
			if err := entryMatches(f, want, fmt.Sprintf("%s at %s", r.cfg.ExtrasPath, shortSHA(release)), "postsign recorded ("+r.cfg.StatePath+")"); err != nil {
				return fmt.Errorf("%w; investigate", err)
			}
		}
	}

	lc, rc, err := r.tagCommits(ctx, p.tag)
	if err != nil {
		return err
	}
	for _, c := range []string{lc, rc} {
		if c != "" && c != release {
			return fmt.Errorf("tag %s exists at %s, not at %s, the commit that records the release; tags are never moved: investigate", p.tag, shortSHA(c), shortSHA(release))
		}
	}
	if lc == "" && rc == "" {
		if err := r.do(fmt.Sprintf("create the annotated tag %s at %s", p.tag, shortSHA(release)), func() error {
			return r.git.Tag(ctx, p.tag, release, pinMessage(fmt.Sprintf("signed release of %s, %s rc%02d", p.set, s.Date, s.RC), p.ot))
		}); err != nil {
			return err
		}
	} else {
		r.note("tag %s exists at %s", p.tag, shortSHA(release))
	}
	if lc == "" && rc != "" {
		if err := r.do(fmt.Sprintf("fetch tag %s from %s", p.tag, r.cfg.Remote), func() error {
			return r.git.Fetch(ctx, r.cfg.Remote, "refs/tags/"+p.tag+":refs/tags/"+p.tag)
		}); err != nil {
			return err
		}
	}
	var tags []string
	if rc == "" {
		tags = append(tags, "refs/tags/"+p.tag)
	}
	if err := r.pushBranch(ctx, p.branch, head, p.remote, tags...); err != nil {
		return err
	}
	p.remote = head

	if p.rel == nil {
		rel, err := r.gh.FindRelease(ctx, r.cfg.Repository, p.tag)
		if err != nil && !r.offline(err, "the release for tag "+p.tag) {
			return err
		}
		p.rel = rel
	}
	pub, err := r.publish(ctx, p.rel, release)
	if err != nil {
		return err
	}
	if r.cfg.DryRun {
		r.note("would download the assets of %s to verify them", p.tag)
		return nil
	}
	for _, a := range p.assets {
		u, err := assetURL(pub, a.name)
		if err != nil {
			return err
		}
		if rec := s.Postsign.Asset(a.artifact); rec == nil || u != rec.URL {
			return settingError("ServerURL", fmt.Sprintf("GitHub serves asset %s at %s, but %s records another URL; fix ", a.name, u, r.cfg.ExtrasPath), " (GitHub's web URL) and the entry by hand")
		}
		if err := r.verifyArchive(ctx, u, s.Postsign.Asset(a.artifact).SHA256, "", nil); err != nil {
			return err
		}
	}
	p.release = release
	s.Postsign.Mark(StepRelease)
	return nil
}

func orBuilt(sha string) string {
	if sha == "" {
		return "of the build"
	}
	return sha
}

// postsignPull is step 8: a branch off the base branch that sets the
// presign and release entries there, and a pull request for it; then the
// final state commit on the release branch.
func (r *Runner) postsignPull(ctx context.Context, p *postsign) error {
	s := p.state
	head := p.set.MergeBranch(s.Date, s.RC, r.cfg.Base)
	pr, err := r.gh.FindPullRequest(ctx, r.cfg.Repository, head, r.cfg.Base)
	if err != nil && !r.offline(err, "the pull requests of "+r.cfg.Repository) {
		return err
	}
	if err := r.pullClosed(pr, head); err != nil {
		return err
	}
	if pr != nil {
		r.note("pull request #%d (%s) from %s into %s exists: %s", pr.Number, pr.State, head, r.cfg.Base, r.pullPage(pr.Number))
	} else {
		entries, err := r.releaseEntries(ctx, p)
		if err != nil && !r.cfg.DryRun {
			return err
		}
		if err := r.ensureMergeBranch(ctx, p, head, entries); err != nil {
			return err
		}
		var names []string
		for _, a := range p.set {
			names = append(names, PresignEntry(a), ReleaseEntry(a))
		}
		title := fmt.Sprintf("extras: release of %s, %s rc%02d", p.set, s.Date, s.RC)
		body := fmt.Sprintf("Brings the entries %s of `%s` from the release branch `%s` into `%s`.\n\n- pre-signing build: %s\n- signed release: %s\n\nOpened by tools/release (postsign step 8); see docs/release.md.",
			strings.Join(names, ", "), r.cfg.ExtrasPath, p.branch, r.cfg.Base, r.releasePage(s.Presign.Tag), r.releasePage(p.tag))
		if err := r.do(fmt.Sprintf("open a pull request from %s into %s", head, r.cfg.Base), func() error {
			var err error
			pr, err = r.gh.CreatePullRequest(ctx, r.cfg.Repository, github.NewPullRequest{Title: title, Head: head, Base: r.cfg.Base, Body: body})
			if err != nil {
				// An earlier attempt may have opened it and lost the answer.
				if found, ferr := r.gh.FindPullRequest(ctx, r.cfg.Repository, head, r.cfg.Base); ferr == nil && found != nil {
					pr, err = found, nil
				}
			}
			return err
		}); err != nil {
			return err
		}
	}
	if r.cfg.DryRun {
		r.note("would record the pull request in %s, commit it and push branch %s", r.cfg.StatePath, p.branch)
		return nil
	}
	// The recorded URL is made from Config.ServerURL, like every URL this tool
	// commits, never taken from GitHub's answer.
	s.Postsign.PullRequest = &PullRecord{Number: pr.Number, URL: r.pullPage(pr.Number), Head: head, Base: r.cfg.Base}
	s.Postsign.Mark(StepPull)
	branchHead, err := r.git.Head(ctx)
	if err != nil {
		return err
	}
	var commit string
	if err := r.do("commit "+r.cfg.StatePath, func() error {
		var err error
		commit, err = r.commitOff(ctx, branchHead, fmt.Sprintf("release: release of %s, %s rc%02d, complete\n\nRecords pull request #%d in %s.", p.set, s.Date, s.RC, pr.Number, r.cfg.StatePath), func(dir string) error {
			return r.writeState(dir, s)
		}, r.cfg.StatePath)
		if err != nil {
			return err
		}
		return r.git.FastForward(ctx, commit)
	}); err != nil {
		return err
	}
	return r.pushBranch(ctx, p.branch, commit, p.remote)
}

// releaseEntries returns the presign and release entries of extras.json
// at the release commit, which the release tag names; the branch's
// working tree must still have them.
func (r *Runner) releaseEntries(ctx context.Context, p *postsign) ([]extras.Entry, error) {
	if p.release == "" {
		return nil, fmt.Errorf("the release commit of branch %s is not known", p.branch)
	}
	f, err := r.extrasAt(ctx, p.release)
	if err != nil {
		return nil, err
	}
	now, err := r.loadExtras(ctx, r.git.Dir)
	if err != nil {
		return nil, err
	}
	var out []extras.Entry
	var names []string
	for _, a := range p.set {
		names = append(names, PresignEntry(a), ReleaseEntry(a))
	}
	for _, name := range names {
		e := extrasfile.Lookup(f, name)
		if e == nil {
			return nil, fmt.Errorf("%s at %s (tag %s) has no entry %q", r.cfg.ExtrasPath, shortSHA(p.release), p.tag, name)
		}
		e.Pos = extras.Position{}
		if err := entryMatches(now, *e, fmt.Sprintf("%s on branch %s", r.cfg.ExtrasPath, p.branch), fmt.Sprintf("the release tag %s has", p.tag)); err != nil {
			return nil, fmt.Errorf("%w: it was changed after the release; restore it and run again", err)
		}
		out = append(out, *e)
	}
	return out, nil
}

// ensureMergeBranch makes sure branch head exists on the remote: the base
// branch plus one commit that sets entries in extras.json. It works in a
// temporary worktree, so the release branch stays checked out.
func (r *Runner) ensureMergeBranch(ctx context.Context, p *postsign, head string, entries []extras.Entry) error {
	refs, err := r.git.RemoteRefs(ctx, r.cfg.Remote, "refs/heads/"+head)
	if r.offline(err, "branch "+head+" on "+r.cfg.Remote) {
		refs, err = nil, nil
	}
	if err != nil {
		return err
	}
	if c := refs["refs/heads/"+head]; c != "" {
		if err := r.git.Fetch(ctx, r.cfg.Remote, "refs/heads/"+head); err != nil {
			return err
		}
		f, err := r.extrasAt(ctx, c)
		if err != nil {
			return fmt.Errorf("branch %s on %s has no valid %s; delete the branch and run again", head, r.cfg.Remote, r.cfg.ExtrasPath)
		}
		for _, e := range entries {
			if !extrasfile.SameEntry(extrasfile.Lookup(f, e.Name), &e) {
				return fmt.Errorf("branch %s on %s exists, but its entry %q differs from the release branch's; delete the branch and run again", head, r.cfg.Remote, e.Name)
			}
		}
		r.note("branch %s is on %s with the entries", head, r.cfg.Remote)
		return nil
	}
	base, err := r.fetchBranch(ctx, r.cfg.Base)
	if err != nil {
		return err
	}
	if r.cfg.DryRun {
		r.note("would create branch %s at %s of %s, set the %d entries of the release in its %s, commit and push it", head, r.cfg.Base, r.cfg.Remote, 2*len(p.set), r.cfg.ExtrasPath)
		return nil
	}
	if base == "" {
		return settingError("Base", fmt.Sprintf("the base branch %s is not on %s; set ", r.cfg.Base, r.cfg.Remote), "")
	}
	r.note("preparing branch %s in a temporary worktree at %s", head, shortSHA(base))
	commit, err := r.commitOff(ctx, base, fmt.Sprintf("extras: release of %s, %s rc%02d\n\nSets the pre-signing and release entries of %s from branch %s (tags %s and %s).", p.set, p.state.Date, p.state.RC, p.set, p.branch, p.state.Presign.Tag, p.tag), func(dir string) error {
		return r.setEntries(ctx, dir, entries...)
	}, r.cfg.ExtrasPath)
	if err != nil {
		return err
	}
	return r.do(fmt.Sprintf("push branch %s to %s", head, r.cfg.Remote), func() error {
		return r.git.Push(ctx, r.cfg.Remote, commit+":refs/heads/"+head)
	})
}
