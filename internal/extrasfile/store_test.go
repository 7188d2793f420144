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
	f, data, err := st.Load(context.Background())
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

// TestStaleTemps checks which files Update removes beside the file: only
// WriteAtomic's temporary files of that file, and only once it holds the
// lock, so never one that the lock's live holder is writing.
func TestStaleTemps(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "extras.json")
	os.WriteFile(p, []byte("{}\n"), 0o644)
	write := func(name string) string {
		q := filepath.Join(dir, name)
		if err := os.WriteFile(q, []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
		return q
	}
	stale := write(".extras.json.tmp-1234")
	kept := []string{write(".other.json.tmp-1"), write("extras.json.tmp-2"), write("notes.txt")}
	if err := os.Mkdir(filepath.Join(dir, ".extras.json.tmp-dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	kept = append(kept, filepath.Join(dir, ".extras.json.tmp-dir"))
	target := write("target")
	if err := os.Symlink(target, filepath.Join(dir, ".extras.json.tmp-link")); err != nil {
		t.Skip("no symbolic links:", err)
	}
	kept = append(kept, target, filepath.Join(dir, ".extras.json.tmp-link"))

	st, err := extrasfile.Open(p, "extras.json")
	if err != nil {
		t.Fatal(err)
	}
	st.LockTimeout = 200 * time.Millisecond
	change := func(f *extras.File) error {
		f.Set(extras.Entry{Name: "presign_perso", URLs: []string{"https://example.com/a.tar.xz"}, SHA256: sha})
		return nil
	}
	// While another run holds the lock, its temporary file is its own.
	l, err := extrasfile.AcquireLock(context.Background(), p+".lock", "extras.json.lock", extrasfile.LockOptions{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Update(context.Background(), change); err == nil {
		t.Fatal("Update did not wait for the lock")
	}
	if _, _, err := st.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); err != nil {
		t.Errorf("the lock holder's temporary file was removed without the lock: %v", err)
	}
	l.Release()

	if _, err := st.Update(context.Background(), change); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("%s is still there: %v", stale, err)
	}
	for _, q := range kept {
		if _, err := os.Lstat(q); err != nil {
			t.Errorf("%s was removed: %v", filepath.Base(q), err)
		}
	}
	if got := extrasfile.RemoveStaleTemps(p); len(got) != 0 {
		t.Errorf("RemoveStaleTemps removed %v after Update", got)
	}
}
