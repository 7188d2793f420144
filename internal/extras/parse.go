package extras

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"
)

// Parse parses and validates the content of an extras.json file. filename
// is used only in error messages; callers pass a Bazel label or a
// workspace-relative path. If the file breaks any rule, Parse returns a nil
// *File and an [ErrorList] holding every problem found.
//
// A JSON syntax error ends parsing: problems found before it are reported
// with it, but nothing after it is checked.
func Parse(filename string, data []byte, opts Options) (*File, error) {
	p := &parser{file: filename, data: data, opts: opts}
	f := p.parse()
	if len(p.errs) > 0 {
		p.errs.sort()
		return nil, p.errs
	}
	return f, nil
}

// ParseFile reads the file at path and parses it like [Parse]. Error
// messages name the file displayName, or path if displayName is "".
func ParseFile(path, displayName string, opts Options) (*File, error) {
	if displayName == "" {
		displayName = path
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", displayName, err)
	}
	return Parse(displayName, data, opts)
}

// hint is the start of every fix hint that points to the update tool.
const hint = "run bazel run //tools:update_extras -- set"

// entryKeys and provenanceKeys are the keys allowed in an entry and in its
// provenance, in the order listed in messages.
var (
	entryKeys      = []string{"urls", "url", "sha256", "integrity", "strip_prefix", "type", "provenance"}
	provenanceKeys = []string{"repository", "tag", "asset"}
)

// parser walks the JSON tokens of one file.
type parser struct {
	file  string
	data  []byte
	opts  Options
	dec   *json.Decoder
	lines []int // byte offset of the start of each line
	errs  ErrorList
}

// abort is panicked by parser.next on a JSON syntax error and recovered by
// parser.parse; the error has been recorded by then.
type abort struct{}

// errorf records a problem at byte offset off of the data. entry is the name
// of the entry it is in, or "".
func (p *parser) errorf(off int, entry, format string, args ...any) {
	p.errs = append(p.errs, &Error{
		File:  p.file,
		Pos:   p.pos(off),
		Entry: entry,
		Msg:   fmt.Sprintf(format, args...),
	})
}

// pos converts a byte offset to a Position.
func (p *parser) pos(off int) Position {
	if p.lines == nil {
		p.lines = []int{0}
		for i, c := range p.data {
			if c == '\n' {
				p.lines = append(p.lines, i+1)
			}
		}
	}
	off = min(max(off, 0), len(p.data))
	line := sort.Search(len(p.lines), func(i int) bool { return p.lines[i] > off }) - 1
	start := p.lines[line]
	return Position{Line: line + 1, Col: utf8.RuneCount(p.data[start:off]) + 1}
}

func (p *parser) parse() (f *File) {
	if !utf8.Valid(p.data) {
		off := 0
		for off < len(p.data) {
			r, size := utf8.DecodeRune(p.data[off:])
			if r == utf8.RuneError && size <= 1 {
				break
			}
			off += size
		}
		p.errorf(off, "", "the file is not valid UTF-8; save it with UTF-8 encoding")
		return nil
	}
	if bytes.HasPrefix(p.data, []byte("\uFEFF")) {
		p.errorf(0, "", "the file starts with a byte order mark; save it as UTF-8 without a BOM")
		return nil
	}
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(abort); !ok {
				panic(r)
			}
			f = nil
		}
	}()
	p.dec = json.NewDecoder(bytes.NewReader(p.data))
	p.dec.UseNumber()
	f = p.parseFile()
	// The decoder stops after one value; anything but white space after it
	// is an error.
	end := skipSpace(p.data, int(p.dec.InputOffset()))
	if end < len(p.data) {
		p.errorf(end, "", "unexpected data after the top-level object; remove it (the file must hold exactly one JSON object)")
	}
	return f
}

// next returns the next token and the byte offset at which it starts.
func (p *parser) next() (json.Token, int) {
	off := skipSeparators(p.data, int(p.dec.InputOffset()))
	tok, err := p.dec.Token()
	if err != nil {
		p.syntaxError(err, off)
		panic(abort{})
	}
	return tok, off
}

