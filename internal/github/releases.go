package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	gh "github.com/google/go-github/v84/github"
)

// NewRelease describes a release to create.
type NewRelease struct {
	Tag        string // the tag the release is for
	Target     string // branch or commit the tag is created at if it does not exist yet
	Name       string // the title
	Body       string // the description (Markdown)
	Draft      bool   // create it unpublished: invisible, with no tag, assets may be added
	Prerelease bool
}

// PullRequest is an open or closed pull request.
type PullRequest struct {
	Number  int
	HTMLURL string
	State   string // "open" or "closed"
	Merged  bool
	Head    string // branch name
	Base    string // branch name
}

// NewPullRequest describes a pull request to open.
type NewPullRequest struct {
	Title string
	Head  string // the branch with the changes, in the same repository
	Base  string // the branch to merge into
	Body  string
}

// ErrExists is wrapped by errors for something that already exists, such
// as a release for a tag or an asset of the same name (HTTP 422 with the
// "already_exists" code).
var ErrExists = errors.New("already exists")

// FindRelease returns the release of repository for tag, published or
// draft. GitHub's GET .../releases/tags/{tag} sees only published
// releases, so FindRelease falls back to listing the releases, which shows
// drafts to a token that may push. A missing release gives an error
// wrapping ErrNotFound; two drafts for the tag are an error.
func (c *Client) FindRelease(ctx context.Context, repository, tag string) (*Release, error) {
	rel, err := c.ReleaseByTag(ctx, repository, tag)
	if err == nil || !errors.Is(err, ErrNotFound) {
		return rel, err
	}
	owner, name, _ := SplitRepository(repository)
	var found []*Release
	opts := &gh.ListOptions{PerPage: 100}
	for {
		var page []*gh.RepositoryRelease
		var resp *gh.Response
		err := c.retry(ctx, func() (*gh.Response, error) {
			var err error
			page, resp, err = c.gh.Repositories.ListReleases(ctx, owner, name, opts)
			return resp, err
		})
		if err != nil {
			return nil, c.describeCall(fmt.Sprintf("listing the releases of %s", repository), http.MethodGet, fmt.Sprintf("repos/%s/releases", repository), resp, err)
		}
		for _, r := range page {
			if r.GetTagName() == tag {
				found = append(found, releaseFrom(repository, r))
			}
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("release %q of %s: %w (no published release and no draft for the tag)", tag, repository, ErrNotFound)
	case 1:
		return found[0], nil
	}
	ids := make([]string, len(found))
	for i, r := range found {
		ids[i] = fmt.Sprint(r.ID)
	}
	return nil, fmt.Errorf("repository %s has %d releases for tag %q (ids %s); delete the extra drafts on the releases page and run again", repository, len(found), tag, strings.Join(ids, ", "))
}

// Release returns the release of repository with the given id.
func (c *Client) Release(ctx context.Context, repository string, id int64) (*Release, error) {
	owner, name, ok := SplitRepository(repository)
	if !ok {
		return nil, fmt.Errorf("repository %q is not of the form owner/name", repository)
	}
	var rel *gh.RepositoryRelease
	var resp *gh.Response
	err := c.retry(ctx, func() (*gh.Response, error) {
		var err error
		rel, resp, err = c.gh.Repositories.GetRelease(ctx, owner, name, id)
		return resp, err
	})
	if err != nil {
		return nil, c.describeCall(fmt.Sprintf("release %d of %s", id, repository), http.MethodGet, fmt.Sprintf("repos/%s/releases/%d", repository, id), resp, err)
	}
	return releaseFrom(repository, rel), nil
}

// CreateRelease creates a release. It is not retried: if a response is
// lost, the release may exist, so callers look for it (FindRelease) before
// creating it again. A release that exists already for the tag gives an
// error wrapping ErrExists.
func (c *Client) CreateRelease(ctx context.Context, repository string, nr NewRelease) (*Release, error) {
	owner, name, ok := SplitRepository(repository)
	if !ok {
		return nil, fmt.Errorf("repository %q is not of the form owner/name", repository)
	}
	in := &gh.RepositoryRelease{
		TagName:    gh.Ptr(nr.Tag),
		Name:       gh.Ptr(nr.Name),
		Body:       gh.Ptr(nr.Body),
		Draft:      gh.Ptr(nr.Draft),
		Prerelease: gh.Ptr(nr.Prerelease),
	}
	if nr.Target != "" {
		in.TargetCommitish = gh.Ptr(nr.Target)
	}
	rel, resp, err := c.gh.Repositories.CreateRelease(ctx, owner, name, in)
	if err != nil {
		return nil, c.describeCall(fmt.Sprintf("creating the release for tag %q of %s", nr.Tag, repository), http.MethodPost, fmt.Sprintf("repos/%s/releases", repository), resp, err)
	}
	return releaseFrom(repository, rel), nil
}

// PublishRelease turns the draft release id into a published one whose
// target_commitish is target (a commit SHA; "" keeps the release's). Its
// tag must exist: GitHub would otherwise create it at the target.
func (c *Client) PublishRelease(ctx context.Context, repository string, id int64, target string) (*Release, error) {
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

// ReleaseAssets lists every asset of release id, following pagination.
func (c *Client) ReleaseAssets(ctx context.Context, repository string, id int64) ([]Asset, error) {
	owner, name, ok := SplitRepository(repository)
	if !ok {
		return nil, fmt.Errorf("repository %q is not of the form owner/name", repository)
	}
	var assets []Asset
	opts := &gh.ListOptions{PerPage: 100}
	for {
		var page []*gh.ReleaseAsset
		var resp *gh.Response
		err := c.retry(ctx, func() (*gh.Response, error) {
			var err error
			page, resp, err = c.gh.Repositories.ListReleaseAssets(ctx, owner, name, id, opts)
			return resp, err
		})
		if err != nil {
			return nil, c.describeCall(fmt.Sprintf("listing the assets of release %d of %s", id, repository), http.MethodGet, fmt.Sprintf("repos/%s/releases/%d/assets", repository, id), resp, err)
		}
		for _, a := range page {
			assets = append(assets, assetFrom(a))
		}
		if resp.NextPage == 0 {
			return assets, nil
		}
		opts.Page = resp.NextPage
	}
}

// UploadAsset uploads the file at path as asset name of rel, to the
// release's upload_url. It is not retried (see CreateRelease); an asset of
// the same name gives an error wrapping ErrExists. The upload URL must be
// on the API host or the configured upload host, so that the token never
// goes elsewhere.
func (c *Client) UploadAsset(ctx context.Context, rel *Release, name, path, contentType string) (*Asset, error) {
	what := fmt.Sprintf("uploading asset %s to release %q of %s", name, rel.Tag, rel.Repository)
	upload := rel.UploadURL
	if upload == "" {
		upload = c.gh.UploadURL.String() + fmt.Sprintf("repos/%s/releases/%d/assets", rel.Repository, rel.ID)
	}
	u, err := url.Parse(upload)
	if err != nil || !c.allowedHost(u) {
		return nil, fmt.Errorf("%s: the release's upload URL %q is not on the API or upload host (%s); set the upload URL", what, upload, strings.Join(c.hosts, ", "))
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	in := &gh.RepositoryRelease{UploadURL: gh.Ptr(upload)}
	a, resp, err := c.gh.Repositories.UploadReleaseAssetFromRelease(ctx, in, &gh.UploadOptions{Name: name, MediaType: contentType}, f, fi.Size())
	if err != nil {
		return nil, c.describeCall(what, http.MethodPost, upload, resp, err)
	}
	asset := assetFrom(a)
	return &asset, nil
}

// FindPullRequest returns the most recent pull request, in any state,
// from branch head of repository into base, or nil if there is none.
func (c *Client) FindPullRequest(ctx context.Context, repository, head, base string) (*PullRequest, error) {
	owner, name, ok := SplitRepository(repository)
	if !ok {
		return nil, fmt.Errorf("repository %q is not of the form owner/name", repository)
	}
	var prs []*gh.PullRequest
	var resp *gh.Response
	err := c.retry(ctx, func() (*gh.Response, error) {
		var err error
		prs, resp, err = c.gh.PullRequests.List(ctx, owner, name, &gh.PullRequestListOptions{
			State: "all", Head: owner + ":" + head, Base: base, ListOptions: gh.ListOptions{PerPage: 100},
		})
		return resp, err
	})
	if err != nil {
		return nil, c.describeCall(fmt.Sprintf("looking for a pull request from %s into %s of %s", head, base, repository), http.MethodGet, fmt.Sprintf("repos/%s/pulls", repository), resp, err)
	}
	var best *gh.PullRequest
	for _, pr := range prs {
		if pr.GetHead().GetRef() != head || pr.GetBase().GetRef() != base {
			continue // a server that ignores the filters
		}
		if best == nil || pr.GetNumber() > best.GetNumber() {
			best = pr
		}
	}
	if best == nil {
		return nil, nil
	}
	return pullFrom(best), nil
}

// CreatePullRequest opens a pull request. It is not retried (see
// CreateRelease).
func (c *Client) CreatePullRequest(ctx context.Context, repository string, np NewPullRequest) (*PullRequest, error) {
	owner, name, ok := SplitRepository(repository)
	if !ok {
		return nil, fmt.Errorf("repository %q is not of the form owner/name", repository)
	}
	pr, resp, err := c.gh.PullRequests.Create(ctx, owner, name, &gh.NewPullRequest{
		Title: gh.Ptr(np.Title), Head: gh.Ptr(np.Head), Base: gh.Ptr(np.Base), Body: gh.Ptr(np.Body),
	})
	if err != nil {
		return nil, c.describeCall(fmt.Sprintf("opening a pull request from %s into %s of %s", np.Head, np.Base, repository), http.MethodPost, fmt.Sprintf("repos/%s/pulls", repository), resp, err)
	}
	return pullFrom(pr), nil
}

func pullFrom(pr *gh.PullRequest) *PullRequest {
	return &PullRequest{
		Number:  pr.GetNumber(),
		HTMLURL: pr.GetHTMLURL(),
		State:   pr.GetState(),
		Merged:  pr.GetMerged() || pr.MergedAt != nil,
		Head:    pr.GetHead().GetRef(),
		Base:    pr.GetBase().GetRef(),
	}
}

// allowedHost reports whether u is on a host that receives the token.
func (c *Client) allowedHost(u *url.URL) bool {
	for _, h := range c.hosts {
		if u.Scheme+"://"+u.Host == h {
			return true
		}
	}
	return false
}

// retry runs a read, retrying it like ReleaseByTag on transient failures.
func (c *Client) retry(ctx context.Context, call func() (*gh.Response, error)) error {
	wait := c.backoff
	for attempt := 0; ; attempt++ {
		resp, err := call()
		if err == nil || attempt >= c.retries || !transient(resp, err) || ctx.Err() != nil {
			return err
		}
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
		wait *= 2
	}
}

// describeCall turns an API error into a message naming what was being
// done and the request, without the token. path is relative to the API
// URL unless it is absolute.
func (c *Client) describeCall(what, method, path string, resp *gh.Response, err error) error {
	endpoint := method + " " + path
	if !strings.Contains(path, "://") {
		endpoint = method + " " + c.gh.BaseURL.String() + path
	}
	status := 0
	if resp != nil && resp.Response != nil && !refusedRedirect(err) {
		status = resp.StatusCode
	}
	var er *gh.ErrorResponse
	var rle *gh.RateLimitError
	var msg string
	var sentinel error
	switch {
	case status == http.StatusNotFound:
		sentinel = ErrNotFound
		msg = "404 Not Found"
		if c.token == "" {
			msg += "; set GITHUB_TOKEN (the request needs one)"
		} else {
			msg += "; check the repository name and that GITHUB_TOKEN may write to it (contents: write, pull-requests: write)"
		}
	case status == http.StatusUnauthorized:
		msg = "401 Unauthorized; GITHUB_TOKEN is invalid or expired"
	case status == http.StatusForbidden && !errors.As(err, &rle):
		msg = resp.Status
		if errors.As(err, &er) && er.Message != "" {
			msg += ": " + er.Message
		}
		msg += "; GITHUB_TOKEN lacks a permission (the workflow's permissions: block, or the repository setting that lets Actions open pull requests)"
	case errors.As(err, &rle):
		msg = fmt.Sprintf("rate limit exceeded until %s", rle.Rate.Reset.Format(time.RFC3339))
	case status != 0:
		msg = resp.Status
		if errors.As(err, &er) {
			if er.Message != "" {
				msg += ": " + er.Message
			}
			for _, e := range er.Errors {
				if e.Code == "already_exists" {
					sentinel = ErrExists
				}
				if d := strings.TrimSpace(e.Resource + " " + e.Field + " " + e.Code + " " + e.Message); d != "" {
					msg += " (" + d + ")"
				}
			}
		}
	default:
		msg = transportMessage(err)
	}
	msg = c.redact(msg)
	if sentinel != nil {
		return fmt.Errorf("%s: %s: %s: %w", what, endpoint, msg, sentinel)
	}
	return fmt.Errorf("%s: %s: %s", what, endpoint, msg)
}

// TagCommit returns the commit that tag names in repository on GitHub:
// GET .../git/ref/tags/{tag}, then, while the ref names an annotated tag
// object, GET .../git/tags/{sha} to peel it. A missing tag (or
// repository) gives an error wrapping ErrNotFound. Reads are retried.
func (c *Client) TagCommit(ctx context.Context, repository, tag string) (string, error) {
	owner, name, ok := SplitRepository(repository)
	if !ok {
		return "", fmt.Errorf("repository %q is not of the form owner/name", repository)
	}
	if tag == "" {
		return "", errors.New("no tag given")
	}
	what := fmt.Sprintf("tag %q of %s", tag, repository)
	var ref *gh.Reference
	var resp *gh.Response
	err := c.retry(ctx, func() (*gh.Response, error) {
		var err error
		ref, resp, err = c.gh.Git.GetRef(ctx, owner, name, "tags/"+tag)
		return resp, err
	})
	if err != nil {
		return "", c.describeCall(what, http.MethodGet, fmt.Sprintf("repos/%s/git/ref/tags/%s", repository, url.PathEscape(tag)), resp, err)
	}
	obj := ref.GetObject()
	// A tag may name a tag object that names another; git allows chains,
	// so peel a few levels, not forever.
	for depth := 0; obj.GetType() == "tag"; depth++ {
		if depth == 10 {
			return "", fmt.Errorf("%s: more than 10 nested tag objects from %s", what, obj.GetSHA())
		}
		sha := obj.GetSHA()
		var t *gh.Tag
		err := c.retry(ctx, func() (*gh.Response, error) {
			var err error
			t, resp, err = c.gh.Git.GetTag(ctx, owner, name, sha)
			return resp, err
		})
		if err != nil {
			return "", c.describeCall(what+" (its tag object "+sha+")", http.MethodGet, fmt.Sprintf("repos/%s/git/tags/%s", repository, sha), resp, err)
		}
		obj = t.GetObject()
	}
	if obj.GetType() != "commit" || obj.GetSHA() == "" {
		return "", fmt.Errorf("%s names a %q object %s, not a commit", what, obj.GetType(), obj.GetSHA())
	}
	return obj.GetSHA(), nil
}

// DeleteAsset deletes asset id of a release of repository. It is not
// retried (see CreateRelease); a missing asset gives an error wrapping
// ErrNotFound.
func (c *Client) DeleteAsset(ctx context.Context, repository string, id int64) error {
	owner, name, ok := SplitRepository(repository)
	if !ok {
		return fmt.Errorf("repository %q is not of the form owner/name", repository)
	}
	resp, err := c.gh.Repositories.DeleteReleaseAsset(ctx, owner, name, id)
	if err != nil {
		return c.describeCall(fmt.Sprintf("deleting asset %d of %s", id, repository), http.MethodDelete, fmt.Sprintf("repos/%s/releases/assets/%d", repository, id), resp, err)
	}
	return nil
}
