package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDownloadLimits checks -max-size, -deadline, -max-entries and
// -max-unpacked: they must be positive, and an archive above -max-size (or
// -max-entries) fails the verification of step 3 before anything is
// written, with an error naming the flag; the next run without it resumes.
func TestDownloadLimits(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"presign", "-max-size", "0"}, "-max-size and -deadline must be positive"},
		{[]string{"presign", "-deadline", "0s"}, "-max-size and -deadline must be positive"},
		{[]string{"presign", "-max-size", "1XB"}, `invalid value "1XB" for flag -max-size: invalid size "1XB"`},
		{[]string{"presign", "-max-entries", "0"}, "-max-entries and -max-unpacked must be positive"},
		{[]string{"presign", "-max-unpacked", "0"}, "-max-entries and -max-unpacked must be positive"},
	} {
		r := w.run(tc.args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr:\n%s\nwant exit %d and %q", tc.args, r.code, r.stderr, exitUsage, tc.want)
		}
	}

	extrasPath := filepath.Join(w.work, "skus", "extras.json")
	before, err := os.ReadFile(extrasPath)
	if err != nil {
		t.Fatal(err)
	}
	r := w.run("presign", "-artifacts", "perso,rom_ext", "-max-size", "100B", "-deadline", "5m")
	if r.code != exitFail || !strings.Contains(r.stderr, "is more than the limit of 100 bytes, so nothing was downloaded; raise -max-size") {
		t.Fatalf("presign -max-size 100B: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if after, _ := os.ReadFile(extrasPath); string(after) != string(before) {
		t.Errorf("extras.json changed:\n%s", after)
	}
	// The check of the downloaded archive is bounded too (archive.Limits).
	r = w.run("presign", "-artifacts", "perso,rom_ext", "-max-entries", "1")
	if r.code != exitFail || !strings.Contains(r.stderr, "the archive has more than 1 members, the limit") || !strings.Contains(r.stderr, "raise -max-entries if it really has that many") {
		t.Fatalf("presign -max-entries 1: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if after, _ := os.ReadFile(extrasPath); string(after) != string(before) {
		t.Errorf("extras.json changed:\n%s", after)
	}
	if got := w.git(w.work, "branch", "--show-current"); got != "main" {
		t.Errorf("after the failed verification the checkout is on %q", got)
	}
	w.presign()
}
