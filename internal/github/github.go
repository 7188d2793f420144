// Package github looks up and publishes GitHub releases and their assets,
// and opens pull requests, through the REST API, using
// github.com/google/go-github with a configurable API base URL so that
// tests can point it at a loopback server (see package githubtest).
//
// Reading: [Client.ReleaseByTag] (GET /repos/{owner}/{repo}/releases/tags/{tag})
// and [Client.FindRelease], which also finds drafts. Writing (see
// releases.go): [Client.CreateRelease], [Client.UploadAsset],
// [Client.PublishRelease], [Client.DeleteAsset], [Client.FindPullRequest]
// and [Client.CreatePullRequest]; [Client.TagCommit] reads the commit a
// tag names on GitHub.
//
// The token, if any, is sent only to the API host (and the host of the
// upload URL) as an Authorization header and never appears in errors.
package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	gh "github.com/google/go-github/v84/github"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/download"
)

// DefaultAPIURL is the REST API base URL of github.com.
const DefaultAPIURL = "https://api.github.com/"

// Release is a published release and its assets.
type Release struct {
	ID         int64
	Repository string // "owner/name"
	Tag        string
	Name       string
	Draft      bool
	Prerelease bool
	Target     string // target_commitish: the branch or commit a missing tag is created at
	HTMLURL    string // the release's web page
	UploadURL  string // where assets are uploaded, without the {?name,label} template
	Assets     []Asset
}

// Asset is one file attached to a release.
type Asset struct {
	ID          int64
	Name        string
	URL         string // browser_download_url: the public download URL
	SHA256      string // lower-case hex digest from "digest", "" if GitHub gave none
	Digest      string // the "digest" field as given, such as "sha256:<hex>"
	Size        int64
	ContentType string
	State       string // "uploaded" once complete; "starter" for an upload that did not finish
}

// Client reads releases from one GitHub API endpoint.
type Client struct {
	gh      *gh.Client
	token   string
	hosts   []string // scheme://host that receive the token
	retries int
	backoff time.Duration
}

// Options configures [New].
type Options struct {
	// APIURL is the REST API base URL; "" means DefaultAPIURL. For GitHub
	// Enterprise it is https://HOST/api/v3/.
	APIURL string
	// Token authenticates the requests if not "" (GITHUB_TOKEN).
	Token string
	// HTTPClient sends the requests; nil means a client with proxies from
	// the environment and a one-minute timeout.
	HTTPClient *http.Client
	// UploadURL is the base URL for asset uploads when a release does not
	// name one; "" means https://uploads.github.com/ for github.com and
	// the API URL otherwise. The token is also sent to its host.
	UploadURL string
	// UserAgent is sent with each request; "" means
	// "ot-provisioning-exts-update_extras".
	UserAgent string
	// Retries is how many times a read failing with HTTP 5xx or a
	// network error is retried; Backoff is the first wait, doubled for
	// each retry (0 means one second). Writes are never retried: a
	// caller that fails to create something looks for it before trying
	// again.
	Retries int
	Backoff time.Duration
	// AllowInsecure lets redirects lead from an http:// URL to an
	// http:// URL of a loopback host, for tests against a plain-HTTP
	// fake. Without it, a redirect is followed only to https://; with
	// it too, never from https:// to http:// (see
	// download.WithRedirectPolicy).
	AllowInsecure bool
}

