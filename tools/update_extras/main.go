// Command update_extras adds, bumps, verifies and removes the entries of
// skus/extras.json, the list of signed-firmware release archives of the
// ot_provisioning_exts Bazel module.
//
//	bazel run //tools:update_extras -- <command> [flags] [arguments]
//	go run ./tools/update_extras <command> [flags] [arguments]
//
// Commands: set (alias bump), from-release, import-bzl, check, remove,
// fmt. Run it with -h, or see README.md beside this file, for the details.
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
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	wd, _ := os.Getwd()
	code := run(ctx, os.Args[1:], &env{
		stdout: os.Stdout,
		stderr: os.Stderr,
		getenv: os.Getenv,
		wd:     wd,
		tty:    isTerminal(os.Stderr),
	})
	stop()
	os.Exit(code)
}

// env is the world the command runs in; tests provide their own.
type env struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	wd             string // the working directory
	tty            bool   // stderr is a terminal: show live progress
	// transport, if not nil, sends the GitHub API's requests (tests: one
	// that trusts a loopback HTTPS server's certificate).
	transport http.RoundTripper
}

// isTerminal reports whether f is a character device, such as a terminal.
// TERM=dumb turns live progress off.
func isTerminal(f *os.File) bool {
	if os.Getenv("TERM") == "dumb" {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// Exit codes.
const (
	exitOK    = 0
	exitFail  = 1 // the command failed, or check found problems
	exitUsage = 2 // bad command line
)

// usageError is a mistake on the command line; run prints it with a
// pointer to -h and exits with exitUsage.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// command is one subcommand.
type command struct {
	name    string
	aliases []string
	args    string // the synopsis after the name
	short   string // one line for the command list
	long    string // the help text after the synopsis
	// run runs a command that does not change the file (check); edit
	// says what a command that changes it asks for, and runEdit
	// (write.go) does the rest, the same way for all of them.
	run   func(ctx context.Context, c *cli, fs *flag.FlagSet, args []string) error
	edit  func(ctx context.Context, c *cli, fs *flag.FlagSet, args []string) (*change, error)
	flags func(c *cli, fs *flag.FlagSet) // registers the command's own flags
	// downloads says whether the download flags apply.
	downloads bool
}

// commands lists the subcommands in the order of the help text.
var commands = []*command{setCommand, fromReleaseCommand, importBzlCommand, checkCommand, removeCommand, fmtCommand}

func findCommand(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
		for _, a := range c.aliases {
			if a == name {
				return c
			}
		}
	}
	return nil
}

const topUsage = `Usage: update_extras [-file PATH] <command> [flags] [arguments]

update_extras edits and checks skus/extras.json, the list of signed-firmware
release archives of the ot_provisioning_exts Bazel module. Every change
downloads the archive, hashes it, checks that it opens as its type
(import-bzl only with -verify), and rewrites the file in its canonical
form, atomically and under a lock.

Commands:
%s
Run 'update_extras <command> -h' for the flags of a command.

The file is skus/extras.json in the workspace: $BUILD_WORKSPACE_DIRECTORY
under 'bazel run', the current directory under 'go run'. -file PATH
(before or after the command) names another one.

Examples:
  bazel run //tools:update_extras -- set perso_release \
      https://github.com/lowRISC/ot-sku/releases/download/v1.0.0/perso_release.tar.xz \
      -strip-prefix perso_release
  bazel run //tools:update_extras -- from-release -repo lowRISC/ot-sku -tag v1.0.0
  bazel run //tools:update_extras -- import-bzl -verify ../ot-sku/extension.bzl
  bazel run //tools:update_extras -- check
  go run ./tools/update_extras remove perso_release

Exit status: 0 on success, 1 if the command failed (the file is then
unchanged) or check found a problem, 2 for a bad command line.
`

func printTopUsage(w io.Writer) {
	var b strings.Builder
	for _, c := range commands {
		syn := c.name
		if c.args != "" {
			syn += " " + c.args
		}
		fmt.Fprintf(&b, "  %s\n      %s\n", syn, c.short)
	}
	fmt.Fprintf(w, topUsage, b.String())
}

// run runs the command line args (without the program name) and returns
// the exit code.
func run(ctx context.Context, args []string, e *env) int {
	e, flush := redactingEnv(e) // every line printed hides the token
	defer flush()
	c := newCLI(e)
	top := flag.NewFlagSet("update_extras", flag.ContinueOnError)
	top.SetOutput(io.Discard)
	c.fileFlags(top)
	rest, err := parseInterleaved(top, args, true)
	switch {
	case errors.Is(err, flag.ErrHelp):
		printTopUsage(e.stdout)
		return exitOK
	case err != nil:
		fmt.Fprintf(e.stderr, "update_extras: %v\nRun 'update_extras -h' for usage.\n", err)
		return exitUsage
	case len(rest) == 0:
		printTopUsage(e.stderr)
		return exitUsage
	}
	name := rest[0]
	if name == "help" {
		if len(rest) > 1 {
			if cmd := findCommand(rest[1]); cmd != nil {
				printCommandUsage(e.stdout, c, cmd)
				return exitOK
			}
		}
		printTopUsage(e.stdout)
		return exitOK
	}
	cmd := findCommand(name)
	if cmd == nil {
		fmt.Fprintf(e.stderr, "update_extras: unknown command %s\nRun 'update_extras -h' for usage.\n", errtext.Quote(name))
		return exitUsage
	}
	fs := c.flagSet(cmd)
	pos, err := parseInterleaved(fs, rest[1:], false)
	if errors.Is(err, flag.ErrHelp) {
		printCommandUsage(e.stdout, c, cmd)
		return exitOK
	}
	if err == nil {
		err = c.finish(fs)
	}
	if err == nil {
		err = runInterruptible(ctx, cmd, c, fs, pos) // cancel.go
	}
	c.ui.close()
	var ue *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue) || isFlagError(err):
		fmt.Fprintf(e.stderr, "update_extras %s: %s\nRun 'update_extras %s -h' for usage.\n", cmd.name, c.redact(explain(err)), cmd.name)
		return exitUsage
	case errors.Is(err, errReported):
		return exitFail
	default:
		fmt.Fprintf(e.stderr, "update_extras %s: %s\n", cmd.name, errtext.CapLines(c.redact(explain(err)), errtext.MaxLines))
		return exitFail
	}
}

