package archive

import (
	"context"
	"fmt"
	"path"
	"slices"
	"strings"
)

// This file models the tree that extracting an archive's members in order
// builds, symbolic links included, so that a member or a link that leaves the
// root only through a link created by an earlier member is found: with
// "a/x -> .." in the archive, the clean-looking "a/x/y -> ../.." points two
// levels above the root once a/x is followed.
//
// Paths are resolved as the kernel resolves them: a component that is a
// symbolic link is replaced by the link's target, relative to the directory
// holding the link, and ".." after it is taken in the target's directory, not
// lexically. A component that does not exist (yet) is taken lexically. Going
// above the root, or to an absolute path, is an escape.
//
// Extractors differ when a member lands on a path that already holds a link
// (tar replaces the link, others write through it, or fail), when a link
// lands on a file or directory (tar replaces an empty one, others fail or
// keep it), when a tar hard link links to a symlink (some link the symlink,
// others what it points to), and between those that clean a member's name
// first (Bazel) and those that hand it to the kernel (tar) when ".." follows
// a link. The tree refuses those archives instead of guessing, so that one
// model holds for every extractor. It also refuses a member that no
// extractor can create because its directory goes through a file or through
// a link to nothing (yet): extractors that go on after such an error (tar)
// would otherwise build a tree without it, unlike the model.
//
// Bazel (7.x, tar and zip alike) makes the symbolic links only after every
// other member, so the tree also refuses a member, or a hard link's target,
// that lies under a link, a hard link to a member that does not exist yet
// or is a directory, a directory and a file of the same name, a name with
// ".." (GNU tar and Python's tarfile fail on it), and devices and FIFOs.
// Links may still point through other links: they resolve once all exist.
//
// So links are never removed or changed once made, and a link resolves the
// same in every state of the extraction where it resolves at all: the
// finished tree is the one to check.

// maxLinks bounds the symbolic links followed while resolving one path, as
// Linux's MAXSYMLINKS does: more means a loop, or a chain no extractor
// follows.
const maxLinks = 40

// maxSteps bounds the path components one resolution walks, so that long
// targets followed many times cannot make the check slow.
const maxSteps = 1 << 16

// A node is a path of the extracted tree: a directory, a file (or another
// non-directory) or a symbolic link.
type node struct {
	name     string // the last path component ("" for the root)
	parent   *node  // nil for the root
	children map[string]*node
	file     bool   // not a directory
	link     bool   // a symbolic link to target
	target   string // as written in the archive
	member   string // the archive member that made the link, for messages
	loc      []*node
	// loc lists the links followed to reach the link's directory when it was
	// created: empty if it lies where its name says.
	memo     *linkMemo // where the link leads, once known for good (see resolve)
	resolver *resolver // the root's: the state that resolutions share
}

// label names a link in messages.
func (n *node) label() string {
	return fmt.Sprintf("symlink %q -> %q", n.member, n.target)
}

// path returns n's path relative to the root, "." for the root itself.
func (n *node) path() string {
	var parts []string
	for ; n.parent != nil; n = n.parent {
		parts = append(parts, n.name)
	}
	if len(parts) == 0 {
		return "."
	}
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	return strings.Join(parts, "/")
}

// A pos is a place in the tree: the deepest existing node dir and the
// components below it that do not exist yet.
type pos struct {
	dir  *node
	rest []string
}

func (p pos) same(q pos) bool {
	if p.dir != q.dir || len(p.rest) != len(q.rest) {
		return false
	}
	for i := range p.rest {
		if p.rest[i] != q.rest[i] {
			return false
		}
	}
	return true
}

func (p pos) String() string {
	if len(p.rest) == 0 {
		return p.dir.path()
	}
	if p.dir.parent == nil {
		return strings.Join(p.rest, "/")
	}
	return p.dir.path() + "/" + strings.Join(p.rest, "/")
}

// A resolution is where a path leads.
type resolution struct {
	pos   pos     // where it ends, if it stays inside
	chain []*node // the links followed, in order
	end   string  // if not "": it leaves the tree and ends here ("../x", "/etc")
	loop  bool    // too many links (or steps) to follow
	// If not nil, the kernel would stop before the end: at the file
	// notDir, or in the target of dangling, at missing, which does not exist.
	notDir, dangling *node
	missing          pos
	stop             error // with loop: the check's context, or its budget of steps, stopped it
}

