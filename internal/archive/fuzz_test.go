package archive_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/archive"
	at "github.com/ot-provisioning-exts/ot-provisioning-exts/internal/testtools/archivetest"
)

// FuzzCheck builds small archives from the fuzz input (see genArchive) as
// tar and as zip, and whenever Check accepts one, extracts it with refFS, an
// in-memory extractor that follows links as the kernel does, in several of
// the ways real extractors differ. No extraction may write outside its
// root, nor leave a link that leads outside it; with a strip prefix, the
// same holds for a Bazel-like extraction of the prefix as the repository.
func FuzzCheck(f *testing.F) {
	for _, seed := range fuzzSeeds {
		f.Add(seed)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		prefix, members := genArchive(data)
		if _, err := archive.CheckReader(context.Background(), bytes.NewReader(at.Tar(members...)), "tar", prefix, archive.Limits{}); err == nil {
			verifyExtraction(t, "tar", prefix, members)
		}
		zipMembers := make([]at.Member, 0, len(members))
		for _, m := range members {
			if m.Hardlink != "" { // zip has no hard links
				m = at.File(m.Name, "")
			}
			zipMembers = append(zipMembers, m)
		}
		p := filepath.Join(dir, "fuzz.zip")
		if err := os.WriteFile(p, at.Zip(zipMembers...), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := archive.Check(context.Background(), p, "zip", prefix, archive.Limits{}); err == nil {
			verifyExtraction(t, "zip", prefix, zipMembers)
		}
	})
}

// fuzzComponents are the path components of the names and link targets of
// generated archives, which "/" joins.
var fuzzComponents = []string{"a", "b", "..", "."}

// genArchive turns fuzz input into a strip prefix and archive members. The
// first byte picks the prefix; then each member takes a header byte h (kind
// h&3: file, dir, symlink, hard link; (h>>2)&7+1 name components; h>>5+1
// target components) and one byte c per component: fuzzComponents[c&3],
// with an extra "/" before it if c&4 (a leading one makes the path
// absolute), and a "/" after it if c&8 and it is the last.
func genArchive(data []byte) (string, []at.Member) {
	if len(data) == 0 {
		return "", nil
	}
	prefix := []string{"", "", "", "a", "a/b", "b"}[int(data[0])%6]
	data = data[1:]
	next := func() byte {
		if len(data) == 0 {
			return 0
		}
		b := data[0]
		data = data[1:]
		return b
	}
	genPath := func(n int) string {
		var s strings.Builder
		for i := range n {
			c := next()
			if i > 0 {
				s.WriteByte('/')
			}
			if c&4 != 0 {
				s.WriteByte('/')
			}
			s.WriteString(fuzzComponents[c&3])
			if i == n-1 && c&8 != 0 {
				s.WriteByte('/')
			}
		}
		return s.String()
	}
	var members []at.Member
	for len(data) > 0 && len(members) < 16 {
		h := next()
		name := genPath(int(h>>2)&7 + 1)
		kind := h & 3
		if strings.HasSuffix(name, "/") {
			kind = 1 // tar writes no other member so; zip readers see a directory
		}
		switch kind {
		case 0:
			members = append(members, at.File(name, "x"))
		case 1:
			members = append(members, at.Dir(name))
		case 2:
			members = append(members, at.Symlink(name, genPath(int(h>>5)+1)))
		case 3:
			members = append(members, at.Hardlink(name, genPath(int(h>>5)+1)))
		}
	}
	return prefix, members
}

