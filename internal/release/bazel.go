package release

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// ModuleName is the Bazel module that OpenTitan depends on and that
// --override_module replaces with the checkout being released.
const ModuleName = "ot_provisioning_exts"

// Bazel runs the bazel binary in the OpenTitan checkout, with this
// module overridden by the checkout being released, as ot-sku's release
// flow does.
//
// Bazel runs OpenTitan's code (repository rules, the workspace status
// script, build actions), so it never gets a credential: its environment
// is Environ's without GITHUB_TOKEN, GH_TOKEN, GITHUB_ENTERPRISE_TOKEN,
// GH_ENTERPRISE_TOKEN, RELEASE_TOKEN, ACTIONS_RUNTIME_TOKEN,
// ACTIONS_ID_TOKEN_REQUEST_TOKEN and ACTIONS_ID_TOKEN_REQUEST_URL, without
// GIT_CONFIG and every GIT_CONFIG_* variable (GIT_CONFIG_COUNT,
// GIT_CONFIG_KEY_n and GIT_CONFIG_VALUE_n can carry an HTTP authorization
// header), without every variable whose name holds TOKEN, SECRET or
// PASSWORD in any case, and without every variable whose value holds one
// of Secrets. The variables are dropped silently.
type Bazel struct {
	Binary string   // the bazel (or bazelisk) binary
	Dir    string   // the OpenTitan checkout, where Bazel runs
	Module string   // the checkout being released (absolute)
	Args   []string // extra options for every command, such as --config=release
	Log    io.Writer
	// Environ returns the environment that Bazel's is made from, as
	// os.Environ does (the default, if nil).
	Environ func() []string
	// Secrets (the GitHub token) must not reach Bazel: a variable whose
	// value holds one is dropped. NewRunner sets it from Config.Secrets.
	Secrets []string

	root string // the execution root, once asked
}

// options are the options of build and cquery: the override, stamping
// and the extra options.
func (b *Bazel) options(stamp bool) []string {
	opts := []string{"--override_module=" + ModuleName + "=" + b.Module}
	if stamp {
		opts = append(opts, "--stamp")
	}
	return append(opts, b.Args...)
}

func (b *Bazel) line(cmd string, opts []string, labels []string) []string {
	args := append([]string{cmd}, opts...)
	if len(labels) > 0 {
		args = append(append(args, "--"), labels...)
	}
	return args
}

// Command returns a command line for messages.
func (b *Bazel) Command(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = shellQuote(a)
	}
	return fmt.Sprintf("(cd %s && %s %s)", shellQuote(b.Dir), shellQuote(b.Binary), strings.Join(q, " "))
}

func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("@%+=:,./_-", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// credentialVars are the variables that carry a token to GitHub, Git or
// GitHub Actions, dropped from Bazel's environment whatever their value.
var credentialVars = map[string]bool{
	"GITHUB_TOKEN": true, "GH_TOKEN": true, "GITHUB_ENTERPRISE_TOKEN": true, "GH_ENTERPRISE_TOKEN": true,
	"RELEASE_TOKEN": true, "ACTIONS_RUNTIME_TOKEN": true, "ACTIONS_ID_TOKEN_REQUEST_TOKEN": true,
	"ACTIONS_ID_TOKEN_REQUEST_URL": true, "GIT_CONFIG": true,
}

// scrubEnv returns environ ("NAME=value" entries) without the variables
// that may carry a credential (see [Bazel]).
func scrubEnv(environ, secrets []string) []string {
	out := []string{}
	for _, kv := range environ {
		name, value, _ := strings.Cut(kv, "=")
		upper := strings.ToUpper(name)
		if credentialVars[upper] || strings.HasPrefix(upper, "GIT_CONFIG_") ||
			strings.Contains(upper, "TOKEN") || strings.Contains(upper, "SECRET") || strings.Contains(upper, "PASSWORD") {
			continue
		}
		if slices.ContainsFunc(secrets, func(s string) bool { return s != "" && strings.Contains(value, s) }) {
			continue
		}
		out = append(out, kv)
	}
	return out
}

// env returns Bazel's environment: Environ's, scrubbed of credentials.
func (b *Bazel) env() []string {
	environ := os.Environ
	if b.Environ != nil {
		environ = b.Environ
	}
	return scrubEnv(environ(), b.Secrets)
}

// commandError is a failed Bazel command; stderr is what it printed
// there.
type commandError struct {
	msg    string
	stderr string
}

func (e *commandError) Error() string { return e.msg }

func (b *Bazel) run(ctx context.Context, stdout io.Writer, args []string) error {
	cmd := exec.CommandContext(ctx, b.Binary, args...)
	cmd.Dir = b.Dir
	cmd.Env = b.env()
	cmd.Stdout = stdout
	var stderr bytes.Buffer
	cmd.Stderr = io.MultiWriter(b.Log, &stderr)
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 2000 {
			msg = "..." + msg[len(msg)-2000:]
		}
		if msg != "" {
			msg = ":\n" + msg
		}
		return &commandError{msg: fmt.Sprintf("%s failed (%v)%s", b.Command(args), err, msg), stderr: stderr.String()}
	}
	return nil
}