func (r *resolution) failed() bool { return r.end != "" || r.loop }

// A linkMemo is where a symbolic link leads: the directory (or file) its
// target resolves to, through the links of chain. It is kept only when that
// holds in every later state of the extraction: every component of the
// target, and of the targets of the links followed, existed (no lexical
// step over a path that a later member could make a link), and the kernel
// would not stop on the way. Nodes are never removed, a link never changes
// and never replaces a file or a directory, and a directory never becomes
// a file, so such a resolution cannot change.
type linkMemo struct {
	dir   *node
	chain []*node
}

// resolver is the state that the resolutions of one check share, held by
// the root of its trees: the steps taken against the budget, and the
// context that stops them.
type resolver struct {
	ctx    context.Context
	steps  int64 // the steps every resolution took
	credit int64 // stepsPerResolve for each resolution so far
}

// stepsPerResolve is what a resolution adds to the budget of steps that all
// resolutions of a check share: with the memo, a link followed costs one
// step, so a path costs about its number of components, and the check's
// resolutions stay linear in the archive's size. One resolution may still
// take up to maxSteps when the budget is spent.
const stepsPerResolve = 1024

// errTooManySteps describes a check whose resolutions spent their budget.
var errTooManySteps = fmt.Errorf("resolving the archive's symbolic links takes more than %d steps per path resolved: its links lead through each other too often (links whose targets go through paths that do not exist cannot be remembered)", stepsPerResolve)

// resolve resolves p, a relative path, from the directory start. Every
// symbolic link on the way is followed, the last component's only if
// followLast. A link whose resolution is remembered (node.memo) costs one
// step; a link resolved in full is remembered when that is safe. The steps
// count against the check's budget (see resolver), and ctx stops it.
func resolve(start *node, p string, followLast bool) resolution {
	var r resolution
	var stack []string // pending components, the next one last
	push := func(s string) {
		for s != "" {
			i := strings.LastIndexByte(s, '/')
			c := s[i+1:]
			if c != "" && c != "." {
				stack = append(stack, c)
			}
			if i < 0 {
				break
			}
			s = s[:i]
		}
	}
	rest := func() string {
		parts := make([]string, len(stack))
		for i, c := range stack {
			parts[len(stack)-1-i] = c
		}
		return strings.Join(parts, "/")
	}
	root := start
	for root.parent != nil {
		root = root.parent
	}
	rs := root.resolver
	if rs != nil {
		rs.credit += stepsPerResolve
	}
	push(p)
	cur := start
	var virt []string
	mark := -1 // while len(stack) >= mark, the components come from markLink's target
	var markLink *node
	// The links being followed, innermost last: a link's target is
	// resolved when the stack is back to base.
	type following struct {
		link          *node
		base, chainAt int
		virtAt        int  // lexical steps before
		memo          bool // the resolution may be remembered, if it stays clean
	}
	var open []following
	lexical := 0 // components taken lexically so far
	settle := func() {
		for len(open) > 0 && len(stack) == open[len(open)-1].base {
			o := open[len(open)-1]
			open = open[:len(open)-1]
			if o.memo && lexical == o.virtAt && len(virt) == 0 && r.notDir == nil && r.dangling == nil {
				o.link.memo = &linkMemo{dir: cur, chain: slices.Clone(r.chain[o.chainAt:])}
			}
		}
	}
	for steps := 0; len(stack) > 0; steps++ {
		settle()
		if steps > maxSteps {
			r.loop = true
			return r
		}
		if rs != nil {
			rs.steps++
			if rs.steps > rs.credit+maxSteps {
				r.loop, r.stop = true, errTooManySteps
				return r
			}
			if rs.steps%1024 == 0 && rs.ctx.Err() != nil {
				r.loop, r.stop = true, context.Cause(rs.ctx)
				return r
			}
		}
		c := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		switch {
		case c == "..":
			switch {
			case len(virt) > 0:
				virt = virt[:len(virt)-1]
			case cur.parent == nil:
				r.end = path.Clean("../" + rest())
				return r
			default:
				cur = cur.parent
			}
			continue
		case len(virt) > 0:
			virt = append(virt, c)
			lexical++
			continue
		}
		child := cur.children[c]
		switch {
		case child == nil:
			virt = append(virt, c)
			lexical++
			if mark >= 0 && len(stack) >= mark && r.dangling == nil && r.notDir == nil {
				r.dangling, r.missing = markLink, pos{cur, slices.Clone(virt)}
			}
		case child.link && (len(stack) > 0 || followLast):
			r.chain = append(r.chain, child)
			if len(r.chain) > maxLinks {
				r.loop = true
				return r
			}
			if isAbsTarget(child.target) { // refused when the link was made
				r.end = path.Clean(child.target + "/" + rest())
				return r
			}
			if mark < 0 || len(stack) < mark {
				mark, markLink = len(stack), child
			}
			if m := child.memo; m != nil {
				r.chain = append(r.chain, m.chain...)
				if len(r.chain) > maxLinks {
					r.chain = r.chain[:maxLinks+1] // as if followed one by one
					r.loop = true
					return r
				}
				cur = m.dir
				if cur.file && len(stack) > 0 && r.notDir == nil && r.dangling == nil {
					r.notDir = cur
				}
				continue
			}
			open = append(open, following{link: child, base: len(stack), chainAt: len(r.chain),
				virtAt: lexical, memo: r.notDir == nil && r.dangling == nil && (len(stack) > 0 || followLast)})
			push(child.target)
		default:
			if child.file && len(stack) > 0 && r.notDir == nil && r.dangling == nil {
				r.notDir = child
			}
			cur = child
		}
	}
	settle()
	r.pos = pos{cur, virt}
	return r
}

