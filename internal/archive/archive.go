// Package archive checks release archives the way Bazel's http_archive will
// use them: that a file opens as its archive type and reads to the end, that
// no member escapes the extraction directory, and that a strip_prefix names
// a directory of the archive.
//
// Escapes are judged on the tree that extracting the members in order
// builds, symbolic links included: a member's path and every link's target
// are resolved through the links that earlier members made, as the kernel
// resolves them, so "a/x -> .." followed by "a/x/y -> ../.." is an escape
// even though each path looks clean. The part inside a strip_prefix is
// resolved a second time as the repository that Bazel extracts from it.
//
// [Check] reads an archive on disk once, from start to end, decompressing
// every member (so that truncation and checksum errors of gzip, xz, bzip2
// and zip members are found). [CheckReader] does the same for the streamed
// (tar-based) types, for callers that want to check while downloading.
// [InferType] tells an archive's type from its URL as http_archive does.
//
// The type comes from a name, so Check first compares the archive's magic
// bytes with it ([Sniff]), and refuses a mismatch naming both. Its work is
// bounded ([Limits]: members, unpacked bytes; and a budget of link
// resolution steps per member, with where each link leads remembered), and
// it stops when its context is done.
//
// Supported types are zip (and jar, war, aar), tar, tar.gz/tgz, tar.xz/txz
// and tar.bz2. The other types that http_archive extracts (tar.zst, tzst,
// ar, deb) are recognised by [InferType], but Check returns an error
// wrapping [ErrUnsupported] for them.
package archive

import (
	"errors"
	"fmt"
	"net/url"
	"path"
	"slices"
	"strings"
)

// Types lists, most specific first, the archive types that http_archive
// extracts (the same set as extras.ArchiveTypes), each with the file name
// suffix that InferType maps to it.
var Types = []string{
	"tar.gz", "tgz", "tar.xz", "txz", "tar.zst", "tzst", "tar.bz2", "tar",
	"zip", "jar", "war", "aar", "ar", "deb",
}

// ErrUnsupported is wrapped by the error that Check returns for an archive
// type it cannot open, such as tar.zst.
var ErrUnsupported = errors.New("archive type not supported by the checker")

// Report summarises an archive that passed [Check].
type Report struct {
	Type     string   // the type the archive was opened as
	Files    int      // regular files
	Dirs     int      // directory entries
	Symlinks int      // symbolic links (and tar hard links)
	Size     int64    // total uncompressed size of the regular files
	TopLevel []string // the distinct first path components, sorted
}

// InferType returns the archive type that http_archive infers from rawURL's
// path (ignoring the query and fragment), such as "tar.gz" for
// https://host/a/b.tar.gz?x=1, or "" if the name has no known suffix. The
// comparison ignores case, as Bazel's does.
func InferType(rawURL string) string {
	p := rawURL
	if u, err := url.Parse(rawURL); err == nil {
		p = u.Path
	} else if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	p = strings.ToLower(path.Base(p))
	for _, t := range Types {
		if strings.HasSuffix(p, "."+t) {
			return t
		}
	}
	return ""
}

// Supported reports whether Check can open archives of type typ.
func Supported(typ string) bool {
	switch typ {
	case "zip", "jar", "war", "aar", "tar", "tar.gz", "tgz", "tar.xz", "txz", "tar.bz2":
		return true
	}
	return false
}

// checker collects the facts about an archive's members and the first
// problem found in them.
type checker struct {
	typ         string
	stripPrefix string
	report      Report
	top         map[string]bool
	prefixSeen  bool   // some member lies inside stripPrefix
	prefixFile  string // a non-directory member named exactly stripPrefix
	full        *tree  // the tree that extracting the whole archive builds
	repo        *tree  // the tree of the part inside stripPrefix, if any
	budget      *budget
}