// syntaxError records err, returned by the decoder for the token expected at
// byte offset off, as precisely positioned as possible.
func (p *parser) syntaxError(err error, off int) {
	if errors.Is(err, io.EOF) && skipSpace(p.data, 0) == len(p.data) {
		p.errorf(0, "", "the file is empty; write {} for a file without entries")
		return
	}
	// The decoder's SyntaxError.Offset is relative to its internal buffer;
	// json.Unmarshal reports the offset just after the offending byte. Both
	// stop at the first error in the top-level value.
	var serr *json.SyntaxError
	if !errors.As(json.Unmarshal(p.data, new(json.RawMessage)), &serr) {
		serr = nil
	}
	switch {
	case serr != nil && strings.HasPrefix(serr.Error(), "unexpected end"),
		serr == nil && (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)):
		p.errorf(len(p.data), "", "invalid JSON: unexpected end of file; close every open string, array and object")
	case serr != nil:
		off = int(serr.Offset) - 1
		p.errorf(off, "", "invalid JSON: %v; %s", serr, syntaxFix(serr.Error(), p.data, off))
	default:
		p.errorf(off, "", "invalid JSON: %v; fix the JSON syntax here", err)
	}
}

// syntaxFix suggests a fix for the JSON syntax error msg at byte offset off.
func syntaxFix(msg string, data []byte, off int) string {
	prev := lastNonSpace(data, off)
	switch {
	case (strings.Contains(msg, "looking for beginning of object key string") ||
		strings.Contains(msg, "looking for beginning of value")) &&
		prev == ',' && off < len(data) && (data[off] == '}' || data[off] == ']'):
		return "remove the trailing comma before it (JSON does not allow one)"
	case strings.Contains(msg, "after object key:value pair") || strings.Contains(msg, "after array element"):
		if off < len(data) && (data[off] == '"' || data[off] == '{' || data[off] == '[') {
			return "add the missing comma before it"
		}
		return "check that every array and object is closed with the right bracket"
	case strings.Contains(msg, "after object key"):
		return `put a ":" between the key and its value`
	case strings.Contains(msg, "in string literal"):
		return `escape it (write a tab as \t, a newline as \n)`
	case strings.Contains(msg, "in string escape code"):
		return `use a valid JSON escape such as \\, \", \n or \u00e9`
	}
	return "fix the JSON syntax here (JSON needs double-quoted keys and strings and allows no comments)"
}

// lastNonSpace returns the last byte before off that is not white space,
// or 0.
func lastNonSpace(data []byte, off int) byte {
	for i := min(off, len(data)) - 1; i >= 0; i-- {
		switch data[i] {
		case ' ', '\t', '\r', '\n':
		default:
			return data[i]
		}
	}
	return 0
}

// skipSpace returns the offset of the first byte at or after off that is not
// JSON white space.
func skipSpace(data []byte, off int) int {
	for off < len(data) {
		switch data[off] {
		case ' ', '\t', '\r', '\n':
			off++
		default:
			return off
		}
	}
	return off
}

// skipSeparators is like skipSpace but also skips the ',' and ':' that the
// decoder consumes between tokens.
func skipSeparators(data []byte, off int) int {
	for off < len(data) {
		switch data[off] {
		case ' ', '\t', '\r', '\n', ',', ':':
			off++
		default:
			return off
		}
	}
	return off
}

// skip consumes the rest of the value that starts with tok.
func (p *parser) skip(tok json.Token) {
	depth := 0
	for {
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				depth++
			case '}', ']':
				depth--
			}
		}
		if depth == 0 {
			return
		}
		tok, _ = p.next()
	}
}

