// Command demo runs this module's main job, with no OpenTitan checkout and no
// network: `bazel build @provisioning_exts_extra//...` inside OpenTitan.
//
// Usage (from the repository root):
//
//	go run ./e2e/cmd/demo [-keep]
//
// It finds a Bazel >= 7.1 ($BAZEL, bazelisk or bazel on PATH, or, as root on
// Debian, the offline rig, which it builds the first time), makes four sample
// archives (presign_perso, presign_rom_ext, perso_release, rom_ext_release)
// and serves them over HTTPS on loopback with a throwaway test CA that only
// this Bazel trusts. It writes their URLs and hashes into a copy of this
// checkout's skus/extras.json, serves this machine's prebuilt helper the same
// way and lists it in the copy's helper lock (so Bazel needs no Go), builds
// @provisioning_exts_extra//... in a copy
// of the OpenTitan stand-in (e2e/opentitan) connected with
// --override_module, and prints the hub's targets. At the end it stops the
// Bazel server and deletes its work directory (unless -keep).
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/e2e/internal/bazelfind"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/e2e/internal/helperfix"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/e2e/internal/standin"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/e2e/internal/testca"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/extras"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/testtools/archivetest"
)

const usage = `usage: go run ./e2e/cmd/demo [-keep]

Builds @provisioning_exts_extra//... in the OpenTitan stand-in against four
sample archives served over HTTPS on loopback, and prints the hub's targets.
Needs a Bazel >= 7.1 ($BAZEL, bazelisk or bazel on PATH), or root on Debian
to build the offline rig (e2e/rig/rig.sh).

Flags:
`

