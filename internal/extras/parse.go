package extras

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
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
//
// Parsing takes time linear in the size of data, however it is laid out
// (one line or many). If ctx is done before Parse returns, Parse stops
// within a few hundred tokens and returns an error that wraps
// [context.Cause] of ctx (so errors.Is(err, context.Canceled) holds), not
// an [ErrorList]. A command line tool passes the context that its
// interrupt signal cancels, so that Ctrl-C does not wait for the end of a
// large file; a caller that never stops a parse passes
// context.Background().
func Parse(ctx context.Context, filename string, data []byte, opts Options) (*File, error) {
	if err := ctx.Err(); err != nil {
		return nil, canceled(filename, ctx)
	}
	p := &parser{ctx: ctx, file: filename, data: data, opts: opts, posns: positions{data: data}}
	f := p.parse()
	if p.canceled {
		return nil, canceled(filename, ctx)
	}
	if len(p.errs) > 0 {
		p.errs.sort()
		return nil, p.errs
	}
	return f, nil
}

// canceled is Parse's error when ctx is done.
func canceled(filename string, ctx context.Context) error {
	err := context.Cause(ctx)
	if ce := ctx.Err(); !errors.Is(err, ce) {
		// A cause such as "interrupt signal received" does not wrap
		// context.Canceled; keep both reachable for errors.Is.
		return fmt.Errorf("parsing %s stopped: %w (%w)", filename, err, ce)
	}
	return fmt.Errorf("parsing %s stopped: %w", filename, err)
}

// ParseFile reads the file at path and parses it like [Parse]. Error
// messages name the file displayName, or path if displayName is "".
func ParseFile(ctx context.Context, path, displayName string, opts Options) (*File, error) {
	if displayName == "" {
		displayName = path
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", displayName, err)
	}
	return Parse(ctx, displayName, data, opts)
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
	ctx      context.Context // stops the parse once done
	file     string
	data     []byte
	opts     Options
	dec      *json.Decoder
	posns    positions
	errs     ErrorList
	tokens   int  // tokens read, to check ctx every cancelEvery
	canceled bool // ctx was done; parse stopped
}

// cancelEvery is how many tokens the parser reads between two checks of
// its context: a check costs about as much as a few tokens.
const cancelEvery = 256

// abort is panicked by parser.next on a JSON syntax error, or when the
// parse's context is done, and recovered by parser.parse; the error has
// been recorded (or p.canceled set) by then.
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
	return p.posns.at(off)
}

// positions converts byte offsets of data to Positions. The parser asks for
// them mostly in increasing order (every entry's key, then the errors in
// it), so a cursor moves forward over the data and each query costs only
// the distance from the previous one: a whole parse reads every byte once,
// as on a file of one long line (what jq -c writes) as on an indented one.
// A query behind the cursor (an error reported after its entry was read,
// "first at" of a duplicate) starts from a mark instead: marks record the
// position of every markEvery-th byte, and are built, in one pass, on the
// first such query. So no query reads more than markEvery bytes once the
// marks exist, and never more than one pass over data in all otherwise.
//
// Col counts runes from the start of the line, like utf8.RuneCount: every
// byte that does not continue a UTF-8 sequence starts one. That equals
// utf8.RuneCount for the offsets the parser asks about, which start a
// token or the first invalid UTF-8 sequence, so data before them is valid.
type positions struct {
	data  []byte
	off   int      // the cursor
	cur   Position // the position of off; zero before the first query
	marks []Position
	// scanned counts the bytes examined, for tests of the cost.
	scanned int
}

// markEvery is the distance in bytes between two marks.
const markEvery = 64

// at returns the position of byte offset off, clamped to the data.
func (t *positions) at(off int) Position {
	off = min(max(off, 0), len(t.data))
	if t.cur.Line == 0 {
		t.cur = Position{Line: 1, Col: 1}
	}
	if off >= t.off {
		t.cur = t.advance(t.off, t.cur, off)
		t.off = off
		return t.cur
	}
	if t.marks == nil {
		t.buildMarks()
	}
	i := off / markEvery
	return t.advance(i*markEvery, t.marks[i], off)
}

// advance returns the position of offset to, given p, the position of
// offset from <= to.
func (t *positions) advance(from int, p Position, to int) Position {
	t.scanned += to - from
	for _, c := range t.data[from:to] {
		switch {
		case c == '\n':
			p.Line++
			p.Col = 1
		case c&0xC0 != 0x80: // not a UTF-8 continuation byte
			p.Col++
		}
	}
	return p
}

// buildMarks records the position of every markEvery-th offset.
func (t *positions) buildMarks() {
	t.marks = make([]Position, 0, len(t.data)/markEvery+1)
	p := Position{Line: 1, Col: 1}
	for from := 0; from <= len(t.data); from += markEvery {
		if from > 0 {
			p = t.advance(from-markEvery, p, from)
		}
		t.marks = append(t.marks, p)
	}
}

// validUTF8 reports whether p.data is valid UTF-8, a chunk at a time so
// that it can stop when p.ctx is done (then it sets p.canceled).
func (p *parser) validUTF8() bool {
	const chunk = 1 << 20
	for start := 0; start < len(p.data); {
		if p.ctx.Err() != nil {
			p.canceled = true
			return true
		}
		end := min(start+chunk, len(p.data))
		// End the chunk at the start of a rune. Past three continuation
		// bytes the data is invalid anyway, within the chunk.
		for i := 0; i < utf8.UTFMax && end < len(p.data) && !utf8.RuneStart(p.data[end]); i++ {
			end--
		}
		if !utf8.Valid(p.data[start:end]) {
			return false
		}
		start = end
	}
	return true
}

func (p *parser) parse() (f *File) {
	if valid := p.validUTF8(); p.canceled {
		return nil
	} else if !valid {
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

// next returns the next token and the byte offset at which it starts. It
// stops the parse if p.ctx is done.
func (p *parser) next() (json.Token, int) {
	if p.tokens++; p.tokens%cancelEvery == 0 && p.ctx.Err() != nil {
		p.canceled = true
		panic(abort{})
	}
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
				p.errorf(keyOff, "", "unknown key %q%s; the only top-level key starting with \"$\" is \"$schema\"", shortName(key), suggest(key, []string{"$schema"}))
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
		// Messages name the entry by its key, cut short if it is too long to
		// be valid: such an entry is an error, so its Name does not matter.
		name := shortName(key)
		if dup {
			p.errorf(keyOff, name, "duplicate entry (first at %s); remove one of them or rename it", p.pos(first))
		} else if msg := nameProblem(key); msg != "" {
			p.errorf(keyOff, name, "%s; %s", msg, nameFix(key))
		}
		// Check the value even if the name is bad, to report all problems.
		if e, ok := p.parseEntry(name, keyOff, tok, valOff); ok && !dup {
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
			p.errorf(koff, name, "duplicate key %s (first at %s); remove one of them", quote(key), p.pos(first))
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
			p.errorf(koff, name, "unknown key %q%s; allowed keys are %s", shortName(key), suggest(key, entryKeys), strings.Join(entryKeys, ", "))
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
			p.errorf(u.off, name, "duplicate URL %s (first at %s); remove one of them", quote(u.s), p.pos(first))
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
			p.errorf(koff, entry, "unknown key \"provenance.%s\"%s; allowed keys in provenance are %s", shortName(key), suggest(key, provenanceKeys), strings.Join(provenanceKeys, ", "))
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
