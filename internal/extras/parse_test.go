package extras

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	testHex = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08" // sha256("test")
	testSRI = "sha256-n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg="
	// The digest of the empty string, in both forms.
	emptyHex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	emptySRI = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
)

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		opts Options
		want *File
	}{
		{
			name: "empty object",
			in:   "{}",
			want: &File{},
		},
		{
			name: "schema only",
			in:   `{"$schema": "./extras.schema.json"}`,
			want: &File{Schema: "./extras.schema.json"},
		},
		{
			name: "upstream shape",
			in: `{
  "perso_release": {"url": "https://example.com/perso.tar.gz", "sha256": "` + testHex + `", "strip_prefix": "perso-1.0"}
}`,
			want: &File{Entries: []Entry{{
				Name:        "perso_release",
				URLs:        []string{"https://example.com/perso.tar.gz"},
				SHA256:      testHex,
				StripPrefix: "perso-1.0",
				Pos:         Position{2, 3},
			}}},
		},
		{
			name: "all fields, entries sorted",
			in: `{
  "zz": {"urls": ["https://b.example/z"], "integrity": "` + testSRI + `"},
  "$schema": "s",
  "aa": {
    "urls": ["https://a.example/a.tgz", "https://mirror.example/a.tgz"],
    "sha256": "` + testHex + `",
    "integrity": "` + testSRI + `",
    "strip_prefix": "a/b",
    "type": "tgz",
    "provenance": {"repository": "lowRISC/opentitan", "tag": "v1", "asset": "a.tgz"}
  }
}`,
			want: &File{Schema: "s", Entries: []Entry{
				{
					Name:        "aa",
					URLs:        []string{"https://a.example/a.tgz", "https://mirror.example/a.tgz"},
					SHA256:      testHex,
					Integrity:   testSRI,
					StripPrefix: "a/b",
					Type:        "tgz",
					Provenance:  Provenance{Repository: "lowRISC/opentitan", Tag: "v1", Asset: "a.tgz"},
					Pos:         Position{4, 3},
				},
				{
					Name:      "zz",
					URLs:      []string{"https://b.example/z"},
					Integrity: testSRI,
					Pos:       Position{2, 3},
				},
			}},
		},
		{
			name: "columns count runes",
			in:   "{\"$schema\": \"é\", \"b\": {\"url\": \"https://x.example/\", \"sha256\": \"" + testHex + "\"}}",
			want: &File{Schema: "é", Entries: []Entry{{
				Name:   "b",
				URLs:   []string{"https://x.example/"},
				SHA256: testHex,
				Pos:    Position{1, 18}, // 19 bytes in
			}}},
		},
		{
			name: "insecure URLs with AllowInsecure",
			in:   `{"local": {"urls": ["http://127.0.0.1:1234/a", "file:///tmp/a"], "sha256": "` + testHex + `"}}`,
			opts: Options{AllowInsecure: true},
			want: &File{Entries: []Entry{{
				Name:   "local",
				URLs:   []string{"http://127.0.0.1:1234/a", "file:///tmp/a"},
				SHA256: testHex,
				Pos:    Position{1, 2},
			}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(context.Background(), "test.json", []byte(tt.in), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestParseErrorPositions checks the positions and entries of errors in
// detail; the golden files cover the messages.
func TestParseErrorPositions(t *testing.T) {
	in := "{\n" +
		"  \"ok\": {\"urls\": [\"https://a.example/\"], \"sha256\": \"" + testHex + "\"},\n" +
		"  \"bad\": {\"urls\": [\"ftp://a.example/\"]},\n" +
		"  \"$x\": 1\n" +
		"}\n"
	_, err := Parse(context.Background(), "f.json", []byte(in), Options{})
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("Parse error = %v, want an ErrorList", err)
	}
	type short struct {
		Pos   Position
		Entry string
		Start string // start of Msg
	}
	var got []short
	for _, e := range list {
		if e.File != "f.json" {
			t.Errorf("error %v: File = %q, want f.json", e, e.File)
		}
		got = append(got, short{e.Pos, e.Entry, strings.SplitN(e.Msg, " ", 2)[0]})
	}
	want := []short{
		{Position{3, 3}, "bad", "missing"},
		{Position{3, 20}, "bad", "URL"},
		{Position{4, 3}, "", "unknown"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("errors mismatch (-want +got):\n%s\nfull errors:\n%v", diff, err)
	}
	var one *Error
	if !errors.As(err, &one) || one != list[0] {
		t.Errorf("errors.As(err, *Error) = %v, want the first error", one)
	}
}

func TestErrorFormat(t *testing.T) {
	list := ErrorList{
		{File: "skus/extras.json", Pos: Position{7, 5}, Entry: "perso_release", Msg: "missing hash; fix it"},
		{File: "//skus:extras.json", Pos: Position{1, 1}, Msg: "the file is empty; write {}"},
	}
	want := `skus/extras.json:7:5: entry "perso_release": missing hash; fix it` + "\n" +
		`//skus:extras.json:1:1: the file is empty; write {}`
	if got := list.Error(); got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestParseFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "extras.json")
	if err := os.WriteFile(path, []byte("{\"a\": {}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ParseFile(context.Background(), path, "//skus:extras.json", Options{})
	if err == nil || !strings.HasPrefix(err.Error(), "//skus:extras.json:1:2: entry \"a\": ") {
		t.Errorf("ParseFile error = %v, want errors naming //skus:extras.json", err)
	}
	_, err = ParseFile(context.Background(), path+".missing", "", Options{})
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), path+".missing") {
		t.Errorf("ParseFile of a missing file: error = %v, want ErrNotExist naming the path", err)
	}
}

func TestValidName(t *testing.T) {
	for _, name := range []string{"a", "Z", "perso_release", "a-b.c_d", "x1", "provisioning_exts_extra2"} {
		if err := ValidName(name); err != nil {
			t.Errorf("ValidName(%q) = %v, want nil", name, err)
		}
	}
	for _, name := range []string{"", "1a", "_a", "-a", ".a", "a b", "a/b", "a@b", "a+b", "a~b", "ä", "provisioning_exts", "provisioning_exts_extra"} {
		if err := ValidName(name); err == nil {
			t.Errorf("ValidName(%q) = nil, want an error", name)
		}
	}
}

// TestNameLength checks MaxNameLength, and that a name of any length gives
// a short message: it names the entry by its first characters.
func TestNameLength(t *testing.T) {
	entry := `{"urls": ["https://a.example/a.tar.gz"], "sha256": "` + testHex + `"}`
	for _, n := range []int{1, 199, 200} {
		name := strings.Repeat("a", n)
		if err := ValidName(name); err != nil {
			t.Errorf("ValidName of %d characters: %v", n, err)
		}
		if _, err := Parse(context.Background(), "x.json", []byte(`{"`+name+`": `+entry+`}`), Options{}); err != nil {
			t.Errorf("Parse of a %d-character name: %v", n, err)
		}
	}
	for _, n := range []int{201, 256, 100000} {
		name := "r" + strings.Repeat("e", n-1)
		shown := `"r` + strings.Repeat("e", 31) + `…"`
		want := fmt.Sprintf("repository name %s is %d bytes long, more than the limit of 200", shown, n)
		err := ValidName(name)
		if err == nil || !strings.HasPrefix(err.Error(), want) || len(err.Error()) > 200 {
			t.Errorf("ValidName of %d characters = %v, want a short error starting %q", n, err, want)
		}
		// Also with a character a name may not have, and twice: the
		// length is what is reported, and every message stays short.
		in := `{"` + name + `": ` + entry + `, "` + name + `": 1, "` + name + ` x": {}}`
		_, err = Parse(context.Background(), "x.json", []byte(in), Options{})
		var list ErrorList
		if !errors.As(err, &list) || len(list) != 6 {
			t.Fatalf("Parse of %d-character names: %v, want 6 errors", n, err)
		}
		if first := list[0].Error(); !strings.HasPrefix(first, "x.json:1:2: entry "+shown+": "+want) || !strings.HasSuffix(first, "; rename the entry to a name of at most 200 characters") {
			t.Errorf("Parse of a %d-character name:\n%v", n, list[0])
		}
		for _, e := range list {
			if len(e.Error()) > 400 {
				t.Errorf("Parse of a %d-character name: message of %d bytes:\n%.400s", n, len(e.Error()), e)
			}
		}
	}
	// Unknown keys of any length are cut short the same way.
	long := strings.Repeat("k", 100000)
	in := `{"$` + long + `": 1, "a": {"urls": ["https://a.example/a"], "sha256": "` + testHex + `", "` + long + `": 1, "provenance": {"` + long + `": 1}}}`
	_, err := Parse(context.Background(), "x.json", []byte(in), Options{})
	var list ErrorList
	if !errors.As(err, &list) || len(list) != 3 {
		t.Fatalf("Parse of long unknown keys: %.1000v, want 3 errors", err)
	}
	for _, e := range list {
		if len(e.Error()) > 300 || !strings.Contains(e.Msg, strings.Repeat("k", 31)+`…"`) {
			t.Errorf("long unknown key: message of %d bytes:\n%.400s", len(e.Error()), e)
		}
	}
	// Multi-byte characters are never cut.
	name := strings.Repeat("é", 150)
	err = ValidName(name)
	if err == nil || !strings.Contains(err.Error(), `"`+strings.Repeat("é", 32)+`…"`) {
		t.Errorf("ValidName of 150 × é = %v", err)
	}
}

func TestLookupSetRemove(t *testing.T) {
	f := &File{}
	for _, name := range []string{"m", "a", "z", "b"} {
		f.Set(Entry{Name: name, URLs: []string{"https://" + name + ".example/"}})
	}
	f.Set(Entry{Name: "m", URLs: []string{"https://new.example/"}})
	var names []string
	for _, e := range f.Entries {
		names = append(names, e.Name)
	}
	if diff := cmp.Diff([]string{"a", "b", "m", "z"}, names); diff != "" {
		t.Errorf("names after Set (-want +got):\n%s", diff)
	}
	e, ok := f.Lookup("m")
	if !ok || e.URLs[0] != "https://new.example/" {
		t.Errorf("Lookup(m) = %v, %v; want the replaced entry", e, ok)
	}
	if _, ok := f.Lookup("c"); ok {
		t.Errorf("Lookup(c) found an entry")
	}
	if !f.Remove("b") || f.Remove("b") || len(f.Entries) != 3 {
		t.Errorf("Remove(b) twice: want true then false and 3 entries left, have %v", f.Entries)
	}
}

func TestHashHelpers(t *testing.T) {
	if got, err := SRIFromHex(testHex); err != nil || got != testSRI {
		t.Errorf("SRIFromHex(%q) = %q, %v; want %q", testHex, got, err, testSRI)
	}
	if got, err := HexFromSRI(testSRI); err != nil || got != testHex {
		t.Errorf("HexFromSRI(%q) = %q, %v; want %q", testSRI, got, err, testHex)
	}
	for _, bad := range []string{"", strings.ToUpper(testHex), testHex[1:], testSRI} {
		if _, err := SRIFromHex(bad); err == nil {
			t.Errorf("SRIFromHex(%q) succeeded", bad)
		}
	}
	for _, bad := range []string{"", testHex, "sha512-" + testSRI[7:], testSRI[:len(testSRI)-1], "sha256-n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgh="} {
		if _, err := HexFromSRI(bad); err == nil {
			t.Errorf("HexFromSRI(%q) succeeded", bad)
		}
	}

	tests := []struct {
		e        Entry
		hex, sri string
	}{
		{Entry{SHA256: testHex}, testHex, testSRI},
		{Entry{Integrity: testSRI}, testHex, testSRI},
		{Entry{SHA256: testHex, Integrity: testSRI}, testHex, testSRI},
		{Entry{}, "", ""},
		{Entry{SHA256: testHex, Integrity: emptySRI}, "", ""},
		{Entry{SHA256: "nope"}, "", ""},
	}
	for _, tt := range tests {
		if got := tt.e.HexSHA256(); got != tt.hex {
			t.Errorf("%+v.HexSHA256() = %q, want %q", tt.e, got, tt.hex)
		}
		if got := tt.e.SRI(); got != tt.sri {
			t.Errorf("%+v.SRI() = %q, want %q", tt.e, got, tt.sri)
		}
		d, err := tt.e.Digest()
		if (err == nil) != (tt.hex != "") || err == nil && len(d) != 32 {
			t.Errorf("%+v.Digest() = %x, %v", tt.e, d, err)
		}
	}
	if got := (Entry{SHA256: emptyHex}).SRI(); got != emptySRI {
		t.Errorf("SRI of the empty digest = %q, want %q", got, emptySRI)
	}
}

func TestSuggest(t *testing.T) {
	tests := []struct{ word, want string }{
		{"sha265", "sha256"},
		{"URLS", "urls"},
		{"strip-prefix", "strip_prefix"},
		{"build_file", ""},
		{"x", ""},
		{strings.Repeat("u", 10000), ""},
	}
	for _, tt := range tests {
		got := suggest(tt.word, entryKeys)
		want := ""
		if tt.want != "" {
			want = ` (did you mean "` + tt.want + `"?)`
		}
		if got != want {
			t.Errorf("suggest(%.20q) = %q, want %q", tt.word, got, want)
		}
	}
}

func TestEncodeEmpty(t *testing.T) {
	for _, f := range []*File{{}, {Entries: []Entry{}}} {
		if got := string(f.Encode()); got != "{}\n" {
			t.Errorf("Encode(%+v) = %q, want \"{}\\n\"", f, got)
		}
	}
	// Entries out of order and without URLs still encode canonically.
	f := &File{Entries: []Entry{{Name: "b", SHA256: testHex}, {Name: "a", Type: "zip"}}}
	want := `{
  "a": {
    "urls": [],
    "type": "zip"
  },
  "b": {
    "urls": [],
    "sha256": "` + testHex + `"
  }
}
`
	if diff := cmp.Diff(want, string(f.Encode())); diff != "" {
		t.Errorf("Encode mismatch (-want +got):\n%s", diff)
	}
}
