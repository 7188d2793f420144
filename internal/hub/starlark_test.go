package hub

import (
	"fmt"
	"strings"
)

// This file holds a tiny reader for the Starlark that the hub generates:
// one module docstring, comments, and "NAME = literal" statements whose
// literals are strings, lists and dicts. It follows the rules of Bazel's own
// lexer (net.starlark.java.syntax.Lexer) for string literals, which are
// stricter than Python's and than JSON's: the only escapes are \a \b \f \n
// \r \t \v \\ \' \" \<newline> and octal \ooo (at most \377); \x, \u, \U and
// \N are errors. Bazel reads files as Latin-1 and treats strings as byte
// sequences, so an octal escape denotes one byte and raw UTF-8 passes
// through unchanged, which is what this reader does too.

// starlarkFile is what readStarlark found.
type starlarkFile struct {
	Doc     string         // the module docstring, "" if none
	Globals map[string]any // the assigned values: string, []any or map[string]any
}

// readStarlark parses src, failing on anything outside the subset above.
func readStarlark(src string) (*starlarkFile, error) {
	r := &starlarkReader{src: src}
	f := &starlarkFile{Globals: map[string]any{}}
	r.skipSpace()
	if r.peekQuote() {
		doc, err := r.str()
		if err != nil {
			return nil, err
		}
		f.Doc = doc
		if err := r.endOfStatement(); err != nil {
			return nil, err
		}
	}
	for {
		r.skipSpace()
		if r.pos == len(r.src) {
			return f, nil
		}
		if r.col() != 0 {
			return nil, r.errorf("statement does not start a line")
		}
		name := r.ident()
		if name == "" {
			return nil, r.errorf("want an identifier, got %q", r.rest())
		}
		r.skipBlanks()
		if !r.consume("=") {
			return nil, r.errorf("want = after %s", name)
		}
		v, err := r.value()
		if err != nil {
			return nil, err
		}
		if _, dup := f.Globals[name]; dup {
			return nil, r.errorf("%s assigned twice", name)
		}
		f.Globals[name] = v
		if err := r.endOfStatement(); err != nil {
			return nil, err
		}
	}
}

type starlarkReader struct {
	src   string
	pos   int
	depth int // open brackets: newlines are insignificant inside them
}

func (r *starlarkReader) errorf(format string, args ...any) error {
	line := strings.Count(r.src[:r.pos], "\n") + 1
	return fmt.Errorf("starlark:%d:%d: %s", line, r.col()+1, fmt.Sprintf(format, args...))
}

func (r *starlarkReader) col() int {
	return r.pos - (strings.LastIndexByte(r.src[:r.pos], '\n') + 1)
}

func (r *starlarkReader) rest() string {
	s := r.src[r.pos:]
	if len(s) > 20 {
		s = s[:20]
	}
	return s
}

// skipBlanks skips spaces, tabs and comments on the current line, and
// newlines too inside brackets.
func (r *starlarkReader) skipBlanks() {
	for r.pos < len(r.src) {
		switch c := r.src[r.pos]; {
		case c == ' ' || c == '\t' || c == '\r':
			r.pos++
		case c == '\n' && r.depth > 0:
			r.pos++
		case c == '#':
			for r.pos < len(r.src) && r.src[r.pos] != '\n' {
				r.pos++
			}
		default:
			return
		}
	}
}

// skipSpace skips blanks, comments and newlines between statements.
func (r *starlarkReader) skipSpace() {
	for {
		r.skipBlanks()
		if r.pos < len(r.src) && r.src[r.pos] == '\n' {
			r.pos++
			continue
		}
		return
	}
}

func (r *starlarkReader) endOfStatement() error {
	r.skipBlanks()
	if r.pos < len(r.src) && r.src[r.pos] != '\n' {
		return r.errorf("unexpected %q after the statement", r.rest())
	}
	return nil
}

func (r *starlarkReader) consume(tok string) bool {
	if strings.HasPrefix(r.src[r.pos:], tok) {
		r.pos += len(tok)
		return true
	}
	return false
}

