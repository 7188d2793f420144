package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/extras"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/testtools"
	at "github.com/ot-provisioning-exts/ot-provisioning-exts/internal/testtools/archivetest"
)

// writeBzl writes extension.bzl into the workspace, expanding $SRV and
// the variables of vars.
func (w *workspace) writeBzl(name, text string, vars map[string]string) {
	w.t.Helper()
	text = os.Expand(text, func(k string) string {
		if v, ok := vars[k]; ok {
			return v
		}
		return w.expand(k)
	})
	if err := os.WriteFile(filepath.Join(w.dir, name), []byte(text), 0o644); err != nil {
		w.t.Fatal(err)
	}
}

// TestImportBzlGolden imports testdata/import_bzl/extension.bzl, shaped
// as the extension.bzl of an ot-sku release branch, into an empty file
// and compares the file and the output with the golden files beside it
// (go test -update rewrites them).
func TestImportBzlGolden(t *testing.T) {
	dir := filepath.Join("testdata", "import_bzl")
	bzl, err := os.ReadFile(filepath.Join(dir, "extension.bzl"))
	if err != nil {
		t.Fatal(err)
	}
	w := newWorkspace(t, "{}\n")
	if err := os.WriteFile(filepath.Join(w.dir, "extension.bzl"), bzl, 0o644); err != nil {
		t.Fatal(err)
	}
	// As a user runs it: without -allow-insecure.
	r := w.runRaw("import-bzl", "extension.bzl")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if r.stderr != "" {
		t.Errorf("stderr: %q", r.stderr)
	}
	got := w.readExtras()
	testtools.CheckGolden(t, filepath.Join(dir, "extras.golden.json"), got)
	testtools.CheckGolden(t, filepath.Join(dir, "stdout.golden"), []byte(r.stdout))

	// The result is a valid checked-in file, in the canonical form.
	f, err := extras.Parse(context.Background(), "extras.json", got, extras.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(f.Encode(), got) {
		t.Errorf("not in the canonical form:\n%s", got)
	}
	// Importing again changes nothing.
	r = w.runRaw("import-bzl", "extension.bzl")
	if r.code != 0 || !strings.HasSuffix(r.stdout, "\nskus/extras.json is unchanged\n") {
		t.Errorf("second import: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !bytes.Equal(got, w.readExtras()) {
		t.Errorf("the second import changed the file:\n%s", w.readExtras())
	}
	w.assertClean()
}

// TestImportBzlFailures runs import-bzl on files and in situations that
// it must refuse, and checks the message (with the position in the .bzl
// file) and that extras.json is byte-for-byte unchanged.
func TestImportBzlFailures(t *testing.T) {
	sha := hexSHA(goodTarGz)
	other := at.TarGz(at.Release("rel-2.0")...)
	// entry is an entry of _ARCHIVES on lines 2 to 5.
	const entry = `    "perso_release": {
        "url": "https://example.com/perso_release.tar.gz",
        "sha256": "$SHA",
    },
`
	tests := []struct {
		name   string
		bzl    string            // extension.bzl; $SHA, $OTHER and $SRV are expanded
		extras string            // initial file ("" for {})
		files  map[string][]byte // served files
		args   []string          // after "import-bzl"; the default is extension.bzl
		strict bool              // without -allow-insecure
		code   int               // default exitFail
		stderr []string          // substrings, in this order
	}{
		// The file as a whole.
		{name: "syntax error", bzl: "_ARCHIVES = {\n" + `    "perso_release": {
        "url": "https://example.com/perso_release.tar.gz"
        "sha256": "$SHA",
    },
}
`, stderr: []string{`update_extras import-bzl: extension.bzl:4:17: syntax error near "sha256"; the file does not parse as Starlark` + "\nnothing was changed\n"}},
		{name: "no _ARCHIVES", bzl: "ARCHIVES = {\n" + entry + "}\n",
			stderr: []string{`update_extras import-bzl: extension.bzl: no top-level "_ARCHIVES = {...}" assignment; is this the extension.bzl of an ot-sku release branch?`}},
		{name: "_ARCHIVES only in a function", bzl: "def _archives():\n    _ARCHIVES = {\n" + entry + "    }\n    return _ARCHIVES\n",
			stderr: []string{`extension.bzl: no top-level "_ARCHIVES = {...}" assignment`}},
		{name: "assigned twice", bzl: "_ARCHIVES = {\n" + entry + "}\n\n_ARCHIVES = {}\n",
			stderr: []string{"extension.bzl:8:1: _ARCHIVES is assigned again (first at 1:1); the file must assign _ARCHIVES exactly once, to a dict literal"}},
		{name: "augmented +=", bzl: "_ARCHIVES = {\n" + entry + "}\n_ARCHIVES += _MORE\n",
			stderr: []string{`extension.bzl:7:1: _ARCHIVES is changed with "+="; put every entry in the one "_ARCHIVES = {...}" dict literal`}},
		{name: "augmented |=", bzl: "_ARCHIVES = {\n" + entry + "}\n_ARCHIVES |= _MORE\n",
			stderr: []string{`extension.bzl:7:1: _ARCHIVES is changed with "|="`}},
		{name: "augmented without assignment", bzl: "_ARCHIVES += {\n" + entry + "}\n",
			stderr: []string{`extension.bzl:1:1: _ARCHIVES is changed with "+="`}},
		{name: "index assignment", bzl: "_ARCHIVES = {\n" + entry + "}\n_ARCHIVES[\"rom_ext_release\"] = _ROM_EXT\n",
			stderr: []string{`extension.bzl:7:1: _ARCHIVES[...] is assigned outside the dict literal`}},
		{name: "update call", bzl: "_ARCHIVES = {\n" + entry + "}\n_ARCHIVES.update(_MORE)\n",
			stderr: []string{`extension.bzl:7:1: _ARCHIVES.update(...) changes _ARCHIVES outside the dict literal`}},
		{name: "unpacking", bzl: "_ARCHIVES, _OTHER = {}, {}\n",
			stderr: []string{`extension.bzl:1:1: _ARCHIVES is assigned by unpacking`}},
		{name: "loaded", bzl: `load("//:archives.bzl", "_ARCHIVES")` + "\n",
			stderr: []string{`extension.bzl:1:26: _ARCHIVES is loaded from "//:archives.bzl"; import that file instead`}},

		// The value of _ARCHIVES.
		{name: "call", bzl: "_ARCHIVES = dict(\n    perso_release = {},\n)\n",
			stderr: []string{`extension.bzl:1:13: _ARCHIVES is a call of dict(...), not a dict literal; write the entries out`}},
		{name: "comprehension", bzl: "_ARCHIVES = {name: {\"url\": url, \"sha256\": sha} for name, (url, sha) in _RELEASES.items()}\n",
			stderr: []string{`extension.bzl:1:13: _ARCHIVES is a dict comprehension, not a dict literal`}},
		{name: "name", bzl: "_ARCHIVES = _RELEASES\n",
			stderr: []string{`extension.bzl:1:13: _ARCHIVES is the name _RELEASES, not a dict literal`}},
		{name: "| expression", bzl: "_ARCHIVES = _PRESIGN | {\n" + entry + "}\n",
			stderr: []string{`extension.bzl:1:13: _ARCHIVES is a "|" expression, not a dict literal`}},
		{name: "concatenation", bzl: "_ARCHIVES = {\n" + entry + "} + _MORE\n",
			stderr: []string{`extension.bzl:1:13: _ARCHIVES is a "+" expression, not a dict literal`}},
		{name: "empty", bzl: "_ARCHIVES = {}\n",
			stderr: []string{`extension.bzl:1:13: _ARCHIVES is empty; there is nothing to import`}},

		// The keys of _ARCHIVES.
		{name: "key not a string literal", bzl: "_ARCHIVES = {\n    _NAME: {},\n" + entry + "}\n",
			stderr: []string{`extension.bzl:2:5: _ARCHIVES has a key that is the name _NAME, not a string literal; write the entry name in quotes`}},
		{name: "key is a concatenation", bzl: "_ARCHIVES = {\n    \"perso\" + \"_release\": {},\n}\n",
			stderr: []string{`extension.bzl:2:5: _ARCHIVES has a key that is a "+" expression, not a string literal`}},
		{name: "duplicate key", bzl: "_ARCHIVES = {\n" + entry + entry + "}\n",
			stderr: []string{`extension.bzl:6:5: _ARCHIVES["perso_release"]: duplicate key (first at 2:5); remove one of the entries or rename it`}},
		{name: "reserved name", bzl: "_ARCHIVES = {\n" + strings.Replace(entry, "perso_release", "provisioning_exts", 1) + "}\n",
			stderr: []string{`extension.bzl:2:5: _ARCHIVES["provisioning_exts"]: repository name "provisioning_exts" is reserved: the ot_provisioning_exts module uses it itself (for a repository, or a file of the hub); rename the entry`}},
		{name: "invalid name", bzl: "_ARCHIVES = {\n" + strings.Replace(entry, "perso_release", "perso release", 1) + "}\n",
			stderr: []string{`extension.bzl:2:5: _ARCHIVES["perso release"]: invalid repository name "perso release": it may contain only ASCII letters, digits, "_", "-" and "."`}},
		{name: "single-quoted name, invalid", bzl: "_ARCHIVES = {\n    '1perso': {},\n}\n",
			stderr: []string{`extension.bzl:2:5: _ARCHIVES["1perso"]: invalid repository name "1perso": it must start with an ASCII letter`}},

		// The entries.
		{name: "entry not a dict literal", bzl: "_ARCHIVES = {\n    \"perso_release\": struct(url = \"https://example.com/a.tar.gz\"),\n}\n",
			stderr: []string{`extension.bzl:2:22: _ARCHIVES["perso_release"] is a call of struct(...), not a dict literal; write it as {"url": "https://...", "sha256": "<64 hex digits>"}`}},
		{name: "unsupported key", bzl: "_ARCHIVES = {\n" + strings.Replace(entry, "    },", "        \"build_file\": \"//third_party:perso.BUILD\",\n    },", 1) + "}\n",
			stderr: []string{`extension.bzl:5:9: _ARCHIVES["perso_release"]: key "build_file" is not supported; only url, urls, sha256 and strip_prefix are` + "\nnothing was changed\n"}},
		{name: "integrity key", bzl: "_ARCHIVES = {\n" + strings.Replace(entry, `"sha256": "$SHA"`, `"integrity": "sha256-abc="`, 1) + "}\n",
			stderr: []string{
				`extension.bzl:2:5: _ARCHIVES["perso_release"]: no "sha256"`,
				`extension.bzl:4:9: _ARCHIVES["perso_release"]: key "integrity" is not supported`}},
		{name: "key not a string literal in an entry", bzl: "_ARCHIVES = {\n" + strings.Replace(entry, `"sha256"`, `SHA256`, 1) + "}\n",
			stderr: []string{`extension.bzl:4:9: _ARCHIVES["perso_release"]: a key is the name SHA256, not a string literal`}},
		{name: "duplicate key in an entry", bzl: "_ARCHIVES = {\n" + strings.Replace(entry, "    },", "        \"sha256\": \"$SHA\",\n    },", 1) + "}\n",
			stderr: []string{`extension.bzl:5:9: _ARCHIVES["perso_release"]: duplicate key "sha256" (first at 4:9); remove one of them`}},
		{name: "url not a string literal", bzl: "_ARCHIVES = {\n" + strings.Replace(entry, `"https://example.com/perso_release.tar.gz"`, `_URL`, 1) + "}\n",
			stderr: []string{`extension.bzl:3:16: _ARCHIVES["perso_release"]: "url" is the name _URL, not a string literal; write it as "url": "https://..."`}},
		{name: "url is a list", bzl: "_ARCHIVES = {\n" + strings.Replace(entry, `"https://example.com/perso_release.tar.gz"`, `["https://example.com/perso_release.tar.gz"]`, 1) + "}\n",
			stderr: []string{`extension.bzl:3:16: _ARCHIVES["perso_release"]: "url" is a list, not a string literal`}},
		{name: "url is a format call", bzl: "_ARCHIVES = {\n" + strings.Replace(entry, `"https://example.com/perso_release.tar.gz"`, `"https://example.com/{}.tar.gz".format(_V)`, 1) + "}\n",
			stderr: []string{`extension.bzl:3:16: _ARCHIVES["perso_release"]: "url" is a call, not a string literal`}},
		{name: "urls not a list", bzl: "_ARCHIVES = {\n" + strings.Replace(entry, `"url":`, `"urls":`, 1) + "}\n",
			stderr: []string{`extension.bzl:3:17: _ARCHIVES["perso_release"]: "urls" is a string, not a list of string literals; write it as "urls": ["https://...", "https://mirror/..."]`}},
		{name: "urls element not a string literal", bzl: "_ARCHIVES = {\n" + strings.Replace(entry, `"url": "https://example.com/perso_release.tar.gz"`, `"urls": ["https://example.com/perso_release.tar.gz", _MIRROR]`, 1) + "}\n",
			stderr: []string{`extension.bzl:3:62: _ARCHIVES["perso_release"]: urls[1] is the name _MIRROR, not a string literal; write each URL in quotes`}},
		{name: "url and urls", bzl: "_ARCHIVES = {\n" + strings.Replace(entry, "    },", "        \"urls\": [\"https://example.com/perso_release.tar.gz\"],\n    },", 1) + "}\n",
			stderr: []string{`extension.bzl:5:9: _ARCHIVES["perso_release"]: both "url" and "urls" are set; keep one ("urls" lists mirrors)`}},
		{name: "no url", bzl: "_ARCHIVES = {\n" + strings.Replace(entry, "        \"url\": \"https://example.com/perso_release.tar.gz\",\n", "", 1) + "}\n",
			stderr: []string{`extension.bzl:2:5: _ARCHIVES["perso_release"]: no "url" or "urls"; add "url": "https://...", the archive's URL`}},
		{name: "empty urls", bzl: "_ARCHIVES = {\n" + strings.Replace(entry, `"url": "https://example.com/perso_release.tar.gz"`, `"urls": []`, 1) + "}\n",
			stderr: []string{`extension.bzl:3:17: _ARCHIVES["perso_release"]: "urls" is empty; list at least one URL of the archive`}},
		{name: "no sha256", bzl: "_ARCHIVES = {\n" + strings.Replace(entry, "        \"sha256\": \"$SHA\",\n", "", 1) + "}\n",
			stderr: []string{`extension.bzl:2:5: _ARCHIVES["perso_release"]: no "sha256"; extras.json requires a pinned sha256 for every archive: add "sha256": "<64 hex digits>" from the release notes, or run update_extras set perso_release https://example.com/perso_release.tar.gz, which downloads the archive and pins its sha256`}},
		{name: "sha256 not a string literal", bzl: "_ARCHIVES = {\n" + strings.Replace(entry, `"$SHA"`, `_SHA`, 1) + "}\n",
			stderr: []string{`extension.bzl:4:19: _ARCHIVES["perso_release"]: "sha256" is the name _SHA, not a string literal`}},
		{name: "sha256 too short", bzl: "_ARCHIVES = {\n" + strings.Replace(entry, `"$SHA"`, `"abc123"`, 1) + "}\n",
			stderr: []string{`extension.bzl:4:19: _ARCHIVES["perso_release"]: sha256 "abc123" has 6 hex digits, want 64`}},
		{name: "sha256 not hex", bzl: "_ARCHIVES = {\n" + strings.Replace(entry, `"$SHA"`, `"`+strings.Repeat("g", 64)+`"`, 1) + "}\n",
			stderr: []string{`extension.bzl:4:19: _ARCHIVES["perso_release"]: sha256 "` + strings.Repeat("g", 64) + `" contains 'g', which is not a hex digit`}},
		{name: "sha256 upper case", bzl: "_ARCHIVES = {\n" + strings.Replace(entry, `"$SHA"`, `"`+strings.ToUpper(sha)+`"`, 1) + "}\n",
			stderr: []string{`extension.bzl:4:19: _ARCHIVES["perso_release"]: sha256 "` + strings.ToUpper(sha) + `" has upper-case hex digits; write it in lower case as "` + sha + `"`}},
		{name: "strip_prefix not a string literal", bzl: "_ARCHIVES = {\n" + strings.Replace(entry, "    },", "        \"strip_prefix\": None,\n    },", 1) + "}\n",
			stderr: []string{`extension.bzl:5:25: _ARCHIVES["perso_release"]: "strip_prefix" is the name None, not a string literal`}},
		{name: "bad strip_prefix", bzl: "_ARCHIVES = {\n" + strings.Replace(entry, "    },", "        \"strip_prefix\": \"perso_release/\",\n    },", 1) + "}\n",
			stderr: []string{`extension.bzl:5:25: _ARCHIVES["perso_release"]: strip_prefix "perso_release/" ends with "/", but it must be a clean relative path; write it as "perso_release"`}},

		// URLs, as extras.json validates them.
		{name: "http URL", strict: true, bzl: "_ARCHIVES = {\n" + strings.Replace(entry, `https://example.com`, `http://127.0.0.1:1`, 1) + "}\n",
			stderr: []string{`extension.bzl:3:16: _ARCHIVES["perso_release"]: URL "http://127.0.0.1:1/perso_release.tar.gz" is not https; use https:// (only tests may use http:// to a loopback host, with -allow-insecure)`}},
		{name: "http URL of another host with -allow-insecure", bzl: "_ARCHIVES = {\n" + strings.Replace(entry, `https://`, `http://`, 1) + "}\n",
			stderr: []string{`extension.bzl:3:16: _ARCHIVES["perso_release"]: URL "http://example.com/perso_release.tar.gz" uses http:// with the non-loopback host "example.com"`}},
		{name: "credentials in a mirror", bzl: "_ARCHIVES = {\n" + strings.Replace(entry, `"url": "https://example.com/perso_release.tar.gz"`, `"urls": ["https://example.com/a.tar.gz", "https://u:p@mirror.example.com/a.tar.gz"]`, 1) + "}\n",
			stderr: []string{`extension.bzl:3:50: _ARCHIVES["perso_release"]: URL "https://REDACTED@mirror.example.com/a.tar.gz" carries credentials (user information); extras.json is committed, so it must not hold secrets: use a URL without them`}},
		{name: "duplicate mirror", bzl: "_ARCHIVES = {\n" + strings.Replace(entry, `"url": "https://example.com/perso_release.tar.gz"`, `"urls": ["https://example.com/a.tar.gz", "https://example.com/a.tar.gz"]`, 1) + "}\n",
			stderr: []string{`extension.bzl:3:50: _ARCHIVES["perso_release"]: duplicate URL "https://example.com/a.tar.gz" (first at 3:18); remove one of them`}},
		{name: "every problem is reported", bzl: "_ARCHIVES = {\n" +
			strings.Replace(entry, "perso_release\"", "provisioning_exts\"", 1) +
			strings.Replace(entry, `"$SHA"`, `"abc"`, 1) +
			strings.Replace(entry, "    },", "        \"patches\": [],\n    },", 1) + "}\n",
			stderr: []string{
				"update_extras import-bzl: extension.bzl:2:5: _ARCHIVES[\"provisioning_exts\"]: repository name",
				"\nextension.bzl:8:19: _ARCHIVES[\"perso_release\"]: sha256 \"abc\" has 3 hex digits",
				"\nextension.bzl:10:5: _ARCHIVES[\"perso_release\"]: duplicate key (first at 6:5)",
				"\nnothing was changed\n"}},

		// The situation.
		{name: "no such file", args: []string{"nope.bzl"},
			stderr: []string{"update_extras import-bzl: reading nope.bzl: open ", "no such file or directory\n"}},
		{name: "no path", args: []string{}, code: exitUsage,
			stderr: []string{"update_extras import-bzl: import-bzl needs exactly one path/to/extension.bzl\nRun 'update_extras import-bzl -h' for usage.\n"}},
		{name: "two paths", args: []string{"extension.bzl", "extension.bzl"}, code: exitUsage,
			stderr: []string{"import-bzl needs exactly one path/to/extension.bzl"}},
		{name: "extras.json does not parse", extras: "{\"perso_release\": {}}\n", bzl: "_ARCHIVES = {\n" + entry + "}\n",
			stderr: []string{"update_extras import-bzl: skus/extras.json does not parse; fix these problems first:\nskus/extras.json:1:2: entry \"perso_release\""}},
		{name: "entry with other content", extras: fmt.Sprintf(entryTemplate, "a.tar.gz", "$OTHER"), bzl: "_ARCHIVES = {\n" + entry + "}\n",
			stderr: []string{"update_extras import-bzl: skus/extras.json already holds these entries with other content:\n" +
				"entry \"perso_release\": url, sha256, integrity and strip_prefix differ\n" +
				"pass -replace to overwrite them\nnothing was changed\n"}},

		// -verify.
		{name: "verify: hash differs", args: []string{"-verify", "extension.bzl"},
			files: map[string][]byte{"a.tar.gz": goodTarGz, "b.tar.gz": goodTarGz},
			bzl: `_ARCHIVES = {
    "perso_release": {"url": "$SRV/a.tar.gz", "sha256": "$OTHER", "strip_prefix": "rel-1.0"},
    "rom_ext_release": {"url": "$SRV/b.tar.gz", "sha256": "$SHA"},
}
`,
			stderr: []string{fmt.Sprintf("\nupdate_extras import-bzl: entry \"perso_release\": %%s/a.tar.gz: sha256 mismatch: got %s (%d bytes), want %s\nnothing was changed\n", sha, len(goodTarGz), hexSHA(other))}},
		{name: "verify: 404", args: []string{"-verify", "extension.bzl"},
			bzl:    "_ARCHIVES = {\n    \"perso_release\": {\"url\": \"$SRV/a.tar.gz\", \"sha256\": \"$SHA\"},\n}\n",
			stderr: []string{"entry \"perso_release\": %s/a.tar.gz: 404 Not Found\nnothing was changed\n"}},
		{name: "verify: mirror differs", args: []string{"-verify", "extension.bzl"},
			files:  map[string][]byte{"a.tar.gz": goodTarGz, "m/a.tar.gz": other},
			bzl:    "_ARCHIVES = {\n    \"perso_release\": {\"urls\": [\"$SRV/a.tar.gz\", \"$SRV/m/a.tar.gz\"], \"sha256\": \"$SHA\"},\n}\n",
			stderr: []string{"entry \"perso_release\": %s/m/a.tar.gz: sha256 mismatch", "(every URL must serve the same archive; fix or remove the failing URLs, or pass -mirrors=first to accept any one)\nnothing was changed\n"}},
		{name: "verify: strip_prefix absent", args: []string{"-verify", "extension.bzl"},
			files:  map[string][]byte{"a.tar.gz": goodTarGz},
			bzl:    "_ARCHIVES = {\n    \"perso_release\": {\"url\": \"$SRV/a.tar.gz\", \"sha256\": \"$SHA\", \"strip_prefix\": \"perso_release\"},\n}\n",
			stderr: []string{"entry \"perso_release\": the archive from %s/a.tar.gz is not usable: strip_prefix \"perso_release\" is not a directory in the archive; its top level holds \"rel-1.0\"\nnothing was changed\n"}},
		{name: "verify: not an archive", args: []string{"-verify", "extension.bzl"},
			files:  map[string][]byte{"a.tar.gz": noise},
			bzl:    "_ARCHIVES = {\n    \"perso_release\": {\"url\": \"$SRV/a.tar.gz\", \"sha256\": \"" + hexSHA(noise) + "\"},\n}\n",
			stderr: []string{"is not usable: the file is not a tar.gz archive: it starts with no known archive format (", "), not with gzip's magic bytes; if the file is right, declare its real type\nnothing was changed\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorkspace(t, "{}\n")
			vars := map[string]string{"SHA": sha, "OTHER": hexSHA(other)}
			if tt.extras != "" {
				w.writeExtras(os.Expand(tt.extras, func(k string) string {
					if v, ok := vars[k]; ok {
						return v
					}
					return "$" + k
				}))
			}
			for p, data := range tt.files {
				w.serve(p, data)
			}
			if tt.bzl != "" {
				w.writeBzl("extension.bzl", tt.bzl, vars)
			}
			before := w.readExtras()
			args := tt.args
			if args == nil {
				args = []string{"extension.bzl"}
			}
			var r result
			if tt.strict {
				r = w.runRaw(append([]string{"import-bzl"}, args...)...)
			} else {
				r = w.run(append([]string{"import-bzl"}, args...)...)
			}
			if want := or(tt.code, exitFail); r.code != want {
				t.Errorf("exit code %d, want %d", r.code, want)
			}
			rest := r.stderr
			for _, s := range tt.stderr {
				s = strings.ReplaceAll(s, "%s", w.srv.URL)
				i := strings.Index(rest, s)
				if i < 0 {
					t.Errorf("stderr lacks %q (after the previous matches):\n%s", s, r.stderr)
					break
				}
				rest = rest[i+len(s):]
			}
			if tt.code != exitUsage && !strings.HasSuffix(r.stderr, "\n") {
				t.Errorf("stderr does not end with a newline: %q", r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("stdout: %q", r.stdout)
			}
			if diff := cmp.Diff(string(before), string(w.readExtras())); diff != "" {
				t.Errorf("extras.json changed (-before +after):\n%s", diff)
			}
			w.assertClean()
		})
	}
}

// TestImportBzl covers import-bzl's successful paths that the golden test
// does not: -verify, -replace, entries that are kept or unchanged, and
// the path under bazel run.
func TestImportBzl(t *testing.T) {
	zipData := at.Zip(at.File("rom/rom_ext.bin", "rom"))
	const bzl = `load("@bazel_tools//tools/build_defs/repo:http.bzl", "http_archive")

_ARCHIVES = {
    "perso_release": {
        "urls": ["$SRV/a.tar.gz", "$SRV/redirect/m/a.tar.gz"],
        "sha256": "$PERSO",
        "strip_prefix": "rel-1.0",
    },
    'rom_ext_release': {
        "url": r"$SRV/rom.zip",
        "sha256": """$ROM""",
    },
}
`
	setup := func(t *testing.T, extrasJSON string) *workspace {
		w := newWorkspace(t, extrasJSON)
		w.serve("a.tar.gz", goodTarGz)
		w.serve("m/a.tar.gz", goodTarGz)
		w.serve("rom.zip", zipData)
		w.writeBzl("extension.bzl", bzl, map[string]string{"PERSO": hexSHA(goodTarGz), "ROM": hexSHA(zipData)})
		return w
	}
	want := func(w *workspace) []extras.Entry {
		return []extras.Entry{
			{Name: "other", URLs: []string{"https://example.com/other.tar.gz"}, SHA256: hexSHA(noise)},
			{Name: "perso_release", URLs: []string{w.srv.URL + "/a.tar.gz", w.srv.URL + "/redirect/m/a.tar.gz"},
				SHA256: hexSHA(goodTarGz), Integrity: sri(goodTarGz), StripPrefix: "rel-1.0"},
			{Name: "rom_ext_release", URLs: []string{w.srv.URL + "/rom.zip"}, SHA256: hexSHA(zipData), Integrity: sri(zipData)},
		}
	}
	entries := func(w *workspace) []extras.Entry {
		w.t.Helper()
		f, err := extras.Parse(context.Background(), "extras.json", w.readExtras(), extras.Options{AllowInsecure: true})
		if err != nil {
			w.t.Fatal(err)
		}
		return f.Entries
	}
	ignorePos := cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Pos" }, cmp.Ignore())
	otherEntry := `{"other": {"urls": ["https://example.com/other.tar.gz"], "sha256": "` + hexSHA(noise) + `"}}`

	t.Run("verify", func(t *testing.T) {
		w := setup(t, otherEntry)
		r := w.run("import-bzl", "-verify", "extension.bzl")
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		if diff := cmp.Diff(want(w), entries(w), ignorePos); diff != "" {
			t.Errorf("entries (-want +got):\n%s", diff)
		}
		wantOut := fmt.Sprintf(`perso_release: new entry
+ url: %[1]s/a.tar.gz
+ url: %[1]s/redirect/m/a.tar.gz
+ sha256: %[2]s
+ integrity: %[3]s
+ strip_prefix: rel-1.0
archive: tar.gz, %[4]d bytes, 2 files, 2 directories, 1 link, 45 B unpacked; top level: rel-1.0
rom_ext_release: new entry
+ url: %[1]s/rom.zip
+ sha256: %[5]s
+ integrity: %[6]s
archive: zip, %[7]d bytes, 1 file, 0 directories, 0 links, 3 B unpacked; top level: rom
wrote skus/extras.json
`, w.srv.URL, hexSHA(goodTarGz), sri(goodTarGz), len(goodTarGz), hexSHA(zipData), sri(zipData), len(zipData))
		if diff := cmp.Diff(wantOut, r.stdout); diff != "" {
			t.Errorf("stdout (-want +got):\n%s", diff)
		}
		// Every URL was downloaded: the mirror through the redirect too.
		for _, p := range []string{"/a.tar.gz", "/redirect/m/a.tar.gz", "/m/a.tar.gz", "/rom.zip"} {
			if n := w.srv.Requests(p); n != 1 {
				t.Errorf("%d requests for %s, want 1", n, p)
			}
		}

		// The same again: nothing changes.
		before := w.readExtras()
		r = w.run("import-bzl", "-verify", "extension.bzl")
		if r.code != 0 || !strings.Contains(r.stdout, "perso_release: unchanged\n") || !strings.HasSuffix(r.stdout, "\nskus/extras.json is unchanged\n") {
			t.Errorf("again: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		if !bytes.Equal(before, w.readExtras()) {
			t.Error("importing the same entries again changed the file")
		}
		w.assertClean()
	})

	t.Run("without -verify nothing is downloaded", func(t *testing.T) {
		w := setup(t, otherEntry)
		r := w.run("import-bzl", "extension.bzl")
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		if diff := cmp.Diff(want(w), entries(w), ignorePos); diff != "" {
			t.Errorf("entries (-want +got):\n%s", diff)
		}
		if strings.Contains(r.stdout, "archive:") {
			t.Errorf("stdout describes archives:\n%s", r.stdout)
		}
		matchAll(t, "stdout", r.stdout, []string{`\nwrote skus/extras.json\nnote: nothing was downloaded: the hashes are those of extension\.bzl\. Run update_extras check \(or import-bzl -verify\) to verify the archives before committing\.\n$`})
		if _, err := os.Stat(filepath.Join(w.srv.root, "requests.log")); err == nil {
			t.Error("the server got requests")
		}
	})

	t.Run("replace", func(t *testing.T) {
		old := fmt.Sprintf(`{
  "perso_release": {
    "urls": [
      "$SRV/old.tar.gz"
    ],
    "sha256": "%s",
    "strip_prefix": "rel-1.0",
    "type": "tar.gz"
  }
}
`, hexSHA(noise))
		w := setup(t, old)
		before := w.readExtras()
		r := w.run("import-bzl", "extension.bzl")
		if r.code != exitFail || !strings.Contains(r.stderr, "entry \"perso_release\": url, sha256, integrity and type differ\n") {
			t.Errorf("without -replace: exit %d, stderr:\n%s", r.code, r.stderr)
		}
		if !bytes.Equal(before, w.readExtras()) {
			t.Error("the refused import changed the file")
		}
		r = w.run("import-bzl", "-replace", "-verify", "extension.bzl")
		if r.code != 0 {
			t.Fatalf("-replace: exit %d: %s", r.code, r.stderr)
		}
		wantEntries := want(w)[1:]
		if diff := cmp.Diff(wantEntries, entries(w), ignorePos); diff != "" {
			t.Errorf("entries (-want +got):\n%s", diff)
		}
		wantDiff := fmt.Sprintf(`perso_release:
- url: %[1]s/old.tar.gz
+ url: %[1]s/a.tar.gz
+ url: %[1]s/redirect/m/a.tar.gz
- sha256: %[2]s
+ sha256: %[3]s
+ integrity: %[4]s
- type: tar.gz
archive: tar.gz,`, w.srv.URL, hexSHA(noise), hexSHA(goodTarGz), sri(goodTarGz))
		if !strings.HasPrefix(r.stdout, wantDiff) {
			t.Errorf("stdout:\n%s\nwant a prefix of:\n%s", r.stdout, wantDiff)
		}
		w.assertClean()
	})

	t.Run("bazel run", func(t *testing.T) {
		w := setup(t, "{}\n")
		ws := w.dir
		w.dir = t.TempDir() // the runfiles directory bazel run starts in
		if err := os.Mkdir(filepath.Join(ws, "sub"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(filepath.Join(ws, "extension.bzl"), filepath.Join(ws, "sub", "ext.bzl")); err != nil {
			t.Fatal(err)
		}
		w.getenv["BUILD_WORKSPACE_DIRECTORY"] = ws
		w.getenv["BUILD_WORKING_DIRECTORY"] = filepath.Join(ws, "sub")
		r := w.run("import-bzl", "ext.bzl")
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		w.dir = ws
		if diff := cmp.Diff(want(w)[1:], entries(w), ignorePos); diff != "" {
			t.Errorf("entries (-want +got):\n%s", diff)
		}
	})
}
