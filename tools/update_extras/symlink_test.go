package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSymlinksNeverFollowed plants symbolic links where the tool writes
// (the lock, extras.json, a temporary file's name) pointing at a victim
// file outside the repository, as a pull request could commit them, and
// checks that set, fmt and remove leave the victim byte-for-byte as it was.
func TestSymlinksNeverFollowed(t *testing.T) {
	// Not in the canonical encoding, so fmt would rewrite it, and with the
	// entry that set and remove change.
	const victimFmt = `{"perso_release": {"urls": ["%s/a.tar.gz"], "sha256": "%s", "strip_prefix": "rel-1.0"}}` + "\n"
	commands := []struct {
		name string
		args func(w *workspace) []string
	}{
		{"set", func(w *workspace) []string { return []string{"set", "perso_release", w.srv.URL + "/b.tar.gz"} }},
		{"fmt", func(*workspace) []string { return []string{"fmt"} }},
		{"remove", func(*workspace) []string { return []string{"remove", "perso_release"} }},
	}
	for _, tc := range []struct {
		name string
		// plant makes the link to victim in w; it returns the link's
		// name in the error, "" if the command must succeed.
		plant func(t *testing.T, w *workspace, victim string) string
	}{
		{"lock is a link", func(t *testing.T, w *workspace, victim string) string {
			mustSymlink(t, victim, w.extrasPath()+".lock")
			return "skus/extras.json.lock"
		}},
		{"extras.json is a link outside the repository", func(t *testing.T, w *workspace, victim string) string {
			os.Remove(w.extrasPath())
			mustSymlink(t, victim, w.extrasPath())
			return "skus/extras.json"
		}},
		// Temporary names are random and created with O_EXCL, so a
		// planted one is never opened; the command succeeds.
		{"temporary name is a link", func(t *testing.T, w *workspace, victim string) string {
			for _, n := range []string{".extras.json.tmp-1", ".extras.json.tmp-planted", ".extras.json.tmp-0000000000"} {
				mustSymlink(t, victim, filepath.Join(w.dir, "skus", n))
			}
			return ""
		}},
	} {
		for _, cmd := range commands {
			t.Run(tc.name+"/"+cmd.name, func(t *testing.T) {
				w := newWorkspace(t, "{}\n")
				w.serve("a.tar.gz", goodTarGz)
				w.serve("b.tar.gz", goodTarGz)
				victimJSON := fmt.Sprintf(victimFmt, w.srv.URL, hexSHA(goodTarGz))
				w.writeExtras(victimJSON)
				victim := filepath.Join(t.TempDir(), "victim.json")
				if err := os.WriteFile(victim, []byte(victimJSON), 0o644); err != nil {
					t.Fatal(err)
				}
				link := tc.plant(t, w, victim)
				r := w.run(cmd.args(w)...)
				if got, _ := os.ReadFile(victim); !bytes.Equal(got, []byte(victimJSON)) {
					t.Errorf("%s changed the victim file through the link:\n%s", cmd.name, got)
				}
				if link == "" {
					if r.code != 0 {
						t.Errorf("exit %d: %s", r.code, r.stderr)
					}
					return
				}
				if r.code == 0 {
					t.Fatalf("%s succeeded through the link %s:\n%s", cmd.name, link, r.stdout)
				}
				for _, want := range []string{"update_extras " + cmd.name + ": " + link, "symbolic link to " + victim, "delete the link (rm " + link + ")"} {
					if !strings.Contains(r.stderr, want) {
						t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
					}
				}
				if fi, err := os.Lstat(filepath.Join(w.dir, link)); err != nil || fi.Mode()&os.ModeSymlink == 0 {
					t.Errorf("the link %s is gone or replaced: %v", link, err)
				}
			})
		}
	}
}

func mustSymlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}
