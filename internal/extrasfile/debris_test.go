//go:build unix

package extrasfile_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/extras"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/extrasfile"
)

// writerEnv makes the test binary run killMeWhileWriting instead of the
// tests.
const writerEnv = "EXTRASFILE_TEST_WRITE_AND_HANG"

func init() {
	if p := os.Getenv(writerEnv); p != "" {
		killMeWhileWriting(p)
	}
}

// killMeWhileWriting plays a run killed in the middle of a write: it
// updates the file at p, and once WriteAtomic's temporary file is complete
// it prints its name and waits to be killed.
func killMeWhileWriting(p string) {
	st, err := extrasfile.Open(p, "extras.json")
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	extrasfile.TestHookBeforeRename = func(tmp string) error {
		fmt.Println(tmp)
		time.Sleep(time.Minute)
		return errors.New("not killed")
	}
	// A large entry list, so that the temporary file is not tiny.
	_, err = st.Update(context.Background(), func(f *extras.File) error {
		for i := range 2000 {
			f.Set(extras.Entry{Name: fmt.Sprintf("e%04d", i), URLs: []string{"https://example.com/a.tar.gz"}, SHA256: sha})
		}
		return nil
	})
	fmt.Println("error:", err)
	os.Exit(1)
}

// TestKilledWriteIsCleanedUp kills a process (SIGKILL) while its
// WriteAtomic's temporary file lies beside extras.json, and checks that
// the next Update removes that file, leaving only extras.json.
func TestKilledWriteIsCleanedUp(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "extras.json")
	os.WriteFile(p, []byte("{}\n"), 0o644)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), writerEnv+"="+p)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	line, err := bufio.NewReader(out).ReadString('\n')
	tmp := strings.TrimSpace(line)
	if err != nil || filepath.Dir(tmp) != dir {
		t.Fatalf("helper: %q, %v", line, err)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if fi, err := os.Stat(tmp); err != nil || fi.Size() < 10000 {
		t.Fatalf("the killed run left no temporary file to clean: %v", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "{}\n" {
		t.Fatalf("the killed run changed the file: %q", b)
	}

	st, err := extrasfile.Open(p, "extras.json")
	if err != nil {
		t.Fatal(err)
	}
	var notes []string
	st.Notify = func(format string, args ...any) { notes = append(notes, fmt.Sprintf(format, args...)) }
	e := extras.Entry{Name: "presign_perso", URLs: []string{"https://example.com/a.tar.xz"}, SHA256: sha}
	if _, err := st.Update(context.Background(), func(f *extras.File) error { f.Set(e); return nil }); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("after the next Update the directory holds %v, want only extras.json", names)
	}
	if want := "removed the temporary files that an interrupted run left beside extras.json: " + filepath.Base(tmp); len(notes) != 1 || notes[0] != want {
		t.Errorf("notes %q, want %q", notes, want)
	}
}
