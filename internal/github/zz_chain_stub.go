package github

import (
	"context"
	"errors"
)

// TEMPORARY (wt-chain): replaced by H1's implementations at merge.
var ErrStubSkip = errors.New("stub")

func (c *Client) TagCommit(ctx context.Context, repository, tag string) (string, error) {
	return "", ErrStubSkip
}

func (c *Client) DeleteAsset(ctx context.Context, repository string, id int64) error {
	return errors.New("DeleteAsset: stub")
}
