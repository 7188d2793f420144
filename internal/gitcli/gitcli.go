// Package gitcli runs the git binary (through os/exec) in one working
// tree, for tools that tag, branch, commit and push. Every failure names
// the git command and carries git's own message.
package gitcli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
)

// Repo is a git working tree.
type Repo struct {
	// Dir is the working tree's top directory.
	Dir string
	// Git is the git binary; "" means "git" on PATH.
	Git string
	// Env is added to the process environment of every git command.
	Env []string
	// Trace, if not nil, is told every command that changes something
	// (commit, tag, push, branch, ...) before it runs.
	Trace func(format string, args ...any)
}

// Error is a failed git command.
type Error struct {
	Args   []string
	Stderr string
	Err    error
}

func (e *Error) Error() string {
	msg := strings.TrimSpace(e.Stderr)
	if msg == "" {
		msg = e.Err.Error()
	}
	return fmt.Sprintf("git %s: %s", strings.Join(e.Args, " "), msg)
}

func (e *Error) Unwrap() error { return e.Err }

// Run runs git with args in r.Dir and returns its standard output.
func (r *Repo) Run(ctx context.Context, args ...string) (string, error) {
	git := r.Git
	if git == "" {
		git = "git"
	}
	cmd := exec.CommandContext(ctx, git, args...)
	cmd.Dir = r.Dir
	cmd.Env = append(os.Environ(), r.Env...)
	// Never ask for credentials on a terminal: fail instead.
	cmd.Env = append(cmd.Env, "GIT_TERMINAL_PROMPT=0")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), &Error{Args: args, Stderr: stderr.String(), Err: err}
	}
	return stdout.String(), nil
}

// change runs a command that changes the repository, telling r.Trace.
func (r *Repo) change(ctx context.Context, args ...string) (string, error) {
	if r.Trace != nil {
		shown := make([]string, len(args))
		for i, a := range args {
			shown[i] = quote(a)
		}
		r.Trace("git %s", strings.Join(shown, " "))
	}
	return r.Run(ctx, args...)
}

// quote shows a command argument as a shell would need it, and only the
// first line of a multi-line one (a commit message).
func quote(a string) string {
	if first, _, ok := strings.Cut(a, "\n"); ok {
		a = first + " ..."
	}
	if a != "" && strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@^{}") == "" {
		return a
	}
	return "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
}

// exitCode returns the exit status of a failed git command, or -1.
func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	return -1
}

// Open returns the repository whose working tree contains dir.
func Open(ctx context.Context, dir string) (*Repo, error) {
	r := &Repo{Dir: dir}
	top, err := r.Run(ctx, "rev-parse", "--show-toplevel")
	if err != nil {
		return nil, fmt.Errorf("%s is not in a git working tree: %w", dir, err)
	}
	r.Dir = strings.TrimSpace(top)
	return r, nil
}

// RevParse returns the commit that rev names ("" and no error if it does
// not exist).
func (r *Repo) RevParse(ctx context.Context, rev string) (string, error) {
	out, err := r.Run(ctx, "rev-parse", "--verify", "--quiet", rev+"^{commit}")
	if err != nil {
		if exitCode(err) == 1 {
			return "", nil
		}
		return "", err
	}
	return strings.TrimSpace(out), nil
}

// Head returns the commit checked out.
func (r *Repo) Head(ctx context.Context) (string, error) {
	c, err := r.RevParse(ctx, "HEAD")
	if err == nil && c == "" {
		err = errors.New("the repository has no commit checked out")
	}
	return c, err
}

// CurrentBranch returns the branch checked out, or "" if HEAD is detached.
func (r *Repo) CurrentBranch(ctx context.Context) (string, error) {
	out, err := r.Run(ctx, "symbolic-ref", "--quiet", "--short", "HEAD")
	if err != nil {
		if exitCode(err) == 1 {
			return "", nil
		}
		return "", err
	}
	return strings.TrimSpace(out), nil
}

// Status returns `git status --porcelain` (untracked files included):
// "" for a clean working tree.
func (r *Repo) Status(ctx context.Context) (string, error) {
	return r.Run(ctx, "status", "--porcelain", "--untracked-files=normal")
}

