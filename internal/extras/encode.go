package extras

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
)

// jsonEntry and jsonProvenance fix the order and names of the keys that
// Encode writes.
type jsonEntry struct {
	URLs        []string        `json:"urls"`
	SHA256      string          `json:"sha256,omitempty"`
	Integrity   string          `json:"integrity,omitempty"`
	StripPrefix string          `json:"strip_prefix,omitempty"`
	Type        string          `json:"type,omitempty"`
	Provenance  *jsonProvenance `json:"provenance,omitempty"`
}

type jsonProvenance struct {
	Repository string `json:"repository,omitempty"`
	Tag        string `json:"tag,omitempty"`
	Asset      string `json:"asset,omitempty"`
}

// Encode returns the canonical encoding of f: "$schema" first if set, then
// the entries sorted by name, each with its keys in the order urls, sha256,
// integrity, strip_prefix, type, provenance (repository, tag, asset).
// "urls" is always written as an array; empty optional fields are left out.
// The output is indented by two spaces, does not escape HTML characters and
// ends with a newline. A file without "$schema" and entries encodes as "{}\n".
//
// For every f returned by Parse, Parse(Encode(f)) returns f again, except
// for the entries' Pos.
func (f *File) Encode() []byte {
	if f.Schema == "" && len(f.Entries) == 0 {
		return []byte("{}\n")
	}
	var w encoder
	w.init()
	w.buf.WriteString("{\n")
	first := true
	member := func(key string, v any) {
		if !first {
			w.buf.WriteString(",\n")
		}
		first = false
		w.buf.WriteString("  ")
		w.value(key)
		w.buf.WriteString(": ")
		w.value(v)
	}
	if f.Schema != "" {
		member("$schema", f.Schema)
	}
	entries := slices.Clone(f.Entries)
	slices.SortStableFunc(entries, func(a, b Entry) int { return strings.Compare(a.Name, b.Name) })
	for _, e := range entries {
		je := jsonEntry{
			URLs:        e.URLs,
			SHA256:      e.SHA256,
			Integrity:   e.Integrity,
			StripPrefix: e.StripPrefix,
			Type:        e.Type,
		}
		if je.URLs == nil {
			je.URLs = []string{}
		}
		if e.Provenance != (Provenance{}) {
			je.Provenance = &jsonProvenance{e.Provenance.Repository, e.Provenance.Tag, e.Provenance.Asset}
		}
		member(e.Name, je)
	}
	w.buf.WriteString("\n}\n")
	return w.buf.Bytes()
}

// encoder writes JSON values, indented for their place inside the
// top-level object, without escaping HTML characters.
type encoder struct {
	buf bytes.Buffer
	tmp bytes.Buffer
	enc *json.Encoder
}

func (w *encoder) init() {
	w.enc = json.NewEncoder(&w.tmp)
	w.enc.SetEscapeHTML(false)
	w.enc.SetIndent("  ", "  ")
}

// value appends the encoding of v, which holds only strings, to w.buf.
func (w *encoder) value(v any) {
	w.tmp.Reset()
	if err := w.enc.Encode(v); err != nil {
		// Strings and structs of strings always encode.
		panic("extras: encoding JSON: " + err.Error())
	}
	w.buf.Write(bytes.TrimSuffix(w.tmp.Bytes(), []byte("\n")))
}
