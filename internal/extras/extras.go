package extras

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Options changes how strictly [Parse] checks a file.
type Options struct {
	// AllowInsecure additionally accepts file:// URLs and http:// URLs whose
	// host is a loopback address (127.0.0.0/8, localhost or [::1]). It exists
	// for tests that serve archives locally; checked-in files never need it.
	AllowInsecure bool
}

// Position is a location in a file. Line and Col are 1-based; Col counts
// Unicode characters (runes), not bytes, from the start of the line, so a
// tab counts as one column.
type Position struct {
	Line, Col int
}

// String returns the position as "line:col".
func (p Position) String() string {
	return fmt.Sprintf("%d:%d", p.Line, p.Col)
}

// Provenance records where an archive was published. All fields are
// optional and informational; Bazel does not use them.
type Provenance struct {
	Repository string // GitHub repository as "owner/name"
	Tag        string // release tag, such as "v1.2.3"
	Asset      string // release asset file name
}

// Entry is one archive of the file: a future http_archive repository.
type Entry struct {
	Name        string   // Bazel repository name, the entry's key
	URLs        []string // mirrors of the same archive, in order of preference
	SHA256      string   // lowercase hex SHA-256 of the archive, "" if absent
	Integrity   string   // the same digest as "sha256-<base64>" SRI, "" if absent
	StripPrefix string   // directory to strip from the archive, "" for none
	Type        string   // archive type (one of ArchiveTypes), "" to infer it
	Provenance  Provenance
	Pos         Position // position of the entry's key; zero if not parsed
}

// File is the parsed content of an extras.json file.
type File struct {
	Schema  string  // the "$schema" value, "" if absent
	Entries []Entry // sorted by Name (byte order), as Lookup, Set and Remove need
}

// ArchiveTypes lists the values accepted for an entry's "type": the archive
// types that Bazel 7's http_archive can extract.
var ArchiveTypes = []string{
	"zip", "jar", "war", "aar",
	"tar", "tar.gz", "tgz", "tar.xz", "txz", "tar.zst", "tzst", "tar.bz2",
	"ar", "deb",
}

// ReservedNames lists names that entries may not use: the repositories the
// ot_provisioning_exts module defines itself, and the files at the root of
// the hub @provisioning_exts_extra, where each entry becomes a folder.
var ReservedNames = []string{
	"provisioning_exts", "provisioning_exts_extra", "provisioning_exts_extra_index",
	"BUILD", "BUILD.bazel", "MODULE.bazel", "REPO.bazel", "WORKSPACE", "WORKSPACE.bazel", "extras.bzl",
}

// namePattern documents the rule that ValidName implements.
const namePattern = `^[A-Za-z][A-Za-z0-9._-]*$`

// MaxNameLength is the longest name an entry may have, in bytes (names are
// ASCII, so also in characters). Bazel makes the name part of the spoke's
// canonical repository name, ot_provisioning_exts++extra+NAME (Bazel 8) or
// ot_provisioning_exts~~extra~NAME (Bazel 7), and that is a directory name
// under the output base's external/, beside a marker file named after it
// with 8 more bytes ("@" and ".marker"). File systems allow 255 bytes
// (NAME_MAX): the prefix and the marker leave 219, and 200 keeps a margin for
// a module version in the canonical name.
const MaxNameLength = 200

// shownNameLength is how many characters of a name too long to be valid
// messages show.
const shownNameLength = 32

// ValidName reports whether name can be used as the name of an entry: it
// must be a valid Bazel repository name as a module extension may create it
// (an ASCII letter followed by ASCII letters, digits, "_", "-" and "."), at
// most [MaxNameLength] bytes long, and not one of [ReservedNames].
func ValidName(name string) error {
	if msg := nameProblem(name); msg != "" {
		return errors.New(msg)
	}
	return nil
}

// shortName returns name (or an unknown key) as messages show it: whole if
// it is no longer than MaxNameLength, else its first shownNameLength
// characters and "…", so that a key of any length gives a short message.
func shortName(name string) string {
	if len(name) <= MaxNameLength {
		return name
	}
	n := 0
	for i := range name {
		if n == shownNameLength {
			return name[:i] + "…"
		}
		n++
	}
	return name
}

// nameProblem returns why name is not a valid entry name, or "".
func nameProblem(name string) string {
	if name == "" {
		return "repository name is empty"
	}
	if len(name) > MaxNameLength {
		return fmt.Sprintf("repository name %q is %d bytes long, more than the limit of %d (Bazel makes it part of a directory name, which may have at most 255 bytes)", shortName(name), len(name), MaxNameLength)
	}
	if !isNameStart(name[0]) {
		return fmt.Sprintf("invalid repository name %s: it must start with an ASCII letter", quote(name))
	}
	for i := 1; i < len(name); i++ {
		if !isNameChar(name[i]) {
			return fmt.Sprintf("invalid repository name %s: it may contain only ASCII letters, digits, \"_\", \"-\" and \".\"", quote(name))
		}
	}
	if slices.Contains(ReservedNames, name) {
		return fmt.Sprintf("repository name %s is reserved: the ot_provisioning_exts module uses it itself (for a repository, or a file of the hub)", quote(name))
	}
	return ""
}

func isNameStart(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

func isNameChar(c byte) bool {
	return isNameStart(c) || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '.'
}

// nameFix returns the fix hint for a name rejected by nameProblem.
func nameFix(name string) string {
	if slices.Contains(ReservedNames, name) {
		return "choose another name"
	}
	if len(name) > MaxNameLength {
		return fmt.Sprintf("rename the entry to a name of at most %d characters", MaxNameLength)
	}
	fix := "rename the entry to match " + namePattern
	// Suggest a replacement when only the characters after the first are wrong.
	if name != "" && isNameStart(name[0]) {
		b := []byte(name)
		for i := range b {
			if !isNameChar(b[i]) {
				b[i] = '_'
			}
		}
		// Replacing bytes of a multi-byte rune can produce a run of
		// underscores; that is still a valid name.
		if s := string(b); nameProblem(s) == "" {
			fix += ", e.g. " + quote(s)
		}
	}
	return fix
}

// Lookup returns the entry called name. The pointer refers to the element
// of f.Entries, so changes through it change f; renaming it breaks the
// ordering that Set, Remove and Lookup rely on.
func (f *File) Lookup(name string) (*Entry, bool) {
	i, ok := f.search(name)
	if !ok {
		return nil, false
	}
	return &f.Entries[i], true
}

// Set adds e to f, replacing any entry with the same name, and keeps
// f.Entries sorted by name. It does not validate e; to check the result,
// Parse the output of [File.Encode].
func (f *File) Set(e Entry) {
	i, ok := f.search(e.Name)
	if ok {
		f.Entries[i] = e
		return
	}
	f.Entries = slices.Insert(f.Entries, i, e)
}

// Remove deletes the entry called name and reports whether there was one.
func (f *File) Remove(name string) bool {
	i, ok := f.search(name)
	if !ok {
		return false
	}
	f.Entries = slices.Delete(f.Entries, i, i+1)
	return true
}

// search finds name in the sorted f.Entries, as slices.BinarySearchFunc.
func (f *File) search(name string) (int, bool) {
	return slices.BinarySearchFunc(f.Entries, name, func(e Entry, name string) int {
		return strings.Compare(e.Name, name)
	})
}