func main() {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	keep := fs.Bool("keep", false, "keep the work directory (the checkout copy, the stand-in and its Bazel output) instead of deleting it")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		os.Exit(2)
	}
	if fs.NArg() != 0 {
		fs.Usage()
		os.Exit(2)
	}
	if err := run(os.Stdout, os.Stderr, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

// sample is one sample archive: an entry of extras.json.
type sample struct {
	name, tag string
	members   []archivetest.Member
}

func samples() []sample {
	build := func(name, file string) archivetest.Member {
		return archivetest.File(name+"/BUILD.bazel", fmt.Sprintf(
			"filegroup(\n    name = %q,\n    srcs = [%q],\n    visibility = [\"//visibility:public\"],\n)\n", name, file))
	}
	return []sample{
		{"presign_perso", "PERSO_BUILD_20260513_rc00", []archivetest.Member{
			build("presign_perso", "perso.bin"),
			archivetest.File("presign_perso/perso.bin", "personalisation firmware, unsigned\n"),
			archivetest.File("presign_perso/perso.digest", "digest to sign\n"),
		}},
		{"presign_rom_ext", "ROM_EXT_BUILD_20260513_rc00", []archivetest.Member{
			build("presign_rom_ext", "rom_ext.bin"),
			archivetest.File("presign_rom_ext/rom_ext.bin", "ROM_EXT, unsigned\n"),
		}},
		{"perso_release", "PERSO_RELEASE_20260513_rc00", []archivetest.Member{
			build("perso_release", "perso.signed.bin"),
			archivetest.File("perso_release/perso.signed.bin", "personalisation firmware, signed\n"),
		}},
		{"rom_ext_release", "ROM_EXT_RELEASE_20260513_rc00", []archivetest.Member{
			build("rom_ext_release", "rom_ext.signed.bin"),
			archivetest.File("rom_ext_release/rom_ext.signed.bin", "ROM_EXT, signed\n"),
		}},
	}
}

func run(stdout, stderr io.Writer, keep bool) (err error) {
	root, err := bazelfind.RepoRoot()
	if err != nil {
		return fmt.Errorf("%v; run this from a checkout of ot_provisioning_exts", err)
	}
	b, tried, err := bazelfind.Find(root)
	if err != nil {
		return err
	}
	if b == nil {
		return fmt.Errorf("no usable Bazel found:\n  %s\n%s", strings.Join(tried, "\n  "), bazelfind.HowToGet)
	}
	fmt.Fprintf(stderr, "demo: bazel %s (%s, found via %s)\n", b.Version, b.Path, b.Source)

	// Under /tmp, which the offline rig's chroot sees at the same path.
	work, err := os.MkdirTemp("", "ot-provisioning-exts-demo-")
	if err != nil {
		return err
	}
	if keep {
		fmt.Fprintf(stderr, "demo: keeping %s\n", work)
	} else {
		defer os.RemoveAll(work)
	}

	ca, err := testca.New()
	if err != nil {
		return err
	}
	trust := filepath.Join(work, "truststore.p12")
	if err := ca.WriteTrustStore(trust); err != nil {
		return err
	}
	rc := filepath.Join(work, "demo.bazelrc")
	var rcText strings.Builder
	rcText.WriteString("# The demo's test CA, trusted by this Bazel only.\n")
	for _, f := range testca.JVMFlags(trust) {
		fmt.Fprintf(&rcText, "startup %s\n", f)
	}
	if err := os.WriteFile(rc, []byte(rcText.String()), 0o644); err != nil {
		return err
	}

	// Serve the samples.
	files := map[string][]byte{}
	for _, s := range samples() {
		files["/"+s.name+".tar.xz"] = archivetest.TarXz(s.members...)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			data, ok := files[r.URL.Path]
			if !ok {
				http.NotFound(w, r)
				return
			}
			w.Write(data)
		}),
		TLSConfig:         ca.ServerTLSConfig(),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go srv.ServeTLS(ln, "", "")
	defer srv.Close()
	base := "https://" + ln.Addr().String()

	// A copy of this checkout whose extras.json names the samples.
	checkout := filepath.Join(work, "checkout")
	if err := standin.CopyModule(root, checkout); err != nil {
		return err
	}
	var f extras.File
	for _, s := range samples() {
		sum := sha256.Sum256(files["/"+s.name+".tar.xz"])
		f.Set(extras.Entry{
			Name:        s.name,
			URLs:        []string{base + "/" + s.name + ".tar.xz"},
			SHA256:      hex.EncodeToString(sum[:]),
			StripPrefix: s.name,
			Provenance:  extras.Provenance{Repository: "lowRISC/ot-sku", Tag: s.tag},
		})
	}
	if err := os.WriteFile(filepath.Join(checkout, "skus", "extras.json"), f.Encode(), 0o644); err != nil {
		return err
	}
	// The fetch-time helper as consumers get it, with no Go on Bazel's side:
	// a prebuilt for this machine, built here as a release publishes it and
	// served over HTTPS on loopback, listed in the copy's helper lock.
	helper, err := helperfix.Start(root, filepath.Join(work, "helper"), ca.ServerTLSConfig(), helperfix.Options{})
	if err != nil {
		return err
	}
	defer helper.Close()
	if err := helper.WriteLock(checkout); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "demo: the prebuilt helper for %s served at %s, listed in %s\n", helper.Platform, helper.BaseURL, filepath.Join(checkout, "extensions", "private", "helper.lock.json"))
	fmt.Fprintf(stderr, "demo: %d archives served at %s, listed in %s\n", len(f.Entries), base, filepath.Join(checkout, "skus", "extras.json"))

	// The OpenTitan stand-in, connected to that checkout.
	ot := filepath.Join(work, "opentitan")
	if err := standin.Copy(root, ot, checkout); err != nil {
		return err
	}
	bazel := func(out io.Writer, args ...string) error {
		cmd := exec.Command(b.Path, append([]string{"--bazelrc=" + rc}, args...)...)
		cmd.Dir = ot
		cmd.Env = append(os.Environ(), "OT_RIG_MOUNTS="+work+":"+root)
		cmd.Stdout, cmd.Stderr = out, stderr
		fmt.Fprintf(stderr, "demo: (in %s) bazel %s\n", ot, strings.Join(args, " "))
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("bazel %s: %v", args[0], err)
		}
		return nil
	}
	// Stop the server and drop its output base, whatever happens.
	defer func() {
		if !keep {
			if cerr := bazel(io.Discard, "clean", "--expunge"); cerr != nil && err == nil {
				err = cerr
			}
		} else if cerr := bazel(io.Discard, "shutdown"); cerr != nil && err == nil {
			err = cerr
		}
	}()

	if err := bazel(stderr, "build", "--noshow_progress", "@provisioning_exts_extra//..."); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "The hub's targets:")
	return bazel(stdout, "query", "--noshow_progress", "@provisioning_exts_extra//...:*")
}
