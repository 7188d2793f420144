package testtools

import (
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/archive"
)

// TestScriptCmds runs the shared commands in testdata/*.txtar, with two
// commands of its own to look at what they made: members ARCHIVE lists an
// archive's members, get [-status N] URL prints a body.
func TestScriptCmds(t *testing.T) {
	cmds := ScriptCmds(nil)
	cmds["members"] = cmdMembers
	cmds["get"] = cmdGet
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata",
		Cmds:                cmds,
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		UpdateScripts:       Update(),
	})
}

func cmdMembers(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: members ARCHIVE")
	}
	err := archive.Walk(ts.MkAbs(args[0]), archive.InferType(args[0]), func(e *archive.Entry, body io.Reader) error {
		b, err := io.ReadAll(body)
		switch e.Kind {
		case archive.KindDir:
			fmt.Fprintf(ts.Stdout(), "dir %s\n", e.Name)
		case archive.KindSymlink:
			fmt.Fprintf(ts.Stdout(), "link %s -> %s\n", e.Name, e.Linkname)
		default:
			fmt.Fprintf(ts.Stdout(), "file %s %v %q\n", e.Name, e.Mode, b)
		}
		return err
	})
	ts.Check(err)
}

func cmdGet(ts *testscript.TestScript, neg bool, args []string) {
	want := http.StatusOK
	if len(args) == 3 && args[0] == "-status" {
		fmt.Sscan(args[1], &want)
		args = args[2:]
	}
	if neg || len(args) != 1 {
		ts.Fatalf("usage: get [-status N] URL")
	}
	// The test trusts whatever serve presents: httptest's certificate.
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	resp, err := client.Get(args[0])
	ts.Check(err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		ts.Fatalf("get %s: %s, want %d", args[0], resp.Status, want)
	}
	if err != nil {
		fmt.Fprintf(ts.Stdout(), "%s (error: %v)\n", b, err)
		return
	}
	ts.Stdout().Write(b)
}
