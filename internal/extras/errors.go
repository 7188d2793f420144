package extras

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
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
	return fmt.Sprintf("%s:%d:%d: entry %s: %s", e.File, e.Pos.Line, e.Pos.Col, strconv.Quote(e.Entry), e.Msg)
}

// ErrorList is the error that Parse returns: every problem found in a file,
// sorted by position.
type ErrorList []*Error

// Error returns the errors' messages, one per line.
func (l ErrorList) Error() string {
	msgs := make([]string, len(l))
	for i, e := range l {
		msgs[i] = e.Error()
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
