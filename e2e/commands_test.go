package e2e

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/e2e/internal/bazelfind"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/e2e/internal/standin"
	"github.com/rogpeppe/go-internal/testscript"
	"github.com/ulikunitz/xz"
)

// commands are the custom testscript commands the scenarios use. Each one is
// documented in e2e/README.md.
func commands() map[string]func(ts *testscript.TestScript, neg bool, args []string) {
	return map[string]func(ts *testscript.TestScript, neg bool, args []string){
		"serve":                 cmdServe,
		"archive":               cmdArchive,
		"edit":                  cmdEdit,
		"envsubst":              cmdEnvsubst,
		"hash":                  cmdHash,
		"copymodule":            cmdCopyModule,
		"standin":               cmdStandin,
		"no-warnings":           cmdNoWarnings,
		"skip-unless-bazel":     cmdSkipUnlessBazel,
		"skip-if-fake-lockfile": cmdSkipIfFakeLockfile,
		"sign":                  cmdSign,
		"github":                cmdGitHub,
		"github-state":          cmdGitHubState,
		"github-calls":          cmdGitHubCalls,
		"github-fail":           cmdGitHubFail,
		"github-pull-state":     cmdGitHubPullState,
		"github-asset":          cmdGitHubAsset,
	}
}

// serve [-http] DIR
//
// Starts a server on loopback that serves the files under DIR, and sets
// $SERVER to its base URL. It speaks HTTPS with a certificate from the run's
// test CA, which every Bazel command of the scenario trusts (see setup);
// -http serves plain HTTP instead, which the extension refuses. The first
// path element selects a failure mode:
//
//	$SERVER/f             the file
//	$SERVER/404/f         404 Not Found
//	$SERVER/truncate/f    claims the full Content-Length, sends half, hangs up
//	$SERVER/corrupt/f     the right length, with some bytes changed
//
// The server stops when the scenario ends.
func cmdServe(ts *testscript.TestScript, neg bool, args []string) {
	fset := flag.NewFlagSet("serve", flag.ContinueOnError)
	plain := fset.Bool("http", false, "serve plain HTTP")
	if neg || fset.Parse(args) != nil || fset.NArg() != 1 {
		ts.Fatalf("usage: serve [-http] DIR")
	}
	root := ts.MkAbs(fset.Arg(0))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	srv := &http.Server{Handler: fileServer(root), ReadHeaderTimeout: 10 * time.Second}
	scheme := "http"
	if *plain {
		go srv.Serve(ln)
	} else {
		scheme = "https"
		srv.TLSConfig = theCA.ServerTLSConfig()
		go srv.ServeTLS(ln, "", "")
	}
	ts.Defer(func() { srv.Close() })
	ts.Setenv("SERVER", scheme+"://"+ln.Addr().String())
}

func fileServer(root string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mode, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		switch mode {
		case "404", "truncate", "corrupt":
		default:
			mode, rest = "", strings.TrimPrefix(r.URL.Path, "/")
		}
		if mode == "404" {
			http.NotFound(w, r)
			return
		}
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(path.Clean("/"+rest))))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Length", fmt.Sprint(len(data)))
		switch mode {
		case "truncate":
			w.Write(data[:len(data)/2])
			// Returning with fewer bytes than Content-Length makes the
			// server close the connection: the client sees a short body.
			return
		case "corrupt":
			data = bytes.Clone(data)
			for i := len(data) / 2; i < len(data) && i < len(data)/2+16; i++ {
				data[i] ^= 0xff
			}
		}
		w.Write(data)
	})
}

// archive [-prefix P] OUT DIR
//
// Packs the contents of DIR into OUT, a .tar.gz/.tgz, .tar.xz, .tar or .zip
// (chosen by OUT's extension), with every path under P/ when -prefix is given.
// The archive is deterministic: sorted entries, fixed times and owners.
func cmdArchive(ts *testscript.TestScript, neg bool, args []string) {
	fset := flag.NewFlagSet("archive", flag.ContinueOnError)
	prefix := fset.String("prefix", "", "path prefix for every entry")
	if neg || fset.Parse(args) != nil || fset.NArg() != 2 {
		ts.Fatalf("usage: archive [-prefix P] OUT DIR")
	}
	out, dir := ts.MkAbs(fset.Arg(0)), ts.MkAbs(fset.Arg(1))
	data, err := makeArchive(out, dir, *prefix)
	ts.Check(err)
	ts.Check(os.MkdirAll(filepath.Dir(out), 0o755))
	ts.Check(os.WriteFile(out, data, 0o644))
}

