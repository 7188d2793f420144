// Command release automates the two halves of a release of the signed
// provisioning artifacts (docs/release.md), as ot-sku's release flow does:
// Bazel runs in an OpenTitan checkout, with this checkout as the module
// ot_provisioning_exts (--override_module) and --stamp; git, tags and
// branches stay in this checkout.
//
//	bazel run //tools:release -- presign -opentitan ~/opentitan -artifacts perso,rom_ext
//	bazel run //tools:release -- postsign -opentitan ~/opentitan
//
// presign (steps 1-3) tags the build, builds each artifact's pre-signing
// archive (@provisioning_exts//open/<a>:presign_<a>), publishes them as a
// GitHub prerelease and pushes the release branch with the presign_<a>
// entries of skus/extras.json. postsign (steps 5-8), on the release branch
// once the signing ceremony's signatures are merged into it, checks the
// signatures, runs the signature tests, builds and publishes the signed
// archives (<a>_release), records them, tags the release and opens the
// pull request into main. Both resume after a failure; -dry-run shows
// every step without changing anything, with no network if need be.
//
//	bazel run //tools:release -- helper
//
// helper publishes the fetch-time helper's prebuilt binaries: it
// cross-compiles tools/extras_helper reproducibly for every platform of
// extensions/private/helper.lock.json, publishes them as the release
// extras-helper-<digest>, and opens the pull request that lists them in the
// lock.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/archive"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/download"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/errtext"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/gitcli"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/github"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/helperlock"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/release"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/tools/internal/flaghint"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	wd, _ := os.Getwd()
	code := run(ctx, os.Args[1:], &env{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, environ: os.Environ, wd: wd})
	stop()
	os.Exit(code)
}

// env is the world the command runs in; tests provide their own.
type env struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	// environ returns the whole environment, as os.Environ does; Bazel's
	// is made from it, without the credentials (release.Bazel). nil is
	// os.Environ.
	environ func() []string
	wd      string
	// now, if not nil, replaces the clock (for tests).
	now func() time.Time
	// transport, if not nil, carries every HTTP request (for tests that
	// trust a test server's certificate).
	transport http.RoundTripper
}

// Exit codes.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

const topUsage = `Usage: release <command> [flags]

release automates the two halves of a release of the signed provisioning
artifacts (docs/release.md walks through the whole process). Bazel runs in
an OpenTitan checkout (-opentitan) with this checkout as the module
ot_provisioning_exts; git, tags and branches stay in this checkout.

  presign    steps 1-3: tag <ARTIFACTS>_BUILD_<date>_rcNN, build each
             artifact's pre-signing archive (presign_<a>.tar.xz or .zip),
             publish them as a GitHub prerelease, and push the release branch
             release/<artifacts>_<date>_rcNN with the presign_<a> entries of
             skus/extras.json and the state file release/state.json.
  postsign   steps 5-8, on the release branch after the signing ceremony's
             signatures are merged into it: check the signature files, run
             the signature tests, build and publish the signed archives
             (<a>_release), record them, tag <ARTIFACTS>_RELEASE_<date>_rcNN,
             and open the pull request that brings the entries into main.
  helper     publish the fetch-time helper's prebuilt binaries: build
             tools/extras_helper reproducibly for every platform of
             extensions/private/helper.lock.json, publish them as the
             release extras-helper-<digest>, and open the pull request
             that lists them in the lock (run by helper.yml on main).
  help [command]

Run 'release <command> -h' for the flags of a command.

The labels, signature directories and signature suffixes of each artifact
are in release/artifacts.json (-config). Several artifacts released in one
run share one tag, one release, one branch and one pull request per half.

Both halves resume after a failure: run the same command again. They never
move a tag or change a published release: its assets are reused, not
rebuilt (a stamped rebuild may differ). A draft's asset from a failed
attempt is replaced when this run's build differs. Each step checks the
chain of custody: OpenTitan must be at the commit the build tag pins, the
presign entries and published digests must be those the state file records,
and GitHub must have each tag at its commit before a release is published
(docs/release.md, "What the tool guarantees"). -dry-run
prints every git, Bazel and GitHub step and changes nothing; it needs no
GitHub, and with it it also reads what exists. It rehearses the builds:
bazel query checks every label in the OpenTitan checkout and bazel cquery
names each archive, but nothing is built or tested.

The GitHub repository (-repo) is $GITHUB_REPOSITORY (set in GitHub
Actions), else the one that the push URL of -remote (origin) names, such as
https://github.com/lowRISC/ot-sku.git or git@github.com:lowRISC/ot-sku.git;
a run whose -remote is another repository than -repo (a fork) is refused
before it changes anything. $GITHUB_API_URL and $GITHUB_SERVER_URL are the
defaults of -api-url and -server-url.

The GitHub token comes from $GITHUB_TOKEN only and is never printed. git
(ls-remote, fetch, push) gets it too, through its environment, never on a
command line or in a file; -git-token=false leaves git to its own
credentials.

Examples:
  bazel run //tools:release -- helper -dry-run
  bazel run //tools:release -- presign -opentitan ~/opentitan -dry-run
  bazel run //tools:release -- presign -opentitan ~/opentitan -artifacts perso,rom_ext
  git switch release/perso_rom_ext_20260513_rc00 && git pull --ff-only
  bazel run //tools:release -- postsign -opentitan ~/opentitan

Exit status: 0 on success (or nothing to do), 1 if a step failed, 2 for a
bad command line.
`

