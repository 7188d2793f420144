package extrasfile_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/extras"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/extrasfile"
)

const sha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

func TestUpdate(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "extras.json")
	os.WriteFile(p, []byte("{}\n"), 0o600)
	st, err := extrasfile.Open(p, "skus/extras.json")
	if err != nil {
		t.Fatal(err)
	}
	e := extras.Entry{Name: "presign_perso", URLs: []string{"https://example.com/a.tar.xz"}, SHA256: sha}
	wrote, err := st.Update(context.Background(), func(f *extras.File) error { f.Set(e); return nil })
	if err != nil || !wrote {
		t.Fatalf("Update = %v, %v", wrote, err)
	}
	f, data, err := st.Load()
	if err != nil || !extrasfile.SameEntry(extrasfile.Lookup(f, e.Name), &e) || string(data) != string(f.Encode()) {
		t.Errorf("after Update: %v\n%s", err, data)
	}
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want the file's 0600 kept", fi.Mode().Perm())
	}
	// The same change again writes nothing; an invalid one is refused.
	if wrote, err := st.Update(context.Background(), func(f *extras.File) error { f.Set(e); return nil }); wrote || err != nil {
		t.Errorf("no-op Update = %v, %v", wrote, err)
	}
	bad := e
	bad.SHA256 = "nope"
	if _, err := st.Update(context.Background(), func(f *extras.File) error { f.Set(bad); return nil }); err == nil || !strings.Contains(err.Error(), "nothing was written") {
		t.Errorf("invalid Update: %v", err)
	}
	if err := extrasfile.Conflict("x", f, e.Name, nil); err == nil {
		t.Error("Conflict did not notice the new entry")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("left behind: %v", entries)
	}
}

func TestLock(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.lock")
	l, err := extrasfile.AcquireLock(context.Background(), p, "x.lock", extrasfile.LockOptions{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	_, err = extrasfile.AcquireLock(context.Background(), p, "x.lock", extrasfile.LockOptions{Timeout: 100 * time.Millisecond, Holder: "another release run"})
	if err == nil || !strings.HasPrefix(err.Error(), "another release run (pid ") {
		t.Errorf("second lock: %v", err)
	}
	l.Release()
	l, err = extrasfile.AcquireLock(context.Background(), p, "x.lock", extrasfile.LockOptions{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	l.Release()
}

func TestWriteAtomicHook(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	os.WriteFile(p, []byte("old"), 0o644)
	extrasfile.TestHookBeforeRename = func(string) error { return errors.New("boom") }
	defer func() { extrasfile.TestHookBeforeRename = nil }()
	if err := extrasfile.WriteAtomic(p, []byte("new")); err == nil {
		t.Fatal("no error")
	}
	if b, _ := os.ReadFile(p); string(b) != "old" {
		t.Errorf("content %q", b)
	}
}