// errReported is returned by commands that have already printed their
// failures.
var errReported = errors.New("failures reported")

// flagError marks errors of the flag package.
type flagError struct{ err error }

func (e *flagError) Error() string { return e.err.Error() }

func isFlagError(err error) bool {
	var fe *flagError
	return errors.As(err, &fe)
}

// parseInterleaved parses flags anywhere among the positional arguments,
// so that "set NAME URL -type zip" works; "--" ends the flags. With
// stopAtFirst, it stops at the first positional argument (the command).
func parseInterleaved(fs *flag.FlagSet, args []string, stopAtFirst bool) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, &flagError{err}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		if stopAtFirst {
			return rest, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

func printCommandUsage(w io.Writer, c *cli, cmd *command) {
	fmt.Fprintf(w, "Usage: update_extras %s\n", strings.TrimSpace(cmd.name+" [flags] "+cmd.args))
	if len(cmd.aliases) > 0 {
		fmt.Fprintf(w, "Alias: %s\n", strings.Join(cmd.aliases, ", "))
	}
	fmt.Fprintf(w, "\n%s\n\nFlags:\n", strings.TrimSpace(cmd.long))
	fs := c.flagSet(cmd)
	fs.SetOutput(w)
	fs.PrintDefaults()
}

// cli holds the settings shared by the commands.
type cli struct {
	env *env
	ui  *ui

	file          string
	allowInsecure bool
	lockTimeout   time.Duration

	jobs    int
	timeout time.Duration
	retries int
	backoff time.Duration
	mirrors string
	tmpDir  string

	maxSize  int64         // -max-size, in bytes
	deadline time.Duration // -deadline, for each URL

	maxEntries     int   // -max-entries: members an archive may have
	maxUnpacked    int64 // -max-unpacked, in bytes
	allowUnchecked bool  // -allow-unchecked: pin an archive whose type the check cannot open

	set       setFlags
	release   releaseFlags
	importBzl importFlags
	offline   bool

	token string // GITHUB_TOKEN
}

func newCLI(e *env) *cli {
	return &cli{
		env:         e,
		lockTimeout: 30 * time.Second,
		jobs:        4,
		timeout:     time.Minute,
		retries:     3,
		backoff:     time.Second,
		mirrors:     "all",
		maxSize:     download.DefaultMaxSize,
		deadline:    download.DefaultDeadline,
		maxEntries:  archive.DefaultLimits.MaxEntries,
		maxUnpacked: archive.DefaultLimits.MaxUnpacked,
		token:       e.getenv("GITHUB_TOKEN"),
	}
}

// fileFlags registers the flags that say which file to use and how.
func (c *cli) fileFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.file, "file", c.file, "the extras.json `path` (default: skus/extras.json in the workspace)")
	fs.BoolVar(&c.allowInsecure, "allow-insecure", c.allowInsecure, "also accept http:// URLs of loopback hosts and file:// URLs (for tests; never in the checked-in file)")
}

