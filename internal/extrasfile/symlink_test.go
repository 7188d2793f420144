package extrasfile_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/extras"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/extrasfile"
)

// TestSymlinks checks that the lock, the file and WriteAtomic's target are
// never followed to a file elsewhere, and that a link inside the root is.
func TestSymlinks(t *testing.T) {
	const victimData = "precious\n"
	setup := func(t *testing.T) (root, file, victim string) {
		root = t.TempDir()
		os.Mkdir(filepath.Join(root, "skus"), 0o755)
		file = filepath.Join(root, "skus", "extras.json")
		if err := os.WriteFile(file, []byte("{ }\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		victim = filepath.Join(t.TempDir(), "victim")
		if err := os.WriteFile(victim, []byte(victimData), 0o644); err != nil {
			t.Fatal(err)
		}
		return root, file, victim
	}
	assertVictim := func(t *testing.T, victim string) {
		t.Helper()
		if b, err := os.ReadFile(victim); err != nil || string(b) != victimData {
			t.Errorf("victim is now %q (%v)", b, err)
		}
	}
	t.Run("lock", func(t *testing.T) {
		_, file, victim := setup(t)
		os.Symlink(victim, file+".lock")
		_, err := extrasfile.AcquireLock(context.Background(), file+".lock", "skus/extras.json.lock", extrasfile.LockOptions{Timeout: time.Second})
		var se *extrasfile.SymlinkError
		if !errors.As(err, &se) || se.Display != "skus/extras.json.lock" || se.Target != victim {
			t.Errorf("AcquireLock = %v, want a *SymlinkError naming the lock and %s", err, victim)
		}
		assertVictim(t, victim)
	})
	t.Run("file outside the root", func(t *testing.T) {
		root, file, victim := setup(t)
		os.Remove(file)
		os.Symlink(victim, file)
		_, err := extrasfile.OpenIn(root, file, "skus/extras.json")
		var se *extrasfile.SymlinkError
		if !errors.As(err, &se) {
			t.Errorf("OpenIn = %v, want a *SymlinkError", err)
		}
		assertVictim(t, victim)
	})
	t.Run("dangling file link", func(t *testing.T) {
		root, file, _ := setup(t)
		os.Remove(file)
		os.Symlink("/nonexistent/victim", file)
		_, err := extrasfile.OpenIn(root, file, "skus/extras.json")
		var se *extrasfile.SymlinkError
		if !errors.As(err, &se) {
			t.Errorf("OpenIn = %v, want a *SymlinkError", err)
		}
	})
	t.Run("file inside the root", func(t *testing.T) {
		root, file, _ := setup(t)
		real := filepath.Join(root, "real.json")
		os.Rename(file, real)
		os.Symlink("../real.json", file)
		st, err := extrasfile.OpenIn(root, file, "skus/extras.json")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Update(context.Background(), func(f *extras.File) error { return nil }); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(real); string(b) != "{}\n" {
			t.Errorf("real.json = %q, want it formatted", b)
		}
	})
	t.Run("WriteAtomic onto a link", func(t *testing.T) {
		_, file, victim := setup(t)
		link := file + ".link"
		os.Symlink(victim, link)
		if err := extrasfile.WriteAtomic(link, []byte("new")); err == nil {
			t.Error("WriteAtomic replaced a link")
		}
		if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
			t.Errorf("the link is gone: %v", err)
		}
		assertVictim(t, victim)
	})
}
