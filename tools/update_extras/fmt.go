package main

import (
	"context"
	"flag"
)

var fmtCommand = &command{
	name:  "fmt",
	short: "rewrite the file in the canonical form (what check compares with)",
	edit:  editFmt,
	long: `
Rewrites the file in the canonical form of skus/README.md: entries sorted
by name, keys in a fixed order, "urls" always a list, two-space indent.
The other commands always write this form. It downloads nothing.

Example:
  update_extras fmt
`,
}

// editFmt says what fmt changes: nothing but the form.
func editFmt(ctx context.Context, c *cli, fs *flag.FlagSet, args []string) (*change, error) {
	if len(args) > 0 {
		return nil, usagef("fmt takes no arguments")
	}
	st, err := c.openStore()
	if err != nil {
		return nil, err
	}
	return &change{st: st, unchanged: st.Display + " is already in the canonical form"}, nil
}