// command is one subcommand.
type command struct {
	name  string
	short string
	long  string
	flags func(o *options, fs *flag.FlagSet)
	run   func(ctx context.Context, r *release.Runner, o *options) error
	// helper is the helper command, which has no OpenTitan, Bazel or
	// extras.json flags.
	helper bool
}

var commands = []*command{
	{
		name:  "presign",
		short: "steps 1-3: tag, build and publish the pre-signing archives, push the release branch",
		flags: func(o *options, fs *flag.FlagSet) {
			fs.StringVar(&o.artifacts, "artifacts", "", "the artifacts to release, comma-separated, such as perso,rom_ext (default: every artifact of -config)")
			fs.StringVar(&o.date, "date", "", "the release `date` as yyyymmdd (default: today in UTC); pass the date of an unfinished run to resume it on a later day")
			fs.IntVar(&o.rc, "rc", -1, "the release candidate `number` 0-99; -1 resumes the day's unfinished one, else takes the next free one")
		},
		run: func(ctx context.Context, r *release.Runner, _ *options) error { return r.Presign(ctx) },
		long: `
Steps 1-3 of the release process, in a clean checkout of the commit to
release (usually main):

 1. Tag: <ARTIFACTS>_BUILD_<date>_rcNN (annotated; PERSO_ROM_EXT_BUILD_... for
    perso and rom_ext, PERSO_BUILD_... for perso alone) at HEAD, which must
    be on a branch of -remote, pushed to -remote; its message pins the
    OpenTitan checkout's commit (OpenTitan-Commit: <sha>). rcNN is the day's
    next free number, looking at the tags here and on the remote; an
    unfinished run of the day is resumed (see -rc), and a complete one built
    from this commit and OpenTitan commit is left alone.
 2. Build, in the OpenTitan checkout:
      bazel build --override_module=ot_provisioning_exts=<this checkout>
                  --stamp <-bazel-arg...> -- <each presign_label>
    and find each label's one output with bazel cquery --output=files: a
    .tar.xz or .zip with a BUILD.bazel at its root and at least one digest
    (*<digest_suffix>). Each is published as built, named presign_<a> plus
    its extension, on a draft release of the tag; GitHub's sha256 digest of
    each upload must match the file's. Once GitHub's API shows the tag at
    its commit, the release is published as a prerelease.
 3. Create the branch release/<artifacts>_<date>_rcNN at the tag, download
    every published asset and check it against its sha256 and as an
    archive, set the presign_<a> entries of skus/extras.json (URL, sha256,
    integrity, provenance), write release/state.json, commit (in a temporary
    worktree: a refused commit leaves no branch), and push the branch. The
    checkout is left on the branch.

Examples:
  release presign -opentitan ../opentitan -dry-run
  release presign -opentitan ../opentitan -artifacts rom_ext -bazel ./bazelisk.sh
  release presign -opentitan ../opentitan -date 20260513 -rc 1 -bazel-arg=--config=release
`,
	},
	{
		name:  "postsign",
		short: "steps 5-8: check the signatures, build and publish the signed archives, tag, open the pull request",
		flags: func(o *options, fs *flag.FlagSet) {
			fs.StringVar(&o.artifacts, "artifacts", "", "if set, check that the release branch releases exactly these artifacts (comma-separated)")
			fs.StringVar(&o.branch, "branch", "", "the release `branch`, checked out first if it is not the current one (default: the current branch)")
		},
		run: func(ctx context.Context, r *release.Runner, _ *options) error { return r.Postsign(ctx) },
		long: `
Steps 5-8 of the release process, in a clean checkout of the release branch
(release/<artifacts>_<date>_rcNN) that is up to date with the remote. The
artifacts, date, rc and tags come from release/state.json, which presign
committed on the branch. First, the branch is tied to what presign
published: the OpenTitan checkout must be at the commit the build tag pins,
and the build tag's commit, GitHub's digests of the pre-signing assets and
the presign_<a> entries of skus/extras.json must be what the state records.

 5. Signatures: download each pre-signing archive (checked against its
    sha256) and check that every digest D<digest_suffix> in it has
    D<suffix> committed in the artifact's signatures_dir for every one of
    its signature_suffixes (.ecdsa_sig and .spx_sig), none empty, and no
    stray signature files. Then run every artifact's signature test:
      bazel test --override_module=ot_provisioning_exts=<this checkout>
                 <-bazel-arg...> --test_output=errors -- <signature_test_label...>
    Nothing is built or published unless they pass.
 6. Build the release_labels (stamped, as in presign) and upload each
    archive, named <a>_release plus its extension, to a draft release of
    <ARTIFACTS>_RELEASE_<date>_rcNN, checking GitHub's digests; a draft's
    asset from a failed attempt is replaced if this build differs.
 7. Set the <a>_release entries of skus/extras.json, record the run in
    release/state.json (with the sha256 of each signature file), commit,
    tag the commit, push branch and tag together, check through GitHub's
    API that the tag is at the commit, publish the release (a prerelease)
    and download every asset to verify it. Later commits on the branch
    (a ceremony log) are fine: a rerun finds the commit that records the
    release.
 8. Push the branch release/<artifacts>_<date>_rcNN-to-main (main plus one
    commit setting the presign_<a> and <a>_release entries), open a pull
    request from it into -base, and record it in release/state.json (a
    last commit on the release branch). A rerun of a complete release
    reports the pull request's state; one closed without merging is an
    error.

Examples:
  release postsign -opentitan ../opentitan -dry-run
  release postsign -opentitan ../opentitan -branch release/perso_rom_ext_20260513_rc00 -title "Perso and ROM_EXT 2026-05-13"
`,
	},
	{
		name:   "helper",
		short:  "publish the fetch-time helper's prebuilt binaries and open the pull request that lists them in the lock",
		helper: true,
		flags: func(o *options, fs *flag.FlagSet) {
			fs.StringVar(&o.goCmd, "go", "go", "the go `command` that gets the lock's Go version (GOTOOLCHAIN=go<go_version>: itself if it is that version, else downloaded from the Go module proxy)")
			fs.StringVar(&o.lock, "lock", helperlock.Path, "the helper's lock `file`, relative to the checkout")
		},
		run: func(ctx context.Context, r *release.Runner, o *options) error {
			return r.PublishHelper(ctx, release.HelperOptions{LockPath: filepath.ToSlash(o.lock), Go: o.goCmd})
		},
		long: `
Publishes the prebuilt binaries of the fetch-time helper (tools/extras_helper)
that extensions/private/helper.lock.json lists, in a clean checkout of the
commit to publish (main; the workflow helper.yml runs it on every push to
main that changes the helper's sources or the lock):

 1. Compute the digest of the helper's sources (the files of
    extensions/private/helper_srcs.bzl). If the lock lists binaries of these
    sources for every platform, stop: nothing to do.
 2. Get the lock's go_version (see -go) and cross-compile the helper for
    linux_amd64, linux_arm64, darwin_amd64 and darwin_arm64 from those files
    only: CGO_ENABLED=0, -trimpath, -buildvcs=false, -ldflags=-buildid=. The
    build is reproducible: the same sources and Go give the same bytes.
 3. Tag HEAD extras-helper-<first 12 hex digits of the digest> and push the
    tag; upload the binaries as extras_helper-<platform> to a draft
    prerelease of it, check GitHub's sha256 of each upload, publish it, and
    download every asset to check it. An existing tag is kept if its commit
    has the same sources; an existing asset is reused if it has the bytes
    this run built; anything else is refused, never replaced.
 4. Push the branch helper/<tag>: -base plus one commit that sets the lock's
    helper entries (URL and sha256 per platform) and sources_sha256. If
    -base has other helper sources by now, stop there: the run for those
    publishes them.
 5. Open a pull request from it into -base.

Run it again after a failure: it resumes, reusing what exists.

Examples:
  release helper -dry-run
  release helper
  release helper -go ~/sdk/go1.26.8/bin/go
  release helper -repo lowRISC/ot-sku -remote upstream
`,
	},
}

