package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/bazelbuild/buildtools/build"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/errtext"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/extras"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/tools/internal/flaghint"
)

// archivesVar is the top-level variable of an ot-sku release branch's
// extension.bzl that lists its archives.
const archivesVar = "_ARCHIVES"

// archiveKeys are the keys that an entry of _ARCHIVES may have, in the
// order listed in messages.
var archiveKeys = []string{"url", "urls", "sha256", "strip_prefix"}

// bzlProblem is one problem of a .bzl file, at a node of it.
type bzlProblem struct {
	pos build.Position // zero for a problem of the whole file
	msg string
}

// bzlError lists every problem found in a .bzl file, sorted by position.
type bzlError struct {
	file     string // the file's name in messages
	problems []bzlProblem
}

func (e *bzlError) Error() string {
	lines := make([]string, len(e.problems))
	for i, p := range e.problems {
		if p.pos.Line == 0 {
			lines[i] = fmt.Sprintf("%s: %s", e.file, p.msg)
		} else {
			lines[i] = fmt.Sprintf("%s:%d:%d: %s", e.file, p.pos.Line, p.pos.LineRune, p.msg)
		}
	}
	return strings.Join(lines, "\n")
}

// bzlReader collects the problems of one file.
type bzlReader struct {
	file     string
	opts     extras.Options
	problems []bzlProblem
}

func (r *bzlReader) errorf(pos build.Position, format string, args ...any) {
	r.problems = append(r.problems, bzlProblem{pos, fmt.Sprintf(format, args...)})
}

// lineCol formats a position for a message, as "line:col".
func lineCol(pos build.Position) string {
	return fmt.Sprintf("%d:%d", pos.Line, pos.LineRune)
}

// startOf returns the position where x starts.
func startOf(x build.Expr) build.Position {
	p, _ := x.Span()
	return p
}

// readArchives reads the entries of the top-level dict literal _ARCHIVES
// of the Starlark file data, named file in messages, as entries of
// extras.json, validated with opts. The file is parsed, never run: the
// assignment must be a literal. If anything is wrong, it returns a
// *bzlError listing every problem with its position, or the parser's
// error for a file that is not Starlark.
func readArchives(file string, data []byte, opts extras.Options) ([]extras.Entry, error) {
	f, err := build.ParseBzl(file, data)
	if err != nil {
		var perr build.ParseError
		if errors.As(err, &perr) {
			return nil, fmt.Errorf("%v; the file does not parse as Starlark", perr)
		}
		return nil, err
	}
	r := &bzlReader{file: file, opts: opts}
	var entries []extras.Entry
	if dict := r.findArchives(f); dict != nil {
		entries = r.archives(dict)
	}
	if len(r.problems) > 0 {
		slices.SortStableFunc(r.problems, func(a, b bzlProblem) int {
			return cmp.Or(cmp.Compare(a.pos.Line, b.pos.Line), cmp.Compare(a.pos.LineRune, b.pos.LineRune))
		})
		return nil, &bzlError{file: file, problems: r.problems}
	}
	slices.SortFunc(entries, func(a, b extras.Entry) int { return strings.Compare(a.Name, b.Name) })
	return entries, nil
}

// isArchives reports whether x is the identifier _ARCHIVES.
func isArchives(x build.Expr) bool {
	id, ok := x.(*build.Ident)
	return ok && id.Name == archivesVar
}

