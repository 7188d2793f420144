package main

import (
	"context"
	"flag"
	"fmt"
	"slices"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/errtext"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/extrasfile"
)

var removeCommand = &command{
	name:  "remove",
	args:  "NAME...",
	short: "delete entries",
	edit:  editRemove,
	long: `
Deletes the named entries from the file. Every NAME must be an entry;
if one is not, nothing is removed.

Example:
  update_extras remove perso_release rom_ext_release
`,
}

// editRemove says what remove changes: the named entries go.
func editRemove(ctx context.Context, c *cli, fs *flag.FlagSet, args []string) (*change, error) {
	if len(args) == 0 {
		return nil, usagef("remove needs at least one entry NAME")
	}
	names := slices.Compact(slices.Sorted(slices.Values(args)))
	st, f, _, err := c.loadStore(ctx)
	if err != nil {
		return nil, err
	}
	ch := &change{st: st}
	for _, name := range names {
		old := extrasfile.Lookup(f, name)
		if old == nil {
			return nil, fmt.Errorf("no entry %s in %s; %s", errtext.Quote(name), st.Display, entryList(f))
		}
		ch.edits = append(ch.edits, &edit{name: name, old: old})
	}
	return ch, nil
}
