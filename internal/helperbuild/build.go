package helperbuild

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/extrasfile"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/helperlock"
)

// GoMod is the go.mod that the repository rule writes next to HELPER_SRCS
// (extensions/private/helper_repo.bzl's _GO_MOD; a test keeps the two
// equal): the prebuilt binaries are compiled as the fallback compiles.
const GoMod = `module github.com/ot-provisioning-exts/ot-provisioning-exts

go 1.22
`

// Package is the helper's package, relative to the module root.
const Package = "./tools/extras_helper"

// Builder cross-compiles the helper reproducibly: the bytes depend only on
// HELPER_SRCS and the Go toolchain, not on the checkout's path, its other
// files, git, the build cache or the caller's Go environment.
type Builder struct {
	// Go is the go command; "" means "go" on PATH.
	Go string
	// Env is added to the environment of the go command, for GOCACHE or
	// GOTMPDIR: the variables that change where Go works, not what it
	// builds.
	Env []string
}

// keptGoVars are the Go variables of the caller's environment that Build
// passes on: they change where Go keeps its files, never the output.
var keptGoVars = map[string]bool{"GOCACHE": true, "GOTMPDIR": true, "GOPATH": true, "GOMODCACHE": true}

// env is the go command's environment: the caller's, minus every other Go
// variable (GOFLAGS, GOAMD64, GOEXPERIMENT, ... would change the bytes),
// plus the settings of a reproducible, offline build for goos/goarch.
func (b *Builder) env(goos, goarch string) []string {
	overridden := map[string]bool{}
	for _, kv := range b.Env {
		k, _, _ := strings.Cut(kv, "=")
		overridden[k] = true
	}
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if (strings.HasPrefix(k, "GO") || k == "CGO_ENABLED") && !keptGoVars[k] || overridden[k] {
			continue
		}
		env = append(env, kv)
	}
	env = append(env,
		"CGO_ENABLED=0",
		"GOOS="+goos,
		"GOARCH="+goarch,
		// The baseline of each architecture, as a user's machine may be
		// any of them.
		"GOAMD64=v1",
		"GOARM64=v8.0",
		"GOFLAGS=-mod=mod",
		"GOTOOLCHAIN=local",
		"GOPROXY=off",
		"GOWORK=off",
		"GOENV=off",
	)
	return append(env, b.Env...)
}

// Build compiles the helper from the HELPER_SRCS of the module at srcRoot
// for platform (one of helperlock.Platforms) into the file out, which it
// replaces atomically. It copies only the HELPER_SRCS files and GoMod into
// a temporary directory and runs
//
//	go build -trimpath -buildvcs=false -ldflags=-buildid= ./tools/extras_helper
//
// there, with CGO_ENABLED=0 and no network.
func (b *Builder) Build(ctx context.Context, srcRoot, platform, out string) error {
	goos, goarch, ok := helperlock.SplitPlatform(platform)
	if !ok {
		return fmt.Errorf("cannot build the helper for %q: the platforms are %s", platform, strings.Join(helperlock.Platforms, ", "))
	}
	files, err := ReadSources(srcRoot)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "extras_helper-build-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	src := filepath.Join(tmp, "src")
	files["go.mod"] = []byte(GoMod)
	for p, data := range files {
		name := filepath.Join(src, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(name, data, 0o644); err != nil {
			return err
		}
	}
	goCmd := b.Go
	if goCmd == "" {
		goCmd = "go"
	}
	bin := filepath.Join(tmp, "extras_helper")
	cmd := exec.CommandContext(ctx, goCmd, "build", "-trimpath", "-buildvcs=false", "-ldflags=-buildid=", "-o", bin, Package)
	cmd.Dir = src
	cmd.Env = b.env(goos, goarch)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("building the helper for %s with %s: %v\n%s", platform, goCmd, err, strings.TrimSpace(stderr.String()))
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		return err
	}
	if err := extrasfile.WriteAtomic(out, data); err != nil {
		return err
	}
	return os.Chmod(out, 0o755)
}

// GoVersion returns the version of the go command (such as "go1.26.8"),
// as it would build with the environment Build gives it.
func (b *Builder) GoVersion(ctx context.Context) (string, error) {
	goCmd := b.Go
	if goCmd == "" {
		goCmd = "go"
	}
	cmd := exec.CommandContext(ctx, goCmd, "env", "GOVERSION")
	cmd.Env = b.env("linux", "amd64")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%s env GOVERSION: %v\n%s", goCmd, err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(out)), nil
}

// ResolveGo returns a go command of Go version (such as "1.26.8", the
// lock's go_version): goCmd itself if it is that version, else the
// toolchain that goCmd's GOTOOLCHAIN mechanism downloads from the Go module
// proxy (the module golang.org/toolchain, checked against the checksum
// database: the same zip the lock pins). The prebuilt helper is always
// built with the lock's Go.
func ResolveGo(ctx context.Context, goCmd, version string) (string, error) {
	if goCmd == "" {
		goCmd = "go"
	}
	cmd := exec.CommandContext(ctx, goCmd, "env", "GOVERSION", "GOROOT")
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=go"+version)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("getting Go %s (GOTOOLCHAIN=go%s %s env GOROOT): %v\n%s", version, version, goCmd, err, strings.TrimSpace(stderr.String()))
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 2 || lines[0] != "go"+version {
		return "", fmt.Errorf("GOTOOLCHAIN=go%s %s env GOVERSION GOROOT printed %q, not Go %s", version, goCmd, out, version)
	}
	return filepath.Join(lines[1], "bin", "go"), nil
}
