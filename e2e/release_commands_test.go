package e2e

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/testtools/archivetest"
	"github.com/rogpeppe/go-internal/testscript"
)

// TestReleaseCommands checks the commands that release scenarios use
// (github, github-state, github-calls, github-fail, github-pull-state,
// sign), serve with the run's test CA, and the environment setupRelease
// gives, without Bazel: git and HTTPS requests stand in for the release
// tool and for Bazel.
func TestReleaseCommands(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git on PATH")
	}
	dir := t.TempDir()
	for name, script := range releaseCommandScripts {
		if err := os.WriteFile(filepath.Join(dir, name+".txtar"), []byte(script), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmds := commands()
	cmds["gh"] = cmdGH
	testscript.Run(t, testscript.Params{
		Dir: dir,
		Setup: func(env *testscript.Env) error {
			env.Values[testingTKey{}] = env.T()
			setupRelease(env)
			return nil
		},
		Cmds:                cmds,
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
	})
}

// gh [-status N] [-notoken] METHOD URL [BODY|@FILE]
//
// (TestReleaseCommands only.) Sends a request with "Authorization: Bearer
// $GITHUB_TOKEN" (none with -notoken), trusting only the certificates of
// $SSL_CERT_FILE, as a Go program of a scenario would, and prints the
// answer's body. Fails unless the status is N (by default, any 2xx).
func cmdGH(ts *testscript.TestScript, neg bool, args []string) {
	fset := flag.NewFlagSet("gh", flag.ContinueOnError)
	want := fset.Int("status", 0, "the expected status")
	noToken := fset.Bool("notoken", false, "send no token")
	if neg || fset.Parse(args) != nil || fset.NArg() < 2 || fset.NArg() > 3 {
		ts.Fatalf("usage: gh [-status N] [-notoken] METHOD URL [BODY|@FILE]")
	}
	pem, err := os.ReadFile(ts.Getenv("SSL_CERT_FILE"))
	ts.Check(err)
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		ts.Fatalf("gh: $SSL_CERT_FILE holds no certificate")
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	var body io.Reader
	if fset.NArg() == 3 {
		b := []byte(fset.Arg(2))
		if f, ok := strings.CutPrefix(fset.Arg(2), "@"); ok {
			b, err = os.ReadFile(ts.MkAbs(f))
			ts.Check(err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(fset.Arg(0), fset.Arg(1), body)
	ts.Check(err)
	if !*noToken {
		req.Header.Set("Authorization", "Bearer "+ts.Getenv("GITHUB_TOKEN"))
	}
	resp, err := client.Do(req)
	ts.Check(err)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	ts.Check(err)
	ts.Stdout().Write(out)
	if (*want == 0 && resp.StatusCode/100 != 2) || (*want != 0 && resp.StatusCode != *want) {
		ts.Fatalf("gh: %s %s: %s, want %s\n%s", fset.Arg(0), fset.Arg(1), resp.Status, map[bool]string{true: "2xx", false: strconv.Itoa(*want)}[*want == 0], out)
	}
}

var releaseCommandScripts = map[string]string{
	"env": `
# Every scenario has a git identity, no git configuration, a fake token and
# a CA bundle for Go programs.
exec env
stdout '^GIT_AUTHOR_NAME=E2E Release Bot$'
stdout '^GIT_COMMITTER_EMAIL=e2e-release-bot@example.com$'
stdout '^GIT_CONFIG_GLOBAL=/dev/null$'
stdout '^GIT_CONFIG_NOSYSTEM=1$'
stdout '^GITHUB_TOKEN=ghp_'
stdout '^SSL_CERT_FILE=/.*ca-bundle\.pem$'
exec git init -q -b main repo
exec git -C repo commit -q --allow-empty -m one
exec git -C repo log --format=%an/%ae/%cn/%ce
stdout '^E2E Release Bot/e2e-release-bot@example.com/E2E Release Bot/e2e-release-bot@example.com$'
`,

	"github": `
# A bare origin with main; the tag and the branch come later.
exec git init -q --bare origin.git
exec git init -q -b main work
exec git -C work commit -q --allow-empty -m one
exec git -C work push -q ../origin.git main
github origin.git
exec env
stdout '^GITHUB_API_URL=https://127\.0\.0\.1:[0-9]+/api/v3/$'
stdout '^GITHUB_UPLOAD_URL=https://127\.0\.0\.1:[0-9]+/api/uploads/$'
stdout '^GITHUB_SERVER_URL=https://127\.0\.0\.1:[0-9]+$'
stdout '^GITHUB_REPOSITORY=acme/ot-sku$'
stdout '^GITHUB_GIT_URL=https://127\.0\.0\.1:[0-9]+/acme/ot-sku\.git$'
stdout '^GIT_SSL_CAINFO=.+'

# git reaches the bare repository at $GITHUB_GIT_URL, with the token only.
! exec git ls-remote $GITHUB_GIT_URL
stderr 'could not read Username|Authentication failed' # 401: TLS with the CA worked

github-state
cmp stdout empty.state

# The token is required.
gh -notoken -status 401 GET ${GITHUB_API_URL}repos/acme/ot-sku/releases

# A draft, two assets, the second upload failing once.
gh POST ${GITHUB_API_URL}repos/acme/ot-sku/releases '{"tag_name": "T_rc00", "target_commitish": "main", "name": "T rc00", "draft": true, "prerelease": true}'
stdout '"id": 1,'
stdout '"upload_url": "https://'
github-fail POST /assets 2 503
gh POST ${GITHUB_UPLOAD_URL}repos/acme/ot-sku/releases/1/assets?name=a.tar.xz @a.tar.xz
stdout '"browser_download_url": "https://127\.0\.0\.1:[0-9]+/acme/ot-sku/releases/download/untagged-'
gh -status 503 POST ${GITHUB_UPLOAD_URL}repos/acme/ot-sku/releases/1/assets?name=b.zip @b.zip
gh POST ${GITHUB_UPLOAD_URL}repos/acme/ot-sku/releases/1/assets?name=b.zip @b.zip

# Publishing creates the missing tag at target_commitish (main) in the bare
# repository, as GitHub does: a lightweight tag.
! exec git --git-dir=origin.git rev-parse --verify --quiet T_rc00
gh PATCH ${GITHUB_API_URL}repos/acme/ot-sku/releases/1 '{"draft": false}'
exec git --git-dir=origin.git rev-parse main
cp stdout main.sha
exec git --git-dir=origin.git rev-parse T_rc00
cmp stdout main.sha
exec git --git-dir=origin.git cat-file -t T_rc00
stdout '^commit$'
gh GET ${GITHUB_SERVER_URL}/acme/ot-sku/releases/download/T_rc00/a.tar.xz
cmp stdout a.tar.xz

# -apply: the effect happens, the answer is lost.
github-fail -apply POST /releases
gh -status 502 POST ${GITHUB_API_URL}repos/acme/ot-sku/releases '{"tag_name": "U", "draft": true}'
github-fail -clear

# A pull request needs both branches in the bare repository.
gh -status 422 POST ${GITHUB_API_URL}repos/acme/ot-sku/pulls '{"title": "Release", "head": "release/x", "base": "main"}'
exec git -C work push -q ../origin.git main:release/x
gh POST ${GITHUB_API_URL}repos/acme/ot-sku/pulls '{"title": "Release", "head": "release/x", "base": "main"}'
github-pull-state 1 closed

# Another repository does not exist.
gh -status 404 POST ${GITHUB_API_URL}repos/other/repo/releases '{"tag_name": "T_rc00", "draft": true}'

github-state
cmp stdout want.state
github-state -v
stdout '^release T_rc00 draft=false prerelease=true target=main title="T rc00"$'
stdout '^pull #1 release/x -> main state=closed title="Release"$'
github-calls
stdout '^POST /api/uploads/repos/acme/ot-sku/releases/1/assets 503$'
stdout '^POST /api/v3/repos/acme/ot-sku/releases 502$'
stdout '^calls 11 mutations 6$'

-- a.tar.xz --
archive a
-- b.zip --
archive b
-- empty.state --
releases 0 assets 0 pulls 0
-- want.state --
release T_rc00 draft=false prerelease=true
release U draft=true prerelease=false
asset T_rc00 a.tar.xz sha256=109b8f5ac24f1ed8e7ebade1e5a345dbd5ede5509e62c75b0e70bd03299cfad0
asset T_rc00 b.zip sha256=daa372666487804fbbf3d0a33d28bff1e42811103b9d6c00f9c4a47c7022a0b0
pull #1 release/x -> main state=closed
releases 2 assets 2 pulls 1
`,

	"serve": `
# serve's HTTPS server presents the test CA's certificate, which
# $SSL_CERT_FILE trusts; its failure modes work; -http is plain HTTP.
archive -prefix top srv/a.tar.gz tree
hash srv/a.tar.gz A
serve srv
exec env
stdout '^SERVER=https://127\.0\.0\.1:[0-9]+$'
gh GET ${SERVER}/a.tar.gz
cmp stdout srv/a.tar.gz
gh -status 404 GET ${SERVER}/404/a.tar.gz
serve -http srv
exec env
stdout '^SERVER=http://127\.0\.0\.1:[0-9]+$'

-- tree/BUILD.bazel --
exports_files(["x"])
`,

	"sign": `
# Digests anywhere in the archive; one signature per suffix.
archive presign.tar.xz presign
sign presign.tar.xz sigs
cmp stdout want.out
hash presign/digests/perso.digest P
hash presign/rom_ext.digest R
grep -count=1 '^ecdsa:'$P'$' sigs/perso.ecdsa_sig
grep -count=1 '^spx:'$P'$' sigs/perso.spx_sig
grep -count=1 '^ecdsa:'$R'$' sigs/rom_ext.ecdsa_sig
grep -count=1 '^spx:'$R'$' sigs/rom_ext.spx_sig
! exists sigs/perso.bin.ecdsa_sig

# Other formats, other suffixes, flags first or last.
archive presign.zip presign
sign -digest .digest presign.zip zsigs -suffixes .rsa_sig
stdout '^perso\.digest: perso\.rsa_sig$'
grep -count=1 '^rsa:'$P'$' zsigs/perso.rsa_sig
archive presign.tar.gz presign
sign -suffixes .ecdsa_sig presign.tar.gz gsigs
grep -count=1 '^ecdsa:'$R'$' gsigs/rom_ext.ecdsa_sig
! exists gsigs/rom_ext.spx_sig

-- presign/perso.bin --
perso
-- presign/digests/perso.digest --
perso digest
-- presign/rom_ext.digest --
rom_ext digest
-- want.out --
perso.digest: perso.ecdsa_sig perso.spx_sig
rom_ext.digest: rom_ext.ecdsa_sig rom_ext.spx_sig
`,
}

// TestArchiveDigests: no digest, and a digest name twice, are told apart
// from success.
func TestArchiveDigests(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, content string) {
		p := filepath.Join(dir, rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("none/a.bin", "a")
	write("two/x/a.digest", "1")
	write("two/y/a.digest", "2")
	for _, c := range []struct {
		src, out string
		n        int
		err      string
	}{
		{"none", "none.tar.xz", 0, ""},
		{"two", "two.zip", 0, "two members named a.digest"},
		{"two/x", "x.tar", 1, ""},
	} {
		members, err := archivetest.FromDir(filepath.Join(dir, c.src), "", false)
		if err != nil {
			t.Fatal(err)
		}
		data, err := archivetest.ForName(c.out, members...)
		if err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(dir, c.out)
		if err := os.WriteFile(file, data, 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := archiveDigests(file, ".digest")
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: error %v, want %q", c.out, err, c.err)
			}
			continue
		}
		if err != nil || len(got) != c.n {
			t.Errorf("%s: %d digests, %v; want %d", c.out, len(got), err, c.n)
		}
	}
	if _, err := archiveDigests(filepath.Join(dir, "none", "a.bin"), ".digest"); err == nil || !strings.Contains(err.Error(), "unknown archive format") {
		t.Errorf("not an archive: %v", err)
	}
}
