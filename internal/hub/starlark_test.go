package hub

import (
	"fmt"
	"strings"

	"github.com/bazelbuild/buildtools/build"
)

// This file reads the Starlark that the hub generates with buildtools'
// parser, as buildifier does, and evaluates its subset: one module
// docstring, comments, and "NAME = literal" statements whose literals are
// strings, lists and dicts. buildtools accepts string escapes that Bazel's
// own lexer (net.starlark.java.syntax.Lexer) rejects, so every string
// literal is also held to Bazel's rules: the only escapes are \a \b \f \n
// \r \t \v \\ \' \" \<newline> and octal \ooo (at most \377); \x, \u, \U
// and \N are errors. Bazel reads files as Latin-1 and treats strings as
// byte sequences, so an octal escape denotes one byte and raw UTF-8 passes
// through unchanged, as in buildtools' values.

// starlarkFile is what readStarlark found.
type starlarkFile struct {
	Doc     string         // the module docstring, "" if none
	Globals map[string]any // the assigned values: string, []any or map[string]any
}

// readStarlark parses src, failing on anything outside the subset above.
func readStarlark(src string) (*starlarkFile, error) {
	f, err := build.ParseBzl("starlark", []byte(src))
	if err != nil {
		return nil, err
	}
	out := &starlarkFile{Globals: map[string]any{}}
	for i, stmt := range f.Stmt {
		if start, _ := stmt.Span(); start.LineRune != 1 {
			return nil, errorAt(stmt, "statement does not start a line")
		}
		if s, ok := stmt.(*build.StringExpr); ok && i == 0 {
			if out.Doc, err = starlarkString(s); err != nil {
				return nil, err
			}
			continue
		}
		a, ok := stmt.(*build.AssignExpr)
		if !ok || a.Op != "=" {
			return nil, errorAt(stmt, "want NAME = value, got %s", build.FormatString(stmt))
		}
		name, ok := a.LHS.(*build.Ident)
		if !ok {
			return nil, errorAt(a.LHS, "want an identifier, got %s", build.FormatString(a.LHS))
		}
		v, err := starlarkValue(a.RHS)
		if err != nil {
			return nil, err
		}
		if _, dup := out.Globals[name.Name]; dup {
			return nil, errorAt(stmt, "%s assigned twice", name.Name)
		}
		out.Globals[name.Name] = v
	}
	return out, nil
}

func starlarkValue(x build.Expr) (any, error) {
	switch x := x.(type) {
	case *build.StringExpr:
		return starlarkString(x)
	case *build.ListExpr:
		list := []any{}
		for _, e := range x.List {
			v, err := starlarkValue(e)
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
		return list, nil
	case *build.DictExpr:
		dict := map[string]any{}
		for _, kv := range x.List {
			k, ok := kv.Key.(*build.StringExpr)
			if !ok {
				return nil, errorAt(kv.Key, "dict key is not a string")
			}
			key, err := starlarkString(k)
			if err != nil {
				return nil, err
			}
			if _, dup := dict[key]; dup {
				return nil, errorAt(kv.Key, "dictionary expression has duplicate key %q", key)
			}
			if dict[key], err = starlarkValue(kv.Value); err != nil {
				return nil, err
			}
		}
		return dict, nil
	}
	return nil, errorAt(x, "unsupported value %s", build.FormatString(x))
}

// starlarkString returns the value of a string literal whose escapes
// Bazel accepts (a raw string has none).
func starlarkString(s *build.StringExpr) (string, error) {
	tok := s.Token
	for i := 0; i < len(tok) && !strings.HasPrefix(tok, "r"); i++ {
		if tok[i] != '\\' || i+1 == len(tok) {
			continue
		}
		i++
		// buildtools has checked the octal escapes' range.
		if c := tok[i]; strings.IndexByte("abfnrtv\\'\"\n01234567", c) < 0 {
			return "", errorAt(s, "invalid escape sequence: \\%c", c)
		}
	}
	return s.Value, nil
}

func errorAt(x build.Expr, format string, args ...any) error {
	start, _ := x.Span()
	return fmt.Errorf("starlark:%d:%d: %s", start.Line, start.LineRune, fmt.Sprintf(format, args...))
}