// chainText lists links for a message.
func chainText(chain []*node) string {
	const max = 6
	parts := make([]string, 0, min(len(chain), max+1))
	for i, n := range chain {
		if i == max {
			parts = append(parts, fmt.Sprintf("and %d more", len(chain)-max))
			break
		}
		parts = append(parts, n.label())
	}
	return strings.Join(parts, ", ")
}

// through returns " through " and the links, or "" if there are none.
func through(chain []*node) string {
	if len(chain) == 0 {
		return ""
	}
	return " through " + chainText(chain)
}

// loopText says why a resolution gave up.
func loopText(r *resolution) string {
	if r.stop != nil {
		return r.stop.Error()
	}
	seen := map[*node]bool{}
	for i, n := range r.chain {
		if seen[n] {
			return "the links loop: " + chainText(r.chain[:i]) + ", back to " + n.label()
		}
		seen[n] = true
	}
	if len(r.chain) > maxLinks {
		return fmt.Sprintf("more than %d symbolic links to follow: %s", maxLinks, chainText(r.chain))
	}
	return fmt.Sprintf("more than %d path components to walk, through %s", maxSteps, chainText(r.chain))
}

// A tree is the model of one extraction: of the whole archive, or of the
// part inside strip_prefix, which becomes the repository.
type tree struct {
	root   *node
	prefix string  // strip_prefix, or "" for the whole archive
	links  []*node // the symbolic links, in the order they were made
}

func newTree(prefix string) *tree {
	return &tree{root: &node{}, prefix: prefix}
}

// outside is what a link escaping the tree points outside of.
func (t *tree) outside() string {
	if t.prefix == "" {
		return "outside the archive"
	}
	return fmt.Sprintf("outside strip_prefix %q (the repository root)", t.prefix)
}

// rootName names the tree's root in messages.
func (t *tree) rootName() string {
	if t.prefix == "" {
		return "the archive root"
	}
	return fmt.Sprintf("strip_prefix %q (the repository root)", t.prefix)
}

// archivePath returns the archive path of p, a path of the tree.
func (t *tree) archivePath(p string) string {
	switch {
	case t.prefix == "":
		return p
	case p == ".":
		return t.prefix
	}
	return t.prefix + "/" + p
}

// endText shows where an escaping path ends.
func (t *tree) endText(end string) string {
	if t.prefix == "" || strings.HasPrefix(end, "/") {
		return fmt.Sprintf("%q", end)
	}
	return fmt.Sprintf("%q (relative to the repository root)", end)
}

// An entry is a member as one tree sees it.
type entry struct {
	member    string // the name in the archive, for messages
	path      string // the clean path in the tree
	raw       string // the path as written, if it has ".." components
	kind      Kind
	linkname  string // a link's target as written in the archive
	target    string // symlink: as written; hard link: the clean path in the tree
	rawTarget string // hard link: the target as written, if it has ".."
}

