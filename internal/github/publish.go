package github

import (
	"context"
	"fmt"
	"net/http"

	gh "github.com/google/go-github/v84/github"
)

// PublishReleaseAt turns the draft release id into a published one whose
// target_commitish is target (a commit SHA; "" keeps the release's). Its
// tag must exist: GitHub would otherwise create it at the target.
func (c *Client) PublishReleaseAt(ctx context.Context, repository string, id int64, target string) (*Release, error) {
	owner, name, ok := SplitRepository(repository)
	if !ok {
		return nil, fmt.Errorf("repository %q is not of the form owner/name", repository)
	}
	edit := &gh.RepositoryRelease{Draft: gh.Ptr(false)}
	if target != "" {
		edit.TargetCommitish = gh.Ptr(target)
	}
	rel, resp, err := c.gh.Repositories.EditRelease(ctx, owner, name, id, edit)
	if err != nil {
		return nil, c.describeCall(fmt.Sprintf("publishing release %d of %s", id, repository), http.MethodPatch, fmt.Sprintf("repos/%s/releases/%d", repository, id), resp, err)
	}
	return releaseFrom(repository, rel), nil
}
