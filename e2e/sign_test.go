package e2e

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
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

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/ulikunitz/xz"
)

// sign ARCHIVE SIGDIR [-digest .digest] [-suffixes .ecdsa_sig,.spx_sig]
//
// Plays the offline signing ceremony on a pre-signing archive (.tar.xz,
// .tar.gz/.tgz, .tar or .zip): for every member X.digest (in any directory
// of the archive) it writes, for each suffix S, the file SIGDIR/X<S>
// holding "<prefix>:<SHA-256 hex of the digest file's bytes>\n", where the
// prefix is S without its leading "." and its "_sig" ending: X.ecdsa_sig
// holds "ecdsa:<hex>", X.spx_sig "spx:<hex>". SIGDIR is created if needed.
// It prints one line per digest, "X.digest: X.ecdsa_sig X.spx_sig". An
// archive without a digest, or with two digests of the same name, fails.
// Flags may come before or after the arguments.
func cmdSign(ts *testscript.TestScript, neg bool, args []string) {
	const usage = "usage: sign ARCHIVE SIGDIR [-digest .digest] [-suffixes .ecdsa_sig,.spx_sig]"
	fset := flag.NewFlagSet("sign", flag.ContinueOnError)
	digestSuffix := fset.String("digest", ".digest", "the suffix of the digest files")
	suffixList := fset.String("suffixes", ".ecdsa_sig,.spx_sig", "the signature suffixes, comma-separated")
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
	if neg || len(pos) != 2 || *digestSuffix == "" {
		ts.Fatalf(usage)
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
			ts.Check(os.WriteFile(filepath.Join(sigdir, sig), []byte(prefix+":"+hex.EncodeToString(sum[:])+"\n"), 0o644))
			written = append(written, sig)
		}
		fmt.Fprintf(ts.Stdout(), "%s: %s\n", name, strings.Join(written, " "))
	}
}

// archiveDigests returns the contents of the regular files of the archive
// whose names end in suffix, by base name.
func archiveDigests(file, suffix string) (map[string][]byte, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	add := func(name string, r io.Reader) error {
		base := path.Base(name)
		if !strings.HasSuffix(base, suffix) || base == suffix {
			return nil
		}
		if _, dup := out[base]; dup {
			return fmt.Errorf("two members named %s", base)
		}
		b, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		out[base] = b
		return nil
	}
	if strings.HasSuffix(file, ".zip") {
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return nil, err
		}
		for _, f := range zr.File {
			if f.FileInfo().IsDir() {
				continue
			}
			rc, err := f.Open()
			if err != nil {
				return nil, err
			}
			err = add(f.Name, rc)
			rc.Close()
			if err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	var r io.Reader
	switch {
	case strings.HasSuffix(file, ".tar.xz"), strings.HasSuffix(file, ".txz"):
		if r, err = xz.NewReader(bytes.NewReader(data)); err != nil {
			return nil, err
		}
	case strings.HasSuffix(file, ".tar.gz"), strings.HasSuffix(file, ".tgz"):
		if r, err = gzip.NewReader(bytes.NewReader(data)); err != nil {
			return nil, err
		}
	case strings.HasSuffix(file, ".tar"):
		r = bytes.NewReader(data)
	default:
		return nil, errors.New("unknown archive format (want .tar.xz, .tar.gz, .tgz, .tar or .zip)")
	}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if !h.FileInfo().Mode().IsRegular() {
			continue
		}
		if err := add(h.Name, tr); err != nil {
			return nil, err
		}
	}
}
