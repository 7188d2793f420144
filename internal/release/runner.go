package release

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/archive"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/download"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/extras"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/extrasfile"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/gitcli"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/github"
)

// Config is what a release run needs to know.
type Config struct {
	// Artifact is the artifact to release; postsign takes it from the
	// state file and only checks it if set.
	Artifact Artifact
	// Repository is the GitHub repository, "owner/name".
	Repository string
	// Remote is the git remote of that repository, such as "origin".
	Remote string
	// Base is the main branch, which the final pull request targets.
	Base string
	// Date (yyyymmdd) and RC (0..99, or -1 for the next free one) name
	// a presign run; "" means today in UTC.
	Date string
	RC   int
	// Branch is the release branch for postsign; "" means the branch
	// checked out.
	Branch string

	// Bazel runs the builds; Targets are built by this half.
	Bazel   Bazel
	Targets []string

	// ExtrasPath, StatePath and SignaturesDir are relative to the top of
	// the working tree (slash-separated).
	ExtrasPath    string
	StatePath     string
	SignaturesDir string
	// OutDir keeps the built archives; "" means a temporary directory
	// that is removed at the end.
	OutDir string

	// ServerURL is GitHub's web URL, such as https://github.com; release
	// download URLs are ServerURL/OWNER/NAME/releases/download/TAG/ASSET.
	ServerURL string
	// Download configures the downloads that verify published archives.
	Download download.Options
	// LockTimeout is how long to wait for the lock of extras.json.
	LockTimeout time.Duration

	// DryRun prints every step without changing anything: no tag, build,
	// release, upload, commit, push or pull request. Read-only queries
	// (git ls-remote and fetch into FETCH_HEAD, GitHub GETs, downloads)
	// still run, to show what exists.
	DryRun bool
}

// Runner carries out the halves of a release.
type Runner struct {
	cfg Config
	git *gitcli.Repo
	gh  *github.Client
	out io.Writer
	now func() time.Time
}

// NewRunner returns a runner that works in the git working tree repo,
// talks to GitHub through gh and reports to out.
func NewRunner(cfg Config, repo *gitcli.Repo, gh *github.Client, out io.Writer) *Runner {
	if cfg.Remote == "" {
		cfg.Remote = "origin"
	}
	if cfg.Base == "" {
		cfg.Base = "main"
	}
	if cfg.ExtrasPath == "" {
		cfg.ExtrasPath = "skus/extras.json"
	}
	if cfg.StatePath == "" {
		cfg.StatePath = DefaultStatePath
	}
	if cfg.SignaturesDir == "" {
		cfg.SignaturesDir = "signatures"
	}
	if cfg.ServerURL == "" {
		cfg.ServerURL = "https://github.com"
	}
	cfg.ServerURL = strings.TrimSuffix(cfg.ServerURL, "/")
	if cfg.Bazel.Binary == "" {
		cfg.Bazel.Binary = "bazel"
	}
	if cfg.Bazel.Dir == "" {
		cfg.Bazel.Dir = repo.Dir
	}
	if cfg.Bazel.Log == nil {
		cfg.Bazel.Log = out
	}
	r := &Runner{cfg: cfg, git: repo, gh: gh, out: out, now: time.Now}
	repo.Trace = func(format string, args ...any) { r.printf("    $ "+format, args...) }
	return r
}

// SetClock replaces the clock that gives today's date (for tests).
func (r *Runner) SetClock(now func() time.Time) { r.now = now }

// StepError is a failed step; its message names the step.
type StepError struct {
	Half string // "presign" or "postsign"
	Step int    // the step number of docs/release.md
	Name string
	Err  error
}

func (e *StepError) Error() string {
	return fmt.Sprintf("%s step %d (%s): %v", e.Half, e.Step, e.Name, e.Err)
}

func (e *StepError) Unwrap() error { return e.Err }

// printf writes one line of the report.
func (r *Runner) printf(format string, args ...any) {
	fmt.Fprintf(r.out, format+"\n", args...)
}

