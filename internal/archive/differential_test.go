package archive_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/archive"
	at "github.com/ot-provisioning-exts/ot-provisioning-exts/internal/testtools/archivetest"
)

// diffCase is one archive of the differential corpus (archivetest.Corpus).
type diffCase = at.Case

// diffCorpus returns the hostile and benign archives of the differential
// test, which the e2e suite also extracts with Bazel's http_archive.
func diffCorpus() []diffCase { return at.Corpus() }

// TestDifferential extracts every archive of diffCorpus with the real
// extractors on this machine (GNU tar, Python's tarfile with the "data"
// filter, unzip) and checks archive.Check against them: every archive that
// Check accepts must extract without error, and to the same tree (paths,
// file contents, symlink targets), with every extractor of its type; every
// archive that an extractor refuses must be refused by Check. Run with -v
// for the table of outcomes.
func TestDifferential(t *testing.T) {
	extractors := []struct {
		name, bin string
		probe     []string // a command that must succeed for the extractor to be usable
		types     string
		run       func(t *testing.T, archive, dir string) error
	}{
		{"gnu-tar", "tar", nil, "tar", func(t *testing.T, archive, dir string) error {
			return runTool(t, dir, "tar", "-xf", archive, "-C", dir, "--no-same-owner")
		}},
		{"python-data", "python3", []string{"python3", "-c", "import tarfile; tarfile.data_filter"}, "tar", func(t *testing.T, archive, dir string) error {
			const script = `import sys, tarfile
with tarfile.open(sys.argv[1]) as tf:
    tf.extractall(sys.argv[2], filter="data")`
			return runTool(t, dir, "python3", "-c", script, archive, dir)
		}},
		{"unzip", "unzip", nil, "zip", func(t *testing.T, archive, dir string) error {
			return runTool(t, dir, "unzip", "-o", "-q", archive, "-d", dir)
		}},
	}
	var available []int
	for i, x := range extractors {
		if _, err := exec.LookPath(x.bin); err != nil {
			t.Logf("skipping extractor %s: %s is not installed (.ci/run installs it)", x.name, x.bin)
			continue
		}
		if x.probe != nil {
			if out, err := exec.Command(x.probe[0], x.probe[1:]...).CombinedOutput(); err != nil {
				t.Logf("skipping extractor %s: %s has no tarfile data filter (Python >= 3.11.4 or a backport): %s", x.name, x.bin, bytes.TrimSpace(out))
				continue
			}
		}
		available = append(available, i)
	}
	var table strings.Builder
	fmt.Fprintf(&table, "%-50s %-7s", "archive", "check")
	for _, i := range available {
		fmt.Fprintf(&table, " %-12s", extractors[i].name)
	}
	table.WriteString("\n")
	work := t.TempDir()
	for n, c := range diffCorpus() {
		file := filepath.Join(work, fmt.Sprintf("%02d.%s", n, c.Type))
		if err := os.WriteFile(file, c.Data, 0o644); err != nil {
			t.Fatal(err)
		}
		_, checkErr := archive.Check(context.Background(), file, c.Type, "", archive.Limits{})
		outcome := "accept"
		if checkErr != nil {
			outcome = "refuse"
		}
		if (checkErr == nil) != c.Accept {
			t.Errorf("%s: Check = %v, want accept = %v", c.Name, checkErr, c.Accept)
		}
		fmt.Fprintf(&table, "%-50s %-7s", c.Name, outcome)
		var first map[string]string
		var firstName string
		for _, i := range available {
			x := extractors[i]
			if x.types != c.Type {
				fmt.Fprintf(&table, " %-12s", "-")
				continue
			}
			dir := filepath.Join(work, fmt.Sprintf("%02d-%s", n, x.name))
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			err := x.run(t, file, dir)
			got := "ok"
			if err != nil {
				got = "fails"
			}
			fmt.Fprintf(&table, " %-12s", got)
			switch {
			case err != nil && checkErr == nil:
				t.Errorf("%s: Check accepts it, but %s fails: %v", c.Name, x.name, err)
			case err == nil && checkErr == nil:
				tree, terr := at.Snapshot(dir)
				if terr != nil {
					t.Errorf("%s: %s: %v", c.Name, x.name, terr)
					continue
				}
				if first == nil {
					first, firstName = tree, x.name
				} else if diff := cmp.Diff(first, tree); diff != "" {
					t.Errorf("%s: Check accepts it, but %s and %s extract different trees (-%s +%s):\n%s",
						c.Name, firstName, x.name, firstName, x.name, diff)
				}
				if want := expectedTree(t, c); want != nil {
					if diff := cmp.Diff(want, tree); diff != "" {
						t.Errorf("%s: %s extracts another tree than the archive holds (-archive +%s):\n%s", c.Name, x.name, x.name, diff)
					}
				}
			}
		}
		table.WriteString("\n")
		if checkErr != nil {
			fmt.Fprintf(&table, "    check: %v\n", checkErr)
		}
	}
	t.Logf("outcomes:\n%s", table.String())
}

// runTool runs an extractor in dir and returns an error with its output if
// it exits with a non-zero status.
func runTool(t *testing.T, dir, name string, args ...string) error {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %v: %s", name, err, bytes.TrimSpace(out))
	}
	return nil
}

// expectedTree is the tree that the archive of c describes, as Walk reads
// it, with the parent directories of every member: what an extractor must
// build from an archive that Check accepts. Hard links are files with
// their target's content.
func expectedTree(t *testing.T, c diffCase) map[string]string {
	t.Helper()
	tree := map[string]string{}
	addParents := func(p string) {
		for d := filepath.Dir(p); d != "."; d = filepath.Dir(d) {
			tree[filepath.ToSlash(d)] = "dir"
		}
	}
	err := archive.WalkReader(bytes.NewReader(c.Data), c.Type, func(e *archive.Entry, body io.Reader) error {
		name := strings.TrimSuffix(filepath.Clean(e.Name), "/")
		if name == "." {
			return nil
		}
		addParents(name)
		switch e.Kind {
		case archive.KindDir:
			tree[name] = "dir"
		case archive.KindSymlink:
			tree[name] = "link:" + e.Linkname
		case archive.KindHardlink:
			src, ok := tree[filepath.Clean(e.Linkname)]
			if !ok {
				return errors.New("hard link to a missing member: " + e.Linkname)
			}
			tree[name] = src
		default:
			b, err := io.ReadAll(body)
			if err != nil {
				return err
			}
			tree[name] = "file:" + string(b)
		}
		return nil
	})
	if err != nil {
		t.Errorf("%s: walking the accepted archive: %v", c.Name, err)
		return nil
	}
	return tree
}