// findArchives returns the value of the one top-level "_ARCHIVES = {...}"
// if it is a dict literal, recording a problem for every other top-level
// statement that binds or changes _ARCHIVES.
func (r *bzlReader) findArchives(f *build.File) *build.DictExpr {
	const fix = "the file must assign _ARCHIVES exactly once, to a dict literal, as the ot-sku release script writes it"
	var first *build.AssignExpr
	for _, stmt := range f.Stmt {
		switch x := stmt.(type) {
		case *build.AssignExpr:
			lhs := x.LHS
			if t, ok := lhs.(*build.TypedIdent); ok {
				lhs = t.Ident
			}
			switch l := lhs.(type) {
			case *build.Ident:
				switch {
				case l.Name != archivesVar:
				case x.Op != "=":
					r.errorf(startOf(x), "_ARCHIVES is changed with %q; put every entry in the one \"_ARCHIVES = {...}\" dict literal", x.Op)
				case first != nil:
					r.errorf(startOf(x), "_ARCHIVES is assigned again (first at %s); %s", lineCol(startOf(first)), fix)
				default:
					first = x
				}
			case *build.TupleExpr, *build.ListExpr:
				if slices.ContainsFunc(unpacked(l), isArchives) {
					r.errorf(startOf(x), "_ARCHIVES is assigned by unpacking; %s", fix)
				}
			case *build.IndexExpr:
				if isArchives(l.X) {
					r.errorf(startOf(x), "_ARCHIVES[...] is assigned outside the dict literal; put every entry in the one \"_ARCHIVES = {...}\" dict literal")
				}
			}
		case *build.CallExpr:
			if d, ok := x.X.(*build.DotExpr); ok && isArchives(d.X) {
				r.errorf(startOf(x), "_ARCHIVES.%s(...) changes _ARCHIVES outside the dict literal; put every entry in the one \"_ARCHIVES = {...}\" dict literal", d.Name)
			}
		case *build.LoadStmt:
			for _, id := range x.To {
				if id.Name == archivesVar {
					r.errorf(startOf(id), "_ARCHIVES is loaded from %s; import that file instead", errtext.Quote(x.Module.Value))
				}
			}
		}
	}
	if first == nil {
		if len(r.problems) == 0 {
			r.errorf(build.Position{}, "no top-level \"_ARCHIVES = {...}\" assignment; is this the extension.bzl of an ot-sku release branch? It lists its archives in one")
		}
		return nil
	}
	dict, ok := first.RHS.(*build.DictExpr)
	if !ok {
		r.errorf(startOf(first.RHS), "_ARCHIVES is %s, not a dict literal; write the entries out, as _ARCHIVES = {\"perso_release\": {\"url\": \"https://...\", \"sha256\": \"...\"}}", describe(first.RHS))
		return nil
	}
	if len(dict.List) == 0 {
		r.errorf(startOf(dict), "_ARCHIVES is empty; there is nothing to import")
		return nil
	}
	return dict
}

// unpacked returns the elements of the left-hand side of an unpacking
// assignment.
func unpacked(x build.Expr) []build.Expr {
	switch x := x.(type) {
	case *build.TupleExpr:
		return x.List
	case *build.ListExpr:
		return x.List
	case *build.ParenExpr:
		return unpacked(x.X)
	}
	return []build.Expr{x}
}

// describe names the kind of expression x for a message.
func describe(x build.Expr) string {
	switch x := x.(type) {
	case *build.StringExpr:
		return "a string"
	case *build.LiteralExpr:
		return "the literal " + x.Token
	case *build.Ident:
		return fmt.Sprintf("the name %s", x.Name)
	case *build.CallExpr:
		if id, ok := x.X.(*build.Ident); ok {
			return fmt.Sprintf("a call of %s(...)", id.Name)
		}
		return "a call"
	case *build.Comprehension:
		if x.Curly {
			return "a dict comprehension"
		}
		return "a list comprehension"
	case *build.BinaryExpr:
		return fmt.Sprintf("a %q expression", x.Op)
	case *build.UnaryExpr:
		return fmt.Sprintf("a %q expression", x.Op)
	case *build.ConditionalExpr:
		return "a conditional expression"
	case *build.ParenExpr:
		return "a parenthesized expression"
	case *build.DictExpr:
		return "a dict"
	case *build.ListExpr:
		return "a list"
	case *build.TupleExpr:
		return "a tuple"
	case *build.DotExpr:
		return fmt.Sprintf("the field .%s", x.Name)
	case *build.IndexExpr:
		return "an index expression"
	case *build.SliceExpr:
		return "a slice expression"
	case *build.LambdaExpr:
		return "a lambda"
	}
	return "an expression"
}

// archiveEntry is an entry of _ARCHIVES being read, with the positions of
// its values for messages.
type archiveEntry struct {
	entry  extras.Entry
	label  string           // _ARCHIVES["name"], the start of its messages
	key    build.Position   // of the entry's key
	urls   []build.Position // of each URL
	sha256 build.Position
	strip  build.Position
}

