package helperbuild

import (
	"bytes"
	"context"
	"debug/elf"
	"debug/macho"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestBuildReproducible builds the helper twice per platform, from two
// copies of the sources in different directories with different build
// caches, and wants the same bytes.
func TestBuildReproducible(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the helper and the standard library four times; skipped under -short")
	}
	ctx := context.Background()
	// The second checkout holds only HELPER_SRCS and helper_srcs.bzl, in
	// another directory, plus a stray file: nothing else may count.
	other := filepath.Join(t.TempDir(), "elsewhere", "checkout")
	files, err := ReadSources(root)
	if err != nil {
		t.Fatal(err)
	}
	srcs, err := os.ReadFile(filepath.Join(root, SrcsFile))
	if err != nil {
		t.Fatal(err)
	}
	files[SrcsFile] = srcs
	files["tools/extras_helper/stray_test.go"] = []byte("package main\n\nimport \"testing\"\n\nfunc TestStray(t *testing.T) {}\n")
	for p, data := range files {
		name := filepath.Join(other, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b1 := &Builder{Env: []string{"GOCACHE=" + t.TempDir()}}
	b2 := &Builder{Env: []string{"GOCACHE=" + t.TempDir()}}
	for _, platform := range []string{"linux_amd64", "darwin_arm64"} {
		t.Run(platform, func(t *testing.T) {
			out1 := filepath.Join(t.TempDir(), "a")
			out2 := filepath.Join(t.TempDir(), "b", "extras_helper")
			if err := os.MkdirAll(filepath.Dir(out2), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := b1.Build(ctx, root, platform, out1); err != nil {
				t.Fatal(err)
			}
			if err := b2.Build(ctx, other, platform, out2); err != nil {
				t.Fatal(err)
			}
			a, err := os.ReadFile(out1)
			if err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(out2)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a, b) {
				t.Fatalf("two builds of the helper for %s differ: %d and %d bytes", platform, len(a), len(b))
			}
			if fi, err := os.Stat(out1); err != nil || fi.Mode().Perm()&0o111 == 0 {
				t.Errorf("%s is not executable: %v %v", out1, fi.Mode(), err)
			}
			checkFormat(t, platform, out1)
			// No trace of where it was built.
			for _, dir := range []string{other, "extras_helper-build-"} {
				if bytes.Contains(a, []byte(dir)) {
					t.Errorf("the binary contains the path %s", dir)
				}
			}
		})
	}
}

func checkFormat(t *testing.T, platform, file string) {
	t.Helper()
	switch platform {
	case "linux_amd64":
		f, err := elf.Open(file)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if f.Machine != elf.EM_X86_64 {
			t.Errorf("%s is for %v", platform, f.Machine)
		}
		if f.Section(".interp") != nil {
			t.Errorf("the %s binary is dynamically linked", platform)
		}
	case "darwin_arm64":
		f, err := macho.Open(file)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if f.Cpu != macho.CpuArm64 {
			t.Errorf("%s is for %v", platform, f.Cpu)
		}
	}
}

// TestEnv checks that the caller's Go settings, which would change the
// bytes, never reach the go command, and that Build's own win.
func TestEnv(t *testing.T) {
	t.Setenv("GOFLAGS", "-ldflags=-X=main.x=y")
	t.Setenv("GOEXPERIMENT", "boringcrypto")
	t.Setenv("GOAMD64", "v3")
	t.Setenv("CGO_ENABLED", "1")
	t.Setenv("GOCACHE", "/cache")
	t.Setenv("GOTMPDIR", "/ignored")
	b := &Builder{Env: []string{"GOTMPDIR=/gotmp"}}
	got := map[string]string{}
	for _, kv := range b.env("darwin", "arm64") {
		k, v, _ := strings.Cut(kv, "=")
		if _, dup := got[k]; dup {
			t.Errorf("%s is set twice", k)
		}
		got[k] = v
	}
	for k, want := range map[string]string{
		"GOFLAGS": "-mod=mod", "GOAMD64": "v1", "CGO_ENABLED": "0", "GOOS": "darwin", "GOARCH": "arm64",
		"GOTOOLCHAIN": "local", "GOPROXY": "off", "GOENV": "off", "GOCACHE": "/cache", "GOTMPDIR": "/gotmp",
	} {
		if got[k] != want {
			t.Errorf("%s=%q, want %q", k, got[k], want)
		}
	}
	if v, ok := got["GOEXPERIMENT"]; ok {
		t.Errorf("GOEXPERIMENT=%q reaches the go command", v)
	}
}

func TestBuildErrors(t *testing.T) {
	ctx := context.Background()
	b := &Builder{}
	if err := b.Build(ctx, root, "windows_amd64", filepath.Join(t.TempDir(), "x")); err == nil || !strings.Contains(err.Error(), `cannot build the helper for "windows_amd64": the platforms are darwin_amd64,`) {
		t.Errorf("Build(windows_amd64): %v", err)
	}
	b = &Builder{Go: filepath.Join(t.TempDir(), "no-go")}
	if err := b.Build(ctx, root, "linux_amd64", filepath.Join(t.TempDir(), "x")); err == nil || !strings.Contains(err.Error(), "building the helper for linux_amd64 with") {
		t.Errorf("Build with a missing go: %v", err)
	}
}

func TestGoVersion(t *testing.T) {
	v, err := (&Builder{}).GoVersion(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^go1\.[0-9]+`).MatchString(v) {
		t.Errorf("GoVersion() = %q", v)
	}
}

// TestGoModMatchesRepositoryRule keeps GoMod equal to the go.mod that
// extensions/private/helper_repo.bzl writes for the fallback compile.
func TestGoModMatchesRepositoryRule(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(root, "extensions/private/helper_repo.bzl"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)\n_GO_MOD = (""".*?""")\n`).FindSubmatch(data)
	if m == nil {
		t.Fatal(`extensions/private/helper_repo.bzl has no _GO_MOD = """...""": update this test to find the go.mod it writes`)
	}
	got, err := strconv.Unquote("`" + strings.Trim(string(m[1]), `"`) + "`")
	if err != nil {
		t.Fatal(err)
	}
	if got != GoMod {
		t.Errorf("helper_repo.bzl's _GO_MOD is %q, helperbuild.GoMod is %q: the prebuilt helper must be compiled as the fallback compiles", got, GoMod)
	}
}

func TestResolveGo(t *testing.T) {
	ctx := context.Background()
	v, err := (&Builder{}).GoVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	goBin, err := ResolveGo(ctx, "", strings.TrimPrefix(v, "go"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := (&Builder{Go: goBin}).GoVersion(ctx); err != nil || got != v {
		t.Errorf("ResolveGo(%s) = %s, which is %q (%v)", v, goBin, got, err)
	}
	// Another version is downloaded; with no proxy it cannot be.
	t.Setenv("GOPROXY", "off")
	if _, err := ResolveGo(ctx, "", "1.99.0"); err == nil || !strings.Contains(err.Error(), "getting Go 1.99.0") {
		t.Errorf("ResolveGo(1.99.0) with GOPROXY=off: %v", err)
	}
}
