package hub

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runPatchCmds runs the http_archive patch commands of entry name in dir
// the way Bazel does (each with "bash -c"), failing on any error or output.
func runPatchCmds(t *testing.T, dir, name string) {
	t.Helper()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash not found; the patch commands need it")
	}
	for _, c := range patchCmds(name) {
		cmd := exec.Command(bash, "-c", c)
		cmd.Dir = dir
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("bash -c %q: %v\nstderr:\n%s", c, err, stderr.String())
		}
		// bash warns on stderr, and still succeeds, when a here-document
		// is not terminated properly.
		if stdout.Len() > 0 || stderr.Len() > 0 {
			t.Errorf("bash -c %q printed:\nstdout: %s\nstderr: %s", c, stdout.String(), stderr.String())
		}
	}
}

func TestPatchCmdsShape(t *testing.T) {
	cmds := patchCmds("perso_release")
	if len(cmds) != 2 {
		t.Fatalf("patchCmds returned %d commands, want 2: %q", len(cmds), cmds)
	}
	if !strings.Contains(cmds[0], "touch") {
		t.Errorf("first command %q does not touch the files", cmds[0])
	}
	if !strings.Contains(cmds[1], DefaultBuildFile("perso_release")) {
		t.Errorf("second command does not embed the default BUILD file of perso_release:\n%s", cmds[1])
	}
	if strings.Contains(cmds[1], "\nOT_PROVISIONING_EXTS_EOF\n") {
		t.Errorf("the here-document terminator appears before the end of the command")
	}
	if a, b := patchCmds("a")[1], patchCmds("b")[1]; a == b {
		t.Errorf("patch commands do not depend on the entry's name")
	}
}

func TestPatchCmdsBuildFile(t *testing.T) {
	const name = "perso_release"
	tests := []struct {
		name  string
		files map[string]string // the archive's files
		// What BUILD.bazel should be afterwards: a link to linkTo if set,
		// else a regular file with content want.
		linkTo string
		want   string
	}{
		{
			name:  "BUILD.bazel is left alone",
			files: map[string]string{"BUILD.bazel": "filegroup(name = \"x\")\n", "fw.bin": "fw"},
			want:  "filegroup(name = \"x\")\n",
		},
		{
			name:  "BUILD.bazel wins over BUILD",
			files: map[string]string{"BUILD.bazel": "# bazel\n", "BUILD": "# plain\n"},
			want:  "# bazel\n",
		},
		{
			name:   "BUILD is linked",
			files:  map[string]string{"BUILD": "filegroup(name = \"perso_release\")\n", "fw.bin": "fw"},
			linkTo: "BUILD",
		},
		{
			name:  "no BUILD file gets the default one",
			files: map[string]string{"fw.bin": "fw", "sub/rom_ext.bin": "rom", "sub/BUILD.bazel": "# a subpackage's file does not count\n"},
			want:  DefaultBuildFile(name),
		},
		{
			name:  "empty archive",
			files: map[string]string{},
			want:  DefaultBuildFile(name),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for f, content := range tt.files {
				writeFile(t, filepath.Join(dir, f), content)
			}
			runPatchCmds(t, dir, name)

			build := filepath.Join(dir, "BUILD.bazel")
			st, err := os.Lstat(build)
			if err != nil {
				t.Fatal(err)
			}
			if tt.linkTo != "" {
				if st.Mode()&fs.ModeSymlink == 0 {
					t.Fatalf("BUILD.bazel is %v, want a link to %s", st.Mode(), tt.linkTo)
				}
				target, err := os.Readlink(build)
				if err != nil {
					t.Fatal(err)
				}
				if target != tt.linkTo {
					t.Errorf("BUILD.bazel -> %s, want -> %s", target, tt.linkTo)
				}
				if got := readFile(t, build); got != tt.files[tt.linkTo] {
					t.Errorf("BUILD.bazel reads %q through the link, want %q", got, tt.files[tt.linkTo])
				}
				return
			}
			if !st.Mode().IsRegular() {
				t.Fatalf("BUILD.bazel is %v, want a regular file", st.Mode())
			}
			if got := readFile(t, build); got != tt.want {
				t.Errorf("BUILD.bazel is not as expected:\ngot:\n%s\nwant:\n%s", got, tt.want)
			}
			// The other files are untouched.
			for f, content := range tt.files {
				if f == "BUILD.bazel" {
					continue
				}
				if got := readFile(t, filepath.Join(dir, f)); got != content {
					t.Errorf("%s changed to %q", f, got)
				}
			}

			// Running the commands again (a refetch) changes nothing.
			before := readFile(t, build)
			runPatchCmds(t, dir, name)
			if after := readFile(t, build); after != before {
				t.Errorf("second run changed BUILD.bazel")
			}
		})
	}
}