// flagSet returns the flags of cmd.
func (c *cli) flagSet(cmd *command) *flag.FlagSet {
	fs := flag.NewFlagSet(cmd.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c.fileFlags(fs)
	if cmd.name != "check" {
		fs.DurationVar(&c.lockTimeout, "lock-timeout", c.lockTimeout, "how long to wait for another run that holds the file's lock")
	}
	if cmd.downloads {
		fs.IntVar(&c.jobs, "jobs", c.jobs, "download at most `n` archives at a time")
		fs.DurationVar(&c.timeout, "timeout", c.timeout, "give up a request when no data arrives for this long (per request, not per download)")
		fs.IntVar(&c.retries, "retries", c.retries, "retry a request failing with a transient error (5xx, 429, reset, timeout) `n` times")
		fs.DurationVar(&c.backoff, "backoff", c.backoff, "wait before the first retry; doubled for each further one")
		fs.StringVar(&c.tmpDir, "tmpdir", c.tmpDir, "`directory` for downloaded archives (default: $TMPDIR); they are deleted on exit")
		fs.Var((*download.ByteSize)(&c.maxSize), "max-size", "refuse an archive larger than `size`, such as 512MiB or 2GiB (units B, KiB, MiB, GiB; KB, MB, GB)")
		fs.DurationVar(&c.deadline, "deadline", c.deadline, "give up a URL whose archive has not arrived after this long, retries included (-timeout only limits each pause)")
		fs.IntVar(&c.maxEntries, "max-entries", c.maxEntries, "refuse an archive of more than `n` members (files, directories, links)")
		fs.Var((*download.ByteSize)(&c.maxUnpacked), "max-unpacked", "refuse an archive that unpacks to more than `size`, such as 16GiB (the members' declared sizes, and the bytes decompressed)")
		fs.BoolVar(&c.allowUnchecked, "allow-unchecked", c.allowUnchecked, "accept, with a warning, an archive of a type the check cannot open (tar.zst, tzst, ar, deb): only its hash and magic bytes are verified, not its members")
	}
	if cmd.flags != nil {
		cmd.flags(c, fs)
	}
	return fs
}

// finish checks the common flags after parsing.
func (c *cli) finish(fs *flag.FlagSet) error {
	if c.jobs < 1 {
		return usagef("-jobs must be at least 1")
	}
	if c.retries < 0 {
		return usagef("-retries must not be negative")
	}
	if c.timeout <= 0 {
		return usagef("-timeout must be positive")
	}
	if c.maxSize <= 0 {
		return usagef("-max-size must be positive")
	}
	if c.deadline <= 0 {
		return usagef("-deadline must be positive")
	}
	if c.maxEntries <= 0 || c.maxUnpacked <= 0 {
		return usagef("-max-entries and -max-unpacked must be positive")
	}
	if c.mirrors != "all" && c.mirrors != "first" {
		return usagef("-mirrors must be all or first, not %s", errtext.Quote(c.mirrors))
	}
	c.ui = newUI(c.env.stderr, c.env.tty)
	return nil
}

// redact hides the GitHub token in a message, should any error carry it.
func (c *cli) redact(s string) string {
	if c.token != "" {
		s = strings.ReplaceAll(s, c.token, "REDACTED")
	}
	return s
}

// userPath resolves a path given on the command line: a relative one is
// taken from the directory the user ran the command in.
func (c *cli) userPath(path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	base := c.env.getenv("BUILD_WORKING_DIRECTORY") // bazel run: the user's directory
	if base == "" {
		base = c.env.wd
	}
	return filepath.Join(base, path)
}

// filePath returns the file to edit and its name for messages.
func (c *cli) filePath() (path, display string) {
	if c.file != "" {
		return c.userPath(c.file), c.file
	}
	display = filepath.Join("skus", "extras.json")
	if ws := c.env.getenv("BUILD_WORKSPACE_DIRECTORY"); ws != "" {
		return filepath.Join(ws, display), display
	}
	return filepath.Join(c.env.wd, display), display
}
