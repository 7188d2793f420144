package release

// The runner's git calls that both halves share.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/gitcli"
)

// fetchBranch fetches branch from the remote into FETCH_HEAD (changing
// no ref) and returns its commit, or "" if the remote has no such branch.
func (r *Runner) fetchBranch(ctx context.Context, branch string) (string, error) {
	refs, err := r.git.RemoteRefs(ctx, r.cfg.Remote, "refs/heads/"+branch)
	if r.offline(err, "branch "+branch+" on "+r.cfg.Remote) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	sha := refs["refs/heads/"+branch]
	if sha == "" {
		return "", nil
	}
	if err := r.git.Fetch(ctx, r.cfg.Remote, "refs/heads/"+branch); err != nil {
		if r.offline(err, "branch "+branch+" from "+r.cfg.Remote) {
			return "", nil
		}
		return "", fmt.Errorf("fetching branch %s from %s: %w", branch, r.cfg.Remote, err)
	}
	return sha, nil
}

// tagCommits returns the commits of tag here and on the remote, "" where
// it does not exist (or, in a dry run, where the remote cannot be read).
func (r *Runner) tagCommits(ctx context.Context, tag string) (local, remote string, err error) {
	locals, err := r.git.LocalTags(ctx, tag)
	if err != nil {
		return "", "", err
	}
	remotes, err := r.git.RemoteRefs(ctx, r.cfg.Remote, "refs/tags/"+tag)
	if r.offline(err, "tag "+tag+" on "+r.cfg.Remote) {
		remotes, err = nil, nil
	}
	if err != nil {
		return "", "", err
	}
	return locals[tag], remotes["refs/tags/"+tag], nil
}

// commitOff makes one commit on top of base in a temporary worktree: edit
// changes the worktree's files (its argument is the worktree's top), and
// the commit holds paths. The checkout is not touched, so a commit that
// git refuses (a hook, no identity) leaves nothing behind.
func (r *Runner) commitOff(ctx context.Context, base, message string, edit func(dir string) error, paths ...string) (string, error) {
	tmp, err := os.MkdirTemp("", "release-worktree-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	dir := filepath.Join(tmp, "wt")
	wt, err := r.git.AddWorktree(ctx, dir, base)
	if err != nil {
		return "", err
	}
	defer r.git.RemoveWorktree(context.WithoutCancel(ctx), dir)
	if err := edit(wt.Dir); err != nil {
		return "", err
	}
	commit, err := r.commit(ctx, wt, message, paths...)
	var gitErr *gitcli.Error
	if errors.As(err, &gitErr) {
		return "", fmt.Errorf("%w\nnothing was committed and the checkout is unchanged: fix the cause (a commit hook, or git's user.name and user.email) and run again", err)
	}
	return commit, err
}
