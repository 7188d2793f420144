package main

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	at "github.com/ot-provisioning-exts/ot-provisioning-exts/internal/archive/archivetest"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/testtools"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"update_extras": main,
	})
}

// TestScripts runs the CLI scenarios in testdata/script/*.txtar. Each
// runs in its own directory $WORK with a loopback server at $SRV (see
// fixture) that serves $WORK/srv and fake GitHub releases from
// $WORK/api; GITHUB_API_URL points at it.
//
// Extra commands:
//
//	archive OUT DIR...   pack the directories DIR (relative to $WORK) into
//	                     OUT, a .tar, .tar.gz, .tar.xz or .zip file
//	sha256 FILE VAR      set $VAR to FILE's SHA-256 in hex, $VAR_SRI to
//	                     its integrity value and $VAR_SIZE to its size
//	expand IN OUT        copy IN to OUT, replacing $VAR and ${VAR}
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			f := newFixture(env.WorkDir)
			env.Defer(f.Close)
			env.Setenv("SRV", f.URL)
			env.Setenv("GITHUB_API_URL", f.URL+"/")
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"archive": cmdArchive,
			"sha256":  cmdSHA256,
			"expand":  cmdExpand,
		},
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		UpdateScripts:       testtools.Update(),
	})
}

func cmdArchive(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: archive OUT DIR...")
	}
	var members []at.Member
	for _, dir := range args[1:] {
		root := ts.MkAbs(dir)
		parent := filepath.Dir(root)
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(parent, p)
			rel = filepath.ToSlash(rel)
			switch {
			case d.Type()&fs.ModeSymlink != 0:
				target, err := os.Readlink(p)
				if err != nil {
					return err
				}
				members = append(members, at.Symlink(rel, target))
			case d.IsDir():
				members = append(members, at.Dir(rel+"/"))
			default:
				b, err := os.ReadFile(p)
				if err != nil {
					return err
				}
				members = append(members, at.File(rel, string(b)))
			}
			return nil
		})
		ts.Check(err)
	}
	out := args[0]
	var data []byte
	switch {
	case strings.HasSuffix(out, ".tar.gz"):
		data = at.TarGz(members...)
	case strings.HasSuffix(out, ".tar.xz"):
		data = at.TarXz(members...)
	case strings.HasSuffix(out, ".tar"):
		data = at.Tar(members...)
	case strings.HasSuffix(out, ".zip"):
		data = at.Zip(members...)
	default:
		ts.Fatalf("archive: unknown type of %s", out)
	}
	ts.Check(os.MkdirAll(filepath.Dir(ts.MkAbs(out)), 0o755))
	ts.Check(os.WriteFile(ts.MkAbs(out), data, 0o644))
}

func cmdSHA256(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: sha256 FILE VAR")
	}
	data, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	sum := sha256.Sum256(data)
	ts.Setenv(args[1], hex.EncodeToString(sum[:]))
	ts.Setenv(args[1]+"_SRI", "sha256-"+base64.StdEncoding.EncodeToString(sum[:]))
	ts.Setenv(args[1]+"_SIZE", strconv.Itoa(len(data)))
}

func cmdExpand(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: expand IN OUT")
	}
	data, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	out := os.Expand(string(data), ts.Getenv)
	ts.Check(os.MkdirAll(filepath.Dir(ts.MkAbs(args[1])), 0o755))
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), []byte(out), 0o644))
}