type archiveFile struct {
	name string
	mode fs.FileMode
	data []byte
}

// epoch is the fixed modification time of every archive entry.
var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func makeArchive(out, dir, prefix string) ([]byte, error) {
	var files []archiveFile
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		mode := fs.FileMode(0o644)
		if info.Mode()&0o111 != 0 || strings.HasSuffix(p, ".sh") {
			mode = 0o755
		}
		files = append(files, archiveFile{path.Join(prefix, filepath.ToSlash(rel)), mode, data})
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(files, func(i, j int) bool { return files[i].name < files[j].name })

	var buf bytes.Buffer
	switch {
	case strings.HasSuffix(out, ".zip"):
		zw := zip.NewWriter(&buf)
		for _, f := range files {
			h := &zip.FileHeader{Name: f.name, Method: zip.Deflate, Modified: epoch}
			h.SetMode(f.mode)
			w, err := zw.CreateHeader(h)
			if err != nil {
				return nil, err
			}
			w.Write(f.data)
		}
		if err := zw.Close(); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	case strings.HasSuffix(out, ".tar.gz"), strings.HasSuffix(out, ".tgz"):
		gw := gzip.NewWriter(&buf)
		if err := writeTar(gw, files); err != nil {
			return nil, err
		}
		if err := gw.Close(); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	case strings.HasSuffix(out, ".tar.xz"):
		xw, err := xz.NewWriter(&buf)
		if err != nil {
			return nil, err
		}
		if err := writeTar(xw, files); err != nil {
			return nil, err
		}
		if err := xw.Close(); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	case strings.HasSuffix(out, ".tar"):
		if err := writeTar(&buf, files); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	}
	return nil, fmt.Errorf("archive: %s: unknown format (want .tar.gz, .tgz, .tar.xz, .tar or .zip)", out)
}

func writeTar(w io.Writer, files []archiveFile) error {
	tw := tar.NewWriter(w)
	for _, f := range files {
		h := &tar.Header{
			Name: f.name, Mode: int64(f.mode), Size: int64(len(f.data)),
			ModTime: epoch, Typeflag: tar.TypeReg, Format: tar.FormatPAX,
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if _, err := tw.Write(f.data); err != nil {
			return err
		}
	}
	return tw.Close()
}

// edit FILE OLD NEW
//
// Replaces every OLD in FILE with NEW, in place. Fails if OLD is absent, so a
// scenario never edits nothing by mistake.
func cmdEdit(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: edit FILE OLD NEW")
	}
	file := ts.MkAbs(args[0])
	data, err := os.ReadFile(file)
	ts.Check(err)
	if !bytes.Contains(data, []byte(args[1])) {
		ts.Fatalf("edit: %s does not contain %q", args[0], args[1])
	}
	ts.Check(os.WriteFile(file, bytes.ReplaceAll(data, []byte(args[1]), []byte(args[2])), 0o644))
}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// envsubst FILE...
//
// Replaces each ${NAME} in the files with the scenario's variable NAME, in
// place. Only the braced form is expanded, so that genrule commands keep their
// $@ and $<. An undefined variable is an error.
func cmdEnvsubst(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: envsubst FILE...")
	}
	for _, a := range args {
		file := ts.MkAbs(a)
		data, err := os.ReadFile(file)
		ts.Check(err)
		var missing []string
		out := envRef.ReplaceAllFunc(data, func(m []byte) []byte {
			name := string(envRef.FindSubmatch(m)[1])
			v := ts.Getenv(name)
			if v == "" {
				missing = append(missing, name)
			}
			return []byte(v)
		})
		if len(missing) > 0 {
			ts.Fatalf("envsubst: %s: undefined: %s", a, strings.Join(missing, ", "))
		}
		ts.Check(os.WriteFile(file, out, 0o644))
	}
}

