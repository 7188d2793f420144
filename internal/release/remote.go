package release

// The git remote must be the GitHub repository of the release: the tags
// and branches the runner pushes to -remote and the releases and pull
// requests it creates through the API for Config.Repository must land in
// the same repository. Were -remote a fork, GitHub would create the
// release's missing tag at the default branch when the release is
// published (as it documents for target_commitish), not at the commit the
// runner built.

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/download"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/redact"
)

// repoPart is an owner or repository name as GitHub allows them.
var repoPart = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

// RepositoryFromURL returns the repository ("owner/name") that the git
// remote URL rawURL names on GitHub's host, the host of serverURL
// ("" means https://github.com). It accepts
//
//	https://HOST/OWNER/NAME, with an optional .git and trailing slash
//	http://HOST/OWNER/NAME   (only if serverURL is http, as in loopback tests)
//	ssh://git@HOST[:PORT]/OWNER/NAME[.git]
//	git@HOST:OWNER/NAME[.git]
//
// and reports false for anything else: a local path, another host, more
// path segments, a query, or credentials in the URL.
func RepositoryFromURL(rawURL, serverURL string) (repository string, ok bool) {
	if serverURL == "" {
		serverURL = "https://github.com"
	}
	server, err := url.Parse(serverURL)
	if err != nil || server.Host == "" {
		return "", false
	}
	var p string
	if !strings.Contains(rawURL, "://") {
		// scp-like: git@HOST:OWNER/NAME(.git)
		rest, found := strings.CutPrefix(rawURL, "git@")
		if !found {
			return "", false
		}
		host, path, found := strings.Cut(rest, ":")
		if !found || !strings.EqualFold(host, server.Hostname()) || strings.HasPrefix(path, "/") {
			return "", false
		}
		p = path
	} else {
		u, err := url.Parse(rawURL)
		if err != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
			return "", false
		}
		switch u.Scheme {
		case "https", "http":
			if u.User != nil || u.Scheme != server.Scheme || !strings.EqualFold(u.Host, server.Host) {
				return "", false
			}
			p = strings.TrimSuffix(u.Path, "/")
		case "ssh":
			if u.User == nil || u.User.Username() != "git" {
				return "", false
			}
			if _, hasPassword := u.User.Password(); hasPassword || !strings.EqualFold(u.Hostname(), server.Hostname()) {
				return "", false
			}
			p = u.Path
		default:
			return "", false
		}
		p = strings.TrimPrefix(p, "/")
	}
	owner, name, found := strings.Cut(strings.TrimSuffix(p, ".git"), "/")
	if !found || !repoPart.MatchString(owner) || !repoPart.MatchString(name) || name == "." || name == ".." || owner == "." || owner == ".." {
		return "", false
	}
	return owner + "/" + name, true
}

// checkRemote refuses a run whose git remote (its push URL) is not the
// GitHub repository of the release, and an http:// remote unless insecure
// URLs are allowed and it is on loopback (git would send the token in
// clear).
func (r *Runner) checkRemote(ctx context.Context) error {
	remote := r.cfg.Remote
	raw, err := r.git.PushURL(ctx, remote)
	if err != nil {
		return fmt.Errorf("reading the URL of remote %s: %w; -remote names a remote of this checkout (git remote -v lists them)", remote, err)
	}
	shown := redact.String(download.Redact(raw), r.cfg.Secrets...)
	host := r.cfg.ServerURL
	if host == "" {
		host = "https://github.com"
	}
	repo, ok := RepositoryFromURL(raw, host)
	if !ok {
		h := host
		if u, err := url.Parse(host); err == nil {
			h = u.Hostname() // ssh takes no https port
		}
		return fmt.Errorf("remote %s is %s, which names no repository on %s; the tags and branches must go to %s (-repo): point -remote at a remote whose push URL is %s/OWNER/NAME(.git), ssh://git@%s/OWNER/NAME.git or git@%s:OWNER/NAME.git, without credentials",
			remote, shown, host, r.cfg.Repository, host, h, h)
	}
	if !strings.EqualFold(repo, r.cfg.Repository) {
		return fmt.Errorf("remote %s is %s, which is %s, not %s (-repo); the tags and branches would go to another repository than the release: fix -remote or -repo",
			remote, shown, repo, r.cfg.Repository)
	}
	if u, err := url.Parse(raw); err == nil && u.Scheme == "http" {
		if download.CheckURL(raw, r.cfg.Download.AllowInsecure) != nil {
			return fmt.Errorf("remote %s is %s, plain http: git would send the token in clear; use https (http is accepted only on loopback with -allow-insecure, for tests)", remote, shown)
		}
	}
	return nil
}