func findCommand(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

// options are the flags.
type options struct {
	artifacts, date, branch string
	rc                      int

	dir, opentitan, config, repo, remote, base string
	title, notes                               string
	bazel                                      string
	bazelArgs                                  listFlag
	extras, state                              string
	apiURL, uploadURL, serverURL               string
	allowInsecure, dryRun                      bool
	timeout, backoff, lockTimeout              time.Duration
	retries                                    int

	maxSize  int64         // -max-size, in bytes
	deadline time.Duration // -deadline, for each download

	maxEntries  int   // -max-entries: members a verified archive may have
	maxUnpacked int64 // -max-unpacked, in bytes

	goCmd, lock string // helper's -go and -lock
	gitToken    bool   // -git-token
}

// listFlag is a repeatable flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, " ") }

func (l *listFlag) Set(v string) error {
	*l = append(*l, v)
	return nil
}

func (o *options) register(cmd *command, fs *flag.FlagSet, e *env) {
	cmd.flags(o, fs)
	if !cmd.helper {
		fs.StringVar(&o.opentitan, "opentitan", "", "the OpenTitan checkout `dir` that Bazel runs in (required), such as lowRISC/opentitan at earlgrey_1.0.0")
		fs.StringVar(&o.config, "config", release.DefaultSettingsPath, "the artifact settings `file` (labels, signature directories and suffixes), relative to the checkout")
		fs.StringVar(&o.bazel, "bazel", "bazel", "the Bazel `binary`, such as bazelisk or ./bazelisk.sh (a relative path is taken in the OpenTitan checkout)")
		fs.Var(&o.bazelArgs, "bazel-arg", "an `option` for every bazel build, cquery and test, such as --config=release (repeatable)")
		fs.StringVar(&o.title, "title", "", "the GitHub release's `title` (default: the tag)")
		fs.StringVar(&o.notes, "notes", "", "the GitHub release's `notes` (default: generated: what was built, from which commits)")
		fs.StringVar(&o.extras, "extras", "skus/extras.json", "the extras.json `path` in the checkout")
		fs.StringVar(&o.state, "state", release.DefaultStatePath, "the state file's `path` in the checkout")
		fs.DurationVar(&o.lockTimeout, "lock-timeout", 30*time.Second, "how long to wait for another process that holds the lock of extras.json")
	}
	fs.BoolVar(&o.dryRun, "dry-run", false, "print every step, change nothing (no tag, build, test, release, upload, commit, push or pull request); Bazel only queries the labels and archives; works without GitHub")
	fs.StringVar(&o.dir, "C", "", "this checkout, where git runs (default: $BUILD_WORKSPACE_DIRECTORY under bazel run, else the current directory)")
	fs.StringVar(&o.repo, "repo", e.getenv("GITHUB_REPOSITORY"), "the GitHub repository as `owner/name` (default: $GITHUB_REPOSITORY, else the repository that -remote's push URL names on -server-url's host)")
	fs.StringVar(&o.remote, "remote", "origin", "the git `remote` of that repository, where tags and branches are pushed; its push URL must name -repo")
	fs.BoolVar(&o.gitToken, "git-token", true, "authenticate git (ls-remote, fetch, push) to -server-url with $GITHUB_TOKEN, passed in git's environment (never on a command line, stored nowhere); -git-token=false leaves git to its own credentials")
	fs.StringVar(&o.base, "base", "main", "the main `branch`, which the final pull request targets")
	fs.StringVar(&o.apiURL, "api-url", e.getenv("GITHUB_API_URL"), "the GitHub REST API base `URL` (default: $GITHUB_API_URL, else "+github.DefaultAPIURL+")")
	fs.StringVar(&o.uploadURL, "upload-url", "", "the base `URL` for asset uploads if a release names none (default: uploads.github.com for github.com)")
	fs.StringVar(&o.serverURL, "server-url", e.getenv("GITHUB_SERVER_URL"), "GitHub's web `URL`, the base of release download URLs (default: $GITHUB_SERVER_URL, else https://github.com)")
	fs.BoolVar(&o.allowInsecure, "allow-insecure", false, "also accept http:// URLs of loopback hosts (for tests only)")
	fs.DurationVar(&o.timeout, "timeout", time.Minute, "give up a request when no data arrives for this long")
	fs.IntVar(&o.retries, "retries", 3, "retry reads failing with a transient error `n` times")
	fs.DurationVar(&o.backoff, "backoff", time.Second, "wait before the first retry; doubled for each further one")
	o.maxSize = download.DefaultMaxSize
	fs.Var((*download.ByteSize)(&o.maxSize), "max-size", "refuse to download (to verify it) an archive larger than `size`, such as 512MiB or 2GiB (units B, KiB, MiB, GiB; KB, MB, GB)")
	fs.DurationVar(&o.deadline, "deadline", download.DefaultDeadline, "give up a download that has not finished after this long, retries included (-timeout only limits each pause)")
	fs.IntVar(&o.maxEntries, "max-entries", archive.DefaultLimits.MaxEntries, "refuse (when verifying it) an archive of more than `n` members")
	o.maxUnpacked = archive.DefaultLimits.MaxUnpacked
	fs.Var((*download.ByteSize)(&o.maxUnpacked), "max-unpacked", "refuse (when verifying it) an archive that unpacks to more than `size`, such as 16GiB")
}

func printCommandUsage(w io.Writer, cmd *command, e *env) {
	fmt.Fprintf(w, "Usage: release %s [flags]\n\n%s\n\n%s\n\nFlags:\n", cmd.name, cmd.short, strings.TrimSpace(cmd.long))
	fs := flag.NewFlagSet(cmd.name, flag.ContinueOnError)
	var o options
	o.register(cmd, fs, e)
	fs.SetOutput(w)
	fs.PrintDefaults()
}

// run runs the command line args (without the program name) and returns
// the exit code.
func run(ctx context.Context, args []string, e *env) int {
	e, flush := redactingEnv(e) // every line printed hides the token
	defer flush()
	if len(args) == 0 {
		fmt.Fprint(e.stderr, topUsage)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		if len(args) > 1 && args[0] == "help" {
			if cmd := findCommand(args[1]); cmd != nil {
				printCommandUsage(e.stdout, cmd, e)
				return exitOK
			}
		}
		fmt.Fprint(e.stdout, topUsage)
		return exitOK
	}
	cmd := findCommand(args[0])
	if cmd == nil {
		fmt.Fprintf(e.stderr, "release: unknown command %s\nRun 'release -h' for usage.\n", errtext.Quote(args[0]))
		return exitUsage
	}
	fs := flag.NewFlagSet(cmd.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var o options
	o.register(cmd, fs, e)
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(e.stderr, "release %s: %s\nRun 'release %s -h' for usage.\n", cmd.name, fmt.Sprintf(format, a...), cmd.name)
		return exitUsage
	}
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printCommandUsage(e.stdout, cmd, e)
			return exitOK
		}
		return usageErr("%v", err)
	}
	if fs.NArg() > 0 {
		return usageErr("unexpected argument %s (flags only)", errtext.Quote(fs.Arg(0)))
	}
	token := e.getenv("GITHUB_TOKEN")
	runner, err := o.runner(ctx, cmd, e, token)
	if err != nil {
		var ue *usageError
		if errors.As(err, &ue) {
			return usageErr("%s", redact(err.Error(), token))
		}
		fmt.Fprintf(e.stderr, "release %s: %s\n", cmd.name, errtext.CapLines(redact(explain(err), token), errtext.MaxLines))
		return exitFail
	}
	if err := cmd.run(ctx, runner, &o); err != nil {
		msg := redact(explain(err), token)
		fmt.Fprintf(e.stderr, "release %s: %s\n", cmd.name, msg)
		var se *release.StepError
		if errors.As(err, &se) && !o.dryRun {
			fmt.Fprintf(e.stderr, "Fix the cause and run the same command again: it resumes, skipping what is done, and never moves a tag or overwrites a release or asset.\n")
		}
		return exitFail
	}
	return exitOK
}