// New returns a client for the API at opts.APIURL.
func New(opts Options) (*Client, error) {
	apiURL := opts.APIURL
	if apiURL == "" {
		apiURL = DefaultAPIURL
	}
	if !strings.HasSuffix(apiURL, "/") {
		apiURL += "/"
	}
	base, err := url.Parse(apiURL)
	if err != nil || base.Host == "" || (base.Scheme != "https" && base.Scheme != "http") {
		return nil, fmt.Errorf("GitHub API URL %q is not an http(s) URL with a host", opts.APIURL)
	}
	if base.User != nil {
		return nil, errors.New("the GitHub API URL must not contain user information; pass the token in GITHUB_TOKEN")
	}
	uploadURL := opts.UploadURL
	switch {
	case uploadURL == "" && base.String() == DefaultAPIURL:
		uploadURL = defaultUploadURL
	case uploadURL == "":
		uploadURL = base.String()
	case !strings.HasSuffix(uploadURL, "/"):
		uploadURL += "/"
	}
	upload, err := url.Parse(uploadURL)
	if err != nil || upload.Host == "" || (upload.Scheme != "https" && upload.Scheme != "http") || upload.User != nil {
		return nil, fmt.Errorf("GitHub upload URL %q is not an http(s) URL with a host and without user information", opts.UploadURL)
	}
	hosts := []string{base.Scheme + "://" + base.Host}
	if h := upload.Scheme + "://" + upload.Host; h != hosts[0] {
		hosts = append(hosts, h)
	}
	hc := opts.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: time.Minute}
	}
	// A redirect that leaves https would let whoever answers the plain
	// request answer for GitHub: release data, digests, uploads.
	hc = download.WithRedirectPolicy(hc, opts.AllowInsecure)
	if opts.Token != "" {
		// Unlike go-github's WithAuthToken, send the token only to the
		// API and upload hosts, never to a host that a redirect leads to.
		hcopy := *hc
		next := hcopy.Transport
		if next == nil {
			next = http.DefaultTransport
		}
		hcopy.Transport = &authTransport{next: next, token: opts.Token, hosts: hosts}
		hc = &hcopy
	}
	c := gh.NewClient(hc)
	c.BaseURL = base
	c.UploadURL = upload
	c.UserAgent = "ot-provisioning-exts-update_extras"
	if opts.UserAgent != "" {
		c.UserAgent = opts.UserAgent
	}
	backoff := opts.Backoff
	if backoff <= 0 {
		backoff = time.Second
	}
	return &Client{gh: c, token: opts.Token, hosts: hosts, retries: opts.Retries, backoff: backoff}, nil
}

// defaultUploadURL is where github.com takes release asset uploads.
const defaultUploadURL = "https://uploads.github.com/"

// APIURL returns the API base URL the client uses.
func (c *Client) APIURL() string { return c.gh.BaseURL.String() }

