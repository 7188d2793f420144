package testtools

import (
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/testtools/archivetest"
)

// A ScriptCmd is a testscript command.
type ScriptCmd = func(ts *testscript.TestScript, neg bool, args []string)

// ScriptCmds returns the testscript commands that the e2e scenarios and
// update_extras's scripts share, documented at each function: archive,
// hash, envsubst and serve. serve's HTTPS servers present the certificate
// of serverTLS (nil: httptest's own).
func ScriptCmds(serverTLS *tls.Config) map[string]ScriptCmd {
	return map[string]ScriptCmd{
		"archive":  CmdArchive,
		"hash":     CmdHash,
		"envsubst": CmdEnvsubst,
		"serve": func(ts *testscript.TestScript, neg bool, args []string) {
			cmdServe(ts, neg, args, serverTLS)
		},
	}
}

// CmdArchive is
//
//	archive [-prefix P] [-dirs] OUT DIR
//
// It packs the contents of DIR into OUT, a .tar.gz/.tgz, .tar.xz, .tar or
// .zip (chosen by OUT's extension), with every path under P/ when -prefix
// is given, and an entry for every directory (P/ included) with -dirs.
// Symbolic links are stored as links. The archive is deterministic: sorted
// entries, fixed times and owners, mode 0755 for executables and .sh files
// and 0644 for the other files.
func CmdArchive(ts *testscript.TestScript, neg bool, args []string) {
	fset := flag.NewFlagSet("archive", flag.ContinueOnError)
	prefix := fset.String("prefix", "", "path prefix for every entry")
	dirs := fset.Bool("dirs", false, "add an entry for every directory")
	if neg || fset.Parse(args) != nil || fset.NArg() != 2 {
		ts.Fatalf("usage: archive [-prefix P] [-dirs] OUT DIR")
	}
	out, dir := ts.MkAbs(fset.Arg(0)), ts.MkAbs(fset.Arg(1))
	members, err := archivetest.FromDir(dir, *prefix, *dirs)
	ts.Check(err)
	for i, m := range members {
		if strings.HasSuffix(m.Name, ".sh") && !m.Dir && m.Symlink == "" {
			members[i].Mode = 0o755 // txtar files lose the execute bit
		}
	}
	data, err := archivetest.ForName(out, members...)
	ts.Check(err)
	ts.Check(os.MkdirAll(filepath.Dir(out), 0o755))
	ts.Check(os.WriteFile(out, data, 0o644))
}

// CmdHash is
//
//	hash FILE NAME
//
// It sets $NAME to FILE's SHA-256 in hex, $NAME_SRI to it in SRI form
// (sha256-<base64>), as extras.json and http_archive take them, and
// $NAME_SIZE to FILE's size in bytes.
func CmdHash(ts *testscript.TestScript, neg bool, args []string) {
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
	ts.Setenv(args[1]+"_SIZE", strconv.Itoa(len(data)))
}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// CmdEnvsubst is
//
//	envsubst FILE...
//
// It replaces each ${NAME} in the files with the script's variable NAME,
// in place. Only the braced form is expanded, so that genrule commands
// keep their $@ and $<. An undefined variable is an error.
func CmdEnvsubst(ts *testscript.TestScript, neg bool, args []string) {
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

// cmdServe is
//
//	serve [-http] DIR
//
// It starts a Server of the files under DIR and sets $SERVER to its base
// URL. It speaks HTTPS with the certificate that ScriptCmds was given;
// -http serves plain HTTP instead. The path prefixes of Server pick a
// failure mode, such as $SERVER/404/f, $SERVER/truncate/f or
// $SERVER/corrupt/f. The server stops when the script ends.
func cmdServe(ts *testscript.TestScript, neg bool, args []string, serverTLS *tls.Config) {
	fset := flag.NewFlagSet("serve", flag.ContinueOnError)
	plain := fset.Bool("http", false, "serve plain HTTP")
	if neg || fset.Parse(args) != nil || fset.NArg() != 1 {
		ts.Fatalf("usage: serve [-http] DIR")
	}
	s := NewServer(ts.MkAbs(fset.Arg(0)))
	if *plain {
		s.Start()
	} else {
		s.StartTLS(serverTLS)
	}
	ts.Defer(s.Close)
	ts.Setenv("SERVER", s.URL)
}