// LocalTags returns the local tags matching the glob pattern, with the
// commits they point to.
func (r *Repo) LocalTags(ctx context.Context, pattern string) (map[string]string, error) {
	out, err := r.Run(ctx, "for-each-ref", "--format=%(refname:strip=2) %(*objectname) %(objectname)", "refs/tags/"+pattern)
	if err != nil {
		return nil, err
	}
	tags := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(line)
		switch len(f) {
		case 2: // lightweight: no peeled object
			tags[f[0]] = f[1]
		case 3: // annotated: the peeled commit first
			tags[f[0]] = f[1]
		}
	}
	return tags, nil
}

// RemoteRefs returns the refs of remote matching the patterns (such as
// "refs/tags/X_*" or "refs/heads/release/x"), with the commits they point
// to (annotated tags peeled).
func (r *Repo) RemoteRefs(ctx context.Context, remote string, patterns ...string) (map[string]string, error) {
	args := []string{"ls-remote", remote}
	for _, p := range patterns {
		// A pattern without a glob does not match the peeled "^{}" line
		// of an annotated tag by itself.
		args = append(args, p, p+"^{}")
	}
	out, err := r.Run(ctx, args...)
	if err != nil {
		return nil, fmt.Errorf("listing the refs of remote %s: %w", remote, err)
	}
	refs := map[string]string{}
	peeled := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		sha, ref, ok := strings.Cut(line, "\t")
		if !ok {
			continue
		}
		if base, ok := strings.CutSuffix(ref, "^{}"); ok {
			peeled[base] = sha
		} else {
			refs[ref] = sha
		}
	}
	for ref, sha := range peeled {
		refs[ref] = sha
	}
	return refs, nil
}

// PushURL returns the URL that git pushes to for remote (git remote
// get-url --push).
func (r *Repo) PushURL(ctx context.Context, remote string) (string, error) {
	out, err := r.Run(ctx, "remote", "get-url", "--push", remote)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(out), nil
}

// Fetch fetches refspecs from remote. A refspec without a destination
// only sets FETCH_HEAD: the empty --refmap keeps git from updating the
// remote-tracking branches too, so that a dry run changes no ref.
func (r *Repo) Fetch(ctx context.Context, remote string, refspecs ...string) error {
	_, err := r.Run(ctx, append([]string{"fetch", "--quiet", "--no-tags", "--refmap=", remote}, refspecs...)...)
	return err
}

// Show returns the content of path at rev, and false if it does not
// exist there.
func (r *Repo) Show(ctx context.Context, rev, path string) ([]byte, bool, error) {
	if c, err := r.RevParse(ctx, rev); err != nil || c == "" {
		return nil, false, err
	}
	if _, err := r.Run(ctx, "cat-file", "-e", rev+":"+path); err != nil {
		return nil, false, nil
	}
	out, err := r.Run(ctx, "show", rev+":"+path)
	if err != nil {
		return nil, false, err
	}
	return []byte(out), true, nil
}

// IsAncestor reports whether commit a is an ancestor of (or equal to) b.
func (r *Repo) IsAncestor(ctx context.Context, a, b string) (bool, error) {
	_, err := r.Run(ctx, "merge-base", "--is-ancestor", a, b)
	if err == nil {
		return true, nil
	}
	if exitCode(err) == 1 {
		return false, nil
	}
	return false, err
}

// TrackedFiles lists the tracked files under dir (relative to the top).
func (r *Repo) TrackedFiles(ctx context.Context, dir string) ([]string, error) {
	out, err := r.Run(ctx, "ls-files", "-z", "--", dir)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, f := range strings.Split(out, "\x00") {
		if f != "" {
			files = append(files, f)
		}
	}
	slices.Sort(files)
	return files, nil
}

// Tag creates the annotated tag name at commit with message.
func (r *Repo) Tag(ctx context.Context, name, commit, message string) error {
	_, err := r.change(ctx, "tag", "--annotate", "--message", message, name, commit)
	return err
}

