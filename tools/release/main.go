// Command release automates the two halves of the release process of the
// ot_provisioning_exts module (docs/release.md):
//
//	go run ./tools/release presign -artifact perso -target //release:presign_perso
//	go run ./tools/release postsign -target //release:perso_signed
//
// presign (steps 1-3) tags the build, builds the pre-signing binaries and
// digests with Bazel, publishes them as a GitHub release and creates the
// release branch with the presign_<artifact> entry of skus/extras.json.
// postsign (steps 5-8), run on the release branch once the signing
// ceremony's signatures are merged into it, builds and publishes the
// signed binaries, records <artifact>_release, tags the release and opens
// the pull request into main. Both resume after a failure; -dry-run shows
// every step without changing anything. Run it with -h for the flags.
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

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/download"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/gitcli"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/github"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/release"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	wd, _ := os.Getwd()
	code := run(ctx, os.Args[1:], &env{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, wd: wd})
	stop()
	os.Exit(code)
}

// env is the world the command runs in; tests provide their own.
type env struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	wd             string
	// now, if not nil, replaces the clock (for tests).
	now func() time.Time
}

// Exit codes.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

const topUsage = `Usage: release <command> [flags]

release automates the two halves of a release of the signed provisioning
artifacts (docs/release.md walks through the whole process):

  presign    steps 1-3: tag ARTIFACT_BUILD_<date>_rcNN, build the pre-signing
             binaries and digests with Bazel, publish presign_<artifact>.tar.xz
             as a GitHub release, and push the release branch
             release/<artifact>_<date>_rcNN with the presign_<artifact> entry
             of skus/extras.json and the state file release/state.json.
  postsign   steps 5-8, on the release branch after the signing ceremony's
             signatures are merged into it: check the signatures, build and
             publish <artifact>_release.tar.xz, record <artifact>_release,
             tag ARTIFACT_RELEASE_<date>_rcNN, and open the pull request that
             brings both entries into main.
  help [command]

Run 'release <command> -h' for the flags of a command.

Both halves resume after a failure: run the same command again. They never
move a tag, replace a release or overwrite an asset; an asset of the same
name and digest is not uploaded again, one with another digest is an error.
-dry-run prints every step and changes nothing.

The GitHub token comes from $GITHUB_TOKEN only and is never printed.
$GITHUB_REPOSITORY, $GITHUB_API_URL and $GITHUB_SERVER_URL (set in GitHub
Actions) are the defaults of -repo, -api-url and -server-url.

Examples:
  release presign -artifact perso -target //release:presign_perso -dry-run
  release presign -artifact rom_ext -target //release:presign_rom_ext -bazel bazelisk
  git switch release/perso_20260513_rc00 && git pull --ff-only
  release postsign -target //release:perso_signed

Exit status: 0 on success (or nothing to do), 1 if a step failed, 2 for a
bad command line.
`

// command is one subcommand.
type command struct {
	name  string
	short string
	long  string
	flags func(o *options, fs *flag.FlagSet)
	run   func(ctx context.Context, r *release.Runner) error
}