// BuildArgs, TestArgs and CqueryArgs return the command lines that
// Build, Test and Output run.
func (b *Bazel) BuildArgs(labels []string) []string {
	return b.line("build", b.options(true), labels)
}

func (b *Bazel) TestArgs(labels []string) []string {
	return b.line("test", append(b.options(false), "--test_output=errors"), labels)
}

func (b *Bazel) CqueryArgs(label string) []string {
	return b.line("cquery", append(b.options(true), "--output=files"), []string{label})
}

// QueryArgs returns the command line that Query runs: bazel query, with
// the override and the extra options of the builds (not --stamp, which
// is no query option).
func (b *Bazel) QueryArgs(label string) []string {
	return b.line("query", b.options(false), []string{label})
}

// MissingLabelError says that a label names no target of the OpenTitan
// checkout, as bazel query found.
type MissingLabelError struct {
	Label string
	// Detail is Bazel's message, such as "ERROR: no such target ...".
	Detail string
}

func (e *MissingLabelError) Error() string {
	return fmt.Sprintf("%s does not exist: %s", e.Label, e.Detail)
}

// Query checks with bazel query, which builds nothing, that label names a
// target. It returns a *MissingLabelError if Bazel says there is no such
// target or package (or repository).
func (b *Bazel) Query(ctx context.Context, label string) error {
	err := b.run(ctx, io.Discard, b.QueryArgs(label))
	var ce *commandError
	if errors.As(err, &ce) {
		for _, line := range strings.Split(ce.stderr, "\n") {
			if strings.Contains(line, "no such target") || strings.Contains(line, "no such package") || strings.Contains(line, "No repository visible") {
				return &MissingLabelError{Label: label, Detail: strings.TrimSpace(line)}
			}
		}
	}
	return err
}

// Build builds labels, stamped.
func (b *Bazel) Build(ctx context.Context, labels []string) error {
	return b.run(ctx, b.Log, b.BuildArgs(labels))
}

// Test runs the tests labels.
func (b *Bazel) Test(ctx context.Context, labels []string) error {
	return b.run(ctx, b.Log, b.TestArgs(labels))
}

// Output returns the absolute path of the one file that label builds,
// found with cquery --output=files (as ot-sku's release flow does). It
// fails unless there is exactly one, and it exists.
func (b *Bazel) Output(ctx context.Context, label string) (string, error) {
	files, err := b.outputs(ctx, label)
	if err != nil {
		return "", err
	}
	if err := oneOutput(label, files); err != nil {
		return "", err
	}
	p := files[0]
	if !filepath.IsAbs(p) {
		execRoot, err := b.execRoot(ctx)
		if err != nil {
			return "", err
		}
		p = filepath.Join(execRoot, filepath.FromSlash(p))
	}
	fi, err := os.Stat(p)
	if err != nil {
		return "", fmt.Errorf("the output %s of %s: %w (did the build succeed?)", files[0], label, err)
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("the output %s of %s is not a regular file", files[0], label)
	}
	return p, nil
}

