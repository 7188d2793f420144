package helperlock

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/testtools"
)

// TestGolden parses a lock written in no particular order and checks its
// canonical form, and that the canonical form is a fixed point.
func TestGolden(t *testing.T) {
	in, err := os.ReadFile("testdata/unordered.json")
	if err != nil {
		t.Fatal(err)
	}
	l, err := Parse("testdata/unordered.json", in)
	if err != nil {
		t.Fatal(err)
	}
	got := l.Encode()
	testtools.CheckGolden(t, "testdata/unordered.golden", got)
	again, err := Parse("unordered.golden", got)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(l, again); diff != "" {
		t.Errorf("Parse(Encode(l)) != l (-want +got):\n%s", diff)
	}
	if !bytes.Equal(again.Encode(), got) {
		t.Error("Encode(Parse(Encode(l))) != Encode(l)")
	}
}

func TestEncodeEmptyMaps(t *testing.T) {
	l := &Lock{GoVersion: "1.26.8", SourcesSHA256: strings.Repeat("a", 64)}
	want := `{
  "go": {},
  "go_version": "1.26.8",
  "helper": {},
  "sources_sha256": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
}
`
	if got := string(l.Encode()); got != want {
		t.Errorf("Encode() = %s, want %s", got, want)
	}
}

// TestSourcesDigest checks SourcesDigest against vectors computed outside
// Go (Python's hashlib, following the spec's formula), so that the Go and
// Starlark sides can both be held to them.
func TestSourcesDigest(t *testing.T) {
	for _, tc := range []struct {
		files map[string][]byte
		want  string
	}{
		{nil, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{map[string][]byte{
			"tools/extras_helper/main.go":            []byte("package main\n"),
			"internal/hub/templates/extras.bzl.tmpl": []byte("é\n"), // 3 bytes, 2 characters
			"a":                                      {},
		}, "3de0c24f7ef2bc1f258d8b1cb3d2cd8e0bd8b7b762d8942d7dc39cdb002261d6"},
	} {
		if got := SourcesDigest(tc.files); got != tc.want {
			t.Errorf("SourcesDigest(%q) = %s, want %s", tc.files, got, tc.want)
		}
	}
	// Every input counts: a path, a content, a boundary between them.
	base := map[string][]byte{"a/b.go": []byte("x"), "c.go": []byte("yz")}
	seen := map[string]string{SourcesDigest(base): "base"}
	for name, files := range map[string]map[string][]byte{
		"renamed":   {"a/b2.go": []byte("x"), "c.go": []byte("yz")},
		"edited":    {"a/b.go": []byte("x"), "c.go": []byte("yZ")},
		"moved":     {"a/b.go": []byte("xy"), "c.go": []byte("z")},
		"dropped":   {"a/b.go": []byte("x")},
		"added":     {"a/b.go": []byte("x"), "c.go": []byte("yz"), "d.go": nil},
		"newline":   {"a/b.go": []byte("x\n"), "c.go": []byte("yz")},
		"in a path": {"a/b.go\n1\nx": nil, "c.go": []byte("yz")},
	} {
		d := SourcesDigest(files)
		if prev, ok := seen[d]; ok {
			t.Errorf("%s and %s have the same digest", name, prev)
		}
		seen[d] = name
	}
}

func TestPlatforms(t *testing.T) {
	for _, p := range Platforms {
		goos, goarch, ok := SplitPlatform(p)
		if !ok || goos+"_"+goarch != p {
			t.Errorf("SplitPlatform(%q) = %q, %q, %v", p, goos, goarch, ok)
		}
	}
	for _, p := range []string{"windows_amd64", "linux", "", "linux_amd64_v3"} {
		if _, _, ok := SplitPlatform(p); ok {
			t.Errorf("SplitPlatform(%q) is ok", p)
		}
	}
	if got, want := GoURL("1.26.8", "darwin_arm64"), "https://proxy.golang.org/golang.org/toolchain/@v/v0.0.1-go1.26.8.darwin-arm64.zip"; got != want {
		t.Errorf("GoURL = %s, want %s", got, want)
	}
	if got, want := GoStripPrefix("1.26.8", "linux_amd64"), "golang.org/toolchain@v0.0.1-go1.26.8.linux-amd64"; got != want {
		t.Errorf("GoStripPrefix = %s, want %s", got, want)
	}
}

// valid returns a valid lock as generic JSON, for the cases to break.
func valid(t *testing.T) map[string]any {
	t.Helper()
	data, err := os.ReadFile("testdata/unordered.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func obj(m map[string]any, keys ...string) map[string]any {
	for _, k := range keys {
		m = m[k].(map[string]any)
	}
	return m
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		edit   func(m map[string]any)
		raw    string // instead of edit
		opts   Options
		errors []string // each a substring of one line of the error, in order
	}{
		{name: "not json", raw: "{\n  \"go\": }", errors: []string{"lock.json: line 2, column 9: invalid character '}'"}},
		{name: "not an object", raw: "[]", errors: []string{"lock.json: line 1, column 1: cannot unmarshal array"}},
		{name: "missing keys", raw: "{}", errors: []string{
			`lock.json: go: missing; add it`,
			`lock.json: go_version: missing`,
			`lock.json: helper: missing`,
			`lock.json: sources_sha256: missing`,
		}},
		{name: "unknown key", edit: func(m map[string]any) { m["helpers"] = map[string]any{} },
			errors: []string{`lock.json: helpers: unknown key; the keys here are "go", "go_version", "helper", "sources_sha256": remove it`}},
		{name: "unknown nested key", edit: func(m map[string]any) { obj(m, "helper", "linux_amd64")["integrity"] = "x" },
			errors: []string{`lock.json: helper.linux_amd64.integrity: unknown key`}},
		{name: "bad sources digest", edit: func(m map[string]any) { m["sources_sha256"] = strings.Repeat("A", 64) },
			errors: []string{`lock.json: sources_sha256: "` + strings.Repeat("A", 64) + `" is not a sha256: write 64 lowercase hex digits`}},
		{name: "sources digest not a string", edit: func(m map[string]any) { m["sources_sha256"] = 1 },
			errors: []string{`lock.json: sources_sha256: is 1, not a string`}},
		{name: "empty go version", edit: func(m map[string]any) { m["go_version"] = "" },
			errors: []string{`lock.json: go_version: is empty`}},
		{name: "go version with go", edit: func(m map[string]any) { m["go_version"] = "go1.26.8" },
			errors: []string{`lock.json: go_version: "go1.26.8" is not a Go version; write it as in go.dev/dl, without the "go"`}},
		{name: "missing platform", edit: func(m map[string]any) { delete(obj(m, "go"), "darwin_amd64") },
			errors: []string{`lock.json: go.darwin_amd64: missing; "go" must name a Go distribution for every platform`}},
		{name: "unknown platform", edit: func(m map[string]any) { obj(m, "helper")["windows_amd64"] = obj(m, "helper", "linux_amd64") },
			errors: []string{`lock.json: helper.windows_amd64: is not a platform; the platforms are "darwin_amd64", "darwin_arm64", "linux_amd64", "linux_arm64": rename or remove it`}},
		{name: "platform not an object", edit: func(m map[string]any) { obj(m, "helper")["linux_arm64"] = "https://x" },
			errors: []string{`lock.json: helper.linux_arm64: is "https://x", not an object`}},
		{name: "helper not an object", edit: func(m map[string]any) { m["helper"] = []any{} },
			errors: []string{`lock.json: helper: is [], not an object of platforms`}},
		{name: "helper null", edit: func(m map[string]any) { m["helper"] = nil },
			errors: []string{`lock.json: helper: is null, not an object of platforms`}},
		{name: "http url", edit: func(m map[string]any) {
			obj(m, "helper", "linux_amd64")["url"] = "http://example.com/extras_helper-linux_amd64"
		}, errors: []string{`lock.json: helper.linux_amd64.url: "http://example.com/extras_helper-linux_amd64" is not an https:// URL`}},
		{name: "missing url and sha256", edit: func(m map[string]any) { obj(m, "helper")["linux_arm64"] = map[string]any{} },
			errors: []string{`lock.json: helper.linux_arm64.sha256: missing`, `lock.json: helper.linux_arm64.url: missing`}},
		{name: "wrong strip prefix", edit: func(m map[string]any) {
			obj(m, "go", "linux_amd64")["strip_prefix"] = "go"
		}, errors: []string{`lock.json: go.linux_amd64.strip_prefix: is "go", but the zip of Go 1.26.8 for linux_amd64 holds its GOROOT under "golang.org/toolchain@v0.0.1-go1.26.8.linux-amd64"; write that`}},
		{name: "go url of another version", edit: func(m map[string]any) {
			obj(m, "go", "darwin_arm64")["url"] = GoURL("1.26.7", "darwin_arm64")
		}, errors: []string{`lock.json: go.darwin_arm64.url: "https://proxy.golang.org/golang.org/toolchain/@v/v0.0.1-go1.26.7.darwin-arm64.zip" does not end with "/v0.0.1-go1.26.8.darwin-arm64.zip"`}},
		{name: "every error at once", edit: func(m map[string]any) {
			m["sources_sha256"] = "x"
			obj(m, "go", "linux_amd64")["sha256"] = "y"
			obj(m, "helper", "darwin_arm64")["url"] = "ftp://z"
		}, errors: []string{
			`lock.json: sources_sha256: "x" is not a sha256`,
			`lock.json: go.linux_amd64.sha256: "y" is not a sha256`,
			`lock.json: helper.darwin_arm64.url: "ftp://z" is not an https:// URL`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := []byte(tc.raw)
			if tc.edit != nil {
				m := valid(t)
				tc.edit(m)
				var err error
				if data, err = json.Marshal(m); err != nil {
					t.Fatal(err)
				}
			}
			l, err := tc.opts.Parse("lock.json", data)
			if err == nil {
				t.Fatalf("Parse succeeded: %+v", l)
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(tc.errors) {
				t.Errorf("got %d errors, want %d:\n%v", len(lines), len(tc.errors), err)
			}
			rest := err.Error()
			for _, want := range tc.errors {
				i := strings.Index(rest, want)
				if i < 0 {
					t.Fatalf("error does not contain %q (in this order):\n%v", want, err)
				}
				rest = rest[i+len(want):]
			}
		})
	}
}

func TestParseAllowHTTP(t *testing.T) {
	m := valid(t)
	obj(m, "helper", "linux_amd64")["url"] = "http://127.0.0.1:8080/extras_helper-linux_amd64"
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Parse("lock.json", data); err == nil {
		t.Error("Parse accepted an http:// URL")
	}
	l, err := Options{AllowHTTP: true}.Parse("lock.json", data)
	if err != nil {
		t.Fatal(err)
	}
	if got := l.Helper["linux_amd64"].URL; got != "http://127.0.0.1:8080/extras_helper-linux_amd64" {
		t.Errorf("url = %q", got)
	}
}