// ReleaseByTag returns the release of repository ("owner/name") tagged tag.
// A missing release or repository gives a *NotFoundError, which wraps
// ErrNotFound.
func (c *Client) ReleaseByTag(ctx context.Context, repository, tag string) (*Release, error) {
	owner, name, ok := SplitRepository(repository)
	if !ok {
		return nil, fmt.Errorf("repository %q is not of the form owner/name", repository)
	}
	if tag == "" {
		return nil, errors.New("no release tag given")
	}
	var rel *gh.RepositoryRelease
	var resp *gh.Response
	var err error
	wait := c.backoff
	for attempt := 0; ; attempt++ {
		rel, resp, err = c.gh.Repositories.GetReleaseByTag(ctx, owner, name, tag)
		if err == nil || attempt >= c.retries || !transient(resp, err) || ctx.Err() != nil {
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
		wait *= 2
	}
	if err != nil {
		return nil, c.describe(repository, tag, resp, err)
	}
	r := releaseFrom(repository, rel)
	if r.Tag == "" {
		r.Tag = tag
	}
	return r, nil
}

// releaseFrom converts go-github's release.
func releaseFrom(repository string, rel *gh.RepositoryRelease) *Release {
	r := &Release{
		ID:         rel.GetID(),
		Repository: repository,
		Tag:        rel.GetTagName(),
		Name:       rel.GetName(),
		Draft:      rel.GetDraft(),
		Prerelease: rel.GetPrerelease(),
		Target:     rel.GetTargetCommitish(),
		HTMLURL:    rel.GetHTMLURL(),
		UploadURL:  rel.GetUploadURL(),
	}
	if i := strings.Index(r.UploadURL, "{"); i >= 0 {
		r.UploadURL = r.UploadURL[:i]
	}
	for _, a := range rel.Assets {
		r.Assets = append(r.Assets, assetFrom(a))
	}
	return r
}

// assetFrom converts go-github's asset.
func assetFrom(a *gh.ReleaseAsset) Asset {
	asset := Asset{
		ID:          a.GetID(),
		Name:        a.GetName(),
		URL:         a.GetBrowserDownloadURL(),
		Digest:      a.GetDigest(),
		Size:        int64(a.GetSize()),
		ContentType: a.GetContentType(),
		State:       a.GetState(),
	}
	if hexDigest, ok := strings.CutPrefix(asset.Digest, "sha256:"); ok {
		asset.SHA256 = strings.ToLower(hexDigest)
	}
	return asset
}

// ErrNotFound is wrapped by the error for a release or repository that
// does not exist (or that the token may not see).
var ErrNotFound = errors.New("not found")

// NotFoundError is the error of [Client.ReleaseByTag] for a release or
// repository that GitHub answers 404 for. It wraps ErrNotFound. Its
// message says what was asked and the answer; what to check depends on
// where the repository and the tag came from (such as a tool's flags),
// which the caller knows.
type NotFoundError struct {
	Repository string // "owner/name"
	Tag        string
	Endpoint   string // the request, such as "GET https://api.github.com/repos/o/r/releases/tags/v1"
	// Token reports whether the request carried a token: without one, a
	// private repository looks missing.
	Token bool
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("release %q of %s: %v (%s: 404 Not Found)", e.Tag, e.Repository, ErrNotFound, e.Endpoint)
}

// Unwrap returns ErrNotFound.
func (e *NotFoundError) Unwrap() error { return ErrNotFound }

// transient reports whether a failed API request may succeed on a retry.
func transient(resp *gh.Response, err error) bool {
	if resp != nil && resp.Response != nil {
		return resp.StatusCode >= 500
	}
	var rle *gh.RateLimitError
	if errors.As(err, &rle) {
		return false
	}
	return true // no response: a network error
}

// describe turns an API error into a message naming the release and the
// request, without the token.
func (c *Client) describe(repository, tag string, resp *gh.Response, err error) error {
	endpoint := fmt.Sprintf("GET %srepos/%s/releases/tags/%s", c.gh.BaseURL, repository, url.PathEscape(tag))
	status := 0
	if resp != nil && resp.Response != nil && !refusedRedirect(err) {
		status = resp.StatusCode
	}
	var rle *gh.RateLimitError
	var msg string
	switch {
	case status == http.StatusNotFound:
		return &NotFoundError{Repository: repository, Tag: tag, Endpoint: endpoint, Token: c.token != ""}
	case status == http.StatusUnauthorized:
		msg = "401 Unauthorized; GITHUB_TOKEN is invalid or expired"
	case errors.As(err, &rle):
		msg = fmt.Sprintf("rate limit exceeded until %s", rle.Rate.Reset.Format(time.RFC3339))
		if c.token == "" {
			msg += "; set GITHUB_TOKEN for a higher limit"
		}
	case status != 0:
		msg = resp.Status
		var er *gh.ErrorResponse
		if errors.As(err, &er) && er.Message != "" {
			msg += ": " + er.Message
		}
	default:
		msg = transportMessage(err)
	}
	msg = c.redact(msg)
	return fmt.Errorf("release %q of %s: %s: %s", tag, repository, endpoint, msg)
}

// refusedRedirect reports whether err comes from the HTTP client rather
// than from GitHub's answer: with a response, that is a redirect the
// client refused (see download.WithRedirectPolicy). The response is then
// the redirect, and the error says why it was not followed.
func refusedRedirect(err error) bool {
	var ue *url.Error
	return errors.As(err, &ue)
}

// transportMessage describes an error that got no HTTP response, without
// the request URL that url.Error repeats.
func transportMessage(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

// redact removes the token from msg, should any error text quote it.
func (c *Client) redact(msg string) string {
	if c.token == "" {
		return msg
	}
	return strings.ReplaceAll(msg, c.token, "REDACTED")
}

// SplitRepository splits "owner/name" and reports whether it has that form.
func SplitRepository(repository string) (owner, name string, ok bool) {
	owner, name, ok = strings.Cut(repository, "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return "", "", false
	}
	return owner, name, true
}

// authTransport adds the token to requests for the API and upload hosts
// only.
type authTransport struct {
	next  http.RoundTripper
	token string
	hosts []string // scheme://host
}

func (t *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if slices.Contains(t.hosts, req.URL.Scheme+"://"+req.URL.Host) {
		req = req.Clone(req.Context())
		req.Header.Set("Authorization", "Bearer "+t.token)
	}
	return t.next.RoundTrip(req)
}
