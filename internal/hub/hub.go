package hub

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"text/template"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

var templates = template.Must(template.ParseFS(templateFS, "templates/*.tmpl"))

func render(name string, data any) string {
	var buf bytes.Buffer
	if err := templates.ExecuteTemplate(&buf, name, data); err != nil {
		panic(fmt.Sprintf("hub: template %s: %v", name, err)) // the templates are fixed
	}
	return buf.String()
}

// DefaultBuildFile is the BUILD.bazel given to an archive or local directory
// that has none: it exports every file and groups them as :name.
func DefaultBuildFile(name string) string {
	return render("default_BUILD.bazel.tmpl", name)
}

// Write fills dir with the hub repository: a link per entry to its spoke
// directory (spokes maps names to directories), BUILD.bazel with the
// aliases, and extras.bzl, a link to extrasBzl (the index repository's file).
func Write(dir string, spec HubSpec, spokes map[string]string, extrasBzl string) error {
	if extrasBzl == "" {
		return errors.New("hub: no extras.bzl to link")
	}
	var aliases, noAlias []string
	var links [][2]string // name, target
	for _, name := range spec.Names {
		spoke, ok := spokes[name]
		if !ok {
			return fmt.Errorf("hub: no spoke directory given for entry %q", name)
		}
		links = append(links, [2]string{name, spoke})
		has, err := declaresTarget(filepath.Join(spoke, "BUILD.bazel"), name)
		if err != nil {
			return err
		}
		if has {
			aliases = append(aliases, name)
		} else {
			noAlias = append(noAlias, name)
		}
	}
	links = append(links, [2]string{"extras.bzl", extrasBzl})
	// Every file is made under a temporary name and renamed into place,
	// so that an interrupted run leaves each one old or new, never half
	// written.
	for _, l := range links {
		name, target := l[0], l[1]
		link := filepath.Join(dir, name)
		tmp := filepath.Join(dir, ".tmp-link-"+name)
		os.Remove(tmp)
		if err := os.Symlink(target, tmp); err != nil {
			return fmt.Errorf("hub: linking %s: %w", name, err)
		}
		// A rename cannot replace a directory.
		if fi, err := os.Lstat(link); err == nil && fi.IsDir() {
			if err := os.RemoveAll(link); err != nil {
				os.Remove(tmp)
				return err
			}
		}
		if err := os.Rename(tmp, link); err != nil {
			os.Remove(tmp)
			return fmt.Errorf("hub: linking %s: %w", name, err)
		}
	}
	build := strings.TrimRight(render("hub_BUILD.bazel.tmpl", map[string]any{
		"Source": spec.Source, "Aliases": aliases, "NoAlias": noAlias,
	}), "\n") + "\n"
	return replaceFile(filepath.Join(dir, "BUILD.bazel"), []byte(build))
}

// replaceFile writes data to path through a new temporary file (O_EXCL, so
// no link is followed) beside it, renamed into place.
func replaceFile(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return fmt.Errorf("hub: %w", err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(0o644)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("hub: writing %s: %w", filepath.Base(path), err)
	}
	return nil
}

// declaresTarget reports whether the BUILD file declares a target with the
// given name, by the `name = "..."` attribute every rule call has.
func declaresTarget(buildFile, name string) (bool, error) {
	data, err := os.ReadFile(buildFile)
	if err != nil {
		return false, fmt.Errorf("hub: %w", err)
	}
	re := regexp.MustCompile(`\bname\s*=\s*("` + regexp.QuoteMeta(name) + `"|'` + regexp.QuoteMeta(name) + `')`)
	return re.Match(data), nil
}

// ExtrasBzl renders the hub's extras.bzl, whose EXTRAS dict describes every
// configured entry.
func ExtrasBzl(spec Spec) string {
	dict := map[string]any{}
	for _, e := range spec.Entries {
		urls := e.URLs
		if urls == nil {
			urls = []string{}
		}
		prov := e.Provenance
		if prov == nil {
			prov = map[string]string{}
		}
		dict[e.Name] = map[string]any{
			"urls": urls, "sha256": e.SHA256, "integrity": e.Integrity,
			"strip_prefix": e.StripPrefix, "type": e.Type, "provenance": prov,
			"local_path": e.LocalPath, "label": "@" + HubName + "//" + e.Name,
		}
	}
	// The source goes into the docstring, where a backslash starts an
	// escape and a quote may end it.
	source := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(spec.Source)
	return render("extras.bzl.tmpl", map[string]any{"Source": source, "Dict": starlarkLiteral(dict)})
}

// starlarkLiteral writes v (strings, lists and dicts of them) as a Starlark
// literal. JSON with HTML escaping off is one, since only strings appear,
// except for its \uXXXX escapes, which Bazel's Starlark rejects: JSON uses
// them for U+2028, U+2029, U+FFFD (invalid UTF-8) and control characters.
// Those are written as the character itself, or as an octal escape for a
// control character.
func starlarkLiteral(v any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "    ")
	if err := enc.Encode(v); err != nil {
		panic(err)
	}
	s := strings.TrimSuffix(buf.String(), "\n")
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] != '\\':
			b.WriteByte(s[i])
		case s[i+1] == 'u': // JSON writes no surrogate pairs: one \uXXXX is one rune
			r, _ := strconv.ParseUint(s[i+2:i+6], 16, 16)
			if r < 0x20 {
				fmt.Fprintf(&b, `\%03o`, r)
			} else {
				b.WriteRune(rune(r))
			}
			i += 5
		default: // an escape both languages share
			b.WriteString(s[i : i+2])
			i++
		}
	}
	return b.String()
}
