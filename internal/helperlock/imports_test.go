package helperlock

import (
	"os/exec"
	"strings"
	"testing"
)

// TestStdlibOnly keeps the package free of dependencies outside the
// standard library, so that the helper may import it and still build
// offline at fetch time.
func TestStdlibOnly(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}} {{.Standard}}", ".").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		path, std, _ := strings.Cut(line, " ")
		if std != "true" && path != "github.com/ot-provisioning-exts/ot-provisioning-exts/internal/helperlock" {
			t.Errorf("helperlock depends on %s, which is not in the standard library", path)
		}
	}
}