// TestPatchCmdsTouch checks that the first patch command gives every
// extracted file a fresh mtime, replacing the archive's fixed one.
func TestPatchCmdsTouch(t *testing.T) {
	dir := t.TempDir()
	old := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	files := []string{"fw.bin", "sub/dir/rom_ext.bin", "with space.bin", "-dash.bin", "BUILD"}
	for _, f := range files {
		p := filepath.Join(dir, f)
		writeFile(t, p, "content of "+f)
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	// A link to a file is not followed into other directories, nor created
	// where it is dangling.
	outside := filepath.Join(t.TempDir(), "outside.bin")
	writeFile(t, outside, "outside")
	if err := os.Chtimes(outside, old, old); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "link.bin")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "missing"), filepath.Join(dir, "dangling")); err != nil {
		t.Fatal(err)
	}

	start := time.Now().Add(-2 * time.Second) // allow for coarse file times
	runPatchCmds(t, dir, "x")
	for _, f := range files {
		st, err := os.Stat(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if st.ModTime().Before(start) {
			t.Errorf("%s still has mtime %v, want at least %v", f, st.ModTime(), start)
		}
		if got := readFile(t, filepath.Join(dir, f)); got != "content of "+f {
			t.Errorf("%s changed content to %q", f, got)
		}
	}
	if st, err := os.Stat(outside); err != nil || !st.ModTime().Equal(old) {
		t.Errorf("the file outside the archive was touched through a link (mtime %v, %v)", st.ModTime(), err)
	}
	if _, err := os.Stat(filepath.Join(dir, "missing")); err == nil {
		t.Errorf("touch created the target of a dangling link")
	}
	// BUILD existed, so BUILD.bazel is the link to it.
	if target, err := os.Readlink(filepath.Join(dir, "BUILD.bazel")); err != nil || target != "BUILD" {
		t.Errorf("BUILD.bazel -> %q, %v; want a link to BUILD", target, err)
	}
}

// TestPatchCmdsThenWrite runs the patch commands on fake archives and
// builds the hub from the results: the spokes without a BUILD file, and
// those whose BUILD declares the entry's target, get an alias.
func TestPatchCmdsThenWrite(t *testing.T) {
	tmp := t.TempDir()
	archives := map[string]map[string]string{
		"none":     {"fw.bin": "fw"},
		"plain":    {"BUILD": "filegroup(name = \"plain\")\n"},
		"own":      {"BUILD.bazel": "filegroup(name = \"own\")\n"},
		"no_alias": {"BUILD.bazel": "filegroup(name = \"something_else\")\n"},
	}
	spec := Spec{Source: "skus/extras.json"}
	spokes := map[string]string{}
	for _, name := range []string{"no_alias", "none", "own", "plain"} {
		dir := filepath.Join(tmp, name)
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for f, content := range archives[name] {
			writeFile(t, filepath.Join(dir, f), content)
		}
		runPatchCmds(t, dir, name)
		spokes[name] = dir
		spec.Entries = append(spec.Entries, SpecEntry{Name: name, URLs: []string{"https://example.com/" + name}})
	}
	out := filepath.Join(tmp, "hub")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	hs, index := hubInputs(t, tmp, spec)
	if err := Write(out, hs, spokes, index); err != nil {
		t.Fatal(err)
	}
	build := readFile(t, filepath.Join(out, "BUILD.bazel"))
	for name, wantAlias := range map[string]bool{"none": true, "plain": true, "own": true, "no_alias": false} {
		hasAlias := strings.Contains(build, "actual = \"//"+name+":"+name+"\"")
		if hasAlias != wantAlias {
			t.Errorf("alias for %s: %v, want %v\n%s", name, hasAlias, wantAlias, build)
		}
	}
}
