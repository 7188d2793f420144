package testtools

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// This file is the harness for the tests of what a run killed in the
// middle of its work (by SIGKILL: a crash, the OOM killer, a power cut)
// leaves behind, and of how the next run cleans it up. The killed run is
// the test binary itself, started again as a helper (StartHelper), or any
// command (Start).

// helperEnv holds "NAME=ARG" in a test binary started by StartHelper.
const helperEnv = "TESTTOOLS_HELPER"

// RunHelper runs fn(arg) and exits, if this test binary was started by
// StartHelper(t, name, arg); otherwise it returns at once. Call it from an
// init function of the test package, so that the helper runs instead of
// the tests. fn does the work to be interrupted and calls Ready once the
// state to kill it in is reached (or Fail).
func RunHelper(name string, fn func(arg string)) {
	v, ok := os.LookupEnv(helperEnv)
	if n, arg, _ := strings.Cut(v, "="); ok && n == name {
		fn(arg)
		os.Exit(0)
	}
}

// Ready tells StartHelper that the helper is ready to be killed, with line
// as what StartHelper returns, and waits a minute to be killed.
func Ready(line string) {
	fmt.Println(line)
	time.Sleep(time.Minute)
}

// Fail ends a helper that cannot get ready: StartHelper fails the test
// with err.
func Fail(err error) {
	fmt.Println("error:", err)
	os.Exit(1)
}

// A Process is a process that a test kills.
type Process struct {
	Cmd *exec.Cmd
}

// Start starts cmd. The process is killed, if it still runs, when the test
// ends.
func Start(t testing.TB, cmd *exec.Cmd) *Process {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return &Process{Cmd: cmd}
}

// StartHelper starts this test binary again, running the helper name (see
// RunHelper) with arg instead of the tests, and waits until it is Ready.
// It returns the process and the line the helper passed to Ready.
func StartHelper(t testing.TB, name, arg string) (*Process, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+name+"="+arg)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := Start(t, cmd)
	line, err := bufio.NewReader(out).ReadString('\n')
	line = strings.TrimSpace(line)
	if err != nil || line == "" || strings.HasPrefix(line, "error:") {
		t.Fatalf("helper %s: %q, %v", name, line, err)
	}
	return p, line
}

// Kill kills p with SIGKILL (on Unix) and waits for it to end.
func (p *Process) Kill(t testing.TB) {
	t.Helper()
	if err := p.Cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	p.Cmd.Wait()
}
