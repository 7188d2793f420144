package errtext_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/errtext"
)

// limitError stands for a library's typed error.
type limitError struct{ limit int }

func (e *limitError) Error() string { return fmt.Sprintf("over the limit of %d", e.limit) }

// hint adds the advice of a command line tool to every *limitError.
func hint(err error) (string, bool) {
	if le, ok := err.(*limitError); ok {
		return le.Error() + "; raise -limit", true
	}
	return "", false
}

func TestRewrite(t *testing.T) {
	l1, l2 := &limitError{1}, &limitError{2}
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"nil", nil, ""},
		{"none", errors.New("plain"), "plain"},
		{"itself", l1, "over the limit of 1; raise -limit"},
		{"wrapped in the middle", fmt.Errorf("entry %q: %w; nothing was changed", "a", fmt.Errorf("url: %w", l1)),
			`entry "a": url: over the limit of 1; raise -limit; nothing was changed`},
		{"joined", fmt.Errorf("all failed: %w", errors.Join(fmt.Errorf("u1: %w", l1), fmt.Errorf("u2: %w", l2), errors.New("u3: 404"))),
			"all failed: u1: over the limit of 1; raise -limit\nu2: over the limit of 2; raise -limit\nu3: 404"},
		{"same message twice", errors.Join(fmt.Errorf("u1: %w", l1), fmt.Errorf("u2: %w", &limitError{1})),
			"u1: over the limit of 1; raise -limit\nu2: over the limit of 1; raise -limit"},
		// A wrapper whose message is its child's does not hide the child.
		{"transparent wrapper", transparent{l2}, "over the limit of 2; raise -limit"},
		// Wrapped with %v, the typed error is out of the tree: its text stays.
		{"not wrapped", fmt.Errorf("url: %v", l1), "url: over the limit of 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := errtext.Rewrite(tc.err, hint); got != tc.want {
				t.Errorf("Rewrite:\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

// TestRewriteStops checks that the errors under a rewritten one are not
// visited.
func TestRewriteStops(t *testing.T) {
	var seen []string
	err := fmt.Errorf("outer: %w", &limitError{3})
	errtext.Rewrite(fmt.Errorf("top: %w", err), func(e error) (string, bool) {
		seen = append(seen, e.Error())
		if e == err {
			return "OUTER", true
		}
		return "", false
	})
	if want := []string{"top: outer: over the limit of 3", "outer: over the limit of 3"}; fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Errorf("visited %q, want %q", seen, want)
	}
}

type transparent struct{ err error }

func (e transparent) Error() string { return e.err.Error() }
func (e transparent) Unwrap() error { return e.err }
