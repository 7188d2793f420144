// Package bazelfind finds a real Bazel for the end-to-end suite and the demo:
// $BAZEL, then bazelisk or bazel on PATH, then (on Debian) the offline rig
// that e2e/rig/rig.sh builds. Anything older than MinVersion is refused with
// the reason.
package bazelfind

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// minBazel is the oldest Bazel the module supports: module extensions with
// attr.string_keyed_label_dict and module_ctx.read watching arrived in 7.1.
var MinVersion = Version{7, 1, 0}

// requireEnv names the variable that turns "no Bazel available" into a
// failure. CI sets it; locally the suite skips instead.
const RequireEnv = "OT_E2E_REQUIRE_BAZEL"

// howToGetBazel is printed whenever no usable Bazel was found.
const HowToGet = `to run the end-to-end suite, either
  - set BAZEL to a Bazel >= 7.1 or put bazelisk on PATH:  BAZEL=bazelisk go test ./e2e/...
  - or, as root on Debian, build the offline rig:        e2e/rig/rig.sh up
see e2e/README.md`

// Bazel is a usable Bazel, and how it was found.
type Bazel struct {
	Path    string // absolute path, or a name found on PATH
	Version Version
	Source  string // "$BAZEL", "PATH", or "offline rig"
	Rig     bool   // the offline rig's chroot wrapper
}

// Version is a Bazel release number.
type Version struct{ Major, Minor, Patch int }

func (v Version) String() string { return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch) }

// Less reports whether v is older than w.
func (v Version) Less(w Version) bool {
	if v.Major != w.Major {
		return v.Major < w.Major
	}
	if v.Minor != w.Minor {
		return v.Minor < w.Minor
	}
	return v.Patch < w.Patch
}

var versionRE = regexp.MustCompile(`^bazel (\d+)\.(\d+)\.(\d+)`)

// ParseVersion reads the first line of `bazel --version`, for example
// "bazel 7.7.1" or "bazel 7.7.1- (@non-git)".
func ParseVersion(out string) (Version, error) {
	line, _, _ := strings.Cut(strings.TrimSpace(out), "\n")
	m := versionRE.FindStringSubmatch(strings.TrimSpace(line))
	if m == nil {
		return Version{}, fmt.Errorf("cannot read a version from %q", line)
	}
	var v Version
	v.Major, _ = strconv.Atoi(m[1])
	v.Minor, _ = strconv.Atoi(m[2])
	v.Patch, _ = strconv.Atoi(m[3])
	return v, nil
}

// probe runs `<path> --version` and checks the result against MinVersion.
func probe(path, source string) (*Bazel, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "--version").CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("%s (%s): `--version` failed: %v\n%s", path, source, err, out)
	}
	v, err := ParseVersion(string(out))
	if err != nil {
		return nil, fmt.Errorf("%s (%s): %v", path, source, err)
	}
	if v.Less(MinVersion) {
		return nil, fmt.Errorf("%s (%s) is bazel %s, older than the %s this module needs (Debian bookworm's bazel-bootstrap is 4.2.3)", path, source, v, MinVersion)
	}
	return &Bazel{Path: path, Version: v, Source: source}, nil
}

// Find looks for a usable Bazel: $BAZEL, then bazelisk or bazel on PATH,
// then (on Debian) the offline rig. It returns every rejected candidate with
// the reason, so that a skip or a failure can say what was tried.
func Find(repoRoot string) (*Bazel, []string, error) {
	var tried []string
	if p := os.Getenv("BAZEL"); p != "" {
		b, err := probe(p, "$BAZEL")
		if err != nil {
			// An explicit choice that does not work is an error, not a
			// reason to pick something else silently.
			return nil, nil, err
		}
		return b, nil, nil
	}
	for _, name := range []string{"bazelisk", "bazel"} {
		p, err := exec.LookPath(name)
		if err != nil {
			continue
		}
		b, err := probe(p, "PATH")
		if err != nil {
			tried = append(tried, err.Error())
			continue
		}
		return b, tried, nil
	}
	if !isDebian() {
		return nil, append(tried, "not a Debian host, so the offline rig is not available"), nil
	}
	rig := filepath.Join(repoRoot, "e2e", "rig", "rig.sh")
	cmd := "path"
	if os.Geteuid() == 0 {
		cmd = "up" // builds the rig once, then reuses it
	}
	var stderr bytes.Buffer
	c := exec.Command("bash", rig, cmd)
	c.Stderr = &stderr
	out, err := c.Output()
	if err != nil {
		return nil, append(tried, fmt.Sprintf("offline rig: %s %s failed: %v\n%s", rig, cmd, err, stderr.String())), nil
	}
	b, err := probe(strings.TrimSpace(string(out)), "offline rig")
	if err != nil {
		return nil, append(tried, err.Error()), nil
	}
	b.Rig = true
	return b, tried, nil
}

func isDebian() bool {
	if runtime.GOOS != "linux" {
		return false
	}
	_, err := os.Stat("/etc/debian_version")
	return err == nil
}

// RepoRoot is the directory holding this module's MODULE.bazel and e2e/:
// the current directory or the nearest parent that has both.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "MODULE.bazel")); err == nil {
			if _, err := os.Stat(filepath.Join(dir, "e2e")); err == nil {
				return dir, nil
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("cannot find the repository root (a directory with MODULE.bazel and e2e/)")
		}
		dir = parent
	}
}