// encodeArchive is genArchive's inverse, for seeds: prefix is the first
// byte, and each member is "KIND NAME [TARGET]" with KIND one of f, d, s,
// h (file, dir, symlink, hard link) and paths made of fuzzComponents, such
// as "s a/b ../..". It panics on anything else.
func encodeArchive(prefix int, members ...string) []byte {
	out := []byte{byte(prefix)}
	encodePath := func(p string) []byte {
		var b []byte
		var flag byte
		if rest, ok := strings.CutPrefix(p, "/"); ok {
			flag, p = 4, rest
		}
		p, trailing := strings.CutSuffix(p, "/")
		for _, c := range strings.Split(p, "/") {
			if c == "" {
				flag = 4
				continue
			}
			i := slices.Index(fuzzComponents, c)
			if i < 0 {
				panic(fmt.Sprintf("bad component %q", c))
			}
			b = append(b, byte(i)|flag)
			flag = 0
		}
		if trailing {
			b[len(b)-1] |= 8
		}
		return b
	}
	for _, m := range members {
		f := strings.Fields(m)
		k := strings.Index("fdsh", f[0])
		if k < 0 || len(f) != 2+k/2 {
			panic("bad seed member " + m)
		}
		n := encodePath(f[1])
		var tg []byte
		if k >= 2 {
			tg = encodePath(f[2])
		}
		if len(n) > 8 || len(tg) > 8 {
			panic("bad seed member " + m)
		}
		h := byte(k) | byte(len(n)-1)<<2
		if len(tg) > 0 {
			h |= byte(len(tg)-1) << 5
		}
		out = append(out, h)
		out = append(out, n...)
		out = append(out, tg...)
	}
	return out
}

// fuzzSeeds are in-code seeds; testdata/fuzz/FuzzCheck holds one per
// escape class (TestFuzzCorpus lists them).
var fuzzSeeds = [][]byte{
	encodeArchive(0, "f a/b"),
	encodeArchive(3, "d a/", "f a/a", "s a/b a"),
}

// verifyExtraction extracts members with refFS in every mode and fails t if
// one writes outside its root or leaves a link leading outside it.
func verifyExtraction(t *testing.T, format, prefix string, members []at.Member) {
	t.Helper()
	modes := []refMode{
		{},                                    // tar: replaces links, links to links
		{gnu: true},                           // GNU tar
		{followFinal: true, linkFollow: true}, // a permissive extractor
		{stop: true, cleanNames: true, followFinal: true},
		{stop: true, cleanNames: true, linkFollow: true},
		{cleanNames: true, followFinal: true},
	}
	if prefix != "" {
		modes = append(modes,
			refMode{stop: true, cleanNames: true, strip: prefix, followFinal: true},
			refMode{cleanNames: true, strip: prefix})
	}
	for _, mode := range modes {
		fs := newRefFS(mode)
		fs.extractAll(members)
		if bad := fs.violations(); len(bad) > 0 {
			var list strings.Builder
			for _, m := range members {
				fmt.Fprintf(&list, "\n\t%s", describe(m))
			}
			t.Fatalf("Check accepted this %s archive (strip_prefix %q), but extracting it with %+v %s:%s",
				format, prefix, mode, strings.Join(bad, "; "), list.String())
		}
	}
}

func describe(m at.Member) string {
	switch {
	case m.Dir:
		return fmt.Sprintf("dir %q", m.Name)
	case m.Symlink != "":
		return fmt.Sprintf("symlink %q -> %q", m.Name, m.Symlink)
	case m.Hardlink != "":
		return fmt.Sprintf("hard link %q => %q", m.Name, m.Hardlink)
	}
	return fmt.Sprintf("file %q", m.Name)
}

// refMode is how refFS extracts.
type refMode struct {
	gnu         bool   // as GNU tar: skip names with "..", and make a symlink whose target has ".." or is absolute only at the end, with a file in its place until then
	stop        bool   // stop at the first member that fails, as Bazel does; else skip it, as tar does
	cleanNames  bool   // clean names (and hard link targets) first, as Bazel does; else hand them to the "kernel" as tar does
	followFinal bool   // a file or directory member whose path holds a symlink is written through it, instead of replacing it
	linkFollow  bool   // a hard link to a symlink links to what the symlink leads to, instead of to the symlink
	strip       string // extract only the members under this prefix, without it, into the repository (Bazel)
}

// refFS is a reference extractor: an in-memory file system holding the
// directories /, /work and the extraction root, where members are
// extracted one after the other, following symbolic links the way the
// kernel does. It is deliberately simple (absolute path strings, no
// sharing with the checker) and records every path it writes.
type refFS struct {
	mode    refMode
	root    string
	nodes   map[string]*refNode // by absolute clean path
	writes  []string
	delayed []delayedLink // gnu: the links still to make, in order
}

