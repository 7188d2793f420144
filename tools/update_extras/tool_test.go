package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/extras"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/extrasfile"
	at "github.com/ot-provisioning-exts/ot-provisioning-exts/internal/testtools/archivetest"
)

// workspace is a temporary repository with skus/extras.json, served
// archives and a loopback fixture server.
type workspace struct {
	t      *testing.T
	dir    string // the repository root
	srv    *fixture
	tmp    string // -tmpdir
	getenv map[string]string
}

func newWorkspace(t *testing.T, extrasJSON string) *workspace {
	t.Helper()
	w := &workspace{t: t, dir: t.TempDir(), tmp: t.TempDir(), getenv: map[string]string{}}
	if err := os.MkdirAll(filepath.Join(w.dir, "skus"), 0o755); err != nil {
		t.Fatal(err)
	}
	w.srv = newFixture(t.TempDir())
	t.Cleanup(w.srv.Close)
	w.writeExtras(extrasJSON)
	return w
}

func (w *workspace) extrasPath() string { return filepath.Join(w.dir, "skus", "extras.json") }

func (w *workspace) writeExtras(s string) {
	w.t.Helper()
	if err := os.WriteFile(w.extrasPath(), []byte(os.Expand(s, w.expand)), 0o644); err != nil {
		w.t.Fatal(err)
	}
}

// expand replaces $SRV in test data.
func (w *workspace) expand(k string) string {
	if k == "SRV" {
		return w.srv.URL
	}
	return "$" + k
}

func (w *workspace) readExtras() []byte {
	w.t.Helper()
	b, err := os.ReadFile(w.extrasPath())
	if err != nil {
		w.t.Fatal(err)
	}
	return b
}

// serve makes the fixture serve data at path and returns its URL.
func (w *workspace) serve(path string, data []byte) string {
	w.t.Helper()
	p := filepath.Join(w.srv.root, "srv", filepath.FromSlash(path))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		w.t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		w.t.Fatal(err)
	}
	return w.srv.URL + "/" + path
}

type result struct {
	stdout, stderr string
	code           int
}

// run runs the tool in the workspace with fast, insecure-allowed test
// settings before args.
func (w *workspace) run(args ...string) result {
	w.t.Helper()
	if len(args) > 0 && findCommand(args[0]) != nil {
		extra := []string{"-allow-insecure"}
		if args[0] != "check" {
			extra = append(extra, "-lock-timeout", "2s")
		}
		if findCommand(args[0]).downloads {
			extra = append(extra, "-backoff", "1ms", "-timeout", "2s", "-tmpdir", w.tmp)
		}
		args = append([]string{args[0]}, append(extra, args[1:]...)...)
	}
	return w.runRaw(args...)
}

func (w *workspace) runRaw(args ...string) result {
	w.t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &env{
		stdout: &out,
		stderr: &errb,
		getenv: func(k string) string { return w.getenv[k] },
		wd:     w.dir,
	})
	return result{out.String(), errb.String(), code}
}

// assertClean checks that no temporary or lock file is left beside
// extras.json or in -tmpdir.
func (w *workspace) assertClean() {
	w.t.Helper()
	entries, err := os.ReadDir(filepath.Join(w.dir, "skus"))
	if err != nil {
		w.t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != "extras.json" {
			w.t.Errorf("left behind in skus/: %s", e.Name())
		}
	}
	entries, err = os.ReadDir(w.tmp)
	if err != nil {
		w.t.Fatal(err)
	}
	for _, e := range entries {
		w.t.Errorf("left behind in -tmpdir: %s", e.Name())
	}
}

// or returns the first of its arguments that is not zero.
func or[T comparable](vals ...T) T {
	var zero T
	for _, v := range vals {
		if v != zero {
			return v
		}
	}
	return zero
}

