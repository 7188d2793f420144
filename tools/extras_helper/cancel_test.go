//go:build unix

package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestPlanInterrupted sends SIGINT and SIGTERM to the built helper while it
// plans a huge extras.json, and checks that it stops before finishing: exit
// status 1 (not killed by the signal), a message that says so, and no plan
// on stdout. The deadline only guards against a hang.
func TestPlanInterrupted(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the helper and plans a huge file")
	}
	dir := t.TempDir()
	helper := filepath.Join(dir, "extras_helper")
	if out, err := exec.Command("go", "build", "-o", helper, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	// Planning this takes far longer than delivering a signal.
	var b bytes.Buffer
	b.WriteString("{")
	sha := strings.Repeat("0", 64)
	for i := range 400000 {
		if i > 0 {
			b.WriteString(",\n")
		}
		fmt.Fprintf(&b, `"entry_%d": {"urls": ["https://example.com/%d/a.tar.gz", "https://mirror.example.com/%d/a.tar.gz"], "sha256": %q, "strip_prefix": "rel-%d"}`, i, i, i, sha, i)
	}
	b.WriteString("}\n")
	file := filepath.Join(dir, "extras.json")
	if err := os.WriteFile(file, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			started := filepath.Join(t.TempDir(), "started")
			out := filepath.Join(t.TempDir(), "plan.json")
			stdout, err := os.Create(out)
			if err != nil {
				t.Fatal(err)
			}
			defer stdout.Close()
			var stderr bytes.Buffer
			cmd := exec.Command(helper, "plan", "-file", file, "-display", "//skus:extras.json")
			cmd.Env = append(os.Environ(), startedEnv+"="+started)
			cmd.Stdout, cmd.Stderr = stdout, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			hangGuard := time.After(2 * time.Minute)
			// Signal only once the helper handles signals.
			for {
				if _, err := os.Stat(started); err == nil {
					break
				}
				select {
				case err := <-exited:
					t.Fatalf("the helper exited before it was signalled: %v\n%s", err, stderr.String())
				case <-hangGuard:
					cmd.Process.Kill()
					t.Fatal("the helper never started")
				case <-time.After(5 * time.Millisecond):
				}
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			select {
			case err = <-exited:
			case <-hangGuard:
				cmd.Process.Kill()
				t.Fatalf("the helper did not stop after %v", sig)
			}
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 1 {
				t.Errorf("exit: %v, want exit status 1", err)
			}
			if want := "extras_helper plan: interrupted while planning"; !strings.Contains(stderr.String(), want) {
				t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
			}
			if data, _ := os.ReadFile(out); len(data) != 0 {
				t.Errorf("an interrupted plan printed %d bytes (%.200s…)", len(data), data)
			}
		})
	}
}
