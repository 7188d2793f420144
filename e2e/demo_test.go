package e2e

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestDemo runs the README's main-job command, go run ./e2e/cmd/demo, with
// the suite's Bazel, and checks that it printed the hub's targets: one
// folder and one alias per sample archive.
func TestDemo(t *testing.T) {
	b := requireBazel(t)
	cmd := exec.Command("go", "run", "./e2e/cmd/demo")
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), "BAZEL="+b.Path)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go run ./e2e/cmd/demo: %v\nstdout:\n%s\nstderr:\n%s", err, out, stderr.String())
	}
	for _, name := range []string{"presign_perso", "presign_rom_ext", "perso_release", "rom_ext_release"} {
		for _, label := range []string{
			"@provisioning_exts_extra//:" + name,
			"@provisioning_exts_extra//" + name + ":" + name,
		} {
			if !strings.Contains(string(out), label+"\n") {
				t.Errorf("the demo's output lacks %s:\n%s", label, out)
			}
		}
	}
	if !strings.Contains(stderr.String(), "Build completed successfully") {
		t.Errorf("the demo's Bazel did not report a successful build:\n%s", stderr.String())
	}
}