// TagMessage returns the message of the annotated tag name ("" and false
// if there is no such tag, or it is lightweight).
func (r *Repo) TagMessage(ctx context.Context, name string) (string, bool, error) {
	out, err := r.Run(ctx, "for-each-ref", "--format=%(objecttype)%00%(contents)", "refs/tags/"+name)
	if err != nil {
		return "", false, err
	}
	kind, msg, ok := strings.Cut(out, "\x00")
	if !ok || kind != "tag" {
		return "", false, nil
	}
	return msg, true, nil
}

// HasCommit reports whether commit is in the repository's object store.
func (r *Repo) HasCommit(ctx context.Context, commit string) bool {
	_, err := r.Run(ctx, "cat-file", "-e", commit+"^{commit}")
	return err == nil
}

// SetBranch points branch name at commit without checking it out,
// creating it if need be; an existing branch must be an ancestor of
// commit (a fast-forward), and must not be checked out.
func (r *Repo) SetBranch(ctx context.Context, name, commit, old string) error {
	if old == "" {
		_, err := r.change(ctx, "branch", "--quiet", "--no-track", name, commit)
		return err
	}
	_, err := r.change(ctx, "update-ref", "-m", "fast-forward", "refs/heads/"+name, commit, old)
	return err
}

// FastForward moves the checked-out branch to commit, which must contain
// HEAD, updating the working tree.
func (r *Repo) FastForward(ctx context.Context, commit string) error {
	_, err := r.change(ctx, "merge", "--quiet", "--ff-only", commit)
	return err
}

// PathHistory lists the commits from rev back along the first parents
// that change path, newest first.
func (r *Repo) PathHistory(ctx context.Context, rev, path string) ([]string, error) {
	out, err := r.Run(ctx, "rev-list", "--first-parent", rev, "--", path)
	if err != nil {
		return nil, err
	}
	return strings.Fields(out), nil
}

// CreateBranch creates branch name at start and checks it out.
func (r *Repo) CreateBranch(ctx context.Context, name, start string) error {
	_, err := r.change(ctx, "switch", "--quiet", "--create", name, start)
	return err
}

// Switch checks out the existing branch name.
func (r *Repo) Switch(ctx context.Context, name string) error {
	_, err := r.change(ctx, "switch", "--quiet", name)
	return err
}

// Commit commits the given paths (added if new) with message and returns
// the new commit. It fails if nothing changed.
func (r *Repo) Commit(ctx context.Context, message string, paths ...string) (string, error) {
	if _, err := r.change(ctx, append([]string{"add", "--"}, paths...)...); err != nil {
		return "", err
	}
	if _, err := r.change(ctx, append([]string{"commit", "--quiet", "--message", message, "--"}, paths...)...); err != nil {
		return "", err
	}
	return r.Head(ctx)
}

// Push pushes refspecs to remote in one atomic push (all or none).
func (r *Repo) Push(ctx context.Context, remote string, refspecs ...string) error {
	_, err := r.change(ctx, append([]string{"push", "--quiet", "--atomic", remote}, refspecs...)...)
	return err
}

// AddWorktree checks commit out, detached, in a new working tree at dir.
func (r *Repo) AddWorktree(ctx context.Context, dir, commit string) (*Repo, error) {
	if _, err := r.change(ctx, "worktree", "add", "--quiet", "--detach", dir, commit); err != nil {
		return nil, err
	}
	return &Repo{Dir: dir, Git: r.Git, Env: r.Env, Trace: r.Trace}, nil
}

// RemoveWorktree deletes the working tree at dir.
func (r *Repo) RemoveWorktree(ctx context.Context, dir string) error {
	_, err := r.Run(ctx, "worktree", "remove", "--force", dir)
	return err
}

// refPattern is what check-ref-format accepts for the names this package
// creates, in short.
var refPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._/-]*$`)

// ValidRefName reports whether name is a plausible branch or tag name.
func ValidRefName(name string) bool {
	return refPattern.MatchString(name) && !strings.Contains(name, "..") && !strings.HasSuffix(name, "/") &&
		!strings.HasSuffix(name, ".lock") && !strings.Contains(name, "//")
}