func (r *starlarkReader) ident() string {
	start := r.pos
	for r.pos < len(r.src) {
		c := r.src[r.pos]
		if c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || r.pos > start && '0' <= c && c <= '9' {
			r.pos++
			continue
		}
		break
	}
	return r.src[start:r.pos]
}

func (r *starlarkReader) peekQuote() bool {
	return r.pos < len(r.src) && (r.src[r.pos] == '"' || r.src[r.pos] == '\'')
}

func (r *starlarkReader) value() (any, error) {
	r.skipBlanks()
	if r.pos == len(r.src) {
		return nil, r.errorf("unexpected end of file")
	}
	switch r.src[r.pos] {
	case '"', '\'':
		return r.str()
	case '[':
		r.pos++
		r.depth++
		list := []any{}
		for {
			r.skipBlanks()
			if r.consume("]") {
				r.depth--
				return list, nil
			}
			v, err := r.value()
			if err != nil {
				return nil, err
			}
			list = append(list, v)
			r.skipBlanks()
			if !r.consume(",") && !strings.HasPrefix(r.src[r.pos:], "]") {
				return nil, r.errorf("want , or ] in a list, got %q", r.rest())
			}
		}
	case '{':
		r.pos++
		r.depth++
		dict := map[string]any{}
		for {
			r.skipBlanks()
			if r.consume("}") {
				r.depth--
				return dict, nil
			}
			k, err := r.value()
			if err != nil {
				return nil, err
			}
			key, ok := k.(string)
			if !ok {
				return nil, r.errorf("dict key is not a string")
			}
			if _, dup := dict[key]; dup {
				return nil, r.errorf("dictionary expression has duplicate key %q", key)
			}
			r.skipBlanks()
			if !r.consume(":") {
				return nil, r.errorf("want : after a dict key, got %q", r.rest())
			}
			v, err := r.value()
			if err != nil {
				return nil, err
			}
			dict[key] = v
			r.skipBlanks()
			if !r.consume(",") && !strings.HasPrefix(r.src[r.pos:], "}") {
				return nil, r.errorf("want , or } in a dict, got %q", r.rest())
			}
		}
	}
	return nil, r.errorf("unsupported value %q", r.rest())
}

// str reads a string literal, single or triple quoted, with Bazel's escapes.
func (r *starlarkReader) str() (string, error) {
	q := r.src[r.pos]
	delim := string(q)
	if strings.HasPrefix(r.src[r.pos:], strings.Repeat(delim, 3)) {
		delim = strings.Repeat(delim, 3)
	}
	r.pos += len(delim)
	var b []byte
	for {
		if r.pos >= len(r.src) {
			return "", r.errorf("unclosed string literal")
		}
		if strings.HasPrefix(r.src[r.pos:], delim) {
			r.pos += len(delim)
			return string(b), nil
		}
		c := r.src[r.pos]
		r.pos++
		switch {
		case c == '\n' && len(delim) == 1:
			return "", r.errorf("unclosed string literal (newline in a single-quoted string)")
		case c != '\\':
			b = append(b, c)
			continue
		}
		if r.pos >= len(r.src) {
			return "", r.errorf("unclosed string literal")
		}
		e := r.src[r.pos]
		r.pos++
		switch e {
		case '\n':
			// line continuation
		case 'a':
			b = append(b, 7)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'v':
			b = append(b, '\v')
		case '\\', '\'', '"':
			b = append(b, e)
		case '0', '1', '2', '3', '4', '5', '6', '7':
			n := int(e - '0')
			for i := 0; i < 2 && r.pos < len(r.src) && '0' <= r.src[r.pos] && r.src[r.pos] <= '7'; i++ {
				n = n<<3 | int(r.src[r.pos]-'0')
				r.pos++
			}
			if n > 0xff {
				return "", r.errorf("octal escape sequence out of range (maximum is \\377)")
			}
			b = append(b, byte(n))
		default:
			return "", r.errorf("invalid escape sequence: \\%c", e)
		}
	}
}
