package release

// Publishing the fetch-time helper's prebuilt binaries (docs/release.md,
// "The fetch-time helper's prebuilt binaries").

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/download"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/extrasfile"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/github"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/helperbuild"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/helperlock"
)

// HelperTag is the tag (and release) of the helper built from the sources
// with digest: "extras-helper-" and the digest's first 12 hex digits.
func HelperTag(digest string) string {
	return "extras-helper-" + digest[:min(12, len(digest))]
}

// HelperAsset is the name of the helper's asset for platform.
func HelperAsset(platform string) string { return "extras_helper-" + platform }

// HelperBranch is the branch of the pull request that lists the binaries
// of tag in the lock.
func HelperBranch(tag string) string { return "helper/" + tag }

// HelperOptions configure [Runner.PublishHelper].
type HelperOptions struct {
	// LockPath is the lock, relative to the working tree; "" means
	// helperlock.Path.
	LockPath string
	// Go is the go command that gets the lock's Go version (see
	// helperbuild.ResolveGo); "" means "go" on PATH.
	Go string
}

// helperRun holds what the steps of a helper run share.
type helperRun struct {
	opts   HelperOptions
	lock   *helperlock.Lock
	digest string
	tag    string
	head   string
	goBin  string
	tmp    string
	bins   []*helperBin
	rel    *github.Release
}

// helperBin is one platform's binary: built here, or on the release.
type helperBin struct {
	platform, name string
	path           string // "" in a dry run
	sha256         string // "" in a dry run
	size           int64
}