// hash FILE NAME
//
// Sets $NAME to FILE's SHA-256 in hex and $NAME_SRI to it in SRI form
// (sha256-<base64>), as extras.json and http_archive take them.
func cmdHash(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: hash FILE NAME")
	}
	data, err := os.ReadFile(ts.MkAbs(args[0]))
	if errors.Is(err, fs.ErrNotExist) {
		ts.Fatalf("hash: %s does not exist", args[0])
	}
	ts.Check(err)
	sum := sha256.Sum256(data)
	ts.Setenv(args[1], hex.EncodeToString(sum[:]))
	ts.Setenv(args[1]+"_SRI", "sha256-"+base64.StdEncoding.EncodeToString(sum[:]))
}

// copymodule DIR
//
// Copies this repository (without .git, e2e/, .github/ and Bazel's output
// symlinks) to DIR: a second checkout, to connect with --override_module or
// to work in as the root module.
func cmdCopyModule(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: copymodule DIR")
	}
	ts.Check(standin.CopyModule(repoRoot, ts.MkAbs(args[0])))
}

// standin DIR [CHECKOUT]
//
// Copies the OpenTitan stand-in (e2e/opentitan) to DIR. With CHECKOUT, it
// also writes DIR/.bazelrc connecting that checkout of this module as
// OpenTitan users do: common --override_module=ot_provisioning_exts=CHECKOUT.
func cmdStandin(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: standin DIR [CHECKOUT]")
	}
	checkout := ""
	if len(args) == 2 {
		checkout = ts.MkAbs(args[1])
	}
	ts.Check(standin.Copy(repoRoot, ts.MkAbs(args[0]), checkout))
}

// skip-if-fake-lockfile FILE
//
// Skips the rest of the scenario, saying why, when FILE is the lockfile that
// Debian's Bazel 7.7.1 writes: the three bytes "{}" and nothing else. Such a
// Bazel cannot check lockfile contents or --lockfile_mode=error. A missing
// FILE fails the scenario, so the check never passes vacuously.
func cmdSkipIfFakeLockfile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: skip-if-fake-lockfile FILE")
	}
	data, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	if strings.TrimSpace(string(data)) == "{}" {
		ts.Value(testingTKey{}).(testscript.T).Skip(fmt.Sprintf("%s is %q: this Bazel (%s) writes no real lockfile, so lockfile contents and --lockfile_mode=error cannot be checked here; run with BAZEL=bazelisk on a connected machine", args[0], data, ts.Getenv("BAZEL_VERSION")))
	}
}

// testingTKey is the key under which setup stores the scenario's
// testscript.T, so that commands can skip.
type testingTKey struct{}

// offlineWarnings are the WARNING lines that the offline rig prints whatever
// this module does, with the reason each is not this module's:
var offlineWarnings = []*regexp.Regexp{
	// Debian's /etc/bazel/bazelrc sets --host_javabase.
	regexp.MustCompile(`^WARNING: Option 'host_javabase' is deprecated$`),
	// rules_go's go_sdk extension lists the Go releases online, and tolerates
	// the failure offline (go_sdk.host() needs no download).
	regexp.MustCompile(`^WARNING: Download from https://(go\.dev|golang\.google\.cn)/dl/\?mode=json&include=all failed: .*Unknown host`),
}

// no-warnings
//
// Fails if the previous command's stderr has a WARNING line, other than the
// few that the offline rig's own setup causes (see offlineWarnings).
func cmdNoWarnings(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: no-warnings")
	}
	var bad []string
	for _, line := range strings.Split(ts.ReadFile("stderr"), "\n") {
		if !strings.HasPrefix(line, "WARNING:") {
			continue
		}
		known := false
		for _, re := range offlineWarnings {
			known = known || re.MatchString(line)
		}
		if !known {
			bad = append(bad, line)
		}
	}
	if len(bad) > 0 {
		ts.Fatalf("unexpected warnings:\n%s", strings.Join(bad, "\n"))
	}
}

// skip-unless-bazel VERSION
//
// Skips the rest of the scenario, saying why, when the suite's Bazel is older
// than VERSION (such as 8.3.0).
func cmdSkipUnlessBazel(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: skip-unless-bazel VERSION")
	}
	want, err := bazelfind.ParseVersion("bazel " + args[0])
	ts.Check(err)
	have, err := bazelfind.ParseVersion("bazel " + ts.Getenv("BAZEL_VERSION"))
	ts.Check(err)
	if have.Less(want) {
		ts.Value(testingTKey{}).(testscript.T).Skip(fmt.Sprintf("needs Bazel >= %s; this is %s (ci.yml runs it with Bazel 8.7.0)", want, have))
	}
}
