package main

import (
	"fmt"
	"io"
	"slices"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/extras"
)

// field is one line of an entry's summary.
type field struct{ key, value string }

// fields lists e's non-empty fields in the canonical key order, one URL
// per line.
func fields(e *extras.Entry) []field {
	if e == nil {
		return nil
	}
	var fs []field
	for _, u := range e.URLs {
		fs = append(fs, field{"url", u})
	}
	add := func(k, v string) {
		if v != "" {
			fs = append(fs, field{k, v})
		}
	}
	add("sha256", e.SHA256)
	add("integrity", e.Integrity)
	add("strip_prefix", e.StripPrefix)
	add("type", e.Type)
	add("provenance.repository", e.Provenance.Repository)
	add("provenance.tag", e.Provenance.Tag)
	add("provenance.asset", e.Provenance.Asset)
	return fs
}

// keyOrder is the order of the summary's field groups.
var keyOrder = []string{"url", "sha256", "integrity", "strip_prefix", "type", "provenance.repository", "provenance.tag", "provenance.asset"}

// printDiff writes a diff-like summary of the change of entry name from
// prev to next (either may be nil): for each field that changed, "- key:
// old value" and "+ key: new value" lines. It reports whether anything
// changed.
func printDiff(w io.Writer, name string, prev, next *extras.Entry) bool {
	before, after := fields(prev), fields(next)
	switch {
	case prev == nil && next == nil:
		return false
	case prev == nil:
		fmt.Fprintf(w, "%s: new entry\n", name)
	case next == nil:
		fmt.Fprintf(w, "%s: removed\n", name)
	case slices.Equal(before, after):
		fmt.Fprintf(w, "%s: unchanged\n", name)
		return false
	default:
		fmt.Fprintf(w, "%s:\n", name)
	}
	lines := 0
	for _, k := range keyOrder {
		var oldLines, newLines []string
		for _, f := range before {
			if f.key == k && !slices.Contains(after, f) {
				oldLines = append(oldLines, f.value)
			}
		}
		for _, f := range after {
			if f.key == k && !slices.Contains(before, f) {
				newLines = append(newLines, f.value)
			}
		}
		for _, v := range oldLines {
			fmt.Fprintf(w, "- %s: %s\n", k, v)
		}
		for _, v := range newLines {
			fmt.Fprintf(w, "+ %s: %s\n", k, v)
		}
		lines += len(oldLines) + len(newLines)
	}
	if lines == 0 { // the same URLs in another order
		for _, f := range after {
			fmt.Fprintf(w, "  %s: %s\n", f.key, f.value)
		}
	}
	return true
}