func hexSHA(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func sri(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256-" + base64.StdEncoding.EncodeToString(s[:])
}

// matchAll fails unless s matches every regular expression in res, in
// multi-line mode (^ and $ match at line boundaries).
func matchAll(t *testing.T, what, s string, res []string) {
	t.Helper()
	for _, re := range res {
		if !regexp.MustCompile("(?m)" + re).MatchString(s) {
			t.Errorf("%s does not match %q:\n%s", what, re, s)
		}
	}
}

var (
	release   = at.Release("rel-1.0")
	goodTarGz = at.TarGz(release...)
	noise     = func() []byte { b := make([]byte, 2048); rand.Read(b); return b }()
)

const entryTemplate = `{
  "perso_release": {
    "urls": [
      "$SRV/%s"
    ],
    "sha256": "%s",
    "strip_prefix": "rel-1.0"
  }
}
`

// TestSetFailures runs set in ways that must fail, and checks the message
// and that extras.json is byte-for-byte unchanged.
func TestSetFailures(t *testing.T) {
	other := at.TarGz(at.Release("rel-2.0")...)
	tests := []struct {
		name     string
		extras   string            // initial file ("" for {})
		files    map[string][]byte // served files
		args     []string          // after "set"; $SRV is expanded
		code     int
		stderr   []string       // regular expressions
		requests map[string]int // path -> requests
	}{
		{name: "404", args: []string{"perso_release", "$SRV/missing.tar.gz"},
			stderr:   []string{`^update_extras set: entry "perso_release": http://127\.0\.0\.1:\d+/missing\.tar\.gz: 404 Not Found\nnothing was changed\n$`},
			requests: map[string]int{"/missing.tar.gz": 1}},
		{name: "500 until the retries run out", args: []string{"perso_release", "$SRV/status/500/a.tar.gz"},
			stderr: []string{
				`^perso_release: downloading http://127\.0\.0\.1:\d+/status/500/a\.tar\.gz\n`,
				`perso_release: http://127\.0\.0\.1:\d+/status/500/a\.tar\.gz: 500 Internal Server Error; retrying in 1ms \(attempt 2 of 4\)\n`,
				`update_extras set: entry "perso_release": http://127\.0\.0\.1:\d+/status/500/a\.tar\.gz: 500 Internal Server Error \(gave up after 4 attempts\)\nnothing was changed\n$`},
			requests: map[string]int{"/status/500/a.tar.gz": 4}},
		{name: "403 is not retried", args: []string{"perso_release", "$SRV/status/403/a.tar.gz"},
			stderr:   []string{`: 403 Forbidden\nnothing was changed\n$`},
			requests: map[string]int{"/status/403/a.tar.gz": 1}},
		{name: "truncated download", files: map[string][]byte{"a.tar.gz": goodTarGz}, args: []string{"perso_release", "$SRV/truncate/a.tar.gz", "-retries", "1"},
			stderr:   []string{fmt.Sprintf(`/truncate/a\.tar\.gz: truncated download: got %d of %d bytes \(gave up after 2 attempts\)\nnothing was changed\n$`, len(goodTarGz)/2, len(goodTarGz))},
			requests: map[string]int{"/truncate/a.tar.gz": 2}},
		{name: "expected hash differs", files: map[string][]byte{"a.tar.gz": goodTarGz},
			args:     []string{"perso_release", "$SRV/a.tar.gz", "-sha256", hexSHA(other)},
			stderr:   []string{fmt.Sprintf(`/a\.tar\.gz: sha256 mismatch: got %s \(%d bytes\), want %s\nnothing was changed\n$`, hexSHA(goodTarGz), len(goodTarGz), hexSHA(other))},
			requests: map[string]int{"/a.tar.gz": 1}},
		{name: "pinned URL serves other bytes", files: map[string][]byte{"a.tar.gz": goodTarGz},
			extras: fmt.Sprintf(entryTemplate, "a.tar.gz", hexSHA(other)),
			args:   []string{"perso_release", "$SRV/a.tar.gz"},
			stderr: []string{`sha256 mismatch`, `\nThe entry pins this URL to sha256 ` + hexSHA(other) + `, but it now serves other bytes: the archive changed upstream\. If that is expected, run again with -rehash\nnothing was changed\n$`}},
		{name: "strip_prefix absent", files: map[string][]byte{"a.tar.gz": goodTarGz},
			args:   []string{"perso_release", "$SRV/a.tar.gz", "-strip-prefix", "perso"},
			stderr: []string{`^update_extras set: entry "perso_release": the archive from http://127\.0\.0\.1:\d+/a\.tar\.gz is not usable: strip_prefix "perso" is not a directory in the archive; its top level holds "rel-1\.0"\nnothing was changed\n$`}},
		{name: "entry's strip_prefix absent from the new archive", files: map[string][]byte{"b.tar.gz": other},
			extras: fmt.Sprintf(entryTemplate, "a.tar.gz", hexSHA(goodTarGz)),
			args:   []string{"perso_release", "$SRV/b.tar.gz"},
			stderr: []string{`strip_prefix "rel-1\.0" is not a directory in the archive; its top level holds "rel-2\.0"\nnothing was changed\n$`}},
		{name: "member escapes through ..", files: map[string][]byte{"a.tar.gz": at.TarGz(at.File("ok", "x"), at.File("../evil", "x"))},
			args:   []string{"perso_release", "$SRV/a.tar.gz"},
			stderr: []string{`is not usable: member "\.\./evil" escapes the archive root through "\.\."\nnothing was changed\n$`}},
		{name: "absolute member", files: map[string][]byte{"a.tar.xz": at.TarXz(at.File("/etc/passwd", "x"))},
			args:   []string{"perso_release", "$SRV/a.tar.xz"},
			stderr: []string{`is not usable: member "/etc/passwd" has an absolute path; archives must hold only relative paths\nnothing was changed\n$`}},
		{name: "symlink outside", files: map[string][]byte{"a.zip": at.Zip(at.File("d/f", "x"), at.Symlink("d/l", "../../x"))},
			args:   []string{"perso_release", "$SRV/a.zip"},
			stderr: []string{`is not usable: symlink "d/l" points to "\.\./\.\./x", outside the archive\nnothing was changed\n$`}},
		{name: "not an archive, right hash", files: map[string][]byte{"a.tar.gz": noise},
			args:   []string{"perso_release", "$SRV/a.tar.gz", "-sha256", hexSHA(noise)},
			stderr: []string{`is not usable: the file is not a tar\.gz archive: it starts with no known archive format \([0-9a-f ]+\), not with gzip's magic bytes; if the file is right, declare its real type\nnothing was changed\n$`}},
		{name: "truncated archive", files: map[string][]byte{"a.tar.gz": goodTarGz[:len(goodTarGz)-20]},
			args:   []string{"perso_release", "$SRV/a.tar.gz"},
			stderr: []string{`is not usable: the tar\.gz archive is truncated: unexpected EOF\nnothing was changed\n$`}},
		{name: "type from the flag", files: map[string][]byte{"a.tar.gz": goodTarGz},
			args:   []string{"perso_release", "$SRV/a.tar.gz", "-type", "zip"},
			stderr: []string{`is not usable: the file is not a zip archive: it starts like a gzip file \(1f 8b [0-9a-f ]+\), not with zip's magic bytes; if the file is right, declare its real type\nnothing was changed\n$`}},
		{name: "mirror serves other bytes", files: map[string][]byte{"a.tar.gz": goodTarGz, "m/a.tar.gz": other},
			args:   []string{"perso_release", "$SRV/a.tar.gz", "$SRV/m/a.tar.gz"},
			stderr: []string{`^update_extras set: entry "perso_release": http://127\.0\.0\.1:\d+/m/a\.tar\.gz: sha256 mismatch: got ` + hexSHA(other) + ` \(\d+ bytes\), want ` + hexSHA(goodTarGz) + ` \(every URL must serve the same archive; fix or remove the failing URLs, or pass -mirrors=first to accept any one\)\nnothing was changed\n$`}},
		{name: "first URL 404", files: map[string][]byte{"m/a.tar.gz": goodTarGz},
			args:   []string{"perso_release", "$SRV/a.tar.gz", "$SRV/m/a.tar.gz"},
			stderr: []string{`^update_extras set: entry "perso_release": http://127\.0\.0\.1:\d+/a\.tar\.gz: 404 Not Found \(every URL must serve the same archive`}},
		{name: "slow server", args: []string{"perso_release", "$SRV/slow/a.tar.gz", "-timeout", "50ms", "-retries", "1"},
			stderr:   []string{`/slow/a\.tar\.gz: timed out: no response within 50ms \(gave up after 2 attempts\)\nnothing was changed\n$`},
			requests: map[string]int{"/slow/a.tar.gz": 2}},
		{name: "type unknown", files: map[string][]byte{"a.bin": goodTarGz},
			args:   []string{"perso_release", "$SRV/a.bin"},
			stderr: []string{`cannot tell the archive type of http://127\.0\.0\.1:\d+/a\.bin from its name \(no known extension such as \.tar\.gz\); set the entry's type with set -type\nnothing was changed\n$`}},
		{name: "bad strip_prefix", args: []string{"perso_release", "https://example.com/a.tar.gz", "-strip-prefix", "/abs"},
			stderr: []string{`^update_extras set: invalid entry:\nentry "perso_release": strip_prefix "/abs" starts with "/", but it must be a clean relative path; write it as "abs"\nnothing was changed\n$`}},
		{name: "bad URL", args: []string{"perso_release", "https://user:pw@example.com/a.tar.gz"},
			stderr: []string{`^update_extras set: entry "perso_release": URL "https://REDACTED@example\.com/a\.tar\.gz" carries credentials \(user information\); extras\.json is committed, so it must not hold secrets: use a URL without them\nnothing was changed\n$`}},
		{name: "file does not parse", extras: "{\n  \"perso_release\": {\"urls\": []}\n}\n", files: map[string][]byte{"a.tar.gz": goodTarGz},
			args: []string{"perso_release", "$SRV/a.tar.gz"},
			stderr: []string{`^update_extras set: skus/extras.json does not parse; fix these problems first:\n` +
				`skus/extras.json:2:3: entry "perso_release": missing hash; run bazel run //tools:update_extras -- set perso_release <url>\n` +
				`skus/extras.json:2:29: entry "perso_release": "urls" is empty; list at least one URL of the archive\nnothing was changed\n$`}},
		{name: "reserved name", args: []string{"provisioning_exts", "https://example.com/a.tar.gz"}, code: exitUsage,
			stderr: []string{`^update_extras set: repository name "provisioning_exts" is reserved: the ot_provisioning_exts module uses it itself \(for a repository, or a file of the hub\)\n`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorkspace(t, or(tt.extras, "{}\n"))
			for p, data := range tt.files {
				w.serve(p, data)
			}
			before := w.readExtras()
			args := []string{"set"}
			for _, a := range tt.args {
				args = append(args, os.Expand(a, w.expand))
			}
			r := w.run(args...)
			if want := or(tt.code, exitFail); r.code != want {
				t.Errorf("exit code %d, want %d", r.code, want)
			}
			matchAll(t, "stderr", r.stderr, tt.stderr)
			if r.stdout != "" {
				t.Errorf("stdout: %q", r.stdout)
			}
			if diff := cmp.Diff(string(before), string(w.readExtras())); diff != "" {
				t.Errorf("extras.json changed (-before +after):\n%s", diff)
			}
			for p, n := range tt.requests {
				if got := w.srv.WaitRequests(p, n); got != n {
					t.Errorf("%d requests for %s, want %d", got, p, n)
				}
			}
			w.assertClean()
		})
	}
}

// TestSetSuccess covers set's successful paths that the scripts do not.
func TestSetSuccess(t *testing.T) {
	t.Run("500 then 200", func(t *testing.T) {
		w := newWorkspace(t, "{}\n")
		w.serve("a.tar.gz", goodTarGz)
		r := w.run("set", "perso_release", w.srv.URL+"/flaky/1/a.tar.gz", "-strip-prefix", "rel-1.0")
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		if n := w.srv.Requests("/flaky/1/a.tar.gz"); n != 2 {
			t.Errorf("%d requests, want 2", n)
		}
		matchAll(t, "stderr", r.stderr, []string{`/flaky/1/a\.tar\.gz: 503 Service Unavailable; retrying in 1ms \(attempt 2 of 4\)`})
		f, err := extras.Parse(context.Background(), "extras.json", w.readExtras(), extras.Options{AllowInsecure: true})
		if err != nil {
			t.Fatal(err)
		}
		want := []extras.Entry{{Name: "perso_release", URLs: []string{w.srv.URL + "/flaky/1/a.tar.gz"},
			SHA256: hexSHA(goodTarGz), Integrity: sri(goodTarGz), StripPrefix: "rel-1.0"}}
		if diff := cmp.Diff(want, f.Entries, cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Pos" }, cmp.Ignore())); diff != "" {
			t.Errorf("entries (-want +got):\n%s", diff)
		}
		w.assertClean()
	})
	t.Run("first URL 404 with -mirrors=first", func(t *testing.T) {
		w := newWorkspace(t, "{}\n")
		u := w.serve("m/a.tar.gz", goodTarGz)
		r := w.run("set", "perso_release", w.srv.URL+"/a.tar.gz", u, "-mirrors=first")
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		matchAll(t, "stderr", r.stderr, []string{`warning: entry "perso_release": mirror failed: http://127\.0\.0\.1:\d+/a\.tar\.gz: 404 Not Found\n`})
		if !strings.Contains(string(w.readExtras()), hexSHA(goodTarGz)) {
			t.Errorf("extras.json lacks the hash:\n%s", w.readExtras())
		}
	})
	t.Run("unsupported type with -allow-unchecked", func(t *testing.T) {
		w := newWorkspace(t, "{}\n")
		u := w.serve("a.tar.zst", zstdNoise)
		r := w.run("set", "perso_release", u, "-allow-unchecked")
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		matchAll(t, "stderr", r.stderr, []string{`warning: entry "perso_release": THE ARCHIVE WAS NOT CHECKED \(-allow-unchecked\): its sha256 and its first bytes match, but its members were not read: archive type not supported by the checker: tar\.zst`})
		matchAll(t, "stdout", r.stdout, []string{`\narchive: tar\.zst, 2052 bytes, NOT CHECKED \(-allow-unchecked\): its members were not read\n`})
	})
	t.Run("pinned URL with -rehash", func(t *testing.T) {
		w := newWorkspace(t, fmt.Sprintf(entryTemplate, "a.tar.gz", hexSHA(noise)))
		w.serve("a.tar.gz", goodTarGz)
		r := w.run("set", "perso_release", w.srv.URL+"/a.tar.gz", "-rehash")
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		matchAll(t, "stdout", r.stdout, []string{"^perso_release:\n- sha256: " + hexSHA(noise) + "\n\\+ sha256: " + hexSHA(goodTarGz) + "\n\\+ integrity: "})
	})
	t.Run("GitHub provenance from the URL", func(t *testing.T) {
		p, ok := githubProvenance("https://github.com/lowRISC/ot-sku/releases/download/v1.0%2Brc1/perso_release.tar.xz")
		if want := (extras.Provenance{Repository: "lowRISC/ot-sku", Tag: "v1.0+rc1", Asset: "perso_release.tar.xz"}); !ok || p != want {
			t.Errorf("githubProvenance = %+v, %v", p, ok)
		}
		for _, u := range []string{"https://github.com/a/b/archive/v1.tar.gz", "https://example.com/a/b/releases/download/v1/x.zip", "http://github.com/a/b/releases/download/v1/x.zip"} {
			if _, ok := githubProvenance(u); ok {
				t.Errorf("githubProvenance(%q) matched", u)
			}
		}
	})
	t.Run("permissions and symlink kept", func(t *testing.T) {
		w := newWorkspace(t, "{}\n")
		real := filepath.Join(w.dir, "real.json")
		os.Rename(w.extrasPath(), real)
		os.Chmod(real, 0o600)
		if err := os.Symlink("../real.json", w.extrasPath()); err != nil {
			t.Fatal(err)
		}
		u := w.serve("a.tar.gz", goodTarGz)
		if r := w.run("set", "perso_release", u); r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		if fi, err := os.Lstat(w.extrasPath()); err != nil || fi.Mode()&os.ModeSymlink == 0 {
			t.Errorf("skus/extras.json is no longer a symlink: %v", err)
		}
		fi, err := os.Stat(real)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("real.json: %v, mode %v, want 0600", err, fi.Mode())
		}
		if b, _ := os.ReadFile(real); !bytes.Contains(b, []byte(hexSHA(goodTarGz))) {
			t.Errorf("real.json not updated:\n%s", b)
		}
	})
}

