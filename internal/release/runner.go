package release

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
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
	// SettingsPath is the file Settings come from, for messages
	// (DefaultSettingsPath if "").
	SettingsPath string

	// ExtrasPath and StatePath are relative to the top of the working
	// tree (slash-separated).
	ExtrasPath string
	StatePath  string

	// ServerURL is GitHub's web URL, such as https://github.com; release
	// download URLs are ServerURL/OWNER/NAME/releases/download/TAG/ASSET.
	ServerURL string
	// Download configures the downloads that verify published archives.
	Download download.Options
	// Archive bounds the check of a downloaded archive (zero fields:
	// archive.DefaultLimits).
	Archive archive.Limits
	// LockTimeout is how long to wait for the lock of extras.json.
	LockTimeout time.Duration

	// Secrets (the GitHub token) must never be committed: a state file, an
	// extras.json entry or a commit message holding one (say, from a URL
	// that GitHub's answer carried) is refused. Nor do they reach Bazel:
	// a variable whose value holds one is left out of its environment.
	Secrets []string

	// DryRun prints every step without changing anything: no tag, build,
	// release, upload, commit, push or pull request. Read-only queries
	// (git ls-remote and fetch into FETCH_HEAD, GitHub GETs, downloads)
	// still run, to show what exists; when they fail (offline), the dry
	// run says so and assumes that nothing exists yet. Bazel runs bazel
	// query on every label to build or test, failing if one does not
	// exist, and bazel cquery to name each archive; it builds nothing.
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
	cfg.Bazel.Secrets = append(slices.Clone(cfg.Bazel.Secrets), cfg.Secrets...)
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

// store opens the extras.json of the working tree.
func (r *Runner) store(dir string) (*extrasfile.Store, error) {
	st, err := extrasfile.OpenIn(dir, filepath.Join(dir, filepath.FromSlash(r.cfg.ExtrasPath)), r.cfg.ExtrasPath)
	if err != nil {
		return nil, err
	}
	st.Options = extras.Options{AllowInsecure: r.cfg.Download.AllowInsecure}
	st.LockTimeout = r.cfg.LockTimeout
	st.Notify = func(format string, args ...any) { r.note(format, args...) }
	return st, nil
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

// assetName is the asset's name, or, before the build (or cquery) tells
// it, both names it may have.
func (a *localAsset) assetName() string {
	if a.name == "" {
		return a.entry + ".tar.xz or " + a.entry + ".zip"
	}
	return a.name
}

// dryRunURL is the download URL that the asset will have, or both URLs it
// may have if its name is not known yet (a dry run whose cquery failed).
func (r *Runner) dryRunURL(tag string, a *localAsset) string {
	if a.name == "" {
		return r.downloadURL(tag, a.entry+".tar.xz") + " or " + r.downloadURL(tag, a.entry+".zip")
	}
	return r.downloadURL(tag, a.name)
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