// outputs returns the files that label builds, as cquery --output=files
// lists them (relative to the execution root), building nothing.
func (b *Bazel) outputs(ctx context.Context, label string) ([]string, error) {
	var out bytes.Buffer
	if err := b.run(ctx, &out, b.CqueryArgs(label)); err != nil {
		return nil, err
	}
	var files []string
	for _, line := range strings.Split(out.String(), "\n") {
		if p := strings.TrimSpace(line); p != "" {
			files = append(files, p)
		}
	}
	return files, nil
}

// oneOutput fails unless label builds exactly one file.
func oneOutput(label string, files []string) error {
	if len(files) != 1 {
		return fmt.Errorf("%s builds %d files (%s), not exactly one archive; make the label a single .tar.xz or .zip, such as a pkg_tar", label, len(files), strings.Join(files, " "))
	}
	return nil
}

// execRoot returns Bazel's execution root, to which cquery's paths are
// relative; it asks Bazel once.
func (b *Bazel) execRoot(ctx context.Context) (string, error) {
	if b.root != "" {
		return b.root, nil
	}
	var out bytes.Buffer
	if err := b.run(ctx, &out, append(append([]string{"info"}, b.options(true)...), "execution_root")); err != nil {
		return "", err
	}
	b.root = strings.TrimSpace(out.String())
	return b.root, nil
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
		// A rehearsal: the labels must exist, and cquery names each
		// archive, but nothing is built.
		if err := r.checkLabels(ctx, labels); err != nil {
			return err
		}
		r.note("would run %s", b.Command(b.BuildArgs(labels)))
		for _, a := range todo {
			r.note("running %s", b.Command(b.CqueryArgs(a.label)))
			files, err := b.outputs(ctx, a.label)
			if err != nil {
				r.note("cannot tell the archive of %s without building it: %v", a.label, err)
				r.note("%s: %s will build %s", a.artifact, a.label, a.assetName())
				continue
			}
			if err := oneOutput(a.label, files); err != nil {
				return err
			}
			base := path.Base(filepath.ToSlash(files[0]))
			ext := archiveExt(base)
			if ext == "" {
				return fmt.Errorf("%s builds %s, which is neither a .tar.xz nor a .zip archive", a.label, base)
			}
			a.name = a.entry + ext
			r.note("%s: %s will build %s (not built in a dry run), published as %s", a.artifact, a.label, base, a.name)
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

// checkLabels is a dry run's rehearsal of a build or test of labels: bazel
// query, which builds nothing, checks each one in the OpenTitan checkout
// with the builds' options. It fails naming every label that names no
// target there.
func (r *Runner) checkLabels(ctx context.Context, labels []string) error {
	b := &r.cfg.Bazel
	settings := r.cfg.SettingsPath
	if settings == "" {
		settings = DefaultSettingsPath
	}
	var missing []string
	for _, l := range labels {
		r.note("running %s", b.Command(b.QueryArgs(l)))
		err := b.Query(ctx, l)
		var ml *MissingLabelError
		if errors.As(err, &ml) {
			missing = append(missing, fmt.Sprintf("the artifact settings (%s) name %s, which the OpenTitan checkout at %s does not have: %s", settings, l, b.Dir, ml.Detail))
			continue
		}
		if err != nil {
			return err
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%s\nfix the label in %s (a pull request into the main branch), or use an OpenTitan checkout that has it", strings.Join(missing, "\n"), settings)
	}
	r.note("bazel query finds %s in %s", strings.Join(labels, " and "), b.Dir)
	return nil
}