// archives converts the entries of the dict literal _ARCHIVES.
func (r *bzlReader) archives(dict *build.DictExpr) []extras.Entry {
	var entries []extras.Entry
	seen := map[string]build.Position{}
	for _, kv := range dict.List {
		key, ok := kv.Key.(*build.StringExpr)
		if !ok {
			r.errorf(startOf(kv.Key), "_ARCHIVES has a key that is %s, not a string literal; write the entry name in quotes, such as \"perso_release\"", describe(kv.Key))
			continue
		}
		a := &archiveEntry{entry: extras.Entry{Name: key.Value}, label: fmt.Sprintf("%s[%q]", archivesVar, key.Value), key: key.Start}
		if first, dup := seen[key.Value]; dup {
			r.errorf(key.Start, "%s: duplicate key (first at %s); remove one of the entries or rename it", a.label, lineCol(first))
			continue
		}
		seen[key.Value] = key.Start
		nameOK := true
		if err := extras.ValidName(key.Value); err != nil {
			r.errorf(key.Start, "%s: %v; rename the entry: its name is the name of its repository", a.label, err)
			nameOK = false
		}
		if !r.fields(a, kv.Value) || !nameOK {
			continue
		}
		if !r.validate(a) {
			continue
		}
		entries = append(entries, a.entry)
	}
	return entries
}

// fields reads the value of entry a, a dict literal, into a.entry; it
// reports whether it found no problem.
func (r *bzlReader) fields(a *archiveEntry, value build.Expr) bool {
	n := len(r.problems)
	dict, ok := value.(*build.DictExpr)
	if !ok {
		r.errorf(startOf(value), "%s is %s, not a dict literal; write it as {\"url\": \"https://...\", \"sha256\": \"<64 hex digits>\"}", a.label, describe(value))
		return false
	}
	seen := map[string]build.Position{}
	for _, kv := range dict.List {
		k, ok := kv.Key.(*build.StringExpr)
		if !ok {
			r.errorf(startOf(kv.Key), "%s: a key is %s, not a string literal; the keys are %s, in quotes", a.label, describe(kv.Key), strings.Join(archiveKeys, ", "))
			continue
		}
		if first, dup := seen[k.Value]; dup {
			r.errorf(k.Start, "%s: duplicate key %s (first at %s); remove one of them", a.label, errtext.Quote(k.Value), lineCol(first))
			continue
		}
		seen[k.Value] = k.Start
		switch k.Value {
		case "url":
			if s, ok := r.str(a, k.Value, kv.Value, `"url": "https://..."`); ok {
				a.entry.URLs = []string{s.Value}
				a.urls = []build.Position{s.Start}
			}
		case "urls":
			r.urlList(a, kv.Value)
		case "sha256":
			if s, ok := r.str(a, k.Value, kv.Value, `"sha256": "<64 hex digits>"`); ok {
				a.entry.SHA256, a.sha256 = s.Value, s.Start
			}
		case "strip_prefix":
			if s, ok := r.str(a, k.Value, kv.Value, `"strip_prefix": "dir/in/archive"`); ok {
				a.entry.StripPrefix, a.strip = s.Value, s.Start
			}
		default:
			r.errorf(k.Start, "%s: key %s is not supported; only %s and %s are", a.label, errtext.Quote(k.Value), strings.Join(archiveKeys[:len(archiveKeys)-1], ", "), archiveKeys[len(archiveKeys)-1])
		}
	}
	url, hasURL := seen["url"]
	urls, hasURLs := seen["urls"]
	switch {
	case hasURL && hasURLs:
		r.errorf(maxPos(url, urls), "%s: both \"url\" and \"urls\" are set; keep one (\"urls\" lists mirrors)", a.label)
	case !hasURL && !hasURLs:
		r.errorf(a.key, "%s: no \"url\" or \"urls\"; add \"url\": \"https://...\", the archive's URL", a.label)
	}
	if _, ok := seen["sha256"]; !ok {
		args := "URL"
		if len(a.entry.URLs) > 0 {
			args = strings.Join(a.entry.URLs, " ")
		}
		r.errorf(a.key, "%s: no \"sha256\"; extras.json requires a pinned sha256 for every archive: add \"sha256\": \"<64 hex digits>\" from the release notes, or run update_extras set %s %s, which downloads the archive and pins its sha256", a.label, a.entry.Name, args)
	}
	return len(r.problems) == n
}

// maxPos returns the later of two positions.
func maxPos(a, b build.Position) build.Position {
	if a.Byte > b.Byte {
		return a
	}
	return b
}

// str returns x if it is a string literal, or records that the value of
// key must be one; example shows the right form.
func (r *bzlReader) str(a *archiveEntry, key string, x build.Expr, example string) (*build.StringExpr, bool) {
	s, ok := x.(*build.StringExpr)
	if !ok {
		r.errorf(startOf(x), "%s: %q is %s, not a string literal; write it as %s", a.label, key, describe(x), example)
	}
	return s, ok
}

