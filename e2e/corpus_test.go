package e2e

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/google/go-cmp/cmp"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/archive"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/testtools/archivetest"
)

// corpus DIR MODULE
//
// Writes every archive of the differential corpus (archivetest.Corpus: the
// hostile and benign archives that internal/archive's TestDifferential runs
// through archive.Check, GNU tar, Python's tarfile and unzip) to
// DIR/cNN.tar or DIR/cNN.zip, the list DIR/corpus.tsv (id, what
// archive.Check says now, type, name), and the root module MODULE with one
// http_archive per archive, @cNN, from ${SERVER}/cNN.<type> with its
// sha256 (run `serve DIR` and `envsubst MODULE` next).
func cmdCorpus(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: corpus DIR MODULE")
	}
	dir := ts.MkAbs(args[0])
	ts.Check(os.MkdirAll(dir, 0o755))
	var tsv, mod strings.Builder
	mod.WriteString("module(name = \"archive_model\")\n\n" +
		"http_archive = use_repo_rule(\"@bazel_tools//tools/build_defs/repo:http.bzl\", \"http_archive\")\n")
	for i, c := range archivetest.Corpus() {
		id := fmt.Sprintf("c%02d", i)
		file := filepath.Join(dir, id+"."+c.Type)
		ts.Check(os.WriteFile(file, c.Data, 0o644))
		_, err := archive.Check(context.Background(), file, c.Type, "", archive.Limits{})
		verdict := "accept"
		if err != nil {
			verdict = "refuse"
		}
		fmt.Fprintf(&tsv, "%s\t%s\t%s\t%s\n", id, verdict, c.Type, c.Name)
		fmt.Fprintf(&mod, "\n# %s\nhttp_archive(\n    name = %q,\n    urls = [\"${SERVER}/%s.%s\"],\n    sha256 = %q,\n    type = %q,\n)\n",
			c.Name, id, id, c.Type, fmt.Sprintf("%x", sha256.Sum256(c.Data)), c.Type)
	}
	ts.Check(os.WriteFile(filepath.Join(dir, "corpus.tsv"), []byte(tsv.String()), 0o644))
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), []byte(mod.String()), 0o644))
}

// corpus-check DIR
//
// Fetches each @cNN of `corpus DIR` with Bazel (bazel fetch --repo=@cNN, in
// the current directory, the module that `corpus` wrote) and extracts the
// same file with GNU tar or unzip. It prints one line per archive:
//
//	cNN check=accept|refuse bazel=ok|fails tree=same|differs|escapes|- NAME
//
// where tree compares Bazel's tree with GNU tar's (or unzip's), and
// "escapes" says Bazel made a symbolic link that leaves its repository. It
// fails unless every archive that archive.Check accepts is fetched by Bazel
// to the tree GNU tar (or unzip) makes, and every archive that Bazel fails
// to fetch is one that archive.Check refuses.
func cmdCorpusCheck(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: corpus-check DIR")
	}
	dir := ts.MkAbs(args[0])
	tsv, err := os.ReadFile(filepath.Join(dir, "corpus.tsv"))
	ts.Check(err)
	ts.Check(ts.Exec("bazel", "info", "output_base"))
	external := filepath.Join(strings.TrimSpace(ts.ReadFile("stdout")), "external")
	var problems []string
	for _, line := range strings.Split(strings.TrimSpace(string(tsv)), "\n") {
		f := strings.SplitN(line, "\t", 4)
		id, verdict, typ, name := f[0], f[1], f[2], f[3]
		bazel, tree := "ok", "-"
		if err := ts.Exec("bazel", "fetch", "--noshow_progress", "--repo=@"+id); err != nil {
			bazel = "fails"
		} else {
			got, err := bazelTree(external, id)
			ts.Check(err)
			want, err := referenceTree(ts, filepath.Join(dir, id+"."+typ), typ)
			switch {
			case err != nil:
				tree = "reference-fails"
			case cmp.Equal(got, want):
				tree = "same"
			default:
				tree = "differs"
				if verdict == "accept" {
					problems = append(problems, fmt.Sprintf("%s (%s): archive.Check accepts it, but Bazel's tree differs from %s's (-tar +bazel):\n%s", id, name, typ, cmp.Diff(want, got)))
				}
			}
			if escapes(got) {
				tree = "escapes"
			}
		}
		if verdict == "accept" && bazel != "ok" {
			problems = append(problems, fmt.Sprintf("%s (%s): archive.Check accepts it, but Bazel fails to fetch it", id, name))
		}
		if verdict == "accept" && tree == "escapes" {
			problems = append(problems, fmt.Sprintf("%s (%s): archive.Check accepts it, but Bazel made a link that leaves the repository", id, name))
		}
		fmt.Fprintf(ts.Stdout(), "%s check=%s bazel=%s tree=%s %s\n", id, verdict, bazel, tree, name)
	}
	if len(problems) > 0 {
		ts.Fatalf("corpus-check:\n%s", strings.Join(problems, "\n"))
	}
}

// bazelTree snapshots the repository id that Bazel extracted under
// external, without the files that http_archive adds at its root.
func bazelTree(external, id string) (map[string]string, error) {
	entries, err := os.ReadDir(external)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() && (n == id || strings.HasSuffix(n, "~"+id) || strings.HasSuffix(n, "+"+id)) {
			tree, err := archivetest.Snapshot(filepath.Join(external, n))
			if err != nil {
				return nil, err
			}
			for _, added := range []string{"WORKSPACE", "WORKSPACE.bazel", "BUILD", "BUILD.bazel", "REPO.bazel"} {
				delete(tree, added)
			}
			return tree, nil
		}
	}
	return nil, fmt.Errorf("no directory for @%s under %s", id, external)
}

// referenceTree extracts the archive with GNU tar or unzip and snapshots
// the result.
func referenceTree(ts *testscript.TestScript, file, typ string) (map[string]string, error) {
	dir, err := os.MkdirTemp(ts.MkAbs("."), "reference-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	cmd := exec.Command("tar", "-xf", file, "-C", dir, "--no-same-owner")
	if typ == "zip" {
		cmd = exec.Command("unzip", "-o", "-q", file, "-d", dir)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("%s: %v: %s", cmd.Args[0], err, out)
	}
	return archivetest.Snapshot(dir)
}

// escapes reports whether a symbolic link of tree is absolute or resolves
// (lexically, through the tree's own links) outside the tree.
func escapes(tree map[string]string) bool {
	names := make([]string, 0, len(tree))
	for n := range tree {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		target, ok := strings.CutPrefix(tree[n], "link:")
		if !ok {
			continue
		}
		if path.IsAbs(target) {
			return true
		}
		p := path.Join(path.Dir(n), target)
		if p == ".." || strings.HasPrefix(p, "../") {
			return true
		}
	}
	return false
}