// header announces a step.
func (r *Runner) header(half string, n int, title string) {
	prefix := ""
	if r.cfg.DryRun {
		prefix = "[dry-run] "
	}
	r.printf("%s%s step %d: %s", prefix, half, n, title)
}

// do runs action, described by what, or only prints it in a dry run.
func (r *Runner) do(what string, action func() error) error {
	if r.cfg.DryRun {
		r.printf("  would %s", what)
		return nil
	}
	r.printf("  %s", what)
	return action()
}

// note prints a finding.
func (r *Runner) note(format string, args ...any) {
	r.printf("  "+format, args...)
}

// path returns the absolute path of a slash-separated path relative to
// the working tree.
func (r *Runner) path(rel string) string {
	return filepath.Join(r.git.Dir, filepath.FromSlash(rel))
}

// outDir returns the directory for built archives and a cleanup function.
func (r *Runner) outDir() (string, func(), error) {
	if r.cfg.OutDir != "" {
		if err := os.MkdirAll(r.cfg.OutDir, 0o755); err != nil {
			return "", nil, err
		}
		return r.cfg.OutDir, func() {}, nil
	}
	dir, err := os.MkdirTemp("", "release-")
	if err != nil {
		return "", nil, err
	}
	return dir, func() { os.RemoveAll(dir) }, nil
}

// downloadURL is the public download URL GitHub gives a published
// release's asset.
func (r *Runner) downloadURL(tag, asset string) string {
	return fmt.Sprintf("%s/%s/releases/download/%s/%s", r.cfg.ServerURL, r.cfg.Repository, url.PathEscape(tag), url.PathEscape(asset))
}

// releasePage is the web page of a published release.
func (r *Runner) releasePage(tag string) string {
	return fmt.Sprintf("%s/%s/releases/tag/%s", r.cfg.ServerURL, r.cfg.Repository, url.PathEscape(tag))
}

// store opens the extras.json of the working tree.
func (r *Runner) store(dir string) (*extrasfile.Store, error) {
	st, err := extrasfile.Open(filepath.Join(dir, filepath.FromSlash(r.cfg.ExtrasPath)), r.cfg.ExtrasPath)
	if err != nil {
		return nil, err
	}
	st.Options = extras.Options{AllowInsecure: r.cfg.Download.AllowInsecure}
	st.LockTimeout = r.cfg.LockTimeout
	st.Notify = func(format string, args ...any) { r.note(format, args...) }
	return st, nil
}

// verifyArchive downloads url, checks it against sha256 and opens it as
// the .tar.xz archive with the directory prefix, like Bazel's http_archive
// with strip_prefix will. keep, if not nil, receives the downloaded file's
// path before it is removed.
func (r *Runner) verifyArchive(ctx context.Context, rawURL, sha256, prefix string, keep func(path string) error) error {
	opts := r.cfg.Download
	opts.SHA256 = sha256
	res, err := download.Fetch(ctx, []string{rawURL}, opts)
	if err != nil {
		return fmt.Errorf("downloading %s to verify it: %w", download.Redact(rawURL), err)
	}
	defer res.Remove()
	rep, err := archive.Check(res.Path, archive.InferType(rawURL), prefix)
	if err != nil {
		return fmt.Errorf("%s: %w", download.Redact(rawURL), err)
	}
	r.note("verified %s: sha256 %s, %d bytes, %d files", download.Redact(rawURL), res.SHA256, res.Size, rep.Files)
	if keep != nil {
		return keep(res.Path)
	}
	return nil
}

// entry builds the extras.json entry of a published archive.
func (r *Runner) entry(name, rawURL, sha string, tag string) (extras.Entry, error) {
	sri, err := extras.SRIFromHex(sha)
	if err != nil {
		return extras.Entry{}, err
	}
	return extras.Entry{
		Name:        name,
		URLs:        []string{rawURL},
		SHA256:      sha,
		Integrity:   sri,
		StripPrefix: name,
		Provenance:  extras.Provenance{Repository: r.cfg.Repository, Tag: tag, Asset: path.Base(AssetName(name))},
	}, nil
}