func newChecker(typ, stripPrefix string, b *budget) *checker {
	c := &checker{typ: typ, stripPrefix: stripPrefix, report: Report{Type: typ}, top: map[string]bool{}, full: newTree(""), budget: b}
	c.full.root.resolver = &resolver{ctx: b.ctx}
	if stripPrefix != "" {
		c.repo = newTree(stripPrefix)
		c.repo.root.resolver = c.full.root.resolver
	}
	return c
}

// member checks one archive member called name. For links, target is the
// link target: relative to the link's directory for a symbolic link,
// relative to the archive root for a tar hard link.
func (c *checker) member(name string, k Kind, size int64, target string) error {
	clean, err := memberPath(name)
	if err != nil {
		return err
	}
	if clean == "" { // "./" or "/" only: the root itself
		return nil
	}
	switch k {
	case KindFile:
		c.report.Files++
		c.report.Size += size
	case KindDir:
		c.report.Dirs++
	case KindSymlink, KindHardlink:
		c.report.Symlinks++
		if err := c.link(clean, k, target); err != nil {
			return err
		}
	}
	if err := c.extract(name, clean, k, target); err != nil {
		return err
	}
	first, _, _ := strings.Cut(clean, "/")
	c.top[first] = true
	if p := c.stripPrefix; p != "" {
		switch {
		case strings.HasPrefix(clean, p+"/"):
			c.prefixSeen = true
		case clean == p && k == KindDir:
			c.prefixSeen = true
		case clean == p:
			c.prefixFile = name
		}
	}
	return nil
}

// extract adds the member to the trees that extracting the archive, and
// extracting its strip prefix as the repository, build, following the links
// made by earlier members.
func (c *checker) extract(name, clean string, k Kind, target string) error {
	e := entry{member: name, path: clean, kind: k, linkname: target, target: target}
	if hasDotDot(name) {
		e.raw = name
	}
	if k == KindSymlink {
		// Where such a link is made, if at all, depends on the extractor
		// (GNU tar skips names with "..", Bazel cleans them, others hand
		// them to the kernel, which refuses a trailing "/" or ".").
		last := name[strings.LastIndexByte(name, '/')+1:]
		switch {
		case e.raw != "":
			return fmt.Errorf("symlink %q has \"..\" in its name: extractors differ on where, or whether, they make it", name)
		case last == "" || last == ".":
			return fmt.Errorf("symlink %q has a name that ends like a directory's: extractors differ on whether they make it", name)
		}
	}
	if k == KindHardlink {
		e.target = path.Clean(target)
		if e.target == "." {
			e.target = ""
		}
		if hasDotDot(target) {
			e.rawTarget = target
		}
	}
	if err := c.full.add(e); err != nil {
		return err
	}
	p := c.stripPrefix
	if p == "" || !strings.HasPrefix(clean, p+"/") {
		return nil // the prefix itself is the repository root; the rest is dropped
	}
	e.path, e.raw, e.rawTarget = clean[len(p)+1:], "", ""
	if k == KindHardlink { // c.link checked that it lies inside the prefix
		e.target = strings.TrimPrefix(strings.TrimPrefix(e.target, p), "/")
	}
	return c.repo.add(e)
}

