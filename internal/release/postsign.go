package release

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/extras"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/extrasfile"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/github"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/tarxz"
)

// postsign holds what the steps of a postsign run share.
type postsign struct {
	a      Artifact
	state  *State
	branch string
	tag    string // the release tag
	remote string // the release branch's commit on the remote
	asset  localAsset
	rel    *github.Release
	url    string // the download URL of the signed archive
	out    string
}

// Postsign runs steps 5-8 on the release branch, after the signatures are
// merged into it: check the signatures, build and upload the signed
// archive, record it in extras.json and tag, open the pull request into
// the main branch.
func (r *Runner) Postsign(ctx context.Context) error {
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
		pr := p.state.Postsign.PullRequest
		r.printf("postsign of %s is complete: release %s, pull request %s; nothing to do.", p.tag, r.releasePage(p.tag), pr.URL)
		return nil
	}
	if !p.state.Postsign.Has(StepUpload) && len(r.cfg.Targets) == 0 {
		return errors.New("postsign needs the Bazel targets that build the signed binaries")
	}
	dir, cleanup, err := r.outDir()
	if err != nil {
		return err
	}
	defer cleanup()
	p.out = dir

	r.header("postsign", 5, "signatures of "+AssetName(p.a.PresignEntry()))
	if err := r.postsignSignatures(ctx, p); err != nil {
		return &StepError{"postsign", 5, "signatures", err}
	}
	r.header("postsign", 6, "build and upload "+AssetName(p.a.ReleaseEntry()))
	if err := r.postsignBuild(ctx, p); err != nil {
		return &StepError{"postsign", 6, "build and upload", err}
	}
	r.header("postsign", 7, "record "+p.a.ReleaseEntry()+" and tag "+p.tag)
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

// postsignSetup checks the checkout and reads the state.
func (r *Runner) postsignSetup(ctx context.Context, p *postsign) error {
	if err := r.cleanTree(ctx); err != nil {
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
		return errors.New("HEAD is detached; check out the release branch (git switch release/<artifact>_<date>_rcNN) or name it with -branch")
	}
	if cur != p.branch {
		return fmt.Errorf("the checked-out branch is %q, not %s; run git switch %s and run again", cur, p.branch, p.branch)
	}
	if p.remote, err = r.fetchBranch(ctx, p.branch); err != nil {
		return err
	}
	if p.remote == "" {
		return fmt.Errorf("branch %s is not on %s; postsign runs on the release branch that presign pushed", p.branch, r.cfg.Remote)
	}
	head, err := r.git.Head(ctx)
	if err != nil {
		return err
	}
	if head != p.remote {
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
	if !s.Presign.Complete(PresignSteps) || s.Presign.Asset == nil {
		return fmt.Errorf("%s does not record a complete presign; run presign again for %s %s rc%02d first", r.cfg.StatePath, s.Artifact, s.Date, s.RC)
	}
	if r.cfg.Artifact != "" && string(r.cfg.Artifact) != s.Artifact {
		return fmt.Errorf("branch %s releases %s, not %s; pick the right artifact or branch", p.branch, s.Artifact, r.cfg.Artifact)
	}
	if s.Branch != p.branch {
		return fmt.Errorf("%s belongs to branch %s, but this is %s", r.cfg.StatePath, s.Branch, p.branch)
	}
	if s.Repository != r.cfg.Repository {
		return fmt.Errorf("%s records repository %s, but this run is for %s", r.cfg.StatePath, s.Repository, r.cfg.Repository)
	}
	p.a = Artifact(s.Artifact)
	r.cfg.Artifact = p.a
	p.tag = p.a.ReleaseTag(s.Date, s.RC)
	r.printf("release %s %s rc%02d on branch %s (build tag %s, release tag %s)", s.Artifact, s.Date, s.RC, p.branch, s.Presign.Tag, p.tag)
	return nil
}

// postsignSignatures is step 5: every digest of the pre-signing archive
// has its signature file committed on the branch, and there are no
// others.
func (r *Runner) postsignSignatures(ctx context.Context, p *postsign) error {
	pre := p.state.Presign
	entry := p.a.PresignEntry()
	var digests map[string][]byte
	if err := r.verifyArchive(ctx, pre.Asset.URL, pre.Asset.SHA256, entry, func(file string) error {
		var err error
		digests, err = tarxz.ReadFiles(file, func(m string) bool { return strings.HasSuffix(m, DigestSuffix) }, 1<<20)
		return err
	}); err != nil {
		return err
	}
	var want []string
	for _, d := range pre.Digests {
		data, ok := digests[d.Path]
		if !ok {
			return fmt.Errorf("the pre-signing archive lacks the digest %s that %s lists; the archive and the state disagree, investigate", d.Path, r.cfg.StatePath)
		}
		if got := sha256Hex(data); got != d.SHA256 {
			return fmt.Errorf("digest %s in the pre-signing archive has sha256 %s, but %s records %s; investigate", d.Path, got, r.cfg.StatePath, d.SHA256)
		}
		want = append(want, d.Signature)
	}
	if len(digests) != len(pre.Digests) {
		return fmt.Errorf("the pre-signing archive holds %d digests, but %s lists %d; investigate", len(digests), r.cfg.StatePath, len(pre.Digests))
	}
	dir := path.Join(r.cfg.SignaturesDir, string(p.a))
	tracked, err := r.git.TrackedFiles(ctx, dir)
	if err != nil {
		return err
	}
	var missing, empty, extra []string
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
		if strings.HasSuffix(f, SignatureSuffix) && !slices.Contains(want, f) {
			extra = append(extra, f)
		}
	}
	var problems []string
	if len(missing) > 0 {
		problems = append(problems, fmt.Sprintf("missing (not committed on %s): %s", p.branch, strings.Join(missing, ", ")))
	}
	if len(empty) > 0 {
		problems = append(problems, "empty: "+strings.Join(empty, ", "))
	}
	if len(extra) > 0 {
		problems = append(problems, "not matching any digest of the archive: "+strings.Join(extra, ", "))
	}
	if len(problems) > 0 {
		return fmt.Errorf("the signatures of %s are not complete:\n  %s\nthe signing ceremony returns one file %s/<digest name>%s per digest, merged into %s by pull request; see docs/release.md",
			pre.Asset.Name, strings.Join(problems, "\n  "), dir, SignatureSuffix, p.branch)
	}
	r.note("all %d digests have their signature in %s/", len(want), dir)
	return nil
}