// urlList reads the value of "urls", a list of string literals.
func (r *bzlReader) urlList(a *archiveEntry, x build.Expr) {
	list, ok := x.(*build.ListExpr)
	if !ok {
		r.errorf(startOf(x), "%s: \"urls\" is %s, not a list of string literals; write it as \"urls\": [\"https://...\", \"https://mirror/...\"]", a.label, describe(x))
		return
	}
	if len(list.List) == 0 {
		r.errorf(list.Start, "%s: \"urls\" is empty; list at least one URL of the archive", a.label)
		return
	}
	for i, el := range list.List {
		s, ok := el.(*build.StringExpr)
		if !ok {
			r.errorf(startOf(el), "%s: urls[%d] is %s, not a string literal; write each URL in quotes, such as \"https://...\"", a.label, i, describe(el))
			continue
		}
		a.entry.URLs = append(a.entry.URLs, s.Value)
		a.urls = append(a.urls, s.Start)
	}
}

// validate completes a.entry (integrity, provenance) and checks it
// against the rules of extras.json, by extras.Parse itself, recording
// each problem at the value it is about. It reports whether there was
// none.
func (r *bzlReader) validate(a *archiveEntry) bool {
	e := &a.entry
	if sri, err := extras.SRIFromHex(e.SHA256); err == nil {
		e.Integrity = sri
	}
	if p, ok := githubProvenance(e.URLs[0]); ok {
		e.Provenance = p
	}
	problems := entryProblems(*e, r.opts, func(f valueRef) build.Position {
		switch f.key {
		case "url":
			return a.urls[min(f.index, len(a.urls)-1)]
		case "sha256":
			return a.sha256
		case "strip_prefix":
			return a.strip
		}
		return a.key
	})
	for _, p := range problems {
		r.errorf(p.pos, "%s: %s", a.label, p.msg)
	}
	return len(problems) == 0
}

// valueRef names a value of an entry: key "url" (with the index of the
// URL), "sha256" or "strip_prefix"; key "" is the entry's key.
type valueRef struct {
	key   string
	index int
}

// entryProblems checks e exactly as extras.Parse checks an entry of the
// file, by parsing the canonical encoding of a file that holds only e.
// The canonical encoding has one value per line, so the line of a
// problem tells the value of e it is about; its position in the .bzl
// file, from posOf, replaces the position in the encoding, also inside
// messages ("first at ..."). Integrity problems are reported at the sha256, and provenance problems
// at the first URL, since both are derived from those.
func entryProblems(e extras.Entry, opts extras.Options, posOf func(valueRef) build.Position) []bzlProblem {
	data := (&extras.File{Entries: []extras.Entry{e}}).Encode()
	// One entry parses in microseconds: there is nothing to stop.
	_, err := extras.Parse(context.Background(), "entry", data, opts)
	var list extras.ErrorList
	if err == nil || !errors.As(err, &list) {
		return nil
	}
	lines := strings.Split(string(data), "\n")
	urlsLine := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(strings.TrimSpace(l), `"urls": [`) }) + 1
	// valueAt returns the value of e on line n (1-based) of data.
	valueAt := func(n int) valueRef {
		if i := n - urlsLine - 1; urlsLine > 0 && i >= 0 && i < len(e.URLs) {
			return valueRef{key: "url", index: i}
		}
		line := ""
		if n >= 1 && n <= len(lines) {
			line = strings.TrimSpace(lines[n-1])
		}
		switch key, _, _ := strings.Cut(line, ":"); key {
		case `"sha256"`, `"integrity"`:
			return valueRef{key: "sha256"}
		case `"strip_prefix"`:
			return valueRef{key: "strip_prefix"}
		case `"urls"`, `"provenance"`, `"repository"`, `"tag"`, `"asset"`:
			return valueRef{key: "url"}
		}
		return valueRef{}
	}
	var problems []bzlProblem
	for _, perr := range list {
		msg := firstAt.ReplaceAllStringFunc(perr.Msg, func(m string) string {
			var line, col int
			fmt.Sscanf(m, "(first at %d:%d)", &line, &col)
			return fmt.Sprintf("(first at %s)", lineCol(posOf(valueAt(line))))
		})
		p := bzlProblem{pos: posOf(valueAt(perr.Pos.Line)), msg: flaghint.AllowInsecure(msg)}
		if !slices.Contains(problems, p) {
			problems = append(problems, p)
		}
	}
	return problems
}

// firstAt matches the reference to an earlier position in a message of
// extras.Parse.
var firstAt = regexp.MustCompile(`\(first at \d+:\d+\)`)