// delayedLink is a symlink that GNU tar makes at the end of the extraction,
// in place of the file placeholder if that is still there.
type delayedLink struct {
	path        string
	placeholder *refNode
	target      string
}

type refNode struct {
	kind   byte // 'd', 'f' or 'l'
	target string
}

var (
	errNoEnt  = errors.New("no such file or directory")
	errNotDir = errors.New("not a directory")
	errLoop   = errors.New("too many levels of symbolic links")
	errIsDir  = errors.New("is a directory")
)

func newRefFS(mode refMode) *refFS {
	root := "/work/root"
	if mode.strip != "" {
		root = "/work/repo"
	}
	fs := &refFS{mode: mode, root: root, nodes: map[string]*refNode{}}
	for _, d := range []string{"/", "/work", root} {
		fs.nodes[d] = &refNode{kind: 'd'}
	}
	return fs
}

func join(dir, name string) string {
	if dir == "/" {
		return "/" + name
	}
	return dir + "/" + name
}

// walk resolves p from the directory dir like the kernel: it returns the
// absolute path p leads to, whose last component need not exist. Symbolic
// links are followed, the last one only if followLast. If mkdirs, missing
// directories on the way are created (mkdir -p); never inside link
// targets. visit, if not nil, sees every directory walked through.
func (fs *refFS) walk(dir, p string, followLast, mkdirs bool, depth *int, visit func(string)) (string, error) {
	cur := dir
	if strings.HasPrefix(p, "/") {
		cur = "/"
	}
	var comps []string
	for _, c := range strings.Split(p, "/") {
		if c != "" && c != "." {
			comps = append(comps, c)
		}
	}
	for i, c := range comps {
		if visit != nil {
			visit(cur)
		}
		last := i == len(comps)-1
		if c == ".." {
			cur = path.Dir(cur)
			continue
		}
		next := join(cur, c)
		n := fs.nodes[next]
		switch {
		case n == nil:
			if last {
				return next, nil
			}
			if !mkdirs {
				return "", errNoEnt
			}
			fs.nodes[next] = &refNode{kind: 'd'}
			fs.writes = append(fs.writes, next)
			cur = next
		case n.kind == 'l' && (!last || followLast):
			if *depth++; *depth > 40 {
				return "", errLoop
			}
			t, err := fs.walk(cur, n.target, true, false, depth, visit)
			if err != nil {
				return "", err
			}
			if !last && fs.nodes[t] == nil {
				return "", errNoEnt
			}
			cur = t
		case n.kind == 'f' && !last:
			return "", errNotDir
		default:
			cur = next
		}
	}
	if visit != nil {
		visit(cur)
	}
	return cur, nil
}

func (fs *refFS) resolve(p string, followLast, mkdirs bool) (string, error) {
	depth := 0
	return fs.walk(fs.root, p, followLast, mkdirs, &depth, nil)
}

// isEmptyDir reports whether the directory p has no entries.
func (fs *refFS) isEmptyDir(p string) bool {
	for q := range fs.nodes {
		if strings.HasPrefix(q, p+"/") {
			return false
		}
	}
	return true
}

// put writes n at p, replacing what is there as tar would: a file or a
// link is removed, an empty directory too, a full one refuses; a directory
// over a directory changes nothing.
func (fs *refFS) put(p string, n *refNode) error {
	if old := fs.nodes[p]; old != nil && old.kind == 'd' {
		if n.kind == 'd' {
			return nil
		}
		if p == fs.root || !fs.isEmptyDir(p) {
			return errIsDir
		}
	}
	fs.nodes[p] = n
	fs.writes = append(fs.writes, p)
	return nil
}

// name maps a member name as the mode sees it; ok is false for a member
// that the mode does not extract.
func (fs *refFS) name(name string) (string, bool) {
	if !fs.mode.cleanNames {
		return name, true
	}
	clean := path.Clean(name)
	if p := fs.mode.strip; p != "" {
		rest, ok := strings.CutPrefix(clean, p+"/")
		return rest, ok
	}
	return clean, clean != "."
}