// settingFlags are the flags that set the release.Config settings that a
// release.SettingError names.
var settingFlags = map[string]string{
	"Bazel.Dir": "-opentitan",
	"Date":      "-date",
	"RC":        "-rc",
	"Branch":    "-branch",
	"Base":      "-base",
	"ServerURL": "-server-url",
}

// explain returns the message of err as the user reads it: flaghint names
// the flags this tool shares with update_extras, and this is the one place
// that names its own (settingFlags) in the libraries' typed errors.
func explain(err error) string {
	return flaghint.Explain(err, func(e error) (string, bool) {
		if se, ok := e.(*release.SettingError); ok {
			if flag, ok := settingFlags[se.Setting]; ok {
				return se.Message(flag), true
			}
		}
		return "", false
	})
}

// usageError is a mistake in the flags.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

// redact hides the token, should a message ever carry it.
func redact(s, token string) string {
	if token != "" {
		s = strings.ReplaceAll(s, token, "REDACTED")
	}
	return s
}

// runner checks the flags and builds the release runner.
func (o *options) runner(ctx context.Context, cmd *command, e *env, token string) (*release.Runner, error) {
	if o.date != "" {
		if err := release.ParseDate(o.date); err != nil {
			return nil, usagef("-date: %v", err)
		}
	}
	if o.rc < -1 || o.rc > 99 {
		return nil, usagef("-rc must be between 0 and 99")
	}
	if _, _, ok := github.SplitRepository(o.repo); !ok && o.repo != "" {
		return nil, usagef("-repo %s is not of the form owner/name", errtext.Quote(o.repo))
	}
	if o.opentitan == "" && !cmd.helper {
		return nil, usagef("-opentitan is required: the OpenTitan checkout that Bazel runs in")
	}
	if o.retries < 0 || o.timeout <= 0 {
		return nil, usagef("-retries must not be negative and -timeout must be positive")
	}
	if o.maxSize <= 0 || o.deadline <= 0 {
		return nil, usagef("-max-size and -deadline must be positive")
	}
	if o.maxEntries <= 0 || o.maxUnpacked <= 0 {
		return nil, usagef("-max-entries and -max-unpacked must be positive")
	}
	if err := checkTokenFree(o, token); err != nil {
		return nil, err
	}
	for _, p := range []string{o.extras, o.state, o.config, o.lock} {
		if filepath.IsAbs(p) || strings.HasPrefix(filepath.Clean(p), "..") {
			return nil, usagef("%s must be a path inside the checkout", errtext.Quote(p))
		}
	}
	if token == "" && !o.dryRun {
		return nil, errors.New("GITHUB_TOKEN is not set; the release needs a token that may push and write releases (contents: write) and, for postsign and helper, open pull requests (pull-requests: write). -dry-run works without one")
	}
	apiURL := o.apiURL
	if apiURL == "" {
		apiURL = github.DefaultAPIURL
	}
	if err := download.CheckURL(apiURL, o.allowInsecure); err != nil {
		return nil, usagef("-api-url: %v", err)
	}
	if o.serverURL != "" {
		if err := download.CheckURL(o.serverURL, o.allowInsecure); err != nil {
			return nil, usagef("-server-url: %v", err)
		}
	}
	if o.uploadURL != "" {
		// The uploads carry the token, as the API requests do.
		if err := download.CheckURL(o.uploadURL, o.allowInsecure); err != nil {
			return nil, usagef("-upload-url: %v", err)
		}
	}
	gh, err := github.New(github.Options{
		APIURL: apiURL, UploadURL: o.uploadURL, Token: token,
		HTTPClient: &http.Client{Timeout: 10 * time.Minute, Transport: e.transport},
		UserAgent:  "ot-provisioning-exts-release",
		Retries:    o.retries, Backoff: o.backoff,
		AllowInsecure: o.allowInsecure,
	})
	if err != nil {
		return nil, usagef("%v", err)
	}
	// Under bazel run, the checkout is the workspace and relative paths
	// are the user's (the tool runs in its runfiles).
	wd := e.wd
	if d := e.getenv("BUILD_WORKING_DIRECTORY"); d != "" {
		wd = d
	}
	dir := o.dir
	switch {
	case dir == "" && e.getenv("BUILD_WORKSPACE_DIRECTORY") != "":
		dir = e.getenv("BUILD_WORKSPACE_DIRECTORY")
	case dir == "":
		dir = wd
	case !filepath.IsAbs(dir):
		dir = filepath.Join(wd, dir)
	}
	ot := o.opentitan
	if !filepath.IsAbs(ot) {
		ot = filepath.Join(wd, ot)
	}
	repo, err := gitcli.Open(ctx, dir)
	if err != nil {
		return nil, err
	}
	serverURL := o.serverURL
	if serverURL == "" {
		serverURL = "https://github.com"
	}
	if o.repo == "" {
		// Not given, not in $GITHUB_REPOSITORY: the remote's.
		pushURL, err := repo.PushURL(ctx, o.remote)
		if err == nil {
			o.repo, _ = release.RepositoryFromURL(pushURL, serverURL)
		}
		if o.repo == "" {
			return nil, usagef("-repo is required: $GITHUB_REPOSITORY is not set and the push URL of remote %s names no repository on %s (such as %s/OWNER/NAME.git); pass it, such as -repo lowRISC/ot-sku", o.remote, serverURL, serverURL)
		}
	}
	if o.gitToken && token != "" {
		repo.Env = append(repo.Env, release.GitTokenEnv(serverURL, token)...)
	}
	var client *http.Client
	if e.transport != nil {
		client = &http.Client{Transport: e.transport}
	}
	cfg := release.Config{
		Repository: o.repo, Remote: o.remote, Base: o.base,
		ServerURL: o.serverURL,
		DryRun:    o.dryRun,
		Secrets:   []string{token},
		Download: download.Options{
			Timeout: o.timeout, Retries: o.retries, Backoff: o.backoff,
			Deadline: o.deadline, MaxSize: o.maxSize, Client: client,
			AllowInsecure: o.allowInsecure, UserAgent: "ot-provisioning-exts-release",
		},
		Archive: archive.Limits{MaxEntries: o.maxEntries, MaxUnpacked: o.maxUnpacked},
	}
	if !cmd.helper {
		if err := o.releaseConfig(&cfg, cmd, repo, ot, e); err != nil {
			return nil, err
		}
	}
	r := release.NewRunner(cfg, repo, gh, e.stdout)
	if e.now != nil {
		r.SetClock(e.now)
	}
	return r, nil
}

