package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/extras"
)

var fmtCommand = &command{
	name:  "fmt",
	short: "rewrite the file in the canonical form (what check compares with)",
	run:   runFmt,
	long: `
Rewrites the file in the canonical form of skus/README.md: entries sorted
by name, keys in a fixed order, "urls" always a list, two-space indent.
The other commands always write this form. It downloads nothing.

Example:
  update_extras fmt
`,
}

func runFmt(ctx context.Context, c *cli, fs *flag.FlagSet, args []string) error {
	if len(args) > 0 {
		return usagef("fmt takes no arguments")
	}
	st, err := c.openStore()
	if err != nil {
		return err
	}
	wrote, err := st.Update(ctx, func(*extras.File) error { return nil })
	if err != nil {
		return err
	}
	if wrote {
		fmt.Fprintf(c.env.stdout, "wrote %s\n", st.Display)
	} else {
		fmt.Fprintf(c.env.stdout, "%s is already in the canonical form\n", st.Display)
	}
	return nil
}
