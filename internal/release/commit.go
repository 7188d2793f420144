package release

import (
	"context"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/gitcli"
)

// commit commits paths in repo with message, as every commit of the
// runner is made, and returns the new commit. A message that holds one of
// the secrets is refused before anything is committed: it would be pushed.
func (r *Runner) commit(ctx context.Context, repo *gitcli.Repo, message string, paths ...string) (string, error) {
	if err := r.refuseSecrets("the commit message", []byte(message)); err != nil {
		return "", err
	}
	return repo.Commit(ctx, message, paths...)
}