// extract extracts one member, or fails (and changes nothing more).
func (fs *refFS) extract(m at.Member) error {
	name, ok := fs.name(m.Name)
	if !ok {
		return nil // outside the strip prefix
	}
	if fs.mode.gnu && slices.Contains(strings.Split(name, "/"), "..") {
		return errNoEnt // "member name contains '..'"
	}
	base := path.Base(name)
	if !m.Dir && (strings.HasSuffix(name, "/") || base == "." || base == "..") {
		return errIsDir
	}
	var n *refNode
	switch {
	case m.Dir:
		n = &refNode{kind: 'd'}
	case m.Symlink != "":
		n = &refNode{kind: 'l', target: m.Symlink}
	case m.Hardlink != "":
		target, ok := fs.name(m.Hardlink)
		if !ok {
			return errNoEnt
		}
		tp, err := fs.resolve(target, fs.mode.linkFollow, false)
		if err != nil {
			return err
		}
		src := fs.nodes[tp]
		switch {
		case src == nil:
			return errNoEnt
		case src.kind == 'd':
			return errIsDir // EPERM
		}
		n = &refNode{kind: src.kind, target: src.target}
	default:
		n = &refNode{kind: 'f'}
	}
	p, err := fs.resolve(name, false, true)
	if err != nil {
		return err
	}
	if old := fs.nodes[p]; old != nil && old.kind == 'l' && n.kind != 'l' && fs.mode.followFinal {
		// mkdir keeps a link to a directory; open(O_CREAT) writes through
		// the link, creating a missing target.
		q, err := fs.resolve(name, true, false)
		if err != nil {
			return err
		}
		t := fs.nodes[q]
		switch {
		case n.kind == 'd' && t != nil && t.kind == 'd':
			return nil
		case n.kind == 'd', t != nil && t.kind == 'd':
			return errIsDir
		}
		if d := fs.nodes[path.Dir(q)]; d == nil || d.kind != 'd' {
			return errNoEnt
		}
		fs.nodes[q] = n
		fs.writes = append(fs.writes, q)
		return nil
	}
	if fs.mode.gnu && n.kind == 'l' && (strings.HasPrefix(n.target, "/") || slices.Contains(strings.Split(n.target, "/"), "..")) {
		ph := &refNode{kind: 'f'}
		if err := fs.put(p, ph); err != nil {
			return err
		}
		fs.delayed = append(fs.delayed, delayedLink{p, ph, n.target})
		return nil
	}
	return fs.put(p, n)
}

// extractAll extracts members in order, skipping those that fail or
// stopping at the first, as the mode says.
func (fs *refFS) extractAll(members []at.Member) {
	for _, m := range members {
		if err := fs.extract(m); err != nil && fs.mode.stop {
			return
		}
	}
	for _, d := range fs.delayed {
		if fs.nodes[d.path] == d.placeholder {
			fs.nodes[d.path] = &refNode{kind: 'l', target: d.target}
			fs.writes = append(fs.writes, d.path)
		}
	}
}

// inside reports whether p is the root or below it.
func (fs *refFS) inside(p string) bool {
	return p == fs.root || strings.HasPrefix(p, fs.root+"/")
}

// violations lists the writes outside the root, and the links in the
// extracted tree whose resolution walks outside it.
func (fs *refFS) violations() []string {
	var bad []string
	for _, w := range fs.writes {
		if !strings.HasPrefix(w, fs.root+"/") {
			bad = append(bad, fmt.Sprintf("wrote %s (root %s)", w, fs.root))
		}
	}
	for _, p := range slices.Sorted(func(yield func(string) bool) {
		for p := range fs.nodes {
			if !yield(p) {
				return
			}
		}
	}) {
		n := fs.nodes[p]
		if n.kind != 'l' || !fs.inside(p) {
			continue
		}
		var out []string
		depth := 0
		fs.walk(path.Dir(p), n.target, true, false, &depth, func(d string) {
			if !fs.inside(d) {
				out = append(out, d)
			}
		})
		if len(out) > 0 {
			bad = append(bad, fmt.Sprintf("link %s -> %s leads to %s (root %s)", p, n.target, out[0], fs.root))
		}
	}
	return bad
}

