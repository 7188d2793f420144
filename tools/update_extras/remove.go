package main

import (
	"context"
	"flag"
	"fmt"
	"slices"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/extras"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/extrasfile"
)

var removeCommand = &command{
	name:  "remove",
	args:  "NAME...",
	short: "delete entries",
	run:   runRemove,
	long: `
Deletes the named entries from the file. Every NAME must be an entry;
if one is not, nothing is removed.

Example:
  update_extras remove perso_release rom_ext_release
`,
}

func runRemove(ctx context.Context, c *cli, fs *flag.FlagSet, args []string) error {
	if len(args) == 0 {
		return usagef("remove needs at least one entry NAME")
	}
	names := slices.Compact(slices.Sorted(slices.Values(args)))
	st, err := c.openStore()
	if err != nil {
		return err
	}
	f, _, err := st.Load(ctx)
	if err != nil {
		return err
	}
	olds := make([]*extras.Entry, len(names))
	for i, name := range names {
		if olds[i] = extrasfile.Lookup(f, name); olds[i] == nil {
			return fmt.Errorf("no entry %q in %s; %s. Nothing was changed", name, st.Display, entryList(f))
		}
	}
	wrote, err := st.Update(ctx, func(f *extras.File) error {
		for _, name := range names {
			if !f.Remove(name) {
				return fmt.Errorf("entry %q disappeared from %s meanwhile (another run or an editor?); nothing was changed", name, st.Display)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for i, name := range names {
		printDiff(c.env.stdout, name, olds[i], nil)
	}
	printWrote(c.env.stdout, st.Display, wrote)
	return nil
}