// postsignBuild is step 6: build the signed binaries and upload them to
// the (draft) release of the release tag.
func (r *Runner) postsignBuild(ctx context.Context, p *postsign) error {
	entry := p.a.ReleaseEntry()
	p.asset = localAsset{name: AssetName(entry)}
	post := p.state.Postsign
	if post.Has(StepUpload) && post.Asset != nil {
		p.asset.sha256, p.asset.size = post.Asset.SHA256, post.Asset.Size
		r.note("not building: %s records %s (sha256 %s)", r.cfg.StatePath, post.Asset.Name, post.Asset.SHA256)
	} else if _, err := r.build(ctx, entry, p.out, &p.asset, false); err != nil {
		return err
	}
	s := p.state
	rel, err := r.ensureRelease(ctx, p.tag, github.NewRelease{
		Name: fmt.Sprintf("%s release %s rc%02d", p.a, s.Date, s.RC),
		Body: fmt.Sprintf("Signed %s binaries, built by tools/release on branch %s from the pre-signing build %s and the signatures of the offline signing ceremony.", p.a, p.branch, s.Presign.Tag),
	}, p.asset)
	if err != nil {
		return err
	}
	p.rel = rel
	return nil
}

// postsignTag is step 7: record the release entry and the state in a
// commit, tag it with the release tag, push both, publish the release and
// verify its download.
func (r *Runner) postsignTag(ctx context.Context, p *postsign) error {
	s := p.state
	entry := p.a.ReleaseEntry()
	p.url = r.downloadURL(p.tag, p.asset.name)
	head, err := r.git.Head(ctx)
	if err != nil {
		return err
	}
	if !s.Postsign.Has(StepExtras) {
		if r.cfg.DryRun {
			r.note("would set entry %q of %s to %s (sha256 %s)", entry, r.cfg.ExtrasPath, p.url, orBuilt(p.asset.sha256))
			r.note("would record the postsign in %s and commit both on %s", r.cfg.StatePath, p.branch)
			r.note("would create the annotated tag %s at that commit and push it with branch %s to %s", p.tag, p.branch, r.cfg.Remote)
			r.note("would publish the release of %s and download %s to verify it", p.tag, p.url)
			return nil
		}
		e, err := r.entry(entry, p.url, p.asset.sha256, p.tag)
		if err != nil {
			return err
		}
		if err := r.setEntries(ctx, r.git.Dir, e); err != nil {
			return err
		}
		var relRec *ReleaseRecord
		if p.rel != nil {
			relRec = &ReleaseRecord{ID: p.rel.ID, URL: r.releasePage(p.tag)}
		}
		s.Postsign = &Half{
			Tag: p.tag, Commit: head, Targets: r.cfg.Targets, BazelArgs: r.cfg.Bazel.Args, Release: relRec,
			Asset: &AssetRecord{Name: p.asset.name, URL: p.url, SHA256: p.asset.sha256, Size: p.asset.size},
		}
		for _, step := range []string{StepSignatures, StepBuild, StepUpload, StepExtras} {
			s.Postsign.Mark(step)
		}
		if err := r.writeState(s); err != nil {
			return err
		}
		if err := r.do("commit "+r.cfg.ExtrasPath+" and "+r.cfg.StatePath, func() error {
			var err error
			head, err = r.git.Commit(ctx, fmt.Sprintf("release: %s signed release %s rc%02d\n\nSets %s to the asset of release %s.\nRecorded by tools/release in %s.", p.a, s.Date, s.RC, entry, p.tag, r.cfg.StatePath), r.cfg.ExtrasPath, r.cfg.StatePath)
			return err
		}); err != nil {
			return err
		}
	} else {
		r.note("%s already records %s in %s", r.cfg.StatePath, entry, r.cfg.ExtrasPath)
		p.url = s.Postsign.Asset.URL
	}

	local, err := r.git.LocalTags(ctx, p.tag)
	if err != nil {
		return err
	}
	remoteRefs, err := r.git.RemoteRefs(ctx, r.cfg.Remote, "refs/tags/"+p.tag)
	if err != nil {
		return err
	}
	lc, rc := local[p.tag], remoteRefs["refs/tags/"+p.tag]
	for _, c := range []string{lc, rc} {
		if c != "" && c != head {
			return fmt.Errorf("tag %s exists at %s, not at %s (HEAD, the commit that records the release); tags are never moved: investigate", p.tag, shortSHA(c), shortSHA(head))
		}
	}
	if lc == "" && rc == "" {
		if err := r.do(fmt.Sprintf("create the annotated tag %s at %s (HEAD)", p.tag, shortSHA(head)), func() error {
			return r.git.Tag(ctx, p.tag, head, fmt.Sprintf("%s signed release %s rc%02d", p.a, s.Date, s.RC))
		}); err != nil {
			return err
		}
	} else {
		r.note("tag %s exists at %s", p.tag, shortSHA(head))
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
		if p.rel, err = r.gh.FindRelease(ctx, r.cfg.Repository, p.tag); err != nil {
			return err
		}
	}
	pub, err := r.publish(ctx, p.rel)
	if err != nil {
		return err
	}
	if r.cfg.DryRun {
		r.note("would download %s to verify it", p.url)
		return nil
	}
	got, err := assetURL(pub, p.asset.name)
	if err != nil {
		return err
	}
	if got != p.url {
		return fmt.Errorf("GitHub serves asset %s at %s, but %s records %s; fix -server-url (GitHub's web URL) and the entry by hand", p.asset.name, got, r.cfg.ExtrasPath, p.url)
	}
	if err := r.verifyArchive(ctx, p.url, s.Postsign.Asset.SHA256, entry, nil); err != nil {
		return err
	}
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
	head := p.a.MergeBranch(s.Date, s.RC, r.cfg.Base)
	pr, err := r.gh.FindPullRequest(ctx, r.cfg.Repository, head, r.cfg.Base)
	if err != nil {
		return err
	}
	if pr != nil {
		r.note("pull request #%d (%s) from %s into %s exists: %s", pr.Number, pr.State, head, r.cfg.Base, pr.HTMLURL)
	} else {
		entries, err := r.releaseEntries(p)
		if err != nil && !r.cfg.DryRun {
			return err
		}
		if err := r.ensureMergeBranch(ctx, p, head, entries); err != nil {
			return err
		}
		title := fmt.Sprintf("extras: %s release %s rc%02d", p.a, s.Date, s.RC)
		body := fmt.Sprintf("Brings the entries %s and %s of `%s` from the release branch `%s` into `%s`.\n\n- pre-signing build: %s\n- signed release: %s\n\nOpened by tools/release (postsign step 8); see docs/release.md.",
			p.a.PresignEntry(), p.a.ReleaseEntry(), r.cfg.ExtrasPath, p.branch, r.cfg.Base, r.releasePage(s.Presign.Tag), r.releasePage(p.tag))
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
	s.Postsign.PullRequest = &PullRecord{Number: pr.Number, URL: pr.HTMLURL, Head: head, Base: r.cfg.Base}
	s.Postsign.Mark(StepPull)
	if err := r.writeState(s); err != nil {
		return err
	}
	var commit string
	if err := r.do("commit "+r.cfg.StatePath, func() error {
		var err error
		commit, err = r.git.Commit(ctx, fmt.Sprintf("release: %s release %s rc%02d complete\n\nRecords pull request #%d in %s.", p.a, s.Date, s.RC, pr.Number, r.cfg.StatePath), r.cfg.StatePath)
		return err
	}); err != nil {
		return err
	}
	return r.pushBranch(ctx, p.branch, commit, p.remote)
}

// releaseEntries returns the presign and release entries of the release
// branch's extras.json.
func (r *Runner) releaseEntries(p *postsign) ([]extras.Entry, error) {
	st, err := r.store(r.git.Dir)
	if err != nil {
		return nil, err
	}
	f, _, err := st.Load()
	if err != nil {
		return nil, err
	}
	var out []extras.Entry
	for _, name := range []string{p.a.PresignEntry(), p.a.ReleaseEntry()} {
		e := extrasfile.Lookup(f, name)
		if e == nil {
			return nil, fmt.Errorf("%s on %s has no entry %q", r.cfg.ExtrasPath, p.branch, name)
		}
		e.Pos = extras.Position{}
		out = append(out, *e)
	}
	return out, nil
}

// ensureMergeBranch makes sure branch head exists on the remote: the base
// branch plus one commit that sets entries in extras.json. It works in a
// temporary worktree, so the release branch stays checked out.
func (r *Runner) ensureMergeBranch(ctx context.Context, p *postsign, head string, entries []extras.Entry) error {
	refs, err := r.git.RemoteRefs(ctx, r.cfg.Remote, "refs/heads/"+head)
	if err != nil {
		return err
	}
	if c := refs["refs/heads/"+head]; c != "" {
		if err := r.git.Fetch(ctx, r.cfg.Remote, "refs/heads/"+head); err != nil {
			return err
		}
		data, ok, err := r.git.Show(ctx, c, r.cfg.ExtrasPath)
		if err != nil {
			return err
		}
		f, perr := extras.Parse(head+":"+r.cfg.ExtrasPath, data, extras.Options{AllowInsecure: r.cfg.Download.AllowInsecure})
		if !ok || perr != nil {
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
	if base == "" {
		return fmt.Errorf("the base branch %s is not on %s; set -base", r.cfg.Base, r.cfg.Remote)
	}
	if r.cfg.DryRun {
		r.note("would create branch %s at %s (%s on %s), set %s and %s in its %s, commit and push it", head, shortSHA(base), r.cfg.Base, r.cfg.Remote, p.a.PresignEntry(), p.a.ReleaseEntry(), r.cfg.ExtrasPath)
		return nil
	}
	tmp, err := os.MkdirTemp("", "release-worktree-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	dir := filepath.Join(tmp, "wt")
	r.note("preparing branch %s in a temporary worktree at %s", head, shortSHA(base))
	wt, err := r.git.AddWorktree(ctx, dir, base)
	if err != nil {
		return err
	}
	defer r.git.RemoveWorktree(context.WithoutCancel(ctx), dir)
	if err := r.setEntries(ctx, wt.Dir, entries...); err != nil {
		return err
	}
	commit, err := wt.Commit(ctx, fmt.Sprintf("extras: %s release %s rc%02d\n\nSets %s and %s from branch %s (tags %s and %s).", p.a, p.state.Date, p.state.RC, p.a.PresignEntry(), p.a.ReleaseEntry(), p.branch, p.state.Presign.Tag, p.tag), r.cfg.ExtrasPath)
	if err != nil {
		return err
	}
	return r.do(fmt.Sprintf("push branch %s to %s", head, r.cfg.Remote), func() error {
		return r.git.Push(ctx, r.cfg.Remote, commit+":refs/heads/"+head)
	})
}