// TestRefFS checks the reference extractor on archives that Check must
// refuse: it must see the escape too, or the fuzz test proves nothing.
func TestRefFS(t *testing.T) {
	tests := []struct {
		name    string
		mode    refMode
		members []at.Member
	}{
		{"dotdot", refMode{}, []at.Member{at.File("../evil", "x")}},
		{"through a link", refMode{}, []at.Member{at.Symlink("a/x", ".."), at.Symlink("a/x/y", "../.."), at.File("a/x/y/evil", "x")}},
		{"link outside", refMode{}, []at.Member{at.Symlink("l", "../x")}},
		{"write through final link", refMode{followFinal: true}, []at.Member{at.Symlink("l", "../x"), at.File("l", "x")}},
		{"hard link copy", refMode{}, []at.Member{at.File("f", ""), at.Symlink("d/s", "../f"), at.Hardlink("h", "d/s")}},
		{"outside the prefix", refMode{cleanNames: true, strip: "p"}, []at.Member{at.File("p/b", ""), at.Symlink("p/a", "../p/b")}},
		{"absolute", refMode{}, []at.Member{at.Symlink("l", "/etc")}},
	}
	for _, tt := range tests {
		fs := newRefFS(tt.mode)
		fs.extractAll(tt.members)
		if len(fs.violations()) == 0 {
			t.Errorf("%s: refFS saw no escape", tt.name)
		}
	}
	fs := newRefFS(refMode{})
	fs.extractAll(at.Release("rel"))
	if bad := fs.violations(); len(bad) > 0 {
		t.Errorf("release archive: %v", bad)
	}
	if fs.nodes["/work/root/rel/latest.bin"] == nil || len(fs.writes) != 5 {
		t.Errorf("release archive: wrote %v", fs.writes)
	}
	// GNU tar makes a link with ".." in its target at the end: nothing
	// can be made through it before.
	through := []at.Member{at.Dir("d/"), at.Symlink("a/l", "../d"), at.Symlink("a/l/s", "x")}
	for _, mode := range []refMode{{}, {gnu: true}} {
		fs := newRefFS(mode)
		fs.extractAll(through)
		if made := fs.nodes["/work/root/d/s"] != nil; made == mode.gnu {
			t.Errorf("%+v: made d/s: %v", mode, made)
		}
		if n := fs.nodes["/work/root/a/l"]; n == nil || n.kind != 'l' {
			t.Errorf("%+v: a/l is %+v", mode, n)
		}
	}
}

// TestFuzzCorpus checks the seed corpus in testdata/fuzz/FuzzCheck: the
// archives of the files named escape-* must be refused by Check and seen
// escaping by refFS (so that FuzzCheck fails on a checker that accepts
// them), those named ok-* accepted, and the others refused.
func TestFuzzCorpus(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzCheck")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Run(e.Name(), func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			_, lit, _ := strings.Cut(strings.TrimSpace(string(b)), "\n[]byte(")
			s, err := strconv.Unquote(strings.TrimSuffix(lit, ")"))
			if err != nil {
				t.Fatalf("not a corpus file: %v", err)
			}
			prefix, members := genArchive([]byte(s))
			_, err = archive.CheckReader(context.Background(), bytes.NewReader(at.Tar(members...)), "tar", prefix, archive.Limits{})
			ok := strings.HasPrefix(e.Name(), "ok-")
			if ok != (err == nil) {
				t.Errorf("Check (strip_prefix %q) = %v, want ok = %v", prefix, err, ok)
			}
			if !strings.HasPrefix(e.Name(), "escape-") {
				return
			}
			modes := []refMode{{}, {gnu: true}, {followFinal: true, linkFollow: true}, {cleanNames: true}, {cleanNames: true, linkFollow: true}}
			if prefix != "" {
				modes = append(modes, refMode{cleanNames: true, strip: prefix})
			}
			for _, mode := range modes {
				fs := newRefFS(mode)
				fs.extractAll(members)
				if len(fs.violations()) > 0 {
					return
				}
			}
			t.Errorf("no refFS extraction escapes")
		})
	}
}
