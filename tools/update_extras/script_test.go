package main

import (
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

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
// $WORK/api; GITHUB_API_URL points at it. The extra commands are those of
// testtools.ScriptCmds: archive, hash, envsubst (and serve).
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
		Cmds:                testtools.ScriptCmds(nil),
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		UpdateScripts:       testtools.Update(),
	})
}
