package archive

import (
	"context"
	"fmt"
	"io"
	"strconv"
)

// Limits bounds the work of [Check]: an archive over a limit is refused
// with a [*LimitError] before the work it would cost is done. A zero field
// means its default, from [DefaultLimits].
type Limits struct {
	// MaxEntries bounds the number of members (files, directories, links).
	MaxEntries int
	// MaxUnpacked bounds the bytes the check decompresses: the sizes the
	// members declare (refused before they are read), and the bytes
	// actually read, the tar stream's headers and what follows its end
	// included.
	MaxUnpacked int64
}

// DefaultLimits are generous for release archives, and bound what a hostile
// one costs. The largest archives of the projects this module serves
// (OpenTitan's release bundles, Bazel's and LLVM's toolchains, a Go SDK at
// 15,000 members and 270 MB unpacked, LLVM at about 10,000 members and
// 5 GB) stay more than ten times under them; at the check's speed of
// hundreds of MB/s and hundreds of thousands of members a second, reaching
// either limit takes about a minute, not hours. Bazel itself would need as
// much disk space and time to extract such an archive, so a larger one is a
// mistake or an attack, and the flags of the tools raise them.
var DefaultLimits = Limits{MaxEntries: 1_000_000, MaxUnpacked: 16 << 30}

// withDefaults fills the zero fields of l from DefaultLimits.
func (l Limits) withDefaults() Limits {
	if l.MaxEntries <= 0 {
		l.MaxEntries = DefaultLimits.MaxEntries
	}
	if l.MaxUnpacked <= 0 {
		l.MaxUnpacked = DefaultLimits.MaxUnpacked
	}
	return l
}

// LimitError is the error of an archive over one of its [Limits]. Tools
// add the flag that raises the limit (Field says which).
type LimitError struct {
	Field    string // "MaxEntries" or "MaxUnpacked"
	Limit    int64  // the limit's value
	Member   string // the member at which the check stopped ("" after the last one)
	Declared bool   // MaxUnpacked: the sizes the members declare exceed it, so they were not read
	Read     int64  // the bytes decompressed when the check stopped
}

func (e *LimitError) Error() string {
	at := ""
	if e.Member != "" {
		at = fmt.Sprintf(" (at member %q)", e.Member)
	}
	switch {
	case e.Field == "MaxEntries":
		return fmt.Sprintf("the archive has more than %d members, the limit%s; the check stopped there", e.Limit, at)
	case e.Declared:
		return fmt.Sprintf("the archive unpacks to more than %s: its members declare more than that%s, so the check stopped after decompressing %d bytes",
			sizeText(e.Limit), at, e.Read)
	}
	return fmt.Sprintf("the archive unpacks to more than %s: the check stopped after decompressing %d bytes%s", sizeText(e.Limit), e.Read, at)
}

// sizeText writes n bytes with a binary unit when one fits exactly, as
// download.ByteSize does, and always the number of bytes.
func sizeText(n int64) string {
	for _, u := range []struct {
		name string
		size int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n != 0 && n%u.size == 0 {
			return strconv.FormatInt(n/u.size, 10) + u.name + " (" + strconv.FormatInt(n, 10) + " bytes)"
		}
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// budget counts what a check has done against its limits and stops it
// when its context is done.
type budget struct {
	ctx      context.Context
	lim      Limits
	entries  int
	declared int64 // the sizes the members declare
	read     int64 // the bytes decompressed (the larger of the two counts below)
	body     int64 // members' content read
	stream   int64 // tar types: the decompressed stream read
	member   string
}

// entry counts a member that declares size bytes of content.
func (b *budget) entry(name string, size int64) error {
	if err := b.ctx.Err(); err != nil {
		return context.Cause(b.ctx)
	}
	b.entries++
	b.member = name
	if b.entries > b.lim.MaxEntries {
		return &LimitError{Field: "MaxEntries", Limit: int64(b.lim.MaxEntries), Member: name, Read: b.read}
	}
	if size > 0 {
		if size > b.lim.MaxUnpacked-b.declared {
			return &LimitError{Field: "MaxUnpacked", Limit: b.lim.MaxUnpacked, Member: name, Declared: true, Read: b.read}
		}
		b.declared += size
	}
	return nil
}

// add counts n bytes read into *count and fails if the bytes read pass
// MaxUnpacked.
func (b *budget) add(count *int64, n int) error {
	*count += int64(n)
	b.read = max(b.body, b.stream)
	if b.read > b.lim.MaxUnpacked {
		return &LimitError{Field: "MaxUnpacked", Limit: b.lim.MaxUnpacked, Member: b.member, Read: b.read}
	}
	return nil
}

// reader reads r for the budget: every read checks the context, and counts
// into *count.
type budgetReader struct {
	b     *budget
	r     io.Reader
	count *int64
}

func (br *budgetReader) Read(p []byte) (int, error) {
	if err := br.b.ctx.Err(); err != nil {
		return 0, context.Cause(br.b.ctx)
	}
	// Never read past the limit by more than one byte: that byte is the
	// proof that the limit is passed.
	if room := br.b.lim.MaxUnpacked - *br.count + 1; int64(len(p)) > room {
		p = p[:max(room, 1)]
	}
	n, err := br.r.Read(p)
	if lerr := br.b.add(br.count, n); lerr != nil {
		return n, lerr
	}
	return n, err
}

// ctxReaderAt is a file for archive/zip that stops with ctx.
type ctxReaderAt struct {
	ctx  context.Context
	r    io.ReaderAt
	size int64
}

func (c *ctxReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, context.Cause(c.ctx)
	}
	return c.r.ReadAt(p, off)
}

func (c *ctxReaderAt) Size() int64 { return c.size }

// streamReader is the input of a tar-based archive for WalkReader: it
// stops with the context, and gives WalkReader (through
// wrapDecompressed) a budgetReader for the decompressed stream, so that
// what follows the tar end marker counts too.
type streamReader struct {
	io.Reader
	b *budget
}

func (s *streamReader) Read(p []byte) (int, error) {
	if err := s.b.ctx.Err(); err != nil {
		return 0, context.Cause(s.b.ctx)
	}
	return s.Reader.Read(p)
}

func (s *streamReader) wrapDecompressed(r io.Reader) io.Reader {
	return &budgetReader{b: s.b, r: r, count: &s.b.stream}
}
