package release

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/extras"
)

// DefaultSettingsPath is where the artifact settings live in the checkout.
const DefaultSettingsPath = "release/artifacts.json"

// ArtifactSettings says how one artifact is built, signed and checked.
// The checked-in file release/artifacts.json holds one per artifact,
// keyed by the artifact's name:
//
//	{
//	  "perso": {
//	    "presign_label": "@provisioning_exts//open/perso:presign_perso",
//	    "release_label": "@provisioning_exts//open/perso:perso_release",
//	    "signature_test_label": "@provisioning_exts//open/perso:signature_test",
//	    "signatures_dir": "skus/open/signatures/perso",
//	    "digest_suffix": ".digest",
//	    "signature_suffixes": [".ecdsa_sig", ".spx_sig"]
//	  }
//	}
type ArtifactSettings struct {
	// Name is the artifact ("perso"); it is the key in the file.
	Name string `json:"-"`
	// PresignLabel builds the pre-signing archive (binaries and digests),
	// PresignEntry(Name) plus .tar.xz or .zip.
	PresignLabel string `json:"presign_label"`
	// ReleaseLabel builds the signed archive, ReleaseEntry(Name) plus
	// .tar.xz or .zip.
	ReleaseLabel string `json:"release_label"`
	// SignatureTestLabel is a test that checks the committed signatures
	// against the digests; postsign runs it before building.
	SignatureTestLabel string `json:"signature_test_label"`
	// SignaturesDir is where the signing ceremony's signature files are
	// committed, relative to the checkout's top.
	SignaturesDir string `json:"signatures_dir"`
	// DigestSuffix marks the digests in the pre-signing archive.
	DigestSuffix string `json:"digest_suffix"`
	// SignatureSuffixes are the signatures each digest needs: digest
	// D<DigestSuffix> needs D<suffix> in SignaturesDir for every suffix.
	SignatureSuffixes []string `json:"signature_suffixes"`
}

// Settings are every artifact's settings, sorted by name.
type Settings []ArtifactSettings

// Names returns the artifact names.
func (s Settings) Names() []string {
	var names []string
	for _, a := range s {
		names = append(names, a.Name)
	}
	return names
}

// Get returns the settings of artifact name.
func (s Settings) Get(name string) (ArtifactSettings, bool) {
	for _, a := range s {
		if a.Name == name {
			return a, true
		}
	}
	return ArtifactSettings{}, false
}

// Select returns the set of the comma-separated artifacts in list ("" is
// all of them), in the settings' order.
func (s Settings) Select(list string) (Set, error) {
	if strings.TrimSpace(list) == "" {
		return Set(s.Names()), nil
	}
	want := map[string]bool{}
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		if _, ok := s.Get(name); !ok {
			return nil, fmt.Errorf("unknown artifact %q; the settings name %s", name, strings.Join(s.Names(), ", "))
		}
		want[name] = true
	}
	if len(want) == 0 {
		return nil, errors.New("no artifact named")
	}
	var set Set
	for _, name := range s.Names() {
		if want[name] {
			set = append(set, name)
		}
	}
	return set, nil
}

var (
	artifactName = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)
	labelPattern = regexp.MustCompile(`^@{0,2}[A-Za-z0-9_.+~-]*//[^:\s]*(:[^\s]+)?$`)
	suffix       = regexp.MustCompile(`^\.[A-Za-z0-9_.-]+$`)
)

// ParseSettings reads the artifact settings; name is the file's name in
// errors.
func ParseSettings(name string, data []byte) (Settings, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(raw) == 0 {
		return nil, fmt.Errorf("%s: no artifacts; it maps each artifact's name to its settings", name)
	}
	var out Settings
	for key, msg := range raw {
		var a ArtifactSettings
		dec := json.NewDecoder(bytes.NewReader(msg))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&a); err != nil {
			return nil, fmt.Errorf("%s: artifact %q: %w", name, key, err)
		}
		if _, err := dec.Token(); !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: artifact %q: trailing data", name, key)
		}
		a.Name = key
		if err := a.check(); err != nil {
			return nil, fmt.Errorf("%s: artifact %q: %w", name, key, err)
		}
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (a *ArtifactSettings) check() error {
	if !artifactName.MatchString(a.Name) {
		return errors.New("the name must be lower-case letters, digits and single underscores, starting with a letter")
	}
	for _, e := range []string{PresignEntry(a.Name), ReleaseEntry(a.Name)} {
		if err := extras.ValidName(e); err != nil {
			return fmt.Errorf("its entry %s: %w", e, err)
		}
	}
	for _, l := range []struct{ field, value string }{
		{"presign_label", a.PresignLabel}, {"release_label", a.ReleaseLabel}, {"signature_test_label", a.SignatureTestLabel},
	} {
		if l.value == "" {
			return fmt.Errorf("%s is missing", l.field)
		}
		if !labelPattern.MatchString(l.value) {
			return fmt.Errorf("%s %q is not a Bazel label such as @provisioning_exts//open/%s:presign_%s", l.field, l.value, a.Name, a.Name)
		}
	}
	if a.SignaturesDir == "" {
		return errors.New("signatures_dir is missing")
	}
	if d := path.Clean(a.SignaturesDir); path.IsAbs(d) || d == "." || d == ".." || strings.HasPrefix(d, "../") || d != a.SignaturesDir {
		return fmt.Errorf("signatures_dir %q must be a clean slash-separated path inside the checkout, such as skus/open/signatures/%s", a.SignaturesDir, a.Name)
	}
	if !suffix.MatchString(a.DigestSuffix) {
		return fmt.Errorf("digest_suffix %q must start with a dot, such as .digest", a.DigestSuffix)
	}
	if len(a.SignatureSuffixes) == 0 {
		return errors.New("signature_suffixes is empty; list the signatures every digest needs, such as [\".ecdsa_sig\", \".spx_sig\"]")
	}
	for i, s := range a.SignatureSuffixes {
		if !suffix.MatchString(s) {
			return fmt.Errorf("signature_suffixes[%d] %q must start with a dot, such as .ecdsa_sig", i, s)
		}
		if s == a.DigestSuffix || slices.Index(a.SignatureSuffixes, s) != i {
			return fmt.Errorf("signature_suffixes[%d] %q is the digest suffix or listed twice", i, s)
		}
	}
	return nil
}
