package archive

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// sniffLen is how many bytes of an archive [Sniff] looks at: a tar header.
const sniffLen = 512

// Formats that [Sniff] tells from an archive's first bytes, and the type
// each is for.
const (
	FormatGzip  = "gzip"
	FormatXz    = "xz"
	FormatBzip2 = "bzip2"
	FormatZstd  = "zstd"
	FormatZip   = "zip"
	FormatTar   = "tar"
	FormatAr    = "ar"
)

// Format returns the format that an archive of type typ starts with, such
// as "gzip" for tar.gz, or "" for a type not in [Types].
func Format(typ string) string {
	switch typ {
	case "tar.gz", "tgz":
		return FormatGzip
	case "tar.xz", "txz":
		return FormatXz
	case "tar.bz2":
		return FormatBzip2
	case "tar.zst", "tzst":
		return FormatZstd
	case "zip", "jar", "war", "aar":
		return FormatZip
	case "tar":
		return FormatTar
	case "ar", "deb":
		return FormatAr
	}
	return ""
}

// Sniff returns the format of the data that starts with head (at least its
// first 512 bytes, or all of it if shorter), from its magic bytes: "gzip"
// (1f 8b), "xz" (fd 37 7a 58 5a 00), "bzip2" ("BZh"), "zstd" (28 b5 2f fd),
// "zip" ("PK\x03\x04", or "PK\x05\x06" for an empty one), "ar"
// ("!<arch>\n", as .deb packages are), "tar" ("ustar" at offset 257, or an
// old-style header whose checksum is right), or "" if none matches.
func Sniff(head []byte) string {
	switch {
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		return FormatGzip
	case bytes.HasPrefix(head, []byte{0xfd, '7', 'z', 'X', 'Z', 0}):
		return FormatXz
	case bytes.HasPrefix(head, []byte("BZh")):
		return FormatBzip2
	case bytes.HasPrefix(head, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		return FormatZstd
	case bytes.HasPrefix(head, []byte("PK\x03\x04")), bytes.HasPrefix(head, []byte("PK\x05\x06")):
		return FormatZip
	case bytes.HasPrefix(head, []byte("!<arch>\n")):
		return FormatAr
	case isTarHeader(head):
		return FormatTar
	}
	return ""
}

// isTarHeader reports whether head starts with a tar header: POSIX (or
// GNU) "ustar" magic at offset 257, or an old-style (V7) header whose
// checksum (offset 148, octal) is the sum of its bytes with the checksum
// field read as spaces. An all-zero block is not a header.
func isTarHeader(head []byte) bool {
	if len(head) < sniffLen {
		return false
	}
	if bytes.HasPrefix(head[257:], []byte("ustar")) {
		return true
	}
	field := strings.TrimRight(strings.TrimLeft(string(head[148:156]), " \x00"), " \x00")
	want, err := strconv.ParseInt(field, 8, 64)
	if err != nil || field == "" {
		return false
	}
	var sum, signed int64
	for i, c := range head[:sniffLen] {
		if 148 <= i && i < 156 {
			c = ' '
		}
		sum += int64(c)
		signed += int64(int8(c))
	}
	return want == sum || want == signed
}

// TypeMismatchError is the error of an archive whose content is not of its
// type: its first bytes are not the magic of the type's format.
type TypeMismatchError struct {
	Type   string // the type it was to be checked as
	Want   string // the format of Type, such as "gzip"
	Found  string // the format its first bytes show, "" if none known
	Prefix []byte // its first bytes (up to 8), for the message
}

func (e *TypeMismatchError) Error() string {
	if len(e.Prefix) == 0 {
		return fmt.Sprintf("the file is not a %s archive: it is empty", e.Type)
	}
	var found string
	switch {
	case e.Found == FormatZip || e.Found == FormatTar || e.Found == FormatAr:
		found = fmt.Sprintf("it starts like %s archive (% x)", article(e.Found), e.Prefix)
	case e.Found != "":
		found = fmt.Sprintf("it starts like %s file (% x)", article(e.Found), e.Prefix)
	default:
		found = fmt.Sprintf("it starts with no known archive format (% x)", e.Prefix)
	}
	return fmt.Sprintf("the file is not a %s archive: %s, not with %s's magic bytes; if the file is right, declare its real type", e.Type, found, e.Want)
}

func article(s string) string {
	if strings.ContainsRune("aeiox", rune(s[0])) {
		return "an " + s
	}
	return "a " + s
}

// sniffType checks that head, the first bytes of an archive of type typ,
// starts with the magic of typ's format. A zip archive may start with
// something else (a self-extracting stub: the zip reader finds the central
// directory at the end), unless those bytes are of another format.
func sniffType(typ string, head []byte) error {
	want := Format(typ)
	got := Sniff(head)
	if got == want || (want == FormatZip && got == "") {
		return nil
	}
	return &TypeMismatchError{Type: typ, Want: want, Found: got, Prefix: bytes.Clone(head[:min(len(head), 8)])}
}
