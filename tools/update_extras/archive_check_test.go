package main

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	at "github.com/ot-provisioning-exts/ot-provisioning-exts/internal/testtools/archivetest"
)

// zstdNoise starts with zstd's magic bytes: a tar.zst as far as the check
// can tell without a zstd decoder.
var zstdNoise = append([]byte{0x28, 0xb5, 0x2f, 0xfd}, noise...)

// TestArchiveRefused runs set on archives that the check refuses (a type
// that does not match the content, a type it cannot open, an archive over
// a limit): each fails with a message that names the way out, and
// extras.json is byte-for-byte unchanged. The old tool pinned the tar.zst
// with a warning, checked the bombs without limit, and named only the
// decoder's error for a mismatch.
func TestArchiveRefused(t *testing.T) {
	var many []at.Member
	for i := range 50 {
		many = append(many, at.File(fmt.Sprintf("rel-1.0/f%02d", i), "x"))
	}
	for _, tc := range []struct {
		name   string
		path   string
		data   []byte
		args   []string
		stderr string // a regular expression
	}{
		{"tar.gz that is a zip", "a.tar.gz", at.Zip(release...), nil,
			`^update_extras set: entry "perso_release": the archive from http://127\.0\.0\.1:\d+/a\.tar\.gz is not usable: the file is not a tar\.gz archive: it starts like a zip archive \(50 4b 03 04 [0-9a-f ]+\), not with gzip's magic bytes; if the file is right, declare its real type\n`},
		{"zip that is xz", "a.zip", at.TarXz(release...), nil,
			`^update_extras set: entry "perso_release": the archive from http://127\.0\.0\.1:\d+/a\.zip is not usable: the file is not a zip archive: it starts like an xz file \(fd 37 7a 58 5a 00 [0-9a-f ]+\), not with zip's magic bytes`},
		{"tar.zst", "a.tar.zst", zstdNoise, nil,
			`^update_extras set: entry "perso_release": the archive from http://127\.0\.0\.1:\d+/a\.tar\.zst cannot be checked: archive type not supported by the checker: tar\.zst \(supported: [^)]*\); its members could hold anything \(links outside the repository, a wrong strip prefix\), so it is refused: pass -allow-unchecked to pin it anyway, unchecked\n`},
		{"tar.zst that is gzip, with -allow-unchecked", "a.tar.zst", goodTarGz, []string{"-allow-unchecked"},
			`is not usable: the file is not a tar\.zst archive: it starts like a gzip file`},
		{"-max-unpacked", "a.tar.gz", at.ZerosTarGz("rel-1.0/big", 64<<20, 0), []string{"-max-unpacked", "1MiB"},
			`is not usable: the archive unpacks to more than 1MiB \(1048576 bytes\): its members declare more than that \(at member "rel-1\.0/big"\), so the check stopped after decompressing 512 bytes; raise -max-unpacked if it is really that large\n`},
		{"-max-entries", "a.tar.gz", at.TarGz(many...), []string{"-max-entries", "20"},
			`is not usable: the archive has more than 20 members, the limit \(at member "rel-1\.0/f20"\); the check stopped there; raise -max-entries if it really has that many\n`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorkspace(t, "{}\n")
			before := w.readExtras()
			u := w.serve(tc.path, tc.data)
			r := w.run(append([]string{"set", "perso_release", u}, tc.args...)...)
			if r.code != exitFail {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, exitFail, r.stdout, r.stderr)
			}
			matchAll(t, "stderr", r.stderr, []string{tc.stderr})
			if got := w.readExtras(); !bytes.Equal(got, before) {
				t.Errorf("extras.json changed:\n%s", got)
			}
			w.assertClean()
		})
	}
}

// TestSignalStopsArchiveCheck interrupts (SIGINT) a set in the middle of
// checking a 12 GiB (unpacked; 12 MB on the wire) archive: the tool must
// stop reading the archive at once and exit with status 1 and one line,
// leaving extras.json as it was. The old check took no context: it
// decompressed the archive to its end (seconds to minutes), and only then
// did the tool see the signal.
func TestSignalStopsArchiveCheck(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGINT")
	}
	if testing.Short() {
		t.Skip("decompresses gigabytes")
	}
	bin, err := exec.LookPath("update_extras") // put in $PATH by testscript.Main
	if err != nil {
		t.Skip("no update_extras binary:", err)
	}
	w := newWorkspace(t, "{}\n")
	data := at.ZerosTarGz("rel-1.0/big", 12<<30, 0)
	u := w.serve("big.tar.gz", data)
	path := w.extrasPath()
	sum := sha256.Sum256(w.readExtras())

	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, "set", "-allow-insecure", "-tmpdir", w.tmp, "perso_release", u, "-strip-prefix", "rel-1.0")
	cmd.Dir = w.dir
	cmd.Env = append(os.Environ(), "BUILD_WORKSPACE_DIRECTORY=", "BUILD_WORKING_DIRECTORY=", "TERM=dumb")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{}) // closed when cmd has exited
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
	})
	// The check has begun once the tool has read the download (size
	// bytes from the socket) and then a quarter of it again from disk.
	if !waitRead(cmd.Process.Pid, int64(len(data))*5/4, done) {
		t.Fatalf("set ended before the signal\nstdout:\n%s\nstderr:\n%s", stdout.Bytes(), stderr.Bytes())
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	sent := time.Now()
	// How much the tool reads after the signal, up to its exit: the old
	// one read the archive to its end (and then found the context done).
	var last int64
	for running := true; running; {
		select {
		case <-done:
			running = false
		case <-time.After(2 * time.Millisecond):
			if n := readChars(cmd.Process.Pid); n > last {
				last = n
			}
		case <-time.After(60 * time.Second): // only so that the test ends
			t.Fatalf("set still running 60s after SIGINT")
		}
	}
	t.Logf("exited %v after SIGINT, having read %d bytes (the archive is %d)", time.Since(sent).Round(time.Millisecond), last, len(data))
	if runtime.GOOS == "linux" && last >= int64(len(data))*7/4 {
		t.Errorf("after SIGINT the tool read on to %d bytes: it went on checking the archive of %d bytes", last, len(data))
	}
	if code := cmd.ProcessState.ExitCode(); code != exitFail {
		t.Errorf("exit status %d, want %d\nstderr:\n%s", code, exitFail, stderr.Bytes())
	}
	// The progress line, then the one line of the stop.
	want := regexp.MustCompile(`^perso_release: downloading http://\S+/big\.tar\.gz\nupdate_extras set: stopped \(interrupt signal received\); skus/extras\.json is unchanged\n$`)
	if msg := stderr.String(); !want.MatchString(msg) || stdout.Len() != 0 {
		t.Errorf("stderr = %q, stdout = %q; want stderr matching %s", msg, stdout.String(), want)
	}
	data2, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if sha256.Sum256(data2) != sum {
		t.Errorf("%s changed:\n%s", path, data2)
	}
	if entries, _ := os.ReadDir(w.tmp); len(entries) > 0 {
		var names []string
		for _, e := range entries {
			names = append(names, filepath.Join(w.tmp, e.Name()))
		}
		t.Logf("left in -tmpdir (removed by the next run): %s", strings.Join(names, ", "))
	}
}

// readChars returns what the process pid has read so far (rchar in
// /proc/PID/io), or 0 if that cannot be read.
func readChars(pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/io", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		var n int64
		if _, err := fmt.Sscanf(line, "rchar: %d", &n); err == nil {
			return n
		}
	}
	return 0
}
