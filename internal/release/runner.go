package release

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
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
	// Settings are the artifacts' settings (release/artifacts.json).
	Settings Settings
	// Artifacts are the artifacts to release; postsign takes them from
	// the state file and only checks them if set.
	Artifacts Set
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
	// Title and Notes, if not "", replace the generated title and notes
	// of the GitHub release this half creates.
	Title, Notes string

	// Bazel runs the builds, in the OpenTitan checkout (Bazel.Dir) with
	// this checkout as the module ot_provisioning_exts.
	Bazel Bazel

	// ExtrasPath and StatePath are relative to the top of the working
	// tree (slash-separated).
	ExtrasPath string
	StatePath  string

	// ServerURL is GitHub's web URL, such as https://github.com; release
	// download URLs are ServerURL/OWNER/NAME/releases/download/TAG/ASSET.
	ServerURL string
	// Download configures the downloads that verify published archives.
	Download download.Options
	// LockTimeout is how long to wait for the lock of extras.json.
	LockTimeout time.Duration

	// Secrets (the GitHub token) must never be committed: a state file or
	// an extras.json entry holding one (say, from a URL that GitHub's
	// answer carried) is refused.
	Secrets []string

	// DryRun prints every step without changing anything: no tag, build,
	// release, upload, commit, push or pull request. Read-only queries
	// (git ls-remote and fetch into FETCH_HEAD, GitHub GETs, downloads)
	// still run, to show what exists; when they fail (offline), the dry
	// run says so and assumes that nothing exists yet.
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
	if cfg.ServerURL == "" {
		cfg.ServerURL = "https://github.com"
	}
	cfg.ServerURL = strings.TrimSuffix(cfg.ServerURL, "/")
	if cfg.Bazel.Binary == "" {
		cfg.Bazel.Binary = "bazel"
	}
	if cfg.Bazel.Module == "" {
		cfg.Bazel.Module = repo.Dir
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

// SettingError is a failure that another value of a [Config] setting
// fixes, such as another Date once every release candidate number of a
// day is taken. Its message names the setting as the Config field
// ("Config.Date"); a tool that takes the setting from its command line
// names its flag instead, with [SettingError.Message].
type SettingError struct {
	// Setting is the Config field: "Bazel.Dir", "Date", "RC", "Branch",
	// "Base" or "ServerURL".
	Setting string
	// The message is before, the setting's name, then after.
	before, after string
}

// settingError returns a *SettingError for setting whose message is
// before, the setting's name, then after.
func settingError(setting, before, after string) *SettingError {
	return &SettingError{Setting: setting, before: before, after: after}
}

func (e *SettingError) Error() string { return e.Message("Config." + e.Setting) }

// Message returns the message with the setting called name, such as the
// flag that sets it.
func (e *SettingError) Message(name string) string { return e.before + name + e.after }

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

// downloadURL is the public download URL GitHub gives a published
// release's asset.
func (r *Runner) downloadURL(tag, asset string) string {
	return fmt.Sprintf("%s/%s/releases/download/%s/%s", r.cfg.ServerURL, r.cfg.Repository, url.PathEscape(tag), url.PathEscape(asset))
}

// releasePage is the web page of a published release.
func (r *Runner) releasePage(tag string) string {
	return fmt.Sprintf("%s/%s/releases/tag/%s", r.cfg.ServerURL, r.cfg.Repository, url.PathEscape(tag))
}

// pullPage is the web page of pull request n.
func (r *Runner) pullPage(n int) string {
	return fmt.Sprintf("%s/%s/pull/%d", r.cfg.ServerURL, r.cfg.Repository, n)
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

// verifyArchive downloads url, checks it against sha256 and checks it as
// an archive with the directory prefix, as Bazel's http_archive with
// strip_prefix will open it. keep, if not nil, gets the downloaded file's
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
func (r *Runner) entry(a localAsset, rawURL, tag string) (extras.Entry, error) {
	sri, err := extras.SRIFromHex(a.sha256)
	if err != nil {
		return extras.Entry{}, err
	}
	return extras.Entry{
		Name:       a.entry,
		URLs:       []string{rawURL},
		SHA256:     a.sha256,
		Integrity:  sri,
		Provenance: extras.Provenance{Repository: r.cfg.Repository, Tag: tag, Asset: a.name},
	}, nil
}

// localAsset is one artifact's archive of a half: built here, or found
// on the release by an earlier run.
type localAsset struct {
	artifact string
	entry    string // the extras.json entry
	label    string // the Bazel label that builds it
	name     string // the asset name: entry plus .tar.xz or .zip; "" until known
	path     string // the built file; "" if not built (dry run, or reused)
	sha256   string // "" if unknown (dry run)
	size     int64
	// reused says the asset is on the release already (an earlier run's).
	reused bool
}

func (a *localAsset) describe() string {
	if a.sha256 == "" {
		return "built above"
	}
	return fmt.Sprintf("%d bytes, sha256 %s", a.size, a.sha256)
}

// findRelease returns the release for tag, or nil if there is none (or,
// in a dry run, if GitHub cannot be reached).
func (r *Runner) findRelease(ctx context.Context, tag string) (*github.Release, []github.Asset, error) {
	rel, err := r.gh.FindRelease(ctx, r.cfg.Repository, tag)
	if errors.Is(err, github.ErrNotFound) || r.offline(err, "the release for tag "+tag) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	assets, err := r.gh.ReleaseAssets(ctx, r.cfg.Repository, rel.ID)
	if r.offline(err, "the assets of release "+tag) {
		return rel, nil, nil
	}
	return rel, assets, err
}

// releaseWithAssets returns the release for tag (nil if there is none)
// and its assets, and marks each of want that is there already as
// reused.
func (r *Runner) releaseWithAssets(ctx context.Context, tag string, want []*localAsset) (*github.Release, []github.Asset, error) {
	rel, assets, err := r.findRelease(ctx, tag)
	if err != nil || rel == nil {
		return rel, assets, err
	}
	for _, a := range want {
		have, err := existingAsset(rel, assets, a.entry)
		if err != nil {
			return nil, nil, err
		}
		if have != nil {
			r.reuse(a, have, tag)
		}
	}
	return rel, assets, nil
}

// offline reports whether err, from a read-only query, is tolerated
// because this is a dry run (which may run with no network): it says so
// and the caller assumes that nothing exists.
func (r *Runner) offline(err error, what string) bool {
	if err == nil || !r.cfg.DryRun || errors.Is(err, github.ErrNotFound) || errors.Is(err, context.Canceled) {
		return false
	}
	r.note("cannot read %s (offline?): %v; assuming it does not exist", what, err)
	return true
}

// existingAsset returns the asset of rel for entry (entry.tar.xz or
// entry.zip). Two are an error; an unfinished upload or one without a
// digest too.
func existingAsset(rel *github.Release, assets []github.Asset, entry string) (*github.Asset, error) {
	var found []github.Asset
	for _, have := range assets {
		if strings.TrimSuffix(have.Name, archiveExt(have.Name)) == entry && archiveExt(have.Name) != "" {
			found = append(found, have)
		}
	}
	switch {
	case len(found) == 0:
		return nil, nil
	case len(found) > 1:
		return nil, fmt.Errorf("release %s has %d assets for %s (%s and %s); delete the wrong one on the release page and run again", rel.Tag, len(found), entry, found[0].Name, found[1].Name)
	}
	have := found[0]
	if have.State != "" && have.State != "uploaded" {
		return nil, fmt.Errorf("asset %s of release %s is an unfinished upload (state %q); delete it on the release page and run again", have.Name, rel.Tag, have.State)
	}
	if have.SHA256 == "" {
		return nil, fmt.Errorf("asset %s of release %s exists, but GitHub reports no sha256 digest for it, so it cannot be checked; delete it on the release page and run again", have.Name, rel.Tag)
	}
	return &have, nil
}

// reuse fills a from the asset an earlier run uploaded: it is not built
// again, because a stamped rebuild need not give the same bytes.
func (r *Runner) reuse(a *localAsset, have *github.Asset, tag string) {
	a.name, a.sha256, a.size, a.reused = have.Name, have.SHA256, have.Size, true
	r.note("%s: asset %s is on release %s already (sha256 %s); reusing it, not rebuilding it", a.artifact, have.Name, tag, have.SHA256)
}

// buildAssets builds the labels of the assets that are not reused, in
// one Bazel build, finds each one's archive with cquery and checks it.
// check, if not nil, runs on each built archive.
func (r *Runner) buildAssets(ctx context.Context, assets []*localAsset, check func(a *localAsset) error) error {
	var labels []string
	var todo []*localAsset
	for _, a := range assets {
		if !a.reused {
			labels = append(labels, a.label)
			todo = append(todo, a)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	b := &r.cfg.Bazel
	if r.cfg.DryRun {
		r.note("would run %s", b.Command(b.BuildArgs(labels)))
		for _, a := range todo {
			r.note("would find the archive of %s with %s; it must be one %s.tar.xz or %s.zip", a.label, b.Command(b.CqueryArgs(a.label)), a.entry, a.entry)
		}
		return nil
	}
	r.note("running %s", b.Command(b.BuildArgs(labels)))
	if err := b.Build(ctx, labels); err != nil {
		return err
	}
	for _, a := range todo {
		p, err := b.Output(ctx, a.label)
		if err != nil {
			return err
		}
		ext := archiveExt(filepath.Base(p))
		if ext == "" {
			return fmt.Errorf("%s builds %s, which is neither a .tar.xz nor a .zip archive", a.label, filepath.Base(p))
		}
		a.name, a.path = a.entry+ext, p
		if a.sha256, a.size, err = fileSHA256(p); err != nil {
			return err
		}
		if err = checkBuildFile(p, ext); err != nil {
			return fmt.Errorf("%s (built by %s): %w", filepath.Base(p), a.label, err)
		}
		if check != nil {
			if err := check(a); err != nil {
				return err
			}
		}
		r.note("%s: %s built %s (%d bytes, sha256 %s), published as %s", a.artifact, a.label, filepath.Base(p), a.size, a.sha256, a.name)
	}
	return nil
}

// ensureRelease makes sure the release for tag exists (created as a
// draft prerelease if it has to be) and holds every asset, uploading those
// that are missing. It returns the release (nil in a dry run that would
// create it).
func (r *Runner) ensureRelease(ctx context.Context, rel *github.Release, assets []github.Asset, tag string, nr github.NewRelease, want []*localAsset) (*github.Release, error) {
	if rel == nil {
		nr.Tag, nr.Draft, nr.Prerelease = tag, true, true
		err := r.do(fmt.Sprintf("create the draft prerelease %q for tag %s", nr.Name, tag), func() error {
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
			for _, a := range want {
				r.note("would upload %s (%s)", a.assetName(), a.describe())
			}
			return nil, nil
		}
		if assets, err = r.gh.ReleaseAssets(ctx, r.cfg.Repository, rel.ID); err != nil {
			return nil, err
		}
	} else {
		state := "published"
		if rel.Draft {
			state = "draft"
		}
		r.note("release for tag %s exists (id %d, %s); reusing it", tag, rel.ID, state)
	}
	for _, a := range want {
		if err := r.ensureAsset(ctx, rel, assets, a); err != nil {
			return nil, err
		}
	}
	return rel, nil
}

func (a *localAsset) assetName() string {
	if a.name == "" {
		return a.entry + ".tar.xz|.zip"
	}
	return a.name
}

// ensureAsset uploads a to rel unless it is there already.
func (r *Runner) ensureAsset(ctx context.Context, rel *github.Release, assets []github.Asset, a *localAsset) error {
	have, err := existingAsset(rel, assets, a.entry)
	if err != nil {
		return err
	}
	if have != nil {
		if a.sha256 != "" && have.SHA256 != a.sha256 {
			return fmt.Errorf("asset %s of release %s exists with sha256 %s, but this run has %s; nothing was overwritten: delete the asset on the release page if it is wrong, and run again", have.Name, rel.Tag, have.SHA256, a.sha256)
		}
		r.note("asset %s is on release %s (sha256 %s)", have.Name, rel.Tag, have.SHA256)
		return nil
	}
	if a.path == "" {
		if r.cfg.DryRun {
			r.note("would upload %s to release %s (%s)", a.assetName(), rel.Tag, a.describe())
			return nil
		}
		return fmt.Errorf("release %s has no asset %s, and this run did not build it; investigate who deleted it", rel.Tag, a.assetName())
	}
	var got *github.Asset
	ctype := "application/x-xz"
	if strings.HasSuffix(a.name, ".zip") {
		ctype = "application/zip"
	}
	err = r.do(fmt.Sprintf("upload %s to release %s (%s)", a.name, rel.Tag, a.describe()), func() error {
		var err error
		got, err = r.gh.UploadAsset(ctx, rel, a.name, a.path, ctype)
		if errors.Is(err, github.ErrExists) {
			// An earlier attempt uploaded it but its answer was lost.
			all, lerr := r.gh.ReleaseAssets(ctx, r.cfg.Repository, rel.ID)
			if lerr != nil {
				return lerr
			}
			h, herr := existingAsset(rel, all, a.entry)
			if herr != nil || h == nil {
				return errors.Join(err, herr)
			}
			got, err = h, nil
		}
		return err
	})
	if err != nil || got == nil {
		return err
	}
	if got.SHA256 == "" {
		return fmt.Errorf("GitHub reports no sha256 digest for the uploaded asset %s of release %s, so the upload cannot be checked", a.name, rel.Tag)
	}
	if got.SHA256 != a.sha256 {
		return fmt.Errorf("GitHub reports sha256 %s for the uploaded asset %s of release %s, but the built archive has %s: the upload was damaged; delete the asset on the release page and run again", got.SHA256, a.name, rel.Tag, a.sha256)
	}
	r.note("GitHub's digest of %s matches: sha256 %s", a.name, got.SHA256)
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
	err := r.do(fmt.Sprintf("publish the draft release %d for tag %s (as a prerelease)", rel.ID, rel.Tag), func() error {
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

// releaseText returns the title and notes of a release: the flags'
// if given, else the generated ones.
func (r *Runner) releaseText(title, notes string) (string, string) {
	if r.cfg.Title != "" {
		title = r.cfg.Title
	}
	if r.cfg.Notes != "" {
		notes = r.cfg.Notes
	}
	return title, notes
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
	if r.offline(err, "branch "+branch+" on "+r.cfg.Remote) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	sha := refs["refs/heads/"+branch]
	if sha == "" {
		return "", nil
	}
	if err := r.git.Fetch(ctx, r.cfg.Remote, "refs/heads/"+branch); err != nil {
		if r.offline(err, "branch "+branch+" from "+r.cfg.Remote) {
			return "", nil
		}
		return "", fmt.Errorf("fetching branch %s from %s: %w", branch, r.cfg.Remote, err)
	}
	return sha, nil
}

// refuseSecrets fails if data holds one of the secrets: what would be
// committed and pushed. The message never shows the secret.
func (r *Runner) refuseSecrets(what string, data []byte) error {
	for _, secret := range r.cfg.Secrets {
		if secret != "" && bytes.Contains(data, []byte(secret)) {
			return fmt.Errorf("refusing to write %s: it would hold the GitHub token (in a URL from GitHub's answer?), and it is committed and pushed; nothing was written", what)
		}
	}
	return nil
}

// writeState writes s to the working tree's state file.
func (r *Runner) writeState(s *State) error {
	if err := r.refuseSecrets(r.cfg.StatePath, s.Encode()); err != nil {
		return err
	}
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

// fileSHA256 returns the SHA-256 in lower-case hex and the size of the
// file at p.
func fileSHA256(p string) (string, int64, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, fmt.Errorf("reading %s: %w", p, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// shortSHA abbreviates a commit for messages.
func shortSHA(c string) string {
	if len(c) > 12 {
		return c[:12]
	}
	return c
}
