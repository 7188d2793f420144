// Package github looks up GitHub releases and their assets through the
// REST API (GET /repos/{owner}/{repo}/releases/tags/{tag}), using
// github.com/google/go-github with a configurable API base URL so that
// tests can point it at a loopback server.
//
// The token, if any, is sent only to the API base URL as an Authorization
// header and never appears in errors.
package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	gh "github.com/google/go-github/v84/github"
)

// DefaultAPIURL is the REST API base URL of github.com.
const DefaultAPIURL = "https://api.github.com/"

// Release is a published release and its assets.
type Release struct {
	Repository string // "owner/name"
	Tag        string
	Name       string
	Draft      bool
	Prerelease bool
	Assets     []Asset
}

// Asset is one file attached to a release.
type Asset struct {
	Name        string
	URL         string // browser_download_url: the public download URL
	SHA256      string // lower-case hex digest from "digest", "" if GitHub gave none
	Digest      string // the "digest" field as given, such as "sha256:<hex>"
	Size        int64
	ContentType string
}

// Client reads releases from one GitHub API endpoint.
type Client struct {
	gh      *gh.Client
	token   string
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
	// Retries is how many times a request failing with HTTP 5xx or a
	// network error is retried; Backoff is the first wait, doubled for
	// each retry (0 means one second).
	Retries int
	Backoff time.Duration
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
	hc := opts.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: time.Minute}
	}
	if opts.Token != "" {
		// Unlike go-github's WithAuthToken, send the token only to the
		// API host, never to a host that a redirect leads to.
		hcopy := *hc
		next := hcopy.Transport
		if next == nil {
			next = http.DefaultTransport
		}
		hcopy.Transport = &authTransport{next: next, token: opts.Token, scheme: base.Scheme, host: base.Host}
		hc = &hcopy
	}
	c := gh.NewClient(hc)
	c.BaseURL = base
	c.UserAgent = "ot-provisioning-exts-update_extras"
	backoff := opts.Backoff
	if backoff <= 0 {
		backoff = time.Second
	}
	return &Client{gh: c, token: opts.Token, retries: opts.Retries, backoff: backoff}, nil
}

// APIURL returns the API base URL the client uses.
func (c *Client) APIURL() string { return c.gh.BaseURL.String() }

// ReleaseByTag returns the release of repository ("owner/name") tagged tag.
// A missing release or repository gives an error wrapping ErrNotFound.
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
	r := &Release{
		Repository: repository,
		Tag:        rel.GetTagName(),
		Name:       rel.GetName(),
		Draft:      rel.GetDraft(),
		Prerelease: rel.GetPrerelease(),
	}
	if r.Tag == "" {
		r.Tag = tag
	}
	for _, a := range rel.Assets {
		asset := Asset{
			Name:        a.GetName(),
			URL:         a.GetBrowserDownloadURL(),
			Digest:      a.GetDigest(),
			Size:        int64(a.GetSize()),
			ContentType: a.GetContentType(),
		}
		if hexDigest, ok := strings.CutPrefix(asset.Digest, "sha256:"); ok {
			asset.SHA256 = strings.ToLower(hexDigest)
		}
		r.Assets = append(r.Assets, asset)
	}
	return r, nil
}

// ErrNotFound is wrapped by the error for a release or repository that
// does not exist (or that the token may not see).
var ErrNotFound = errors.New("not found")

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
	if resp != nil && resp.Response != nil {
		status = resp.StatusCode
	}
	var rle *gh.RateLimitError
	var msg string
	switch {
	case status == http.StatusNotFound:
		hint := "check -repo and -tag"
		if c.token == "" {
			hint += "; for a private repository set GITHUB_TOKEN"
		} else {
			hint += ", and that GITHUB_TOKEN may read the repository"
		}
		return fmt.Errorf("release %q of %s: %w (%s: 404 Not Found); %s", tag, repository, ErrNotFound, endpoint, hint)
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
		var ue *url.Error
		if errors.As(err, &ue) {
			msg = ue.Err.Error()
		} else {
			msg = err.Error()
		}
	}
	if c.token != "" {
		msg = strings.ReplaceAll(msg, c.token, "REDACTED")
	}
	return fmt.Errorf("release %q of %s: %s: %s", tag, repository, endpoint, msg)
}

// SplitRepository splits "owner/name" and reports whether it has that form.
func SplitRepository(repository string) (owner, name string, ok bool) {
	owner, name, ok = strings.Cut(repository, "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return "", "", false
	}
	return owner, name, true
}

// authTransport adds the token to requests for the API host only.
type authTransport struct {
	next         http.RoundTripper
	token        string
	scheme, host string
}

func (t *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme == t.scheme && req.URL.Host == t.host {
		req = req.Clone(req.Context())
		req.Header.Set("Authorization", "Bearer "+t.token)
	}
	return t.next.RoundTrip(req)
}
