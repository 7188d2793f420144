package lint

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
)

// TestActionlint lints every GitHub Actions workflow with actionlint, used
// as a library: syntax, expressions and their types, action inputs, runner
// labels, permissions, and untrusted input in scripts. The shellcheck and
// pyflakes integrations are off (those binaries are not installed here).
func TestActionlint(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	dir := filepath.Join(root, ".github", "workflows")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("reading %s: %v", dir, err)
	}
	var files []string
	for _, e := range entries {
		if n := e.Name(); !e.IsDir() && (strings.HasSuffix(n, ".yml") || strings.HasSuffix(n, ".yaml")) {
			files = append(files, filepath.Join(dir, n))
		}
	}
	if len(files) == 0 {
		t.Fatalf("no workflow in %s", dir)
	}
	var out bytes.Buffer
	l, err := actionlint.NewLinter(&out, &actionlint.LinterOptions{
		Color:      actionlint.ColorOptionKindNever,
		Oneline:    true,
		Shellcheck: "", // off: no shellcheck binary
		Pyflakes:   "", // off: no pyflakes binary
		WorkingDir: root,
	})
	if err != nil {
		t.Fatal(err)
	}
	errs, err := l.LintFiles(files, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(errs) > 0 {
		t.Errorf("actionlint found %d problems:\n%s", len(errs), out.String())
	}
	t.Logf("actionlint checked %d workflows", len(files))
}

// TestWorkflowPermissions checks what actionlint does not: that every
// workflow drops the token's default permissions, that only the release
// workflows may write (presign and postsign; helper writes through its
// secret only), and that a token comes from a secret only: the
// release workflows' from the RELEASE_TOKEN secret (docs/release.md), any
// other's from secrets.GITHUB_TOKEN.
func TestWorkflowPermissions(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	want := map[string][]string{
		"ci.yml":       {"contents: read"},
		"presign.yml":  {"permissions: {}", "contents: write"},
		"postsign.yml": {"permissions: {}", "contents: write", "pull-requests: write"},
		// Every write of helper.yml goes through RELEASE_TOKEN; its own
		// token only checks out, and its checkout keeps no credentials.
		"helper.yml": {"permissions: {}", "contents: read", "persist-credentials: false"},
	}
	for name, needles := range want {
		b, err := os.ReadFile(filepath.Join(root, ".github", "workflows", name))
		if err != nil {
			t.Error(err)
			continue
		}
		s := string(b)
		for _, n := range needles {
			if !strings.Contains(s, n) {
				t.Errorf("%s lacks %q", name, n)
			}
		}
		if name == "presign.yml" && strings.Contains(s, "pull-requests: write") {
			t.Errorf("%s asks for pull-requests: write, which presign does not need", name)
		}
		if (name == "ci.yml" || name == "helper.yml") && strings.Contains(s, ": write") {
			t.Errorf("%s asks for a write permission", name)
		}
		secret := "${{ secrets.GITHUB_TOKEN }}"
		if name != "ci.yml" {
			secret = "${{ secrets.RELEASE_TOKEN }}"
			if !strings.Contains(s, "GITHUB_TOKEN: "+secret) {
				t.Errorf("%s does not give the release tool the RELEASE_TOKEN secret", name)
			}
		}
		for _, line := range strings.Split(s, "\n") {
			if strings.Contains(line, "GITHUB_TOKEN:") && !strings.Contains(line, secret) {
				t.Errorf("%s: the token must come from %s: %s", name, secret, strings.TrimSpace(line))
			}
		}
		if name == "ci.yml" {
			continue
		}
		// The release workflows run OpenTitan's code (Bazel) or publish
		// with RELEASE_TOKEN: no checkout may keep credentials in
		// .git/config, where that code could read them.
		steps := checkoutSteps(s)
		if len(steps) == 0 {
			t.Errorf("%s has no actions/checkout step", name)
		}
		for _, step := range steps {
			if !slices.Contains(strings.Split(step, "\n"), "persist-credentials: false") {
				t.Errorf("%s: a checkout keeps its credentials; give it persist-credentials: false:\n%s", name, step)
			}
		}
	}
}

// checkoutSteps returns the steps of workflow that use actions/checkout,
// each as its lines, trimmed of the indentation.
func checkoutSteps(workflow string) []string {
	lines := strings.Split(workflow, "\n")
	indent := func(l string) int { return len(l) - len(strings.TrimLeft(l, " ")) }
	var out []string
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if !strings.HasPrefix(strings.TrimPrefix(t, "- "), "uses: actions/checkout@") {
			continue
		}
		// The step starts at the nearest "- " line at or above it.
		start := i
		for start > 0 && !strings.HasPrefix(strings.TrimSpace(lines[start]), "- ") {
			start--
		}
		var step []string
		for j := start; j < len(lines); j++ {
			if j > start && strings.TrimSpace(lines[j]) != "" && indent(lines[j]) <= indent(lines[start]) {
				break
			}
			step = append(step, strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(lines[j]), "- ")))
		}
		out = append(out, strings.Join(step, "\n"))
	}
	return out
}
