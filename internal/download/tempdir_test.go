//go:build unix

package download_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/download"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/testtools"
)

func init() { testtools.RunHelper("hold-tempdir", holdTempDir) }

// holdTempDir plays a run that is downloading: it makes a TempDir in
// parent, writes a partial download into it, and waits to be killed.
func holdTempDir(parent string) {
	d, err := download.NewTempDir(parent)
	if err != nil {
		testtools.Fail(err)
	}
	if err := os.WriteFile(filepath.Join(d.Path, "download-1.tmp"), make([]byte, 1<<20), 0o600); err != nil {
		testtools.Fail(err)
	}
	testtools.Ready(d.Path)
}

// startHolder starts a process that holds a TempDir in parent and returns
// it with the directory.
func startHolder(t *testing.T, parent string) (*testtools.Process, string) {
	t.Helper()
	p, dir := testtools.StartHelper(t, "hold-tempdir", parent)
	if !strings.HasPrefix(dir, parent) {
		t.Fatalf("helper: %q is not in %s", dir, parent)
	}
	return p, dir
}

// TestCleanStaleKilledRun checks that the TempDir of a process killed
// with SIGKILL is removed by the next NewTempDir, and that of a live
// process is not.
func TestCleanStaleKilledRun(t *testing.T) {
	parent := t.TempDir()
	killed, dead := startHolder(t, parent)
	_, live := startHolder(t, parent)
	killed.Kill(t)
	if _, err := os.Stat(filepath.Join(dead, "download-1.tmp")); err != nil {
		t.Fatalf("the killed run left nothing to clean: %v", err)
	}

	d, err := download.NewTempDir(parent)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Errorf("the killed run's %s is still there: %v", dead, err)
	}
	if _, err := os.Stat(filepath.Join(live, "download-1.tmp")); err != nil {
		t.Errorf("the live run's download is gone: %v", err)
	}
	// Nor is this process's own directory stale.
	if got := download.CleanStale(parent); len(got) != 0 {
		t.Errorf("CleanStale removed %v with every owner alive", got)
	}
	if _, err := os.Stat(d.Path); err != nil {
		t.Errorf("the new TempDir: %v", err)
	}
	if err := d.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(d.Path); !os.IsNotExist(err) {
		t.Errorf("Remove left %s: %v", d.Path, err)
	}
}

// TestCleanStaleOrphans checks the directories without a lock: removed
// once old, kept while young (a run may be setting them up), and symbolic
// links and other names left alone.
func TestCleanStaleOrphans(t *testing.T) {
	parent := t.TempDir()
	old := time.Now().Add(-2 * time.Hour)
	mk := func(name string, age time.Time) string {
		p := filepath.Join(parent, name)
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(p, "download-1.tmp"), []byte("partial"), 0o600)
		os.Chtimes(p, age, age)
		return p
	}
	oldStaging := mk(".ot-extras-download-new-1", old)
	newStaging := mk(".ot-extras-download-new-2", time.Now())
	oldLockless := mk("ot-extras-download-3", old)
	newLockless := mk("ot-extras-download-4", time.Now())
	other := mk("ot-extras-other-5", old)
	target := mk("target", old)
	link := filepath.Join(parent, "ot-extras-download-6")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	// A directory whose lock file nobody holds, however young: its
	// process is gone.
	unlocked := mk("ot-extras-download-7", time.Now())
	os.WriteFile(filepath.Join(unlocked, "lock"), []byte("99999999\n"), 0o600)

	got := download.CleanStale(parent)
	want := map[string]bool{oldStaging: true, oldLockless: true, unlocked: true}
	if len(got) != len(want) {
		t.Errorf("CleanStale removed %v, want %v", got, want)
	}
	for _, p := range []string{oldStaging, newStaging, oldLockless, newLockless, other, target, link, unlocked} {
		_, err := os.Lstat(p)
		if gone := os.IsNotExist(err); gone != want[p] {
			t.Errorf("%s: removed %v, want %v", filepath.Base(p), gone, want[p])
		}
	}
	if _, err := os.Stat(filepath.Join(target, "download-1.tmp")); err != nil {
		t.Errorf("the link's target lost its file: %v", err)
	}
}

// TestFetchOwnTempDir checks that Fetch without Options.Dir keeps the
// archive in a TempDir of its own under $TMPDIR, which Result.Remove
// deletes, and that a failed Fetch leaves nothing.
func TestFetchOwnTempDir(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	s := newServer(t)
	opts := testOptions(t)
	opts.Dir = ""
	res, err := download.Fetch(context.Background(), []string{s.URL + "/ok.tar.gz"}, opts)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(res.Path)
	if filepath.Dir(dir) != tmp || !strings.HasPrefix(filepath.Base(dir), download.TempDirPrefix) {
		t.Errorf("the archive is at %s, want it in $TMPDIR/%s*", res.Path, download.TempDirPrefix)
	}
	if err := res.Remove(); err != nil {
		t.Fatal(err)
	}
	assertEmptyDir(t, tmp)
	if _, err := download.Fetch(context.Background(), []string{s.URL + "/missing.tar.gz"}, opts); err == nil {
		t.Fatal("no error")
	}
	assertEmptyDir(t, tmp)
}