// add extracts e into the tree, or says why extracting it is unsafe.
func (t *tree) add(e entry) error {
	at := resolve(t.root, e.path, false)
	if err := t.memberFailed(e.member, &at); err != nil {
		return err
	}
	if e.raw != "" {
		alt := resolve(t.root, e.raw, false)
		if err := t.memberFailed(e.member, &alt); err != nil {
			return err
		}
		if !alt.pos.same(at.pos) {
			return fmt.Errorf("member %q has \"..\" after %s: extractors that clean names write it to %q, those that follow the link to %q",
				e.member, chainText(alt.chain), t.archivePath(at.pos.String()), t.archivePath(alt.pos.String()))
		}
		// GNU tar refuses such a name ("Member name contains '..'"), and
		// Python's tarfile fails to make its directory ("a/..").
		return fmt.Errorf("member %q has \"..\" in its name: GNU tar and Python's tarfile fail on it; store it as %q",
			e.member, t.archivePath(e.path))
	}

	if err := t.blocked(e.member, &at); err != nil {
		return err
	}
	if e.kind == KindOther {
		return fmt.Errorf("member %q is a device, a FIFO or of an unknown type: Bazel writes it as a file, tar makes a device node, Python's data filter refuses it; leave it out of the archive",
			e.member)
	}
	if len(at.chain) > 0 && e.kind != KindSymlink {
		// Bazel (7.x, tar and zip) makes the symbolic links after every
		// other member: it writes this one into a real directory, then
		// fails to replace that directory with the link; tar and Python
		// write through the link.
		return fmt.Errorf("member %q lies under %s: Bazel makes symbolic links after every other member and then fails, tar writes through the link; store the member under the link's target instead",
			e.member, chainText(at.chain))
	}
	if e.kind == KindHardlink {
		if err := t.hardlinkTarget(e); err != nil {
			return err
		}
	}
	isLink := e.kind == KindSymlink

	if len(at.pos.rest) == 0 { // the path exists
		n := at.pos.dir
		switch {
		case n.link && !isLink:
			return fmt.Errorf("member %q lands on %s, made by an earlier member: some extractors replace the link, others write through it",
				e.member, n.label())
		case !n.link && isLink:
			return fmt.Errorf("symlink %q lands on %q, which the archive already holds as a file or directory: some extractors replace it, others keep it or fail",
				e.member, t.archivePath(n.path()))
		case isLink && n.target != e.target:
			return fmt.Errorf("symlink %q lands on %s, made by an earlier member, with another target: some extractors replace the link, others fail",
				e.member, n.label())
		case e.kind == KindDir && n.file:
			return fmt.Errorf("directory %q has the name of a file that an earlier member made: Bazel and tar fail to extract it; rename one of them",
				e.member)
		case e.kind != KindDir && !isLink && !n.file:
			return fmt.Errorf("member %q has the name of a directory that earlier members made: Bazel and tar fail to extract it; rename one of them",
				e.member)
		}
		return nil // the same link, or a file or directory again
	}
	dir := at.pos.dir
	for _, c := range at.pos.rest {
		if dir.children == nil {
			dir.children = map[string]*node{}
		}
		child := &node{name: c, parent: dir}
		dir.children[c] = child
		dir = child
	}
	n := dir
	if !isLink {
		n.file = e.kind != KindDir
		return nil
	}
	n.link, n.target, n.member, n.loc = true, e.target, e.member, at.chain
	t.links = append(t.links, n)
	if err := t.linkFailed(n, ""); err != nil {
		return err
	}
	if len(at.chain) > 0 {
		// GNU tar makes a link whose target has ".." or is absolute only at
		// the end, leaving a file in its place until then: it cannot make
		// this one, others can, and then the trees differ.
		return fmt.Errorf("symlink %q lies at %q, reached through %s: extractors differ on whether they can make a link inside a linked directory, so links must lie in real directories",
			e.member, t.archivePath(n.path()), chainText(at.chain))
	}
	return nil
}

