//go:build unix

package extrasfile_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/extras"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/extrasfile"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/testtools"
)

func init() { testtools.RunHelper("write-and-hang", killMeWhileWriting) }

// killMeWhileWriting plays a run killed in the middle of a write: it
// updates the file at p, and once WriteAtomic's temporary file is complete
// it prints its name and waits to be killed.
func killMeWhileWriting(p string) {
	st, err := extrasfile.Open(p, "extras.json")
	if err != nil {
		testtools.Fail(err)
	}
	extrasfile.TestHookBeforeRename = func(tmp string) error {
		testtools.Ready(tmp)
		return errors.New("not killed")
	}
	// A large entry list, so that the temporary file is not tiny.
	_, err = st.Update(context.Background(), func(f *extras.File) error {
		for i := range 2000 {
			f.Set(extras.Entry{Name: fmt.Sprintf("e%04d", i), URLs: []string{"https://example.com/a.tar.gz"}, SHA256: sha})
		}
		return nil
	})
	testtools.Fail(err)
}

// TestKilledWriteIsCleanedUp kills a process (SIGKILL) while its
// WriteAtomic's temporary file lies beside extras.json, and checks that
// the next Update removes that file, leaving only extras.json.
func TestKilledWriteIsCleanedUp(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "extras.json")
	os.WriteFile(p, []byte("{}\n"), 0o644)
	writer, tmp := testtools.StartHelper(t, "write-and-hang", p)
	if filepath.Dir(tmp) != dir {
		t.Fatalf("helper: %q is not in %s", tmp, dir)
	}
	writer.Kill(t)
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