// releaseConfig sets the settings of presign and postsign in cfg.
func (o *options) releaseConfig(cfg *release.Config, cmd *command, repo *gitcli.Repo, ot string, e *env) error {
	data, err := os.ReadFile(filepath.Join(repo.Dir, filepath.FromSlash(o.config)))
	if err != nil {
		return fmt.Errorf("reading the artifact settings: %w", err)
	}
	settings, err := release.ParseSettings(filepath.ToSlash(o.config), data)
	if err != nil {
		return err
	}
	var set release.Set
	if cmd.name == "presign" || o.artifacts != "" {
		if set, err = settings.Select(o.artifacts); err != nil {
			return usagef("-artifacts: %v", err)
		}
	}
	cfg.Settings, cfg.Artifacts = settings, set
	cfg.SettingsPath = filepath.ToSlash(o.config)
	cfg.Date, cfg.RC, cfg.Branch = o.date, o.rc, o.branch
	cfg.Title, cfg.Notes = o.title, o.notes
	cfg.Bazel = release.Bazel{Binary: o.bazel, Dir: ot, Module: repo.Dir, Args: o.bazelArgs, Log: e.stderr, Environ: e.environ}
	cfg.ExtrasPath = filepath.ToSlash(o.extras)
	cfg.StatePath = filepath.ToSlash(o.state)
	cfg.LockTimeout = o.lockTimeout
	return nil
}