// blocked describes a member that no extractor can create, because its
// directory goes through a file or a link to nothing.
func (t *tree) blocked(member string, r *resolution) error {
	switch {
	case r.notDir != nil && len(r.chain) == 0:
		return fmt.Errorf("member %q cannot be extracted: %q is a file, not a directory",
			member, t.archivePath(r.notDir.path()))
	case r.notDir != nil:
		return fmt.Errorf("member %q cannot be extracted: its directory goes through %s to %q, a file, not a directory",
			member, chainText(r.chain), t.archivePath(r.notDir.path()))
	case r.dangling != nil:
		return fmt.Errorf("member %q cannot be extracted: its directory goes through %s, but %q does not exist at that point",
			member, chainText(r.chain), t.archivePath(r.missing.String()))
	}
	return nil
}

// hardlinkTarget resolves a hard link's target, which must stay inside and
// must not be a symlink.
func (t *tree) hardlinkTarget(e entry) error {
	failed := func(r *resolution) error {
		switch {
		case r.loop:
			return fmt.Errorf("hard link %q points to %q, which cannot be resolved: %s", e.member, e.linkname, loopText(r))
		case r.end != "":
			return fmt.Errorf("hard link %q points to %q, %s: it resolves%s to %s",
				e.member, e.linkname, t.outside(), through(r.chain), t.endText(r.end))
		}
		return nil
	}
	r := resolve(t.root, e.target, false)
	if err := failed(&r); err != nil {
		return err
	}
	if e.rawTarget != "" {
		alt := resolve(t.root, e.rawTarget, false)
		if err := failed(&alt); err != nil {
			return err
		}
		if !alt.pos.same(r.pos) {
			return fmt.Errorf("hard link %q points to %q, with \"..\" after %s: extractors that clean names link to %q, those that follow the link to %q",
				e.member, e.linkname, chainText(alt.chain), t.archivePath(r.pos.String()), t.archivePath(alt.pos.String()))
		}
	}
	if len(r.pos.rest) == 0 && r.pos.dir.link {
		return fmt.Errorf("hard link %q links to %s: some extractors link the symlink, others what it points to",
			e.member, r.pos.dir.label())
	}
	switch {
	case len(r.chain) > 0:
		return fmt.Errorf("hard link %q points to %q through %s: Bazel makes symbolic links after every other member, so the target does not exist yet and it fails; link to the target's real path",
			e.member, e.linkname, chainText(r.chain))
	case len(r.pos.rest) > 0:
		return fmt.Errorf("hard link %q points to %q, which no earlier member made: Bazel and tar fail to extract it; the target must come before the link in the archive",
			e.member, e.linkname)
	case !r.pos.dir.file:
		return fmt.Errorf("hard link %q points to %q, a directory: no extractor can link a directory", e.member, e.linkname)
	}
	return nil
}

// memberFailed describes a member whose path leaves the tree.
func (t *tree) memberFailed(member string, r *resolution) error {
	switch {
	case r.loop:
		return fmt.Errorf("member %q cannot be extracted: %s", member, loopText(r))
	case r.end != "":
		return fmt.Errorf("member %q escapes %s%s: it would be written to %s",
			member, t.rootName(), through(r.chain), t.endText(r.end))
	}
	return nil
}

// linkFailed resolves the link n from its directory and describes it if
// it leaves the tree. when qualifies the message ("" or " once extracted").
func (t *tree) linkFailed(n *node, when string) error {
	r := resolve(n.parent, n.target, true)
	if !r.failed() {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "symlink %q points to %q", n.member, n.target)
	if r.loop {
		fmt.Fprintf(&b, ", which cannot be resolved%s: %s", when, loopText(&r))
		return fmt.Errorf("%s", b.String())
	}
	fmt.Fprintf(&b, ", %s%s: ", t.outside(), when)
	if len(n.loc) > 0 {
		fmt.Fprintf(&b, "it lies at %q (through %s), where it ", t.archivePath(n.path()), chainText(n.loc))
	} else {
		b.WriteString("it ")
	}
	fmt.Fprintf(&b, "resolves%s to %s", through(r.chain), t.endText(r.end))
	return fmt.Errorf("%s", b.String())
}

// finish resolves every link of the finished tree: a link may depend on
// links that later members made.
func (t *tree) finish() error {
	for _, n := range t.links {
		if err := t.linkFailed(n, " once extracted"); err != nil {
			return err
		}
	}
	return nil
}

// hasDotDot reports whether p has a ".." component.
func hasDotDot(p string) bool {
	for p != "" {
		var c string
		c, p, _ = strings.Cut(p, "/")
		if c == ".." {
			return true
		}
	}
	return false
}
