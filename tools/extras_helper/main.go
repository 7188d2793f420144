// Command extras_helper is the fetch-time helper of the ot_provisioning_exts
// module extension. The extension compiles it from this module's sources
// (standard library only) and runs it while Bazel evaluates the extension:
//
//	extras_helper plan -file PATH -display NAME [-workspace DIR] [-local SPEC] [-allow-insecure-urls]
//	    Parse extras.json and print the plan (JSON) of the repositories to
//	    declare. Errors go to stderr as file:line:col: entry "name": ...
//
//	extras_helper hub -spec FILE -extras_bzl FILE -out DIR -spoke NAME=DIR...
//	    Write the files of the @provisioning_exts_extra hub into DIR.
//
// Users never run it by hand; it is documented for whoever debugs the
// extension. All knowledge of the file format lives in internal/extras.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/errtext"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/extras"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/hub"
)

const usage = `usage:
  extras_helper plan -file PATH -display NAME [-workspace DIR] [-local SPEC] [-allow-insecure-urls]
  extras_helper hub -spec FILE -extras_bzl FILE -out DIR -spoke NAME=DIR...

The ot_provisioning_exts module extension runs this helper at fetch time.
Run "extras_helper plan -help" or "extras_helper hub -help" for the flags.
`

// startedEnv names a file that main creates once SIGINT and SIGTERM are
// handled: a hook for tests that interrupt the helper (and so must not
// signal it before), not for users.
const startedEnv = "OT_EXTRAS_HELPER_TEST_STARTED"

func main() {
	// Bazel interrupts a fetch with a signal; stop planning promptly.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	if p := os.Getenv(startedEnv); p != "" {
		os.WriteFile(p, nil, 0o644)
	}
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "plan":
		err = plan(ctx, args[1:], stdout, stderr)
	case "hub":
		err = writeHub(args[1:], stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "extras_helper: unknown command %s\n%s", errtext.Quote(args[0]), usage)
		return 2
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		// Bazel shows this in fail(): a few lines, whatever the input.
		fmt.Fprintln(stderr, errtext.CapLines(err.Error(), errtext.MaxLines))
		return 1
	}
	return 0
}

func plan(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("extras_helper plan", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("file", "", "the extras.json to read (an absolute path)")
	display := fs.String("display", "", "how to name the file in messages, such as a label")
	workspace := fs.String("workspace", "", "the root module's directory, for relative -local paths")
	local := fs.String("local", "", "entries to take from local directories: name=path[,name=path...] (the value of "+hub.LocalEnv+")")
	insecure := fs.Bool("allow-insecure-urls", false, "also accept file:// and loopback http:// URLs (tests only)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *file == "" || fs.NArg() != 0 {
		fs.Usage()
		return errors.New("extras_helper plan: -file is required and takes no arguments")
	}
	name := displayName(*file, *display, *workspace)
	// The plan is made in the background and printed whole at the end, so
	// that a signal stops the helper at once (the encoding of a huge plan
	// cannot be interrupted) and an interrupted run prints no plan.
	type result struct {
		out []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := makePlan(ctx, *file, name, *workspace, *local, extras.Options{AllowInsecure: *insecure})
		done <- result{out, err}
	}()
	var r result
	select {
	case r = <-done:
	case <-ctx.Done():
	}
	if ctx.Err() != nil {
		return fmt.Errorf("extras_helper plan: interrupted while planning %s; nothing was printed", errtext.Cut(name))
	}
	if r.err != nil {
		return r.err
	}
	_, err := stdout.Write(r.out)
	return err
}

// makePlan parses the file and returns the plan as JSON, a line.
func makePlan(ctx context.Context, file, name, workspace, local string, opts extras.Options) ([]byte, error) {
	f, err := extras.ParseFile(ctx, file, name, opts)
	if err != nil {
		return nil, err
	}
	locals, err := hub.ParseLocal(local, workspace, f)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p, err := hub.NewPlan(f, name, locals)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(p); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// displayName says where the file is in a way the user can act on. A file in
// the workspace is named by its workspace-relative path, one in another local
// checkout (a path override) by its real path, and one inside Bazel's output
// base (a registry download) by the label the extension passed, with the
// canonical "@@" spelling made apparent.
func displayName(path, display, workspace string) string {
	sep := string(filepath.Separator)
	if real, err := filepath.EvalSymlinks(path); err == nil && !strings.Contains(real, sep+"external"+sep) {
		if workspace != "" {
			if ws, err := filepath.EvalSymlinks(workspace); err == nil {
				if rel, err := filepath.Rel(ws, real); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+sep) {
					return rel
				}
			}
		}
		return real
	}
	if display == "" {
		return path
	}
	return prettyLabel(display)
}

// prettyLabel turns Bazel's canonical label spelling into the apparent one:
// "@@//skus:x" -> "//skus:x", "@@ot_provisioning_exts~//skus:x" (Bazel 7) or
// "@@ot_provisioning_exts+//skus:x" (Bazel 8) -> "@ot_provisioning_exts//skus:x".
func prettyLabel(l string) string {
	if !strings.HasPrefix(l, "@@") {
		return l
	}
	repo, rest, ok := strings.Cut(l[2:], "//")
	if !ok {
		return l
	}
	if repo == "" {
		return "//" + rest
	}
	return "@" + strings.TrimRight(repo, "~+") + "//" + rest
}

func writeHub(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("extras_helper hub", flag.ContinueOnError)
	fs.SetOutput(stderr)
	specFile := fs.String("spec", "", "the hub spec: the \"hub\" member of the plan, as JSON")
	out := fs.String("out", ".", "the hub repository's directory")
	extrasBzl := fs.String("extras_bzl", "", "the index repository's extras.bzl, which the hub links")
	spokes := map[string]string{}
	fs.Func("spoke", "NAME=DIR: the directory of entry NAME's repository (repeatable)", func(v string) error {
		name, dir, ok := strings.Cut(v, "=")
		if !ok || name == "" || dir == "" {
			return fmt.Errorf("want NAME=DIR, got %s", errtext.Quote(v))
		}
		spokes[name] = dir
		return nil
	})
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *specFile == "" || *extrasBzl == "" || fs.NArg() != 0 {
		fs.Usage()
		return errors.New("extras_helper hub: -spec and -extras_bzl are required and it takes no arguments")
	}
	data, err := os.ReadFile(*specFile)
	if err != nil {
		return fmt.Errorf("extras_helper hub: %w", err)
	}
	var spec hub.HubSpec
	if err := json.Unmarshal(data, &spec); err != nil {
		return fmt.Errorf("extras_helper hub: %s: %w", *specFile, err)
	}
	return hub.Write(*out, spec, spokes, *extrasBzl)
}
