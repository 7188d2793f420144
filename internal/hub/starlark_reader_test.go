package hub

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestStarlarkReader checks readStarlark of starlark_test.go (buildtools'
// parser, Bazel's escapes), so that the tests built on it fail for the
// right reasons.
func TestStarlarkReader(t *testing.T) {
	good := []struct {
		name string
		src  string
		want *starlarkFile
	}{
		{
			name: "docstring, comment, dict with trailing commas",
			src:  "\"\"\"Doc \"quoted\" \\\\ text.\n\nMore.\n\"\"\"\n\n# comment\nX = {\n    \"a\": [\"1\", '2',],  # c\n    \"b\": {},\n}\n",
			want: &starlarkFile{Doc: "Doc \"quoted\" \\ text.\n\nMore.\n", Globals: map[string]any{
				"X": map[string]any{"a": []any{"1", "2"}, "b": map[string]any{}},
			}},
		},
		{
			name: "escapes",
			src:  `X = "q\" b\\ t\t n\n o\101\0 a\a v\v f\f ü"` + "\n",
			want: &starlarkFile{Globals: map[string]any{"X": "q\" b\\ t\t n\n oA\x00 a\a v\v f\f ü"}},
		},
		{
			name: "octal escape is one byte",
			src:  `X = "\303\274"`,
			want: &starlarkFile{Globals: map[string]any{"X": "ü"}},
		},
		{
			name: "no docstring",
			src:  "A = []\nB = \"\"\n",
			want: &starlarkFile{Globals: map[string]any{"A": []any{}, "B": ""}},
		},
	}
	for _, tt := range good {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readStarlark(tt.src)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}

	bad := []struct {
		name, src, wantErr string
	}{
		{"unicode escape", `X = "\u2028"`, `invalid escape sequence: \u`},
		{"long unicode escape", `X = "\U0001F600"`, `invalid escape sequence: \U`},
		{"hex escape", `X = "\x41"`, `invalid escape sequence: \x`},
		{"unknown escape", `X = "C:\dir"`, `invalid escape sequence: \d`},
		{"escape in docstring", "\"\"\"From C:\\src.\"\"\"\n", `invalid escape sequence: \s`},
		{"octal out of range", `X = "\400"`, `invalid escape sequence \400`},
		{"newline in string", "X = \"a\nb\"", "unexpected newline in string"},
		{"unclosed docstring", "\"\"\"doc\n", "unexpected EOF in string"},
		{"docstring closed early", "\"\"\"a \"\"\" b\"\"\"\n", "syntax error near b"},
		{"duplicate key", `X = {"a": "1", "a": "2"}`, "duplicate key"},
		{"missing comma", `X = ["a" "b"]`, `syntax error near "b"`},
		{"number", `X = 1`, "unsupported value"},
		{"JSON null", `X = null`, "unsupported value"},
		{"indented statement", "  X = []", "syntax error near indent"},
		{"two statements on a line", "X = []; Y = []", "does not start a line"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := readStarlark(tt.src)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("readStarlark(%q) = %v, want an error containing %q", tt.src, err, tt.wantErr)
			}
		})
	}
}
