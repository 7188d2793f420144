// Package errtext words errors for the person reading them.
//
// The libraries of this module return typed errors whose messages say what
// happened in their own terms: download's TooLargeError knows the limit it
// hit, not the command-line flag that sets it. A command line tool that
// adds such advice finds the typed errors in the error it is about to
// print and rewrites their messages with [Rewrite], wherever they are in
// the tree of errors that wrap them.
package errtext

import "strings"

// Rewrite returns the message of err with the messages of some of the
// errors in its tree replaced. It visits err and the errors it wraps
// (through Unwrap() error and Unwrap() []error), depth first, and calls
// rewrite for each; if rewrite returns true, every occurrence of that
// error's message in err's message is replaced by the text rewrite
// returned, and the errors that one wraps are not visited. Once a message
// is rewritten, errors with the same message are skipped: every
// occurrence was rewritten already.
//
// It relies on what fmt.Errorf's %w (and every wrapping error of this
// module) does: a wrapping error's message contains the wrapped error's
// message verbatim. An error whose message is not in err's message is
// left as it is.
func Rewrite(err error, rewrite func(error) (string, bool)) string {
	if err == nil {
		return ""
	}
	msg := err.Error()
	done := map[string]bool{} // the messages rewritten
	var visit func(e error)
	visit = func(e error) {
		if e == nil {
			return
		}
		old := e.Error()
		if done[old] {
			return
		}
		if s, ok := rewrite(e); ok {
			done[old] = true
			msg = strings.ReplaceAll(msg, old, s)
			return
		}
		switch u := e.(type) {
		case interface{ Unwrap() error }:
			visit(u.Unwrap())
		case interface{ Unwrap() []error }:
			for _, w := range u.Unwrap() {
				visit(w)
			}
		}
	}
	visit(err)
	return msg
}
