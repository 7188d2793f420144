package helperbuild

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/extrasfile"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/helperlock"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/testtools"
)

const root = "../.."

// TestCommittedLock checks extensions/private/helper.lock.json: it parses,
// it is in canonical form, it pins Go from the module proxy, and it never
// lists prebuilt binaries for sources other than this checkout's.
//
// The invariant is "helper is empty, or sources_sha256 is the digest of
// the checkout's HELPER_SRCS". A lock with binaries of other sources
// breaks nothing (the repository rule checks the digest before it runs a
// prebuilt, and compiles instead), but every user would then compile while
// the lock claims otherwise. So a commit that changes the helper's sources
// also drops the binaries (go test ./internal/helperbuild -run
// TestCommittedLock -update), the fallback serves everyone meanwhile, and
// once it is on main the helper workflow publishes binaries for the new
// sources and opens the pull request that lists them. With no binaries,
// sources_sha256 means nothing and is not checked.
func TestCommittedLock(t *testing.T) {
	name := filepath.Join(root, helperlock.Path)
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	l, err := helperlock.Parse(helperlock.Path, data)
	if err != nil {
		t.Fatal(err)
	}
	digest, err := SourcesDigest(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range helperlock.Platforms {
		if got, want := l.Go[p].URL, helperlock.GoURL(l.GoVersion, p); got != want {
			t.Errorf("%s: go.%s.url is %s, want the module proxy's %s", helperlock.Path, p, got, want)
		}
	}
	if testtools.Update() {
		if len(l.Helper) > 0 && l.SourcesSHA256 != digest {
			t.Logf("dropping the binaries of sources %s: the helper's sources are now %s", l.SourcesSHA256, digest)
			l.Helper = nil
		}
		l.SourcesSHA256 = digest
		if err := extrasfile.WriteAtomic(name, l.Encode()); err != nil {
			t.Fatal(err)
		}
		return
	}
	if want := l.Encode(); !bytes.Equal(data, want) {
		t.Errorf("%s is not in canonical form (2-space indent, sorted keys, final newline); run go test ./internal/helperbuild -run TestCommittedLock -update\nwant:\n%s", helperlock.Path, want)
	}
	if len(l.Helper) > 0 && l.SourcesSHA256 != digest {
		t.Errorf("%s lists prebuilt helpers of sources %s, but the helper's sources (%s) are now %s: nobody would run them. "+
			"Drop them with go test ./internal/helperbuild -run TestCommittedLock -update; "+
			"after the merge, the helper workflow publishes binaries of the new sources and opens a pull request that lists them (docs/release.md)",
			helperlock.Path, l.SourcesSHA256, SrcsFile, digest)
	}
}

// TestWorkflowPaths keeps the paths that trigger .github/workflows/helper.yml
// equal to the helper's sources, helper_srcs.bzl, the lock and go.mod: a
// change to any of them may need new binaries.
func TestWorkflowPaths(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(root, ".github", "workflows", "helper.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	in := false
	for _, line := range strings.Split(string(data), "\n") {
		switch {
		case line == "    paths:":
			in = true
		case in && strings.HasPrefix(line, "      - "):
			got = append(got, strings.TrimPrefix(line, "      - "))
		default:
			in = false
		}
	}
	want, err := Sources(root)
	if err != nil {
		t.Fatal(err)
	}
	want = append(want, SrcsFile, helperlock.Path, "go.mod")
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("the paths of helper.yml's push trigger are\n  %s\nwant (sorted, one a line under \"    paths:\")\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}