var commands = []*command{
	{
		name:  "presign",
		short: "steps 1-3: tag, build and publish the pre-signing archive, push the release branch",
		flags: func(o *options, fs *flag.FlagSet) {
			fs.StringVar(&o.artifact, "artifact", "", "the artifact to release: "+strings.Join(release.Artifacts, " or ")+" (required)")
			fs.StringVar(&o.date, "date", "", "the release `date` as yyyymmdd (default: today in UTC); pass the date of an unfinished run to resume it on a later day")
			fs.IntVar(&o.rc, "rc", -1, "the release candidate `number` 0-99; -1 resumes the day's unfinished one, else takes the next free one")
		},
		run: func(ctx context.Context, r *release.Runner) error { return r.Presign(ctx) },
		long: `
Steps 1-3 of the release process, in the checkout of the commit to release
(usually main), whose working tree must be clean:

 1. Tag: ARTIFACT_BUILD_<date>_rcNN (annotated) at HEAD, pushed to -remote.
    rcNN is the day's next free number, looking at the tags here and on the
    remote; an unfinished run of the day is resumed instead (see -rc).
 2. Build the -target labels with Bazel at the tag and package their
    outputs (bazel cquery --output=files) reproducibly as
    presign_<artifact>.tar.xz, under presign_<artifact>/, with a SHA256SUMS
    file. Outputs named *.digest are the digests the signing ceremony signs;
    there must be at least one. Publish the archive as a pre-release for the
    tag (created as a draft, the asset uploaded, then published).
 3. Create the branch release/<artifact>_<date>_rcNN at the tag, download the
    published asset and check it against the local sha256 and as an archive,
    set presign_<artifact> in skus/extras.json, write release/state.json,
    commit, and push the branch. The checkout is left on the branch.

Examples:
  release presign -artifact perso -target //release:presign_perso -dry-run
  release presign -artifact perso -target "//release:presign_perso //release:perso_digests"
  release presign -artifact rom_ext -target //release:presign_rom_ext -date 20260513 -rc 1
`,
	},
	{
		name:  "postsign",
		short: "steps 5-8: check signatures, build and publish the signed archive, tag, open the pull request",
		flags: func(o *options, fs *flag.FlagSet) {
			fs.StringVar(&o.artifact, "artifact", "", "if set, check that the release branch is for this artifact")
			fs.StringVar(&o.branch, "branch", "", "the release `branch`, which must be checked out (default: the current branch)")
		},
		run: func(ctx context.Context, r *release.Runner) error { return r.Postsign(ctx) },
		long: `
Steps 5-8 of the release process, in a checkout of the release branch
(release/<artifact>_<date>_rcNN) that is up to date with the remote and
clean. The artifact, date, rc and tags come from release/state.json, which
presign committed on the branch.

 5. Signatures: download presign_<artifact>.tar.xz (checked against the
    recorded sha256) and check that every digest D.digest in it has its
    signature signatures/<artifact>/D.sig committed on the branch, non-empty,
    and that there are no other .sig files there.
 6. Build the -target labels (the signed binaries, which use the pre-signing
    archive through @provisioning_exts_extra and the signature files), package
    them as <artifact>_release.tar.xz and upload it to a draft release for
    ARTIFACT_RELEASE_<date>_rcNN.
 7. Set <artifact>_release in skus/extras.json to the release's download URL,
    record the run in release/state.json, commit, tag the commit
    ARTIFACT_RELEASE_<date>_rcNN, push branch and tag together, publish the
    release and download the asset to verify it.
 8. Push the branch release/<artifact>_<date>_rcNN-to-main (main plus one
    commit setting presign_<artifact> and <artifact>_release), open a pull
    request from it into -base, and record it in release/state.json (a last
    commit on the release branch).

Examples:
  release postsign -target //release:perso_signed -dry-run
  release postsign -artifact rom_ext -target //release:rom_ext_signed -bazel bazelisk
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
	artifact, date, branch string
	rc                     int

	dir, repo, remote, base           string
	bazel                             string
	bazelArgs, targets                listFlag
	outDir, extras, state, signatures string
	apiURL, uploadURL, serverURL      string
	allowInsecure, dryRun             bool
	timeout, backoff, lockTimeout     time.Duration
	retries                           int
}

// listFlag is a repeatable flag; -target also splits each value at white
// space and commas, so that a workflow input can list several targets.
type listFlag struct {
	vals  []string
	split bool
}

func (l *listFlag) String() string { return strings.Join(l.vals, " ") }

func (l *listFlag) Set(v string) error {
	if !l.split {
		l.vals = append(l.vals, v)
		return nil
	}
	l.vals = append(l.vals, strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' })...)
	return nil
}

func (o *options) register(cmd *command, fs *flag.FlagSet, e *env) {
	cmd.flags(o, fs)
	o.targets.split = true
	fs.Var(&o.targets, "target", "a Bazel `label` to build (repeatable; a value may list several, separated by spaces or commas)")
	fs.StringVar(&o.bazel, "bazel", "bazel", "the Bazel `binary` (bazel or bazelisk)")
	fs.Var(&o.bazelArgs, "bazel-arg", "an `option` for bazel build, cquery and info, such as --config=release (repeatable)")
	fs.BoolVar(&o.dryRun, "dry-run", false, "print every step, change nothing (no tag, build, release, upload, commit, push or pull request)")
	fs.StringVar(&o.dir, "C", "", "run in the git working tree `dir` (default: the current directory)")
	fs.StringVar(&o.repo, "repo", e.getenv("GITHUB_REPOSITORY"), "the GitHub repository as `owner/name` (default: $GITHUB_REPOSITORY)")
	fs.StringVar(&o.remote, "remote", "origin", "the git `remote` of that repository")
	fs.StringVar(&o.base, "base", "main", "the main `branch`, which the final pull request targets")
	fs.StringVar(&o.outDir, "out", "", "keep the built archives in `dir` (default: a temporary directory, removed at the end)")
	fs.StringVar(&o.extras, "extras", "skus/extras.json", "the extras.json `path` in the working tree")
	fs.StringVar(&o.state, "state", release.DefaultStatePath, "the state file's `path` in the working tree")
	fs.StringVar(&o.signatures, "signatures", "signatures", "the `directory` (in the working tree) whose <artifact>/ subdirectory holds the signature files")
	fs.StringVar(&o.apiURL, "api-url", e.getenv("GITHUB_API_URL"), "the GitHub REST API base `URL` (default: $GITHUB_API_URL, else "+github.DefaultAPIURL+")")
	fs.StringVar(&o.uploadURL, "upload-url", "", "the base `URL` for asset uploads if a release names none (default: uploads.github.com for github.com)")
	fs.StringVar(&o.serverURL, "server-url", e.getenv("GITHUB_SERVER_URL"), "GitHub's web `URL`, the base of release download URLs (default: $GITHUB_SERVER_URL, else https://github.com)")
	fs.BoolVar(&o.allowInsecure, "allow-insecure", false, "also accept http:// URLs of loopback hosts (for tests only)")
	fs.DurationVar(&o.timeout, "timeout", time.Minute, "give up a request when no data arrives for this long")
	fs.IntVar(&o.retries, "retries", 3, "retry reads failing with a transient error `n` times")
	fs.DurationVar(&o.backoff, "backoff", time.Second, "wait before the first retry; doubled for each further one")
	fs.DurationVar(&o.lockTimeout, "lock-timeout", 30*time.Second, "how long to wait for another process that holds the lock of extras.json")
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
		fmt.Fprintf(e.stderr, "release: unknown command %q\nRun 'release -h' for usage.\n", args[0])
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
		return usageErr("unexpected argument %q (flags only)", fs.Arg(0))
	}
	token := e.getenv("GITHUB_TOKEN")
	runner, err := o.runner(ctx, cmd, e, token)
	if err != nil {
		var ue *usageError
		if errors.As(err, &ue) {
			return usageErr("%s", redact(err.Error(), token))
		}
		fmt.Fprintf(e.stderr, "release %s: %s\n", cmd.name, redact(err.Error(), token))
		return exitFail
	}
	if err := cmd.run(ctx, runner); err != nil {
		msg := redact(err.Error(), token)
		fmt.Fprintf(e.stderr, "release %s: %s\n", cmd.name, msg)
		var se *release.StepError
		if errors.As(err, &se) && !o.dryRun {
			fmt.Fprintf(e.stderr, "Fix the cause and run the same command again: it resumes, skipping what is done, and never moves a tag or overwrites a release or asset.\n")
		}
		return exitFail
	}
	return exitOK
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
	cfg := release.Config{
		Repository: o.repo, Remote: o.remote, Base: o.base,
		Date: o.date, RC: o.rc, Branch: o.branch,
		Targets:       o.targets.vals,
		Bazel:         release.Bazel{Binary: o.bazel, Args: o.bazelArgs.vals, Log: e.stderr},
		ExtrasPath:    filepath.ToSlash(o.extras),
		StatePath:     filepath.ToSlash(o.state),
		SignaturesDir: filepath.ToSlash(o.signatures),
		OutDir:        o.outDir,
		ServerURL:     o.serverURL,
		LockTimeout:   o.lockTimeout,
		DryRun:        o.dryRun,
		Download: download.Options{
			Timeout: o.timeout, Retries: o.retries, Backoff: o.backoff,
			AllowInsecure: o.allowInsecure, UserAgent: "ot-provisioning-exts-release",
		},
	}
	if cmd.name == "presign" && o.artifact == "" {
		return nil, usagef("-artifact is required (%s)", strings.Join(release.Artifacts, " or "))
	}
	if o.artifact != "" {
		a, err := release.ParseArtifact(o.artifact)
		if err != nil {
			return nil, usagef("-artifact: %v", err)
		}
		cfg.Artifact = a
	}
	if cmd.name == "presign" && len(cfg.Targets) == 0 {
		return nil, usagef("-target is required: the Bazel labels that build the pre-signing binaries and their .digest files")
	}
	if o.date != "" {
		if err := release.ParseDate(o.date); err != nil {
			return nil, usagef("-date: %v", err)
		}
	}
	if o.rc < -1 || o.rc > 99 {
		return nil, usagef("-rc must be between 0 and 99")
	}
	if _, _, ok := github.SplitRepository(o.repo); !ok {
		if o.repo == "" {
			return nil, usagef("-repo is required (owner/name), or set $GITHUB_REPOSITORY")
		}
		return nil, usagef("-repo %q is not of the form owner/name", o.repo)
	}
	if o.retries < 0 || o.timeout <= 0 {
		return nil, usagef("-retries must not be negative and -timeout must be positive")
	}
	for _, p := range []string{cfg.ExtrasPath, cfg.StatePath, cfg.SignaturesDir} {
		if filepath.IsAbs(p) || strings.HasPrefix(filepath.Clean(p), "..") {
			return nil, usagef("%q must be a path inside the working tree", p)
		}
	}
	if token == "" && !o.dryRun {
		return nil, errors.New("GITHUB_TOKEN is not set; the release needs a token that may push and write releases (contents: write) and, for postsign, open pull requests (pull-requests: write). -dry-run works without one for a public repository")
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
	gh, err := github.New(github.Options{
		APIURL: apiURL, UploadURL: o.uploadURL, Token: token,
		HTTPClient: &http.Client{Timeout: 10 * time.Minute},
		UserAgent:  "ot-provisioning-exts-release",
		Retries:    o.retries, Backoff: o.backoff,
	})
	if err != nil {
		return nil, usagef("%v", err)
	}
	dir := o.dir
	if dir == "" {
		dir = e.wd
	} else if !filepath.IsAbs(dir) {
		dir = filepath.Join(e.wd, dir)
	}
	repo, err := gitcli.Open(ctx, dir)
	if err != nil {
		return nil, err
	}
	r := release.NewRunner(cfg, repo, gh, e.stdout)
	if e.now != nil {
		r.SetClock(e.now)
	}
	return r, nil
}