// memberPath returns name as a clean relative path ("" for the root), or an
// error if it is absolute or leaves the root, or if Windows would read it
// differently (backslashes, a drive letter).
func memberPath(name string) (string, error) {
	if name == "" {
		return "", errors.New("a member has an empty name")
	}
	if strings.HasPrefix(name, "/") || isWindowsAbs(name) {
		return "", fmt.Errorf("member %q has an absolute path; archives must hold only relative paths", name)
	}
	clean := path.Clean(name)
	if clean == ".." || strings.HasPrefix(clean, "../") {
		return "", fmt.Errorf("member %q escapes the archive root through \"..\"", name)
	}
	if hasDrive(name) {
		return "", fmt.Errorf("member %q starts with a drive letter, which Windows reads as a path on that drive", name)
	}
	if strings.Contains(name, `\`) {
		return "", fmt.Errorf("member %q has a backslash in its name, which Windows reads as a path separator (Go's archive/zip calls such names insecure)", name)
	}
	if clean == "." {
		return "", nil
	}
	return clean, nil
}

// isWindowsAbs reports whether name starts like a Windows absolute path
// ("C:\", "C:/" or "\"), which some zip tools write.
func isWindowsAbs(name string) bool {
	if strings.HasPrefix(name, `\`) {
		return true
	}
	return hasDrive(name) && len(name) >= 3 && (name[2] == '/' || name[2] == '\\')
}

// hasDrive reports whether name starts with a Windows drive letter ("C:").
func hasDrive(name string) bool {
	return len(name) >= 2 && name[1] == ':' && ('a' <= name[0]|0x20 && name[0]|0x20 <= 'z')
}

// isAbsTarget reports whether a link target is absolute, on Unix or Windows.
func isAbsTarget(target string) bool {
	return strings.HasPrefix(target, "/") || isWindowsAbs(target)
}

// link checks that the link member at clean (a clean relative path) points
// inside the archive and, if it lies inside the strip prefix, inside the
// prefix, which becomes the repository root, as far as its name and target
// tell. [checker.extract] then resolves it through the links of the archive.
func (c *checker) link(clean string, k Kind, target string) error {
	what := "symlink"
	if k == KindHardlink {
		what = "hard link"
	}
	if target == "" {
		return fmt.Errorf("%s %q has an empty target", what, clean)
	}
	if isAbsTarget(target) {
		return fmt.Errorf("%s %q points to the absolute path %q, outside the archive", what, clean, target)
	}
	if hasDrive(target) {
		return fmt.Errorf("%s %q points to %q, which starts with a drive letter: Windows reads it as a path on that drive", what, clean, target)
	}
	if strings.Contains(target, `\`) {
		return fmt.Errorf("%s %q points to %q, whose backslashes Windows reads as path separators", what, clean, target)
	}
	if k == KindSymlink && len(target) > maxLinkTarget {
		return fmt.Errorf("symlink %q has a target longer than %d bytes", clean, maxLinkTarget)
	}
	var resolved string
	if k == KindHardlink {
		resolved = path.Clean(target)
	} else {
		resolved = path.Join(path.Dir(clean), target)
	}
	if resolved == ".." || strings.HasPrefix(resolved, "../") {
		return fmt.Errorf("%s %q points to %q, outside the archive", what, clean, target)
	}
	if p := c.stripPrefix; p != "" && strings.HasPrefix(clean, p+"/") &&
		resolved != p && !strings.HasPrefix(resolved, p+"/") {
		return fmt.Errorf("%s %q points to %q, outside strip_prefix %q (the repository root)", what, clean, target, p)
	}
	return nil
}

// finish runs the checks that need every member and returns the report.
func (c *checker) finish() (*Report, error) {
	if len(c.top) == 0 {
		return nil, errors.New("the archive holds no files")
	}
	if err := c.full.finish(); err != nil {
		return nil, err
	}
	if c.repo != nil {
		if err := c.repo.finish(); err != nil {
			return nil, err
		}
	}
	c.report.TopLevel = make([]string, 0, len(c.top))
	for name := range c.top {
		c.report.TopLevel = append(c.report.TopLevel, name)
	}
	slices.Sort(c.report.TopLevel)
	if p := c.stripPrefix; p != "" && !c.prefixSeen {
		if c.prefixFile != "" {
			return nil, fmt.Errorf("strip_prefix %q is a file in the archive, not a directory", p)
		}
		return nil, fmt.Errorf("strip_prefix %q is not a directory in the archive; %s", p, topLevelHint(c.report.TopLevel))
	}
	r := c.report
	return &r, nil
}

// topLevelHint names the archive's top-level entries, which are the likely
// values for a strip_prefix.
func topLevelHint(top []string) string {
	const max = 10
	if len(top) > max {
		return fmt.Sprintf("its top level holds %s and %d more", quoteList(top[:max]), len(top)-max)
	}
	return "its top level holds " + quoteList(top)
}

func quoteList(s []string) string {
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, ", ")
}
