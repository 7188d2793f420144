package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// hugeOneLineFile writes a valid extras.json of n entries on one line, as
// jq -c writes it, and returns its path and SHA-256.
func hugeOneLineFile(t *testing.T, n int) (string, [32]byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "extras.json")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	w := bufio.NewWriterSize(f, 1<<20)
	out := func(s string) { w.WriteString(s); h.Write([]byte(s)) }
	out("{")
	const hex = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	for i := range n {
		sep := ","
		if i == 0 {
			sep = ""
		}
		out(fmt.Sprintf(`%s"r%07d":{"urls":["https://a.example/r%07d.tar.gz"],"sha256":"%s"}`, sep, i, i, hex))
	}
	out("}\n")
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	var sum [32]byte
	copy(sum[:], h.Sum(nil))
	return path, sum
}

// TestSignalStopsParsing interrupts (SIGINT, and SIGTERM) runs of check
// and fmt in the middle of parsing a huge one-line extras.json: each must
// exit within a second, with status 1 and a one-line message, leaving the
// file as it was. Parsing used to run to its end, minutes to hours on such
// a file, with the signal caught and ignored until then.
func TestSignalStopsParsing(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGINT and SIGTERM")
	}
	if testing.Short() {
		t.Skip("writes a 134 MB file")
	}
	bin, err := exec.LookPath("update_extras") // put in $PATH by testscript.Main
	if err != nil {
		t.Skip("no update_extras binary:", err)
	}
	// 1M entries (134 MB): seconds of parsing even on a fast machine, so
	// that the signal arrives in the middle of it.
	path, sum := hugeOneLineFile(t, 1_000_000)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	size := fi.Size()
	for _, tc := range []struct {
		sig  syscall.Signal
		args []string
		want string
	}{
		{syscall.SIGINT, []string{"check", "-offline"}, "update_extras check: stopped (interrupt signal received); "},
		{syscall.SIGTERM, []string{"check", "-offline"}, "update_extras check: stopped (terminated signal received); "},
		{syscall.SIGINT, []string{"fmt"}, "update_extras fmt: stopped (interrupt signal received); "},
		{syscall.SIGTERM, []string{"fmt"}, "update_extras fmt: stopped (terminated signal received); "},
	} {
		t.Run(tc.args[0]+"_"+tc.sig.String(), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			cmd := exec.Command(bin, append(tc.args, "-file", path)...)
			cmd.Dir = filepath.Dir(path)
			cmd.Env = append(os.Environ(), "BUILD_WORKSPACE_DIRECTORY=", "BUILD_WORKING_DIRECTORY=", "TERM=dumb")
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan struct{}) // closed when cmd has exited
			var waitErr error
			go func() { waitErr = cmd.Wait(); close(done) }()
			t.Cleanup(func() {
				cmd.Process.Kill()
				<-done
			})
			// Signal once the file is read, when parsing starts.
			if !waitRead(cmd.Process.Pid, size, done) {
				t.Fatalf("%v ended before the signal (%v)\nstdout:\n%s\nstderr:\n%s", tc.args, waitErr, stdout.Bytes(), stderr.Bytes())
			}
			if err := cmd.Process.Signal(tc.sig); err != nil {
				t.Fatal(err)
			}
			sent := time.Now()
			// It stops in about 0.1 s (logged below); the bound is loose so
			// that a loaded machine does not fail it, and still fails the
			// old parser, which ran on for hours.
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatalf("%v still running 10s after %v", tc.args, tc.sig)
			}
			t.Logf("exited %v after %v", time.Since(sent).Round(time.Millisecond), tc.sig)
			if code := cmd.ProcessState.ExitCode(); code != exitFail {
				t.Errorf("exit status %d, want %d", code, exitFail)
			}
			msg := stderr.String()
			if !strings.HasPrefix(msg, tc.want) || strings.Count(msg, "\n") != 1 || stdout.Len() != 0 {
				t.Errorf("stderr = %q, stdout = %q; want one line starting %q", msg, stdout.String(), tc.want)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if sha256.Sum256(data) != sum {
				t.Errorf("%s changed", path)
			}
		})
	}
}

// waitRead waits until the process pid has read size bytes (on Linux, as
// /proc/PID/io says; elsewhere it waits a second) and reports whether it
// is still running.
func waitRead(pid int, size int64, done <-chan struct{}) bool {
	io := fmt.Sprintf("/proc/%d/io", pid)
	if _, err := os.Stat(io); err != nil {
		select {
		case <-done:
			return false
		case <-time.After(time.Second):
			return true
		}
	}
	for {
		select {
		case <-done:
			return false
		case <-time.After(5 * time.Millisecond):
		}
		data, err := os.ReadFile(io)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(data), "\n") {
			var n int64
			if _, err := fmt.Sscanf(line, "rchar: %d", &n); err == nil && n >= size {
				return true
			}
		}
	}
}
