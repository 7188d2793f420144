package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/archive"
	"github.com/rogpeppe/go-internal/testscript"
)

// sign ARCHIVE SIGDIR [-digest .digest] [-suffixes .ecdsa_sig,.spx_sig] [-nonce N]
//
// Plays the offline signing ceremony on a pre-signing archive (.tar.xz,
// .tar.gz/.tgz, .tar or .zip): for every member X.digest (in any directory
// of the archive) it writes, for each suffix S, the file SIGDIR/X<S>
// holding "<prefix>:<SHA-256 hex of the digest file's bytes>\n", where the
// prefix is S without its leading "." and its "_sig" ending: X.ecdsa_sig
// holds "ecdsa:<hex>", X.spx_sig "spx:<hex>". SIGDIR is created if needed.
// With -nonce N each signature is "<prefix>:<hex>:<N>" instead: as real
// ECDSA (and randomized SPHINCS+) signing gives other valid bytes each time,
// a second signing of the same digests differs, and the signature test
// accepts any nonce. It prints one line per digest, "X.digest: X.ecdsa_sig
// X.spx_sig". An
// archive without a digest, or with two digests of the same name, fails.
// Flags may come before or after the arguments.
func cmdSign(ts *testscript.TestScript, neg bool, args []string) {
	const usage = "usage: sign ARCHIVE SIGDIR [-digest .digest] [-suffixes .ecdsa_sig,.spx_sig] [-nonce N]"
	fset := flag.NewFlagSet("sign", flag.ContinueOnError)
	digestSuffix := fset.String("digest", ".digest", "the suffix of the digest files")
	suffixList := fset.String("suffixes", ".ecdsa_sig,.spx_sig", "the signature suffixes, comma-separated")
	nonce := fset.String("nonce", "", "a nonce (letters and digits) that makes this signing's bytes its own")
	var pos []string
	for rest := args; ; {
		if fset.Parse(rest) != nil {
			ts.Fatalf(usage)
		}
		if rest = fset.Args(); len(rest) == 0 {
			break
		}
		pos, rest = append(pos, rest[0]), rest[1:]
	}
	if neg || len(pos) != 2 || *digestSuffix == "" || strings.IndexFunc(*nonce, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}) >= 0 {
		ts.Fatalf(usage)
	}
	tail := ""
	if *nonce != "" {
		tail = ":" + *nonce
	}
	var suffixes []string
	for _, s := range strings.Split(*suffixList, ",") {
		if s = strings.TrimSpace(s); s == "" || strings.Contains(s, "/") {
			ts.Fatalf("sign: bad -suffixes %q\n%s", *suffixList, usage)
		}
		suffixes = append(suffixes, s)
	}
	archive, sigdir := ts.MkAbs(pos[0]), ts.MkAbs(pos[1])
	digests, err := archiveDigests(archive, *digestSuffix)
	if err != nil {
		ts.Fatalf("sign: %s: %v", pos[0], err)
	}
	if len(digests) == 0 {
		ts.Fatalf("sign: %s holds no *%s file: nothing to sign", pos[0], *digestSuffix)
	}
	ts.Check(os.MkdirAll(sigdir, 0o755))
	names := make([]string, 0, len(digests))
	for name := range digests {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		sum := sha256.Sum256(digests[name])
		base := strings.TrimSuffix(name, *digestSuffix)
		var written []string
		for _, s := range suffixes {
			prefix := strings.TrimSuffix(strings.TrimPrefix(s, "."), "_sig")
			sig := base + s
			ts.Check(os.WriteFile(filepath.Join(sigdir, sig), []byte(prefix+":"+hex.EncodeToString(sum[:])+tail+"\n"), 0o644))
			written = append(written, sig)
		}
		fmt.Fprintf(ts.Stdout(), "%s: %s\n", name, strings.Join(written, " "))
	}
}

// archiveDigests returns the contents of the regular files of the archive
// whose names end in suffix, by base name.
func archiveDigests(file, suffix string) (map[string][]byte, error) {
	typ := archive.InferType(file)
	switch typ {
	case "tar.xz", "txz", "tar.gz", "tgz", "tar", "zip":
	default:
		return nil, errors.New("unknown archive format (want .tar.xz, .tar.gz, .tgz, .tar or .zip)")
	}
	out := map[string][]byte{}
	err := archive.Walk(file, typ, func(e *archive.Entry, body io.Reader) error {
		base := path.Base(e.Name)
		if e.Kind != archive.KindFile || !strings.HasSuffix(base, suffix) || base == suffix {
			return nil
		}
		if _, dup := out[base]; dup {
			return fmt.Errorf("two members named %s", base)
		}
		b, err := io.ReadAll(body)
		out[base] = b
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