// kind describes the JSON type of the value that starts with tok.
func kind(tok json.Token) string {
	switch tok := tok.(type) {
	case json.Delim:
		if tok == '{' {
			return "an object"
		}
		return "an array"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", tok)
}

func isDelim(tok json.Token, d json.Delim) bool {
	got, ok := tok.(json.Delim)
	return ok && got == d
}

// parseFile parses the top-level object.
func (p *parser) parseFile() *File {
	tok, off := p.next()
	if !isDelim(tok, '{') {
		p.errorf(off, "", "the top-level value is %s, want an object keyed by repository name; wrap the entries in { } (an empty file is {})", kind(tok))
		p.skip(tok)
		return nil
	}
	f := &File{}
	seen := make(map[string]int) // key -> offset of its first occurrence
	for p.dec.More() {
		tok, keyOff := p.next()
		key := tok.(string) // the decoder guarantees that object keys are strings
		first, dup := seen[key]
		if !dup {
			seen[key] = keyOff
		}
		tok, valOff := p.next()
		if strings.HasPrefix(key, "$") {
			switch {
			case key != "$schema":
				p.errorf(keyOff, "", "unknown key %q%s; the only top-level key starting with \"$\" is \"$schema\"", key, suggest(key, []string{"$schema"}))
				p.skip(tok)
			case dup:
				p.errorf(keyOff, "", "duplicate key \"$schema\" (first at %s); remove one of them", p.pos(first))
				p.skip(tok)
			default:
				s, ok := tok.(string)
				if !ok {
					p.errorf(valOff, "", "\"$schema\" must be a string, got %s; write \"$schema\": \"./extras.schema.json\" or remove it", kind(tok))
					p.skip(tok)
				}
				f.Schema = s
			}
			continue
		}
		if dup {
			p.errorf(keyOff, key, "duplicate entry (first at %s); remove one of them or rename it", p.pos(first))
		} else if msg := nameProblem(key); msg != "" {
			p.errorf(keyOff, key, "%s; %s", msg, nameFix(key))
		}
		// Check the value even if the name is bad, to report all problems.
		if e, ok := p.parseEntry(key, keyOff, tok, valOff); ok && !dup {
			f.Entries = append(f.Entries, e)
		}
	}
	p.next() // the closing '}'
	slices.SortFunc(f.Entries, func(a, b Entry) int { return strings.Compare(a.Name, b.Name) })
	return f
}

// located is a string value and the byte offset where it starts.
type located struct {
	s   string
	off int
}

// parseEntry parses the value tok, at byte offset valOff, of the entry
// called name whose key is at byte offset keyOff. It reports whether the
// value was an object; the entry is valid only if no errors were recorded.
func (p *parser) parseEntry(name string, keyOff int, tok json.Token, valOff int) (Entry, bool) {
	if !isDelim(tok, '{') {
		p.errorf(valOff, name, "the entry is %s, want an object such as {\"urls\": [\"https://...\"], \"sha256\": \"...\"}; %s %s <url>", kind(tok), hint, name)
		p.skip(tok)
		return Entry{}, false
	}
	e := Entry{Name: name, Pos: p.pos(keyOff)}
	var (
		seen             = make(map[string]int)
		urls             []located // from "url" and "urls"
		urlKey, urlsKey  = -1, -1  // offsets of the keys, -1 if absent
		sha, integrity   *located  // well-formed hashes
		shaKey, integKey = -1, -1
	)
	for p.dec.More() {
		tok, koff := p.next()
		key := tok.(string)
		if first, dup := seen[key]; dup {
			p.errorf(koff, name, "duplicate key %q (first at %s); remove one of them", key, p.pos(first))
		} else {
			seen[key] = koff
		}
		tok, voff := p.next()
		switch key {
		case "url":
			urlKey = koff
			if s, ok := p.stringValue(name, key, tok, voff, `"url": "https://..." (or use "urls" for a list of mirrors)`); ok {
				urls = append(urls, located{s, voff})
			}
		case "urls":
			urlsKey = koff
			urls = append(urls, p.urlList(name, tok, voff)...)
		case "sha256":
			shaKey = koff
			if s, ok := p.stringValue(name, key, tok, voff, `"sha256": "<64 lowercase hex digits>"`); ok {
				e.SHA256 = s
				if what, fix := sha256Problem(s); what != "" {
					p.hashError(voff, name, what, fix)
				} else {
					sha = &located{s, voff}
				}
			}
		case "integrity":
			integKey = koff
			if s, ok := p.stringValue(name, key, tok, voff, `"integrity": "sha256-<base64>"`); ok {
				e.Integrity = s
				if what, fix := integrityProblem(s); what != "" {
					p.hashError(voff, name, what, fix)
				} else {
					integrity = &located{s, voff}
				}
			}
		case "strip_prefix":
			if s, ok := p.stringValue(name, key, tok, voff, `"strip_prefix": "dir/in/archive"`); ok {
				e.StripPrefix = s
				if msg := stripPrefixProblem(s); msg != "" {
					p.errorf(voff, name, "%s", msg)
				}
			}
		case "type":
			if s, ok := p.stringValue(name, key, tok, voff, `"type": "tar.gz"`); ok {
				e.Type = s
				if msg := typeProblem(s); msg != "" {
					p.errorf(voff, name, "%s", msg)
				}
			}
		case "provenance":
			e.Provenance = p.parseProvenance(name, tok, voff)
		default:
			p.errorf(koff, name, "unknown key %q%s; allowed keys are %s", key, suggest(key, entryKeys), strings.Join(entryKeys, ", "))
			p.skip(tok)
		}
	}
	p.next() // the closing '}'

	switch {
	case urlKey >= 0 && urlsKey >= 0:
		p.errorf(max(urlKey, urlsKey), name, "both \"url\" and \"urls\" are set; keep only \"urls\" and list every mirror in it")
	case urlKey < 0 && urlsKey < 0:
		p.errorf(keyOff, name, "missing \"urls\"; add \"urls\": [\"https://...\"], or %s %s <url>", hint, name)
	}
	firstAt := make(map[string]int)
	for _, u := range urls {
		e.URLs = append(e.URLs, u.s)
		if first, dup := firstAt[u.s]; dup {
			p.errorf(u.off, name, "duplicate URL %q (first at %s); remove one of them", u.s, p.pos(first))
			continue
		}
		firstAt[u.s] = u.off
		if msg := urlProblem(u.s, p.opts); msg != "" {
			p.errorf(u.off, name, "%s", msg)
		}
	}
	if shaKey < 0 && integKey < 0 {
		p.errorf(keyOff, name, "missing hash; %s %s <url>", hint, name)
	}
	if sha != nil && integrity != nil {
		fromSRI, _ := HexFromSRI(integrity.s)
		if fromSRI != sha.s {
			p.errorf(max(sha.off, integrity.off), name,
				"sha256 and integrity decode to different digests (sha256 is %s, integrity %s is %s); keep the one that matches the archive and delete the other, or %s %s <url> to recompute both",
				sha.s, integrity.s, fromSRI, hint, name)
		}
	}
	return e, true
}

// hashError records a malformed hash. If fix is "", the fix is to recompute
// the hash with the update tool.
func (p *parser) hashError(off int, entry, what, fix string) {
	if fix == "" {
		fix = fmt.Sprintf("%s %s <url> to recompute it", hint, entry)
	}
	p.errorf(off, entry, "%s; %s", what, fix)
}

// stringValue returns tok as a string, or records that the value of key
// must be a string and skips it. example shows the right form.
func (p *parser) stringValue(entry, key string, tok json.Token, off int, example string) (string, bool) {
	s, ok := tok.(string)
	if !ok {
		p.errorf(off, entry, "%q must be a string, got %s; write it as %s", key, kind(tok), example)
		p.skip(tok)
	}
	return s, ok
}

// urlList parses the value of "urls".
func (p *parser) urlList(entry string, tok json.Token, off int) []located {
	const example = `"urls": ["https://..."]`
	if !isDelim(tok, '[') {
		p.errorf(off, entry, "\"urls\" must be an array of strings, got %s; write it as %s", kind(tok), example)
		p.skip(tok)
		return nil
	}
	var urls []located
	n := 0
	for ; p.dec.More(); n++ {
		tok, off := p.next()
		s, ok := tok.(string)
		if !ok {
			p.errorf(off, entry, "urls[%d] must be a string, got %s; write each URL as a string such as \"https://...\"", n, kind(tok))
			p.skip(tok)
			continue
		}
		urls = append(urls, located{s, off})
	}
	p.next() // the closing ']'
	if n == 0 {
		p.errorf(off, entry, "\"urls\" is empty; list at least one URL of the archive")
	}
	return urls
}

// parseProvenance parses the value of "provenance".
func (p *parser) parseProvenance(entry string, tok json.Token, off int) Provenance {
	var prov Provenance
	if !isDelim(tok, '{') {
		p.errorf(off, entry, "\"provenance\" must be an object, got %s; write it as \"provenance\": {\"repository\": \"owner/name\", \"tag\": \"v1.0.0\", \"asset\": \"file.tar.gz\"}", kind(tok))
		p.skip(tok)
		return prov
	}
	seen := make(map[string]int)
	for p.dec.More() {
		tok, koff := p.next()
		key := tok.(string)
		if first, dup := seen[key]; dup {
			p.errorf(koff, entry, "duplicate key \"provenance.%s\" (first at %s); remove one of them", key, p.pos(first))
		} else {
			seen[key] = koff
		}
		tok, voff := p.next()
		var field *string
		switch key {
		case "repository":
			field = &prov.Repository
		case "tag":
			field = &prov.Tag
		case "asset":
			field = &prov.Asset
		default:
			p.errorf(koff, entry, "unknown key \"provenance.%s\"%s; allowed keys in provenance are %s", key, suggest(key, provenanceKeys), strings.Join(provenanceKeys, ", "))
			p.skip(tok)
			continue
		}
		s, ok := p.stringValue(entry, "provenance."+key, tok, voff, provenanceExample[key])
		if !ok {
			continue
		}
		*field = s
		if msg := provenanceProblem(key, s); msg != "" {
			p.errorf(voff, entry, "%s", msg)
		}
	}
	p.next() // the closing '}'
	return prov
}

var provenanceExample = map[string]string{
	"repository": `"repository": "owner/name"`,
	"tag":        `"tag": "v1.0.0"`,
	"asset":      `"asset": "file.tar.gz"`,
}