// localAsset is an archive built here.
type localAsset struct {
	name   string // asset name
	path   string // "" if not built (dry run, or recorded in the state)
	sha256 string // "" if unknown (dry run)
	size   int64
}

// ensureRelease makes sure the release for tag exists (as a draft if it
// has to be created) and holds asset, uploading it only if it is missing.
// It returns the release (nil in a dry run that would create it).
func (r *Runner) ensureRelease(ctx context.Context, tag string, nr github.NewRelease, a localAsset) (*github.Release, error) {
	rel, err := r.gh.FindRelease(ctx, r.cfg.Repository, tag)
	switch {
	case errors.Is(err, github.ErrNotFound):
		nr.Tag, nr.Draft = tag, true
		err = r.do(fmt.Sprintf("create the draft release %q for tag %s", nr.Name, tag), func() error {
			var err error
			rel, err = r.gh.CreateRelease(ctx, r.cfg.Repository, nr)
			if errors.Is(err, github.ErrExists) {
				// An earlier attempt created it but its answer was lost.
				rel, err = r.gh.FindRelease(ctx, r.cfg.Repository, tag)
			}
			return err
		})
		if err != nil {
			return nil, err
		}
		if rel == nil {
			r.note("would upload %s (%s)", a.name, describeLocal(a))
			return nil, nil
		}
	case err != nil:
		return nil, err
	default:
		state := "published"
		if rel.Draft {
			state = "draft"
		}
		r.note("release for tag %s exists (id %d, %s); reusing it", tag, rel.ID, state)
	}

	assets, err := r.gh.ReleaseAssets(ctx, r.cfg.Repository, rel.ID)
	if err != nil {
		return nil, err
	}
	if err := r.ensureAsset(ctx, rel, assets, a); err != nil {
		return nil, err
	}
	return rel, nil
}

func describeLocal(a localAsset) string {
	if a.sha256 == "" {
		return "built above"
	}
	return fmt.Sprintf("%d bytes, sha256 %s", a.size, a.sha256)
}

// ensureAsset uploads a to rel unless an asset of that name and digest is
// there already. A same-name asset with another digest is an error.
func (r *Runner) ensureAsset(ctx context.Context, rel *github.Release, assets []github.Asset, a localAsset) error {
	for _, have := range assets {
		if have.Name != a.name {
			continue
		}
		return r.sameAsset(rel, have, a)
	}
	if a.path == "" && !r.cfg.DryRun {
		return fmt.Errorf("release %s has no asset %s, and this run did not build it (the state file says it was published); upload it again by deleting the state's record, or investigate who deleted the asset", rel.Tag, a.name)
	}
	var got *github.Asset
	err := r.do(fmt.Sprintf("upload %s to release %s (%s)", a.name, rel.Tag, describeLocal(a)), func() error {
		var err error
		got, err = r.gh.UploadAsset(ctx, rel, a.name, a.path, "application/x-xz")
		if errors.Is(err, github.ErrExists) {
			// An earlier attempt uploaded it but its answer was lost.
			all, lerr := r.gh.ReleaseAssets(ctx, r.cfg.Repository, rel.ID)
			if lerr != nil {
				return lerr
			}
			for _, have := range all {
				if have.Name == a.name {
					return r.sameAsset(rel, have, a)
				}
			}
		}
		return err
	})
	if err != nil || got == nil {
		return err
	}
	if got.SHA256 != "" && got.SHA256 != a.sha256 {
		return fmt.Errorf("GitHub reports sha256 %s for the uploaded asset %s of release %s, but the local archive has %s: the upload was damaged; delete the asset on the release page and run again", got.SHA256, a.name, rel.Tag, a.sha256)
	}
	return nil
}