// PublishHelper publishes the prebuilt helper of this checkout's sources:
//
//  1. compute the digest of HELPER_SRCS; if the lock lists binaries of
//     it for every platform, there is nothing to do;
//  2. cross-compile the helper for every platform with the lock's Go
//     (helperbuild: reproducible, so a rebuild gives the same bytes);
//  3. tag HEAD extras-helper-<digest[:12]>, upload the binaries as
//     extras_helper-<platform> to a draft prerelease of the tag, check
//     GitHub's digests, publish it, and download every asset to check it;
//     an existing tag, release or asset is reused if it matches, and
//     never replaced;
//  4. push the branch helper/<tag>: the base branch plus a commit that
//     lists the binaries and the digest in the lock;
//  5. open a pull request from it into the base branch.
func (r *Runner) PublishHelper(ctx context.Context, opts HelperOptions) error {
	if err := r.checkRemote(ctx); err != nil {
		return err
	}
	if opts.LockPath == "" {
		opts.LockPath = helperlock.Path
	}
	h := &helperRun{opts: opts}
	if err := dirty(ctx, r.git, "the working tree", "which would be built but not tagged"); err != nil {
		return err
	}
	r.header("helper", 1, "sources")
	done, err := r.helperSources(ctx, h)
	if err != nil {
		return &StepError{"helper", 1, "sources", err}
	}
	if done {
		return nil
	}
	tmp, err := os.MkdirTemp("", "release-helper-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	h.tmp = tmp
	r.header("helper", 2, "build for "+strings.Join(helperlock.Platforms, ", "))
	if err := r.helperBuild(ctx, h); err != nil {
		return &StepError{"helper", 2, "build", err}
	}
	r.header("helper", 3, "release "+h.tag)
	if err := r.helperRelease(ctx, h); err != nil {
		return &StepError{"helper", 3, "release", err}
	}
	r.header("helper", 4, "lock on branch "+HelperBranch(h.tag))
	base, err := r.helperBranch(ctx, h)
	if err != nil {
		return &StepError{"helper", 4, "lock", err}
	}
	if base == "" {
		return nil
	}
	r.header("helper", 5, "pull request")
	if err := r.helperPull(ctx, h); err != nil {
		return &StepError{"helper", 5, "pull request", err}
	}
	if r.cfg.DryRun {
		r.printf("[dry-run] nothing was changed.")
		return nil
	}
	r.printf("helper %s published: %s; merge the pull request to hand the binaries to users.", h.tag, r.releasePage(h.tag))
	return nil
}

// helperSources is step 1. It reports whether the lock is up to date.
func (r *Runner) helperSources(ctx context.Context, h *helperRun) (bool, error) {
	data, err := os.ReadFile(r.path(h.opts.LockPath))
	if err != nil {
		return false, err
	}
	lock, err := helperlock.Options{AllowHTTP: r.cfg.Download.AllowInsecure}.Parse(h.opts.LockPath, data)
	if err != nil {
		return false, err
	}
	h.lock = lock
	if h.digest, err = helperbuild.SourcesDigest(r.git.Dir); err != nil {
		return false, err
	}
	if h.head, err = r.git.Head(ctx); err != nil {
		return false, err
	}
	h.tag = HelperTag(h.digest)
	r.note("the helper's sources (%s) at %s have digest %s", helperbuild.SrcsFile, shortSHA(h.head), h.digest)
	if lock.SourcesSHA256 == h.digest && len(lock.Helper) == len(helperlock.Platforms) {
		r.printf("%s lists the prebuilt helper of these sources for every platform; nothing to do.", h.opts.LockPath)
		return true, nil
	}
	switch {
	case len(lock.Helper) == 0:
		r.note("%s lists no prebuilt helper yet", h.opts.LockPath)
	case lock.SourcesSHA256 != h.digest:
		r.note("%s lists the prebuilt helper of other sources (%s)", h.opts.LockPath, lock.SourcesSHA256)
	default:
		r.note("%s lists the prebuilt helper of these sources for %d of the %d platforms", h.opts.LockPath, len(lock.Helper), len(helperlock.Platforms))
	}
	return false, nil
}

// helperBuild is step 2: build every platform with the lock's Go.
func (r *Runner) helperBuild(ctx context.Context, h *helperRun) error {
	for _, p := range helperlock.Platforms {
		h.bins = append(h.bins, &helperBin{platform: p, name: HelperAsset(p)})
	}
	if r.cfg.DryRun {
		r.note("would get Go %s (%s) and build %s for every platform: go build -trimpath -buildvcs=false -ldflags=-buildid= with CGO_ENABLED=0", h.lock.GoVersion, h.opts.LockPath, helperbuild.Package)
		return nil
	}
	goBin, err := helperbuild.ResolveGo(ctx, h.opts.Go, h.lock.GoVersion)
	if err != nil {
		return fmt.Errorf("%w\nthe helper is built with go_version of %s; make that Go reachable (the Go module proxy, or a go of that version with -go)", err, h.opts.LockPath)
	}
	h.goBin = goBin
	b := &helperbuild.Builder{Go: goBin}
	for _, bin := range h.bins {
		bin.path = filepath.Join(h.tmp, bin.name)
		if err := b.Build(ctx, r.git.Dir, bin.platform, bin.path); err != nil {
			return err
		}
		if bin.sha256, bin.size, err = fileSHA256(bin.path); err != nil {
			return err
		}
		r.note("built %s with Go %s: %d bytes, sha256 %s", bin.name, h.lock.GoVersion, bin.size, bin.sha256)
	}
	return nil
}

// helperRelease is step 3: the tag, the release and its assets.
func (r *Runner) helperRelease(ctx context.Context, h *helperRun) error {
	if err := r.helperTag(ctx, h); err != nil {
		return err
	}
	rel, assets, err := r.findRelease(ctx, h.tag)
	if err != nil {
		return err
	}
	byName := map[string]github.Asset{}
	for _, a := range assets {
		byName[a.Name] = a
	}
	for _, bin := range h.bins {
		have, ok := byName[bin.name]
		if !ok {
			continue
		}
		if have.State != "" && have.State != "uploaded" || have.SHA256 == "" {
			return fmt.Errorf("asset %s of release %s is an unfinished upload or has no sha256 digest; delete it on the release page and run again", have.Name, h.tag)
		}
		if bin.sha256 != "" && have.SHA256 != bin.sha256 {
			return fmt.Errorf("release %s has asset %s with sha256 %s, but building these sources with Go %s gives %s: it was not built from these sources with that Go, or the build is not reproducible; nothing was changed. Investigate; to publish anew, delete release %s and tag %s on GitHub, then run again", h.tag, have.Name, have.SHA256, h.lock.GoVersion, bin.sha256, h.tag, h.tag)
		}
		r.note("asset %s is on release %s (sha256 %s); reusing it", have.Name, h.tag, have.SHA256)
		bin.sha256, bin.size = have.SHA256, have.Size
	}
	missing := 0
	for _, bin := range h.bins {
		if _, ok := byName[bin.name]; !ok {
			missing++
		}
	}
	if rel != nil && !rel.Draft && missing > 0 {
		return fmt.Errorf("release %s is published but lacks %d of the helper's assets; a published release is never changed: delete release %s and tag %s on GitHub, then run again", h.tag, missing, h.tag, h.tag)
	}
	if rel == nil {
		nr := github.NewRelease{
			Tag: h.tag, Target: h.head, Draft: true,
			// Never the repository's "Latest" release, which is the
			// provisioning artifacts'.
			Prerelease: true,
			Name:       "extras_helper " + h.digest[:12],
			Body: fmt.Sprintf("The fetch-time helper (`tools/extras_helper`) built from the sources listed in `%s` at %s (digest `%s`), with Go %s, for %s.\n\nThe lock `%s` lists these binaries; the build is reproducible (docs/release.md).\n\nPublished by tools/release (helper).",
				helperbuild.SrcsFile, h.head, h.digest, h.lock.GoVersion, strings.Join(helperlock.Platforms, ", "), h.opts.LockPath),
		}
		if err := r.do(fmt.Sprintf("create the draft prerelease %q for tag %s", nr.Name, h.tag), func() error {
			var err error
			rel, err = r.gh.CreateRelease(ctx, r.cfg.Repository, nr)
			if errors.Is(err, github.ErrExists) {
				rel, err = r.gh.FindRelease(ctx, r.cfg.Repository, h.tag)
			}
			return err
		}); err != nil {
			return err
		}
	} else {
		r.note("release for tag %s exists (id %d); reusing it", h.tag, rel.ID)
	}
	for _, bin := range h.bins {
		if _, ok := byName[bin.name]; ok {
			continue
		}
		if err := r.helperUpload(ctx, rel, bin); err != nil {
			return err
		}
	}
	tagged, err := r.git.RevParse(ctx, "refs/tags/"+h.tag)
	if err != nil {
		return err
	}
	if tagged == "" { // a dry run that would create it
		tagged = h.head
	}
	if rel, err = r.publish(ctx, rel, tagged); err != nil || r.cfg.DryRun {
		return err
	}
	h.rel = rel
	for _, bin := range h.bins {
		u, err := assetURL(rel, bin.name)
		if err != nil {
			return err
		}
		if want := r.downloadURL(h.tag, bin.name); u != want {
			return settingError("ServerURL", fmt.Sprintf("GitHub serves asset %s at %s, not at %s; fix ", bin.name, u, want), " (GitHub's web URL)")
		}
		opts := r.cfg.Download
		opts.SHA256 = bin.sha256
		res, err := download.Verify(ctx, u, opts)
		if err != nil {
			return fmt.Errorf("downloading %s to verify it: %w", download.Redact(u), err)
		}
		r.note("verified %s: sha256 %s, %d bytes", download.Redact(u), res.SHA256, res.Size)
	}
	return nil
}

// helperTag makes sure the tag exists here and on the remote. An existing
// tag is kept if its commit has the same sources, wherever it is.
func (r *Runner) helperTag(ctx context.Context, h *helperRun) error {
	lc, rc, err := r.tagCommits(ctx, h.tag)
	if err != nil {
		return err
	}
	if lc != "" && rc != "" && lc != rc {
		return fmt.Errorf("tag %s is at %s here but at %s on %s; tags are never moved: delete the wrong one by hand and run again", h.tag, shortSHA(lc), shortSHA(rc), r.cfg.Remote)
	}
	if lc == "" && rc != "" {
		if err := r.do(fmt.Sprintf("fetch tag %s from %s", h.tag, r.cfg.Remote), func() error {
			return r.git.Fetch(ctx, r.cfg.Remote, "refs/tags/"+h.tag+":refs/tags/"+h.tag)
		}); err != nil {
			return err
		}
		lc = rc
		if r.cfg.DryRun {
			r.note("tag %s is on %s at %s", h.tag, r.cfg.Remote, shortSHA(rc))
			return nil
		}
	}
	if lc != "" {
		if lc != h.head {
			files, err := helperbuild.ReadSourcesWith(func(p string) ([]byte, error) {
				data, ok, err := r.git.Show(ctx, lc, p)
				if err == nil && !ok {
					err = fmt.Errorf("%s does not exist at %s", p, shortSHA(lc))
				}
				return data, err
			})
			if err != nil {
				return fmt.Errorf("tag %s is at %s: %w", h.tag, shortSHA(lc), err)
			}
			if d := helperlock.SourcesDigest(files); d != h.digest {
				return fmt.Errorf("tag %s is at %s, whose helper sources have digest %s, not %s; tags are never moved: delete tag %s (and its release) by hand and run again", h.tag, shortSHA(lc), d, h.digest, h.tag)
			}
		}
		r.note("tag %s exists at %s, with these sources; not creating it again", h.tag, shortSHA(lc))
	} else if err := r.do(fmt.Sprintf("create the annotated tag %s at %s (HEAD)", h.tag, shortSHA(h.head)), func() error {
		return r.git.Tag(ctx, h.tag, h.head, "extras_helper built from the sources with digest "+h.digest)
	}); err != nil {
		return err
	}
	if rc != "" {
		r.note("tag %s is on %s", h.tag, r.cfg.Remote)
		return nil
	}
	return r.do(fmt.Sprintf("push tag %s to %s", h.tag, r.cfg.Remote), func() error {
		if err := r.git.Push(ctx, r.cfg.Remote, "refs/tags/"+h.tag); err != nil {
			return fmt.Errorf("%w; the tag exists locally, run again to push it", err)
		}
		return nil
	})
}

// helperUpload uploads one binary to the draft rel and checks GitHub's
// digest of it.
func (r *Runner) helperUpload(ctx context.Context, rel *github.Release, bin *helperBin) error {
	if rel == nil || bin.path == "" {
		r.note("would upload %s", bin.name)
		return nil
	}
	var got *github.Asset
	if err := r.do(fmt.Sprintf("upload %s to release %s (%d bytes, sha256 %s)", bin.name, rel.Tag, bin.size, bin.sha256), func() error {
		var err error
		got, err = r.gh.UploadAsset(ctx, rel, bin.name, bin.path, "application/octet-stream")
		return err
	}); err != nil {
		return fmt.Errorf("%w; run again: an asset that did arrive is checked and reused", err)
	}
	if got.SHA256 != bin.sha256 {
		return fmt.Errorf("GitHub reports sha256 %q for the uploaded asset %s of release %s, but the binary has %s: the upload was damaged; delete the asset on the release page and run again", got.SHA256, bin.name, rel.Tag, bin.sha256)
	}
	r.note("GitHub's digest of %s matches: sha256 %s", bin.name, got.SHA256)
	return nil
}

// helperLock returns the lock that lists the published binaries, based on
// base (the lock of the base branch).
func (r *Runner) helperLock(h *helperRun, base *helperlock.Lock) *helperlock.Lock {
	l := *base
	l.SourcesSHA256 = h.digest
	l.Helper = map[string]helperlock.Binary{}
	for _, bin := range h.bins {
		l.Helper[bin.platform] = helperlock.Binary{SHA256: bin.sha256, URL: r.downloadURL(h.tag, bin.name)}
	}
	return &l
}

// helperBranch is step 4: the branch helper/<tag>, the base branch plus a
// commit that rewrites the lock. It returns the base branch's commit, or
// "" when the base branch's sources are no longer these (a later run
// publishes those).
func (r *Runner) helperBranch(ctx context.Context, h *helperRun) (string, error) {
	head := HelperBranch(h.tag)
	base, err := r.fetchBranch(ctx, r.cfg.Base)
	if err != nil {
		return "", err
	}
	if base == "" {
		if r.cfg.DryRun {
			r.note("would create branch %s at %s of %s, list the binaries in %s, commit and push it", head, r.cfg.Base, r.cfg.Remote, h.opts.LockPath)
			return "dry-run", nil
		}
		return "", settingError("Base", fmt.Sprintf("the base branch %s is not on %s; set ", r.cfg.Base, r.cfg.Remote), "")
	}
	files, err := helperbuild.ReadSourcesWith(func(p string) ([]byte, error) {
		data, ok, err := r.git.Show(ctx, base, p)
		if err == nil && !ok {
			err = fmt.Errorf("%s does not exist on %s", p, r.cfg.Base)
		}
		return data, err
	})
	if err != nil {
		return "", err
	}
	if d := helperlock.SourcesDigest(files); d != h.digest {
		r.printf("%s of %s has other helper sources now (digest %s): no pull request for %s, whose binaries stay published; the run for %s's sources lists its own.", r.cfg.Base, r.cfg.Remote, d, h.tag, r.cfg.Base)
		return "", nil
	}
	data, ok, err := r.git.Show(ctx, base, h.opts.LockPath)
	if err == nil && !ok {
		err = fmt.Errorf("%s does not exist on %s", h.opts.LockPath, r.cfg.Base)
	}
	if err != nil {
		return "", err
	}
	baseLock, err := helperlock.Options{AllowHTTP: r.cfg.Download.AllowInsecure}.Parse(r.cfg.Base+":"+h.opts.LockPath, data)
	if err != nil {
		return "", err
	}
	if r.cfg.DryRun || h.rel == nil {
		r.note("would create branch %s at %s of %s (%s), list the binaries of %s in %s, commit and push it", head, r.cfg.Base, r.cfg.Remote, shortSHA(base), h.tag, h.opts.LockPath)
		return base, nil
	}
	want := r.helperLock(h, baseLock).Encode()
	if err := r.refuseSecrets(h.opts.LockPath, want); err != nil {
		return "", err
	}

	refs, err := r.git.RemoteRefs(ctx, r.cfg.Remote, "refs/heads/"+head)
	if err != nil {
		return "", err
	}
	if c := refs["refs/heads/"+head]; c != "" {
		if err := r.git.Fetch(ctx, r.cfg.Remote, "refs/heads/"+head); err != nil {
			return "", err
		}
		got, ok, err := r.git.Show(ctx, c, h.opts.LockPath)
		if err != nil {
			return "", err
		}
		if !ok || !sameLock(got, want) {
			return "", fmt.Errorf("branch %s on %s exists, but its %s does not list these binaries; delete the branch and run again", head, r.cfg.Remote, h.opts.LockPath)
		}
		r.note("branch %s is on %s with the binaries in %s", head, r.cfg.Remote, h.opts.LockPath)
		return base, nil
	}
	r.note("preparing branch %s in a temporary worktree at %s", head, shortSHA(base))
	commit, err := r.commitOff(ctx, base, fmt.Sprintf("helper: prebuilt extras_helper %s\n\nLists the binaries of release %s, built from the helper's sources with digest %s (Go %s), in %s.", h.digest[:12], h.tag, h.digest, h.lock.GoVersion, h.opts.LockPath), func(dir string) error {
		return extrasfile.WriteAtomic(filepath.Join(dir, filepath.FromSlash(h.opts.LockPath)), want)
	}, h.opts.LockPath)
	if err != nil {
		return "", err
	}
	return base, r.do(fmt.Sprintf("push branch %s to %s", head, r.cfg.Remote), func() error {
		return r.git.Push(ctx, r.cfg.Remote, commit+":refs/heads/"+head)
	})
}

// sameLock reports whether two lock files say the same.
func sameLock(a, b []byte) bool {
	la, err := helperlock.Options{AllowHTTP: true}.Parse("a", a)
	if err != nil {
		return false
	}
	lb, err := helperlock.Options{AllowHTTP: true}.Parse("b", b)
	return err == nil && string(la.Encode()) == string(lb.Encode())
}

// helperPull is step 5: the pull request from helper/<tag> into the base
// branch.
func (r *Runner) helperPull(ctx context.Context, h *helperRun) error {
	head := HelperBranch(h.tag)
	pr, err := r.gh.FindPullRequest(ctx, r.cfg.Repository, head, r.cfg.Base)
	if err != nil && !r.offline(err, "the pull requests of "+r.cfg.Repository) {
		return err
	}
	if pr != nil {
		r.note("pull request #%d (%s) from %s into %s exists: %s", pr.Number, pr.State, head, r.cfg.Base, r.pullPage(pr.Number))
		return nil
	}
	title := "helper: prebuilt extras_helper " + h.digest[:12]
	body := fmt.Sprintf("Lists the prebuilt helper of release %s in `%s`: built from the helper's sources with digest `%s` (commit %s) with Go %s, for %s. With it, users fetch the helper instead of compiling it.\n\nOpened by tools/release (helper); see docs/release.md.",
		r.releasePage(h.tag), h.opts.LockPath, h.digest, h.head, h.lock.GoVersion, strings.Join(helperlock.Platforms, ", "))
	return r.do(fmt.Sprintf("open a pull request from %s into %s", head, r.cfg.Base), func() error {
		pr, err := r.gh.CreatePullRequest(ctx, r.cfg.Repository, github.NewPullRequest{Title: title, Head: head, Base: r.cfg.Base, Body: body})
		if err != nil {
			// An earlier attempt may have opened it and lost the answer.
			if found, ferr := r.gh.FindPullRequest(ctx, r.cfg.Repository, head, r.cfg.Base); ferr == nil && found != nil {
				pr, err = found, nil
			}
		}
		if err == nil {
			r.note("pull request #%d: %s", pr.Number, r.pullPage(pr.Number))
		}
		return err
	})
}

// GitTokenEnv is the environment that makes git authenticate to
// serverURL's host with token (as x-access-token), as GitHub Actions'
// checkout does with an http.extraheader, but through git's environment:
// the token shows in no command line and is stored in no file. It adds
// one entry to the configuration that $GIT_CONFIG_COUNT of the process's
// environment may hold already, at the next index, keeping those.
func GitTokenEnv(serverURL, token string) []string {
	return gitTokenEnv(os.Getenv("GIT_CONFIG_COUNT"), serverURL, token)
}

// gitTokenEnv is GitTokenEnv with the environment's GIT_CONFIG_COUNT.
func gitTokenEnv(count, serverURL, token string) []string {
	u, err := url.Parse(serverURL)
	if err != nil {
		return nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(count))
	if err != nil || n < 0 {
		n = 0 // unset (or bogus, which git would refuse): start afresh
	}
	basic := base64.StdEncoding.EncodeToString([]byte("x-access-token:" + token))
	return []string{
		fmt.Sprintf("GIT_CONFIG_COUNT=%d", n+1),
		fmt.Sprintf("GIT_CONFIG_KEY_%d=http.%s://%s/.extraheader", n, u.Scheme, u.Host),
		fmt.Sprintf("GIT_CONFIG_VALUE_%d=AUTHORIZATION: basic %s", n, basic),
	}
}
