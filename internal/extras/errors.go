package extras

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/errtext"
)

// Error is one problem found in a file.
type Error struct {
	File  string   // the file name given to Parse
	Pos   Position // where the problem is
	Entry string   // the entry the problem is in, "" if it is not in one
	Msg   string   // what is wrong, then "; " and how to fix it
}

// Error formats e as "file:line:col: entry "name": msg", leaving out the
// entry part when e.Entry is empty.
func (e *Error) Error() string {
	if e.Entry == "" {
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Pos.Line, e.Pos.Col, e.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: entry %s: %s", e.File, e.Pos.Line, e.Pos.Col, quote(e.Entry), e.Msg)
}

// quote quotes a value of the file for a message, truncated with its
// length if it is long (see errtext.Quote), so that a message stays short
// whatever the file holds.
func quote(s string) string { return errtext.Quote(s) }

// fixAs returns "write it as <clean>", or other if clean is too long to
// quote whole: a truncated fix cannot be copied, and the value would be
// shown twice.
func fixAs(clean, other string) string {
	if q := strconv.Quote(clean); len(q) <= errtext.QuoteLimit {
		return "write it as " + q
	}
	return other
}

// shortErr is err's message, cut to a line of at most errtext.QuoteLimit
// bytes: errors of url.Parse quote the whole URL.
func shortErr(err error) string {
	msg := err.Error()
	if len(msg) <= errtext.QuoteLimit {
		return msg
	}
	return strings.TrimSuffix(strings.TrimSuffix(errtext.Quote(msg), fmt.Sprintf(" (%d bytes)", len(msg))), "\"")[1:] + "…"
}

// ErrorList is the error that Parse returns: every problem found in a file,
// sorted by position.
type ErrorList []*Error

// Error returns the errors' messages, one per line, the first
// errtext.MaxItems of them, then "… and N more" if there are more:
// fixing those first is the way forward, and a file with thousands of bad
// values must not give thousands of lines. Every error is in Unwrap.
func (l ErrorList) Error() string {
	msgs := make([]string, 0, min(len(l), errtext.MaxItems))
	for _, e := range l[:min(len(l), errtext.MaxItems)] {
		msgs = append(msgs, e.Error())
	}
	if len(l) > errtext.MaxItems {
		msgs = append(msgs, fmt.Sprintf("… and %s more problems; fix these and run again to see the rest", errtext.Count(len(l)-errtext.MaxItems)))
	}
	return strings.Join(msgs, "\n")
}

// Unwrap returns the errors of l, so that errors.As can find an *Error.
func (l ErrorList) Unwrap() []error {
	errs := make([]error, len(l))
	for i, e := range l {
		errs[i] = e
	}
	return errs
}

// sort orders l by position, keeping the order of errors at the same place.
func (l ErrorList) sort() {
	slices.SortStableFunc(l, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(a.Pos.Line, b.Pos.Line), cmp.Compare(a.Pos.Col, b.Pos.Col))
	})
}
