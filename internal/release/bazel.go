package release

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/tarxz"
)

// Bazel runs the bazel binary in a workspace.
type Bazel struct {
	Binary string   // the bazel (or bazelisk) binary
	Dir    string   // the workspace
	Args   []string // options for build, cquery and info, such as --config=release
	Log    io.Writer
}

// command describes a bazel command line for messages.
func (b *Bazel) command(args ...string) string {
	return strings.Join(append([]string{b.Binary}, args...), " ")
}

func (b *Bazel) run(ctx context.Context, stdout io.Writer, args ...string) error {
	cmd := exec.CommandContext(ctx, b.Binary, args...)
	cmd.Dir = b.Dir
	cmd.Stdout = stdout
	var stderr bytes.Buffer
	cmd.Stderr = io.MultiWriter(b.Log, &stderr)
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if i := strings.LastIndex(msg, "\n"); i >= 0 && len(msg) > 2000 {
			msg = "..." + msg[i:]
		}
		if msg != "" {
			msg = ": " + msg
		}
		return fmt.Errorf("%s failed (%v)%s", b.command(args...), err, msg)
	}
	return nil
}

// BuildCommand returns the build command line, for messages.
func (b *Bazel) BuildCommand(targets []string) string {
	return b.command(b.buildArgs(targets)...)
}

func (b *Bazel) buildArgs(targets []string) []string {
	args := append([]string{"build"}, b.Args...)
	return append(append(args, "--"), targets...)
}

// Build builds targets.
func (b *Bazel) Build(ctx context.Context, targets []string) error {
	return b.run(ctx, b.Log, b.buildArgs(targets)...)
}

// Outputs returns the files that targets build (their default outputs),
// as absolute paths, each with its path relative to Bazel's bin directory
// ("sw/device/perso.bin"), which is its name in archives.
func (b *Bazel) Outputs(ctx context.Context, targets []string) ([]tarxz.File, error) {
	var root bytes.Buffer
	if err := b.run(ctx, &root, append(append([]string{"info"}, b.Args...), "execution_root")...); err != nil {
		return nil, err
	}
	execRoot := strings.TrimSpace(root.String())
	var out bytes.Buffer
	query := "set(" + strings.Join(targets, " ") + ")"
	if err := b.run(ctx, &out, append(append([]string{"cquery", "--output=files"}, b.Args...), query)...); err != nil {
		return nil, err
	}
	var files []tarxz.File
	for _, line := range strings.Split(out.String(), "\n") {
		p := strings.TrimSpace(line)
		if p == "" {
			continue
		}
		abs := p
		if !filepath.IsAbs(p) {
			abs = filepath.Join(execRoot, filepath.FromSlash(p))
		}
		name := shortPath(filepath.ToSlash(p))
		fi, err := os.Stat(abs)
		if err != nil {
			return nil, fmt.Errorf("output %s of %s: %w (did the build succeed?)", p, query, err)
		}
		if !fi.IsDir() {
			files = append(files, tarxz.File{Name: name, Source: abs})
			continue
		}
		// A directory output (tree artifact): take every file in it.
		err = filepath.WalkDir(abs, func(q string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(abs, q)
			files = append(files, tarxz.File{Name: path.Join(name, filepath.ToSlash(rel)), Source: q})
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("output directory %s: %w", p, err)
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s builds no files; check the targets", query)
	}
	slices.SortFunc(files, func(a, b tarxz.File) int { return strings.Compare(a.Name, b.Name) })
	return files, nil
}

// shortPath strips bazel-out/<config>/bin/ (or genfiles) from an output
// path relative to the execution root; source files keep their path.
func shortPath(p string) string {
	parts := strings.Split(p, "/")
	if len(parts) > 3 && parts[0] == "bazel-out" && (parts[2] == "bin" || parts[2] == "genfiles") {
		return strings.Join(parts[3:], "/")
	}
	if path.IsAbs(p) {
		return path.Base(p)
	}
	return p
}

// SumsName is the checksum file added to every archive.
const SumsName = "SHA256SUMS"

// withSums returns files plus SHA256SUMS, which lists the sha256 of every
// file in the format of sha256sum(1), sorted by name.
func withSums(files []tarxz.File) ([]tarxz.File, map[string]string, error) {
	sums := map[string]string{}
	var b strings.Builder
	for _, f := range files {
		if f.Name == SumsName {
			return nil, nil, fmt.Errorf("an output is called %s, which the archive's checksum file uses; rename it", SumsName)
		}
		data := f.Data
		if f.Source != "" {
			var err error
			if data, err = os.ReadFile(f.Source); err != nil {
				return nil, nil, err
			}
		}
		h := sha256.Sum256(data)
		sums[f.Name] = hex.EncodeToString(h[:])
		fmt.Fprintf(&b, "%s  %s\n", sums[f.Name], f.Name)
	}
	return append(slices.Clone(files), tarxz.File{Name: SumsName, Data: []byte(b.String())}), sums, nil
}
