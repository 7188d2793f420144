package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/testtools"
)

// hostileServer serves bodies that never end (testtools.Server's failure
// modes): /endless/chunk.tar.gz sends data as fast as it can (with no
// Content-Length), /trickle/600.tar.gz one byte every 100ms, and
// /hang/1073741824/chunk.tar.gz announces 1 GiB, sends 64 KiB and then
// nothing. Each stops when the client goes away (or after a bound, so that
// the tests end even against a tool without limits); /good.tar.gz serves
// goodTarGz.
func hostileServer(t *testing.T) *testtools.Server {
	t.Helper()
	s := testtools.StartServer(t, "")
	s.SetFile("chunk.tar.gz", bytes.Repeat([]byte("endless archive "), 4096))
	s.SetFile("600.tar.gz", bytes.Repeat([]byte("x"), 600))
	s.SetFile("good.tar.gz", goodTarGz)
	return s
}

// TestDownloadLimits runs set and check against a body without end and a
// trickling server: -max-size and -deadline end them with a clear error,
// and extras.json stays byte-for-byte as it was, with nothing left behind.
func TestDownloadLimits(t *testing.T) {
	srv := hostileServer(t)
	w := newWorkspace(t, fmt.Sprintf(entryTemplate, "a.tar.gz", hexSHA(goodTarGz)))
	before := w.readExtras()
	for _, tc := range []struct {
		name   string
		args   []string
		stderr string // a regular expression
		within time.Duration
	}{
		{"endless body", []string{"set", "perso_release", srv.URL + "/endless/chunk.tar.gz", "-max-size", "1MiB"},
			`(?m)^update_extras set: entry "perso_release": http://127\.0\.0\.1:\d+/endless/chunk\.tar\.gz: the archive is too large: it grew beyond the limit of 1MiB \(1048576 bytes\), so the download stopped after 1048576 bytes; raise -max-size if it is really that large\nnothing was changed\n$`,
			10 * time.Second},
		{"announced size", []string{"set", "perso_release", srv.URL + "/hang/1073741824/chunk.tar.gz", "-max-size", "100MB"},
			`http://127\.0\.0\.1:\d+/hang/1073741824/chunk\.tar\.gz: the archive is too large: its announced size, 1073741824 bytes, is more than the limit of 100000000 bytes, so nothing was downloaded; raise -max-size if it is really that large\nnothing was changed\n$`,
			10 * time.Second},
		{"trickle", []string{"set", "perso_release", srv.URL + "/trickle/600.tar.gz", "-deadline", "1s", "-timeout", "1m"},
			`(?m)^update_extras set: entry "perso_release": http://127\.0\.0\.1:\d+/trickle/600\.tar\.gz: gave up after 1s; the server sent \d+ of 600 bytes; raise -deadline if the server is just slow\nnothing was changed\n$`,
			10 * time.Second},
		{"check", []string{"check", "-max-size", "100B"},
			`(?m)^FAIL perso_release: .*its announced size, 266 bytes, is more than the limit of 100 bytes.*raise -max-size`,
			10 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "check" {
				w.serve("a.tar.gz", goodTarGz)
			}
			start := time.Now()
			r := w.run(tc.args...)
			if d := time.Since(start); d > tc.within {
				t.Errorf("took %s", d)
			}
			if r.code != exitFail {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, exitFail, r.stdout, r.stderr)
			}
			if !regexp.MustCompile(tc.stderr).MatchString(r.stderr + r.stdout) {
				t.Errorf("output does not match %q:\nstdout:\n%s\nstderr:\n%s", tc.stderr, r.stdout, r.stderr)
			}
			if got := w.readExtras(); !bytes.Equal(got, before) {
				t.Errorf("extras.json changed:\n%s", got)
			}
			w.assertClean()
		})
	}
}

// TestKilledRunDebris kills (SIGKILL) a set that is downloading, and
// checks that the next run removes what it left: its partial download in
// -tmpdir and a temporary file beside extras.json (as WriteAtomic leaves
// when killed while writing), but not the download of a run still alive.
func TestKilledRunDebris(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGKILL")
	}
	bin, err := exec.LookPath("update_extras") // put in $PATH by testscript.Main
	if err != nil {
		t.Skip("no update_extras binary:", err)
	}
	srv := hostileServer(t)
	w := newWorkspace(t, "{}\n")
	start := func(name string) *testtools.Process {
		cmd := exec.Command(bin, "set", "-allow-insecure", "-tmpdir", w.tmp, "-timeout", "1m", name, srv.URL+"/hang/1073741824/chunk.tar.gz")
		cmd.Dir = w.dir
		cmd.Env = append(os.Environ(), "BUILD_WORKSPACE_DIRECTORY=", "BUILD_WORKING_DIRECTORY=")
		return testtools.Start(t, cmd)
	}
	// files returns the regular files under -tmpdir that hold data.
	files := func() map[string]bool {
		m := map[string]bool{}
		filepath.WalkDir(w.tmp, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() {
				if fi, err := d.Info(); err == nil && fi.Size() > 0 && !strings.HasSuffix(p, "lock") {
					m[p] = true
				}
			}
			return nil
		})
		return m
	}
	// waitNew waits until a file that is not in old holds data.
	waitNew := func(old map[string]bool) string {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			for p := range files() {
				if !old[p] {
					return p
				}
			}
		}
		t.Fatalf("no download appeared in %s", w.tmp)
		return ""
	}

	killed := start("perso_release")
	dead := waitNew(nil)
	killed.Kill(t)
	// A run killed inside WriteAtomic leaves its complete temporary file
	// (the extrasfile tests kill one there for real).
	debris := filepath.Join(w.dir, "skus", ".extras.json.tmp-2821562340")
	if err := os.WriteFile(debris, bytes.Repeat([]byte("{}\n"), 100000), 0o644); err != nil {
		t.Fatal(err)
	}
	live := start("rom_ext_release")
	alive := waitNew(map[string]bool{dead: true})

	good := srv.URL + "/good.tar.gz"
	r := w.run("set", "presign_perso", good, "-strip-prefix", "rel-1.0")
	if r.code != 0 {
		t.Fatalf("set: exit %d\n%s", r.code, r.stderr)
	}
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Errorf("the killed run's download %s is still there (%v)", dead, err)
	}
	if _, err := os.Stat(debris); !os.IsNotExist(err) {
		t.Errorf("the killed run's %s is still there (%v)", debris, err)
	}
	if _, err := os.Stat(alive); err != nil {
		t.Errorf("the live run's download was removed: %v", err)
	}
	if !strings.Contains(string(w.readExtras()), `"presign_perso"`) {
		t.Errorf("extras.json:\n%s", w.readExtras())
	}
	// Once the live run is killed too, the next run removes its files, and
	// nothing is left.
	live.Kill(t)
	if r := w.run("set", "presign_perso", good, "-strip-prefix", "rel-1.0"); r.code != 0 {
		t.Fatalf("set: exit %d\n%s", r.code, r.stderr)
	}
	w.assertClean()
}