// sameAsset checks that the existing asset have is the archive a.
func (r *Runner) sameAsset(rel *github.Release, have github.Asset, a localAsset) error {
	if have.State != "" && have.State != "uploaded" {
		return fmt.Errorf("asset %s of release %s is an unfinished upload (state %q); delete it on the release page and run again", have.Name, rel.Tag, have.State)
	}
	if have.SHA256 == "" {
		return fmt.Errorf("asset %s of release %s exists, but GitHub reports no sha256 digest for it, so it cannot be compared with the build; delete it on the release page and run again", have.Name, rel.Tag)
	}
	if a.sha256 == "" {
		r.note("asset %s is already on release %s (sha256 %s)", have.Name, rel.Tag, have.SHA256)
		return nil
	}
	if have.SHA256 != a.sha256 {
		return fmt.Errorf("asset %s of release %s exists with sha256 %s, but this build gave %s; nothing was overwritten. A rebuild of the same commit must give the same bytes: find out why it did not, or delete the asset on the release page if it is wrong, and run again", have.Name, rel.Tag, have.SHA256, a.sha256)
	}
	r.note("asset %s is already on release %s with the same sha256 %s; not uploading it again", have.Name, rel.Tag, have.SHA256)
	return nil
}

// publish publishes rel if it is a draft and returns it as published.
func (r *Runner) publish(ctx context.Context, rel *github.Release) (*github.Release, error) {
	if rel == nil {
		return nil, r.do("publish the release", func() error { return nil })
	}
	if !rel.Draft {
		r.note("release %s is published", rel.Tag)
		return rel, nil
	}
	var pub *github.Release
	err := r.do(fmt.Sprintf("publish the draft release %d for tag %s", rel.ID, rel.Tag), func() error {
		var err error
		pub, err = r.gh.PublishRelease(ctx, r.cfg.Repository, rel.ID)
		return err
	})
	if r.cfg.DryRun {
		return rel, err
	}
	return pub, err
}

// assetURL returns the download URL of asset name of the published rel.
func assetURL(rel *github.Release, name string) (string, error) {
	for _, a := range rel.Assets {
		if a.Name == name {
			if a.URL == "" {
				return "", fmt.Errorf("asset %s of release %s has no browser_download_url", name, rel.Tag)
			}
			return a.URL, nil
		}
	}
	return "", fmt.Errorf("release %s has no asset %s", rel.Tag, name)
}

// loadStateAt reads the state file at rev ("" and false if it has none).
func (r *Runner) loadStateAt(ctx context.Context, rev string) (*State, bool, error) {
	data, ok, err := r.git.Show(ctx, rev, r.cfg.StatePath)
	if err != nil || !ok {
		return nil, false, err
	}
	s, err := ParseState(rev+":"+r.cfg.StatePath, data)
	if err != nil {
		return nil, false, err
	}
	return s, true, nil
}

// fetchBranch fetches branch from the remote into FETCH_HEAD (changing
// no ref) and returns its commit, or "" if the remote has no such branch.
func (r *Runner) fetchBranch(ctx context.Context, branch string) (string, error) {
	refs, err := r.git.RemoteRefs(ctx, r.cfg.Remote, "refs/heads/"+branch)
	if err != nil {
		return "", err
	}
	sha := refs["refs/heads/"+branch]
	if sha == "" {
		return "", nil
	}
	if err := r.git.Fetch(ctx, r.cfg.Remote, "refs/heads/"+branch); err != nil {
		return "", fmt.Errorf("fetching branch %s from %s: %w", branch, r.cfg.Remote, err)
	}
	return sha, nil
}

// writeState writes s to the working tree's state file.
func (r *Runner) writeState(s *State) error {
	p := r.path(r.cfg.StatePath)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return extrasfile.WriteAtomic(p, s.Encode())
}

// sha256Hex returns the SHA-256 of b in lower-case hex.
func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// shortSHA abbreviates a commit for messages.
func shortSHA(c string) string {
	if len(c) > 12 {
		return c[:12]
	}
	return c
}
