package github

import "context"

// TEMPORARY (wt-chain): replaced by H1's implementations at merge.
func (c *Client) TagCommit(ctx context.Context, repository, tag string) (string, error) {
	return "", nil
}

func (c *Client) DeleteAsset(ctx context.Context, repository string, id int64) error { return nil }
