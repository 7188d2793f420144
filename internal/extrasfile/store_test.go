package extrasfile_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
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
	_, err = st.Update(context.Background(), func(f *extras.File) error { f.Set(bad); return nil })
	var ice *extrasfile.InvalidChangeError
	var list extras.ErrorList
	if err == nil || !strings.Contains(err.Error(), "nothing was written") || !errors.As(err, &ice) || ice.Display != "skus/extras.json" || !errors.As(err, &list) {
		t.Errorf("invalid Update: %v, want an *InvalidChangeError wrapping the ErrorList", err)
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
	// The error is typed, with what a tool needs to say how to wait
	// longer; its message does not say it, since a tool sets the timeout.
	var lte *extrasfile.LockTimeoutError
	if !errors.As(fmt.Errorf("wrapped: %w", err), &lte) || lte.Holder != "another release run" || lte.PID != os.Getpid() ||
		lte.Lock != "x.lock" || lte.Timeout != 100*time.Millisecond {
		t.Errorf("second lock: %#v, want a *LockTimeoutError with the holder, its pid, the lock and the timeout", err)
	}
	want := fmt.Sprintf("another release run (pid %d) holds the lock x.lock: wait for it to finish and run the command again", os.Getpid())
	if runtime.GOOS != "windows" && err.Error() != want {
		t.Errorf("second lock:\n got %v\nwant %s", err, want)
	}
	if strings.Contains(err.Error(), "-lock-timeout") || strings.Contains(err.Error(), "nothing was") {
		t.Errorf("the message names a flag or speaks for the tool: %v", err)
	}
	l.Release()
	l, err = extrasfile.AcquireLock(context.Background(), p, "x.lock", extrasfile.LockOptions{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	l.Release()
}

// TestParseErrorWords checks that a file that does not parse is reported
// in the words of package extras, which name its Go option
// (Options.AllowInsecure), not a flag of a tool.
func TestParseErrorWords(t *testing.T) {
	p := filepath.Join(t.TempDir(), "extras.json")
	os.WriteFile(p, []byte(`{"a": {"url": "http://127.0.0.1/a.tar.gz", "sha256": "`+sha+`"}}`+"\n"), 0o644)
	st, err := extrasfile.Open(p, "skus/extras.json")
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = st.Load(context.Background())
	var pe *extrasfile.ParseError
	var list extras.ErrorList
	if !errors.As(err, &pe) || !errors.As(err, &list) {
		t.Fatalf("Load = %v, want a *ParseError wrapping an ErrorList", err)
	}
	if !strings.Contains(err.Error(), "Options.AllowInsecure") || strings.Contains(err.Error(), "-allow-insecure") {
		t.Errorf("Load: %v", err)
	}
	if got := extrasfile.EntryErrors(err); !errors.As(got, &list) || !strings.HasPrefix(got.Error(), `entry "a": URL "http://127.0.0.1/a.tar.gz" is not https`) {
		t.Errorf("EntryErrors = %v, want the messages without positions, wrapping the ErrorList", got)
	}
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