func TestCheck(t *testing.T) {
	w := newWorkspace(t, "{}\n")
	good := w.serve("good.tar.gz", goodTarGz)
	bad := w.serve("bad.tar.gz", goodTarGz)
	w.writeExtras(fmt.Sprintf(`{
  "bad": {
    "urls": [
      "%s"
    ],
    "sha256": "%s"
  },
  "good": {
    "urls": [
      "%s"
    ],
    "sha256": "%s",
    "strip_prefix": "rel-1.0"
  },
  "missing": {
    "urls": [
      "$SRV/missing.tar.gz"
    ],
    "sha256": "%s"
  }
}
`, bad, hexSHA(noise), good, hexSHA(goodTarGz), hexSHA(noise)))
	before := w.readExtras()
	r := w.run("check")
	if r.code != exitFail {
		t.Errorf("exit code %d, want 1", r.code)
	}
	want := fmt.Sprintf(`FAIL bad: %s: sha256 mismatch: got %s (%d bytes), want %s
ok   good     %d  %s
FAIL missing: %s/missing.tar.gz: 404 Not Found
checked 3 entries: 1 ok, 2 failed
`, bad, hexSHA(goodTarGz), len(goodTarGz), hexSHA(noise), len(goodTarGz), hexSHA(goodTarGz), w.srv.URL)
	if diff := cmp.Diff(want, r.stdout); diff != "" {
		t.Errorf("stdout (-want +got):\n%s", diff)
	}
	if !bytes.Equal(before, w.readExtras()) {
		t.Error("check changed extras.json")
	}

	// Only the named entries; an unknown name is an error.
	r = w.run("check", "good")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "ok   good  ") {
		t.Errorf("check good: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = w.run("check", "nope")
	if want := "update_extras check: no entry \"nope\" in skus/extras.json; its entries are bad, good, missing\n"; r.code != exitFail || r.stderr != want {
		t.Errorf("check nope: exit %d, stderr %q, want %q", r.code, r.stderr, want)
	}

	// A file that is not in the canonical form fails the check.
	w.writeExtras(`{"good": {"url": "` + good + `", "sha256": "` + hexSHA(goodTarGz) + `"}}`)
	r = w.run("check", "-offline")
	if want := "FAIL skus/extras.json: not in the canonical form; run update_extras fmt to rewrite it\nskus/extras.json: 1 entry, downloaded nothing (-offline)\n"; r.code != exitFail || r.stdout != want {
		t.Errorf("check -offline: exit %d, stdout %q, want %q", r.code, r.stdout, want)
	}
	if r := w.run("fmt"); r.code != 0 || r.stdout != "wrote skus/extras.json\n" {
		t.Errorf("fmt: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
	if r := w.run("check"); r.code != 0 {
		t.Errorf("check after fmt: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := w.run("fmt"); r.code != 0 || r.stdout != "skus/extras.json is already in the canonical form\n" {
		t.Errorf("fmt again: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
	w.assertClean()
}

func TestRemove(t *testing.T) {
	w := newWorkspace(t, fmt.Sprintf(entryTemplate, "a.tar.gz", hexSHA(goodTarGz)))
	before := w.readExtras()
	r := w.run("remove", "perso_release", "rom_ext")
	if want := "update_extras remove: no entry \"rom_ext\" in skus/extras.json; its entries are perso_release\nnothing was changed\n"; r.code != exitFail || r.stderr != want {
		t.Errorf("exit %d, stderr %q, want %q", r.code, r.stderr, want)
	}
	if !bytes.Equal(before, w.readExtras()) {
		t.Error("a failed remove changed extras.json")
	}
	r = w.run("remove", "perso_release")
	if r.code != 0 || string(w.readExtras()) != "{}\n" {
		t.Errorf("exit %d (%s), file:\n%s", r.code, r.stderr, w.readExtras())
	}
	w.assertClean()
}

func TestMissingFile(t *testing.T) {
	w := newWorkspace(t, "{}\n")
	os.Remove(w.extrasPath())
	r := w.run("remove", "x")
	if want := "update_extras remove: skus/extras.json does not exist; run from the repository root (or with bazel run), or name the file with -file\nnothing was changed\n"; r.stderr != want || r.code != exitFail {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestBazelRun checks the paths used under bazel run: the default file is
// in $BUILD_WORKSPACE_DIRECTORY and a relative -file is taken from
// $BUILD_WORKING_DIRECTORY, whatever the current directory.
func TestBazelRun(t *testing.T) {
	w := newWorkspace(t, fmt.Sprintf(entryTemplate, "a.tar.gz", hexSHA(goodTarGz)))
	ws := w.dir
	w.dir = t.TempDir() // the runfiles directory bazel run starts in
	w.getenv["BUILD_WORKSPACE_DIRECTORY"] = ws
	w.getenv["BUILD_WORKING_DIRECTORY"] = filepath.Join(ws, "skus")
	r := w.run("check", "-offline")
	if r.code != 0 || r.stdout != "skus/extras.json: 1 entry, downloaded nothing (-offline)\n" {
		t.Errorf("default file: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
	r = w.run("check", "-offline", "-file", "extras.json")
	if r.code != 0 || r.stdout != "extras.json: 1 entry, downloaded nothing (-offline)\n" {
		t.Errorf("-file: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
}

// TestLockHeld checks that a run fails, clearly and without changing
// anything, while another holds the lock past -lock-timeout.
func TestLockHeld(t *testing.T) {
	w := newWorkspace(t, fmt.Sprintf(entryTemplate, "a.tar.gz", hexSHA(goodTarGz)))
	before := w.readExtras()
	l, err := extrasfile.AcquireLock(context.Background(), w.extrasPath()+".lock", "lock", extrasfile.LockOptions{Timeout: time.Second, Holder: "another update_extras run"})
	if err != nil {
		t.Fatal(err)
	}
	r := w.run("remove", "perso_release", "-lock-timeout", "200ms")
	want := fmt.Sprintf("waiting for another update_extras run (pid %d), which holds the lock skus/extras.json.lock\n"+
		"update_extras remove: another update_extras run (pid %d) holds the lock skus/extras.json.lock: wait for it to finish and run the command again (or raise -lock-timeout, now 200ms)\nnothing was changed\n", os.Getpid(), os.Getpid())
	if r.code != exitFail || r.stderr != want {
		t.Errorf("exit %d, stderr:\n%s\nwant:\n%s", r.code, r.stderr, want)
	}
	if !bytes.Equal(before, w.readExtras()) {
		t.Error("extras.json changed while locked")
	}
	l.Release()
	w.assertClean()
}

// TestLockWait checks that a run waits for the lock and then goes ahead.
func TestLockWait(t *testing.T) {
	w := newWorkspace(t, fmt.Sprintf(entryTemplate, "a.tar.gz", hexSHA(goodTarGz)))
	l, err := extrasfile.AcquireLock(context.Background(), w.extrasPath()+".lock", "lock", extrasfile.LockOptions{Timeout: time.Second, Holder: "another update_extras run"})
	if err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(300*time.Millisecond, l.Release)
	r := w.run("remove", "perso_release", "-lock-timeout", "10s")
	if r.code != 0 || !strings.HasPrefix(r.stderr, "waiting for another update_extras run") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
	if got := string(w.readExtras()); got != "{}\n" {
		t.Errorf("extras.json:\n%s", got)
	}
	w.assertClean()
}

// TestConcurrentRuns runs several sets at once: none may lose another's
// entry.
func TestConcurrentRuns(t *testing.T) {
	w := newWorkspace(t, "{}\n")
	u := w.serve("a.tar.gz", goodTarGz)
	names := []string{"a", "b", "c", "d", "e", "f"}
	var wg sync.WaitGroup
	results := make([]result, len(names))
	for i, name := range names {
		wg.Go(func() { results[i] = w.run("set", name, u) })
	}
	wg.Wait()
	for i, r := range results {
		if r.code != 0 {
			t.Errorf("set %s: exit %d: %s", names[i], r.code, r.stderr)
		}
	}
	f, err := extras.Parse(context.Background(), "extras.json", w.readExtras(), extras.Options{AllowInsecure: true})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range f.Entries {
		got = append(got, e.Name)
	}
	if !slices.Equal(got, names) {
		t.Errorf("entries %v, want %v", got, names)
	}
	w.assertClean()
}

// TestAtomicWrite makes the write fail at the last moment: the file must
// be unchanged and no temporary file left.
func TestAtomicWrite(t *testing.T) {
	w := newWorkspace(t, "{}\n")
	u := w.serve("a.tar.gz", goodTarGz)
	before := w.readExtras()
	sawTemp := false
	extrasfile.TestHookBeforeRename = func(tmp string) error {
		if filepath.Dir(tmp) != filepath.Join(w.dir, "skus") {
			t.Errorf("temporary file %s is not beside extras.json", tmp)
		}
		b, err := os.ReadFile(tmp)
		sawTemp = err == nil && bytes.Contains(b, []byte(hexSHA(goodTarGz)))
		return errors.New("simulated failure")
	}
	defer func() { extrasfile.TestHookBeforeRename = nil }()
	r := w.run("set", "perso_release", u)
	if want := "update_extras set: writing skus/extras.json: simulated failure\nnothing was changed\n"; r.code != exitFail || !strings.HasSuffix(r.stderr, want) {
		t.Errorf("exit %d, stderr %q, want suffix %q", r.code, r.stderr, want)
	}
	if !sawTemp {
		t.Error("the temporary file did not hold the new content")
	}
	if !bytes.Equal(before, w.readExtras()) {
		t.Error("extras.json changed")
	}
	w.assertClean()
}

// TestConflict changes the entry while its archive downloads: the run
// must notice and write nothing.
func TestConflict(t *testing.T) {
	w := newWorkspace(t, fmt.Sprintf(entryTemplate, "old.tar.gz", hexSHA(noise)))
	u := w.serve("a.tar.gz", goodTarGz)
	edited := fmt.Sprintf(entryTemplate, "edited.tar.gz", hexSHA(noise))
	w.srv.OnFile(func(string) { w.writeExtras(edited) })
	r := w.run("set", "perso_release", u)
	if want := "update_extras set: entry \"perso_release\" changed in skus/extras.json while the archive was downloading (another run or an editor?); run the command again\nnothing was changed\n"; r.code != exitFail || !strings.HasSuffix(r.stderr, want) {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
	if got := string(w.readExtras()); got != os.Expand(edited, w.expand) {
		t.Errorf("extras.json:\n%s", got)
	}
	w.assertClean()
}

// release returns a GitHub release JSON document with one asset per
// (name, data) pair served by w; digest overrides the asset digests.
func (w *workspace) release(tag string, digest map[string]string, assets ...string) {
	w.t.Helper()
	var parts []string
	for i, name := range assets {
		data, err := os.ReadFile(filepath.Join(w.srv.root, "srv", "dl", tag, name))
		if err != nil {
			w.t.Fatal(err)
		}
		d, ok := digest[name]
		if !ok {
			d = `"sha256:` + hexSHA(data) + `"`
		}
		parts = append(parts, fmt.Sprintf(`{"url": "%[1]s/repos/o/r/releases/assets/%[2]d", "id": %[2]d, "name": %[3]q, "content_type": "application/octet-stream", "size": %[4]d, "digest": %[5]s, "browser_download_url": "%[1]s/dl/%[6]s/%[3]s"}`,
			w.srv.URL, i+10, name, len(data), d, tag))
	}
	doc := fmt.Sprintf(`{"id": 1, "tag_name": %q, "name": %q, "draft": false, "prerelease": false, "assets": [%s]}`, tag, tag, strings.Join(parts, ",\n"))
	p := filepath.Join(w.srv.root, "api", "o", "r", tag+".json")
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := os.WriteFile(p, []byte(doc), 0o644); err != nil {
		w.t.Fatal(err)
	}
}

func TestFromRelease(t *testing.T) {
	const token = "ghp_0123456789abcdefSECRET"
	setup := func(t *testing.T, extrasJSON string) *workspace {
		w := newWorkspace(t, extrasJSON)
		w.getenv["GITHUB_TOKEN"] = token
		w.serve("dl/v1/perso_release.tar.gz", goodTarGz)
		w.serve("dl/v1/rom_ext_release.zip", at.Zip(at.File("rom/x", "1")))
		w.serve("dl/v1/other.tar.gz", goodTarGz)
		return w
	}
	fromRelease := func(w *workspace, args ...string) result {
		return w.run(append([]string{"from-release", "-api-url", w.srv.URL, "-repo", "o/r", "-tag", "v1"}, args...)...)
	}
	checkNoToken := func(t *testing.T, r result) {
		if strings.Contains(r.stdout+r.stderr, token) {
			t.Errorf("the token appears in the output:\n%s%s", r.stdout, r.stderr)
		}
	}

	t.Run("digests match", func(t *testing.T) {
		// other is taken because it is already an entry; its strip
		// prefix is kept.
		w := setup(t, `{"other": {"urls": ["https://example.com/x.tar.gz"], "sha256": "`+hexSHA(noise)+`", "strip_prefix": "rel-1.0", "type": "tar.gz"}}`)
		w.release("v1", nil, "perso_release.tar.gz", "rom_ext_release.zip", "other.tar.gz")
		r := fromRelease(w)
		checkNoToken(t, r)
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		f, err := extras.Parse(context.Background(), "extras.json", w.readExtras(), extras.Options{AllowInsecure: true})
		if err != nil {
			t.Fatal(err)
		}
		zipData, _ := os.ReadFile(filepath.Join(w.srv.root, "srv", "dl", "v1", "rom_ext_release.zip"))
		want := []extras.Entry{
			{Name: "other", URLs: []string{w.srv.URL + "/dl/v1/other.tar.gz"}, SHA256: hexSHA(goodTarGz), Integrity: sri(goodTarGz),
				StripPrefix: "rel-1.0", Type: "tar.gz", Provenance: extras.Provenance{Repository: "o/r", Tag: "v1", Asset: "other.tar.gz"}},
			{Name: "perso_release", URLs: []string{w.srv.URL + "/dl/v1/perso_release.tar.gz"}, SHA256: hexSHA(goodTarGz), Integrity: sri(goodTarGz),
				Provenance: extras.Provenance{Repository: "o/r", Tag: "v1", Asset: "perso_release.tar.gz"}},
			{Name: "rom_ext_release", URLs: []string{w.srv.URL + "/dl/v1/rom_ext_release.zip"}, SHA256: hexSHA(zipData), Integrity: sri(zipData),
				Provenance: extras.Provenance{Repository: "o/r", Tag: "v1", Asset: "rom_ext_release.zip"}},
		}
		if diff := cmp.Diff(want, f.Entries, cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Pos" }, cmp.Ignore())); diff != "" {
			t.Errorf("entries (-want +got):\n%s", diff)
		}
		// The token went to the API only.
		if diff := cmp.Diff([]string{`"Bearer ` + token + `"`, `""`, `""`, `""`}, authHeaders(w.srv.root)); diff != "" {
			t.Errorf("Authorization headers (-want +got):\n%s", diff)
		}
		w.assertClean()
	})

	failures := []struct {
		name    string
		digests map[string]string
		assets  []string
		args    []string
		stderr  []string
	}{
		{name: "digest differs", digests: map[string]string{"perso_release.tar.gz": `"sha256:` + hexSHA(noise) + `"`},
			assets: []string{"perso_release.tar.gz", "rom_ext_release.zip"},
			stderr: []string{`^update_extras from-release: entry "perso_release": http://127\.0\.0\.1:\d+/dl/v1/perso_release\.tar\.gz: sha256 mismatch: got ` + hexSHA(goodTarGz) + ` \(\d+ bytes\), want ` + hexSHA(noise) + `; the download does not match what GitHub reports for asset perso_release\.tar\.gz, refusing it\nnothing was changed\n$`}},
		{name: "no digest", digests: map[string]string{"perso_release.tar.gz": "null"}, assets: []string{"perso_release.tar.gz"},
			stderr: []string{`entry "perso_release": GitHub reports no digest for asset perso_release\.tar\.gz \(it records one for assets uploaded since mid-2025\), so the download cannot be verified; re-upload the asset, or pass -allow-missing-digest to hash it here and review the result\nnothing was changed\n$`}},
		{name: "other digest algorithm", digests: map[string]string{"perso_release.tar.gz": `"sha512:abcd"`}, assets: []string{"perso_release.tar.gz"},
			stderr: []string{`entry "perso_release": asset perso_release\.tar\.gz has the digest "sha512:abcd", but only sha256 is supported\n`}},
		{name: "missing release", args: []string{"-tag", "v2"},
			stderr: []string{`^update_extras from-release: release "v2" of o/r: not found \(GET http://127\.0\.0\.1:\d+/repos/o/r/releases/tags/v2: 404 Not Found\); check -repo and -tag, and that GITHUB_TOKEN may read the repository\nnothing was changed\n$`}},
		{name: "named entry without an asset", assets: []string{"perso_release.tar.gz"}, args: []string{"rom_ext_release"},
			stderr: []string{`^update_extras from-release: release v1 of o/r has no asset for entry "rom_ext_release" \(such as rom_ext_release\.tar\.xz\); its archive assets are perso_release\.tar\.gz\nnothing was changed\n$`}},
		{name: "no asset for any entry", assets: []string{"other.tar.gz"},
			stderr: []string{`^update_extras from-release: release v1 of o/r has no asset for an entry of the file or for presign_perso, presign_rom_ext, perso_release, rom_ext_release; its archive assets are other\.tar\.gz\. Name the entries to take as arguments\nnothing was changed\n$`}},
		{name: "strip prefix absent", assets: []string{"perso_release.tar.gz"}, args: []string{"-strip-prefix", "perso_release=nope"},
			stderr: []string{`entry "perso_release": the archive from http://127\.0\.0\.1:\d+/dl/v1/perso_release\.tar\.gz is not usable: strip_prefix "nope" is not a directory in the archive; its top level holds "rel-1\.0"\nnothing was changed\n$`}},
	}
	for _, tt := range failures {
		t.Run(tt.name, func(t *testing.T) {
			w := setup(t, "{}\n")
			if tt.assets != nil {
				w.release("v1", tt.digests, tt.assets...)
			}
			before := w.readExtras()
			r := fromRelease(w, tt.args...)
			checkNoToken(t, r)
			if r.code != exitFail {
				t.Errorf("exit %d, want 1", r.code)
			}
			matchAll(t, "stderr", r.stderr, tt.stderr)
			if !bytes.Equal(before, w.readExtras()) {
				t.Errorf("extras.json changed:\n%s", w.readExtras())
			}
			w.assertClean()
		})
	}

	t.Run("allow missing digest", func(t *testing.T) {
		w := setup(t, "{}\n")
		w.release("v1", map[string]string{"perso_release.tar.gz": "null"}, "perso_release.tar.gz")
		r := fromRelease(w, "-allow-missing-digest")
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		matchAll(t, "stderr", r.stderr, []string{`warning: entry "perso_release": GitHub reports no digest for asset perso_release\.tar\.gz; hashing it here without verification\n`})
		matchAll(t, "stdout", r.stdout, []string{`\nnote: GitHub reported no digest for perso_release\.tar\.gz; the sha256 of "perso_release" was computed from what it served just now: review it before committing\.\n$`})
	})

	t.Run("API error does not show the token", func(t *testing.T) {
		w := setup(t, "{}\n")
		api := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, req *http.Request) {
			rw.WriteHeader(http.StatusInternalServerError)
			fmt.Fprintf(rw, `{"message": "bad token %s"}`, strings.TrimPrefix(req.Header.Get("Authorization"), "Bearer "))
		}))
		defer api.Close()
		r := w.run("from-release", "-api-url", api.URL, "-repo", "o/r", "-tag", "v1", "-retries", "0")
		checkNoToken(t, r)
		matchAll(t, "stderr", r.stderr, []string{`: 500 Internal Server Error: bad token REDACTED\nnothing was changed\n$`})
	})
}

func TestParseInterleaved(t *testing.T) {
	tests := []struct {
		args []string
		pos  []string
		typ  string
	}{
		{[]string{"a", "b"}, []string{"a", "b"}, ""},
		{[]string{"-type", "zip", "a", "b"}, []string{"a", "b"}, "zip"},
		{[]string{"a", "-type", "zip", "b"}, []string{"a", "b"}, "zip"},
		{[]string{"a", "b", "-type=zip"}, []string{"a", "b"}, "zip"},
		{[]string{"a", "--", "-type", "zip"}, []string{"a", "-type", "zip"}, ""},
	}
	for _, tt := range tests {
		c := newCLI(&env{getenv: func(string) string { return "" }})
		fs := c.flagSet(setCommand)
		pos, err := parseInterleaved(fs, tt.args, false)
		if err != nil || !slices.Equal(pos, tt.pos) || c.set.typ != tt.typ {
			t.Errorf("parseInterleaved(%q) = %q, %v with -type %q; want %q, %q", tt.args, pos, err, c.set.typ, tt.pos, tt.typ)
		}
	}
}

func TestExitCodes(t *testing.T) {
	w := newWorkspace(t, "{}\n")
	for _, tt := range []struct {
		args []string
		code int
	}{
		{[]string{"-h"}, exitOK},
		{[]string{"check", "-h"}, exitOK},
		{nil, exitUsage},
		{[]string{"nope"}, exitUsage},
		{[]string{"set", "x"}, exitUsage},
		{[]string{"check", "-mirrors", "some"}, exitUsage},
		{[]string{"remove", "x"}, exitFail},
		{[]string{"check", "-offline"}, exitOK},
	} {
		if r := w.runRaw(tt.args...); r.code != tt.code {
			t.Errorf("update_extras %q: exit %d, want %d (%s)", tt.args, r.code, tt.code, r.stderr)
		}
	}
}

func TestDiff(t *testing.T) {
	old := &extras.Entry{URLs: []string{"https://a/x.tar.gz", "https://b/x.tar.gz"}, SHA256: "1", StripPrefix: "p"}
	next := &extras.Entry{URLs: []string{"https://b/x.tar.gz", "https://a/x.tar.gz"}, SHA256: "1", StripPrefix: "p"}
	var b strings.Builder
	if !printDiff(&b, "e", old, next) {
		t.Error("reordered mirrors: no change reported")
	}
	want := "e:\n  url: https://b/x.tar.gz\n  url: https://a/x.tar.gz\n  sha256: 1\n  strip_prefix: p\n"
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
