package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"sync"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/errtext"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/extras"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/extrasfile"
)

// A change is what a command that edits extras.json (set, from-release,
// import-bzl, remove, fmt) asks of the file. The command's edit function
// reads its command line and the file and returns it; [cli.write] makes it.
type change struct {
	st    *extrasfile.Store
	edits []*edit
	// unchanged is the line printed when the file needs no change; ""
	// means "FILE is unchanged".
	unchanged string
	// wroteNote, if not "", is printed last if the file was written.
	wroteNote string
}

// An edit is the change of one entry.
type edit struct {
	name string
	// old is the entry as the command read it, nil if it is new. Under
	// the lock the entry must still be so, else nobody's change is lost
	// and the run fails.
	old *extras.Entry
	// entry is the entry to write, nil to remove it. If fetch is set, its
	// hashes are the archive's.
	entry *extras.Entry
	// fetch, if not nil, downloads and checks the archive (see
	// fetcher.fetch) before anything is written; it may set note.
	fetch func(ctx context.Context, fx *fetcher) (*fetched, error)
	// note, if not "", is printed after the file is written (or found
	// unchanged), such as a hash to review.
	note string
	// err, if not nil, is why the edit cannot be made, as the command
	// found before any download. It is reported with the failures of the
	// other edits' downloads.
	err error

	got *fetched // what fetch returned
}

// runEdit runs cmd, a command that edits extras.json: cmd.edit says what
// to change and c.write makes the change. It is the one place that says
// "nothing was changed": every failure of such a command (but a mistake
// on the command line) ends with it, on a line of its own.
func runEdit(ctx context.Context, cmd *command, c *cli, fs *flag.FlagSet, args []string) error {
	ch, err := cmd.edit(ctx, c, fs, args)
	if err == nil {
		err = c.write(ctx, ch)
	}
	var ue *usageError
	if err == nil || errors.As(err, &ue) {
		return err
	}
	return fmt.Errorf("%w\nnothing was changed", err)
}

// write is the write path of every command that edits extras.json. It
//
//  1. validates every new entry against the format (its hashes aside,
//     which may not be known yet), before anything is downloaded;
//  2. runs the edits' downloads, at most -jobs at a time, and fails with
//     every failure (each naming its entry) and every edit's err, after
//     printing the warnings of the downloads that worked;
//  3. updates the file under its lock (extrasfile's Store.Update), where
//     each entry must still be as the command read it;
//  4. prints each entry's change ("- old", "+ new") and archive, then
//     "wrote FILE" or that the file is unchanged, then the notes.
//
// If any step fails, the file is left byte for byte as it was.
func (c *cli) write(ctx context.Context, ch *change) error {
	if err := validateEntries(ctx, ch); err != nil {
		return err
	}
	if err := c.fetchAll(ctx, ch.edits); err != nil {
		return err
	}
	st := ch.st
	wrote, err := st.Update(ctx, func(f *extras.File) error {
		for _, ed := range ch.edits {
			if ed.entry == nil {
				if !f.Remove(ed.name) {
					return fmt.Errorf("entry %s disappeared from %s meanwhile (another run or an editor?)", errtext.Quote(ed.name), st.Display)
				}
				continue
			}
			if err := extrasfile.Conflict(st.Display, f, ed.name, ed.old); err != nil {
				return err
			}
			f.Set(*ed.entry)
		}
		return nil
	})
	if err != nil {
		return err
	}
	out := c.env.stdout
	for _, ed := range ch.edits {
		printDiff(out, ed.name, ed.old, ed.entry)
		if ed.got != nil {
			printArchive(out, ed.got)
		}
	}
	switch {
	case wrote:
		fmt.Fprintf(out, "wrote %s\n", st.Display)
	case ch.unchanged != "":
		fmt.Fprintln(out, ch.unchanged)
	default:
		fmt.Fprintf(out, "%s is unchanged\n", st.Display)
	}
	for _, ed := range ch.edits {
		if ed.note != "" {
			fmt.Fprintf(out, "note: %s\n", ed.note)
		}
	}
	if wrote && ch.wroteNote != "" {
		fmt.Fprintf(out, "note: %s\n", ch.wroteNote)
	}
	return nil
}

// validateEntries checks the new entries (without their hashes, which are
// not known before the download) against the file format, so that a bad
// URL, strip prefix or type is reported before anything is downloaded.
func validateEntries(ctx context.Context, ch *change) error {
	var problems []error
	for _, ed := range ch.edits {
		if ed.entry == nil || ed.err != nil {
			continue
		}
		e := *ed.entry
		e.SHA256, e.Integrity = strings.Repeat("0", 64), ""
		f := &extras.File{Entries: []extras.Entry{e}}
		if _, err := extras.Parse(ctx, "entry", f.Encode(), ch.st.Options); err != nil {
			problems = append(problems, extrasfile.EntryErrors(err))
		}
	}
	switch len(problems) {
	case 0:
		return nil
	case 1:
		return fmt.Errorf("invalid entry:\n%w", problems[0])
	}
	return fmt.Errorf("invalid entries:\n%w", errors.Join(problems...))
}

// fetchAll runs the downloads of the edits that can be made concurrently
// (the fetcher keeps them within -jobs) and gives each entry its
// archive's hashes. It prints the warnings of those that worked and fails
// with every failure and every edit's err, in the order of the edits, one
// per line, each naming its entry.
func (c *cli) fetchAll(ctx context.Context, edits []*edit) error {
	var todo []*edit
	for _, ed := range edits {
		if ed.fetch != nil && ed.err == nil {
			todo = append(todo, ed)
		}
	}
	if len(todo) > 0 {
		fx, err := c.newFetcher()
		if err != nil {
			return err
		}
		defer fx.close()
		var wg sync.WaitGroup
		for _, ed := range todo {
			wg.Go(func() { ed.got, ed.err = ed.fetch(ctx, fx) })
		}
		wg.Wait()
	}
	var failed []error
	for _, ed := range edits {
		switch {
		case ed.err != nil:
			failed = append(failed, fmt.Errorf("entry %s: %w", errtext.Quote(ed.name), ed.err))
		case ed.got != nil:
			for _, w := range ed.got.warnings {
				c.warn(ed.name, w)
			}
			ed.entry.SHA256, ed.entry.Integrity = ed.got.sha256, ed.got.integrity
		}
	}
	return errors.Join(failed...)
}

// warn prints a warning about entry name.
func (c *cli) warn(name string, w error) {
	c.ui.logf("warning: entry %s: %s", errtext.Quote(name), explain(w))
}
