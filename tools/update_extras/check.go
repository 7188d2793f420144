package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"strings"
	"sync"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/errtext"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/extras"
)

var checkCommand = &command{
	name:      "check",
	args:      "[NAME...]",
	short:     "verify the file, and download every entry (or the named ones) to verify its hash and archive; never writes",
	downloads: true,
	flags: func(c *cli, fs *flag.FlagSet) {
		fs.BoolVar(&c.offline, "offline", c.offline, "only check that the file parses and is in the canonical form; download nothing")
		fs.StringVar(&c.mirrors, "mirrors", c.mirrors, "`all` (every URL of an entry must serve its archive) or first (the first URL that works is enough)")
	},
	run: runCheck,
	long: `
Checks the file: that it parses (printing every problem with its
position) and is in the canonical form that the other commands write.
Then it downloads the archive of every entry, or of the named ones, at
most -jobs at a time, and checks it as set does: the SHA-256 must match
the entry, the archive must open as its type, no member may leave the
archive root, and the strip_prefix must be a directory in it. With
-mirrors=all (the default) every URL of an entry is downloaded and must
serve the same bytes.

It prints one line per entry, in name order:
  ok   NAME  SIZE  SHA256
  FAIL NAME: REASON
and exits with status 1 if anything failed. It never writes the file.

Examples:
  update_extras check
  update_extras check -offline
  update_extras check -jobs 8 perso_release rom_ext_release
`,
}

func runCheck(ctx context.Context, c *cli, fs *flag.FlagSet, args []string) error {
	st, f, data, err := c.loadStore(ctx)
	if err != nil {
		return err
	}
	out := c.env.stdout
	failed := 0
	if !bytes.Equal(data, f.Encode()) {
		fmt.Fprintf(out, "FAIL %s: not in the canonical form; run update_extras fmt to rewrite it\n", st.Display)
		failed++
	}

	entries := f.Entries
	if len(args) > 0 {
		entries = nil
		for _, name := range args {
			e, ok := f.Lookup(name)
			if !ok {
				return fmt.Errorf("no entry %s in %s; %s", errtext.Quote(name), st.Display, entryList(f))
			}
			entries = append(entries, *e)
		}
	}
	if c.offline || len(entries) == 0 {
		what := "downloaded nothing (-offline)"
		if !c.offline {
			what = "no entries to download"
		}
		fmt.Fprintf(out, "%s: %s, %s\n", st.Display, plural(len(f.Entries), "entry"), what)
		if failed > 0 {
			return errReported
		}
		return nil
	}

	fx, err := c.newFetcher()
	if err != nil {
		return err
	}
	defer fx.close()
	width := 0
	for _, e := range entries {
		width = max(width, len(e.Name))
	}
	// Check concurrently, print in order: each line as soon as it and
	// all lines before it are known.
	lines := make([]chan string, len(entries))
	okCount := 0
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i, e := range entries {
		lines[i] = make(chan string, 1)
		wg.Go(func() {
			got, err := fx.fetch(ctx, &archiveSpec{
				label: e.Name, urls: e.URLs, sha256: e.HexSHA256(), typ: e.Type, stripPrefix: e.StripPrefix, mirrors: c.mirrors,
			})
			if err != nil {
				lines[i] <- fmt.Sprintf("FAIL %s: %s", e.Name, explain(err))
				return
			}
			for _, w := range got.warnings {
				c.ui.logf("warning: entry %s: %s", errtext.Quote(e.Name), explain(w))
			}
			mu.Lock()
			okCount++
			mu.Unlock()
			lines[i] <- fmt.Sprintf("ok   %-*s  %d  %s", width, e.Name, got.size, got.sha256)
		})
	}
	for _, ch := range lines {
		line := <-ch
		c.ui.mu.Lock()
		c.ui.clear()
		fmt.Fprintln(out, c.redact(line))
		c.ui.draw()
		c.ui.mu.Unlock()
	}
	wg.Wait()
	failed += len(entries) - okCount
	fmt.Fprintf(out, "checked %s: %d ok, %d failed\n", plural(len(entries), "entry"), okCount, len(entries)-okCount)
	if failed > 0 {
		return errReported
	}
	return nil
}

// entryList names f's entries for an error message.
func entryList(f *extras.File) string {
	if len(f.Entries) == 0 {
		return "it has no entries"
	}
	names := make([]string, len(f.Entries))
	for i, e := range f.Entries {
		names[i] = e.Name
	}
	return "its entries are " + strings.Join(names, ", ")
}
