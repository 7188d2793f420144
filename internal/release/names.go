package release

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Set is the artifacts one release run releases together, in the order
// of the artifact settings (see [Config]): one tag, one GitHub release,
// one release branch and one pull request per half for all of them.
type Set []string

// Name joins the artifacts with "_": "perso_rom_ext", or "perso" alone.
func (s Set) Name() string { return strings.Join(s, "_") }

// String is the set for messages: "perso, rom_ext".
func (s Set) String() string { return strings.Join(s, ", ") }

// upper is the set in tag names: "PERSO_ROM_EXT".
func (s Set) upper() string { return strings.ToUpper(s.Name()) }

// BuildTag is the tag of the pre-signing build: PERSO_BUILD_20260513_rc00,
// PERSO_ROM_EXT_BUILD_20260513_rc00.
func (s Set) BuildTag(date string, rc int) string {
	return fmt.Sprintf("%s_BUILD_%s_rc%02d", s.upper(), date, rc)
}

// ReleaseTag is the tag of the signed release: PERSO_RELEASE_20260513_rc00.
func (s Set) ReleaseTag(date string, rc int) string {
	return fmt.Sprintf("%s_RELEASE_%s_rc%02d", s.upper(), date, rc)
}

// BuildTagGlob matches the build tags of one day (and, with a git glob,
// possibly those of a larger set; [Set.ParseBuildTagRC] tells them apart).
func (s Set) BuildTagGlob(date string) string {
	return fmt.Sprintf("%s_BUILD_%s_rc*", s.upper(), date)
}

// ParseBuildTagRC returns the rc number of a build tag of date, or false
// if tag is not one.
func (s Set) ParseBuildTagRC(tag, date string) (int, bool) {
	m := rcPattern.FindStringSubmatch(tag)
	if m == nil || m[1] != s.upper()+"_BUILD_"+date {
		return 0, false
	}
	n, _ := strconv.Atoi(m[2])
	return n, true
}

var rcPattern = regexp.MustCompile(`^(.*)_rc([0-9]{2})$`)

// Branch is the release branch: release/perso_rom_ext_20260513_rc00.
func (s Set) Branch(date string, rc int) string {
	return fmt.Sprintf("release/%s_%s_rc%02d", s.Name(), date, rc)
}

// MergeBranch is the branch of the pull request that brings the release's
// extras.json entries into base.
func (s Set) MergeBranch(date string, rc int, base string) string {
	return s.Branch(date, rc) + "-to-" + base
}

// PresignEntry is the extras.json entry (and the asset name without its
// extension) of an artifact's pre-signing archive: presign_perso.
func PresignEntry(artifact string) string { return "presign_" + artifact }

// ReleaseEntry is the extras.json entry of an artifact's signed archive:
// perso_release.
func ReleaseEntry(artifact string) string { return artifact + "_release" }

// ArchiveExts are the archive types a release label may build; the asset
// is the entry's name plus one of them.
var ArchiveExts = []string{".tar.xz", ".zip"}

// archiveExt returns the extension of name among [ArchiveExts], or "".
func archiveExt(name string) string {
	for _, ext := range ArchiveExts {
		if strings.HasSuffix(name, ext) && len(name) > len(ext) {
			return ext
		}
	}
	return ""
}

// ParseDate checks a yyyymmdd date.
func ParseDate(s string) error {
	if len(s) != 8 {
		return fmt.Errorf("date %q is not of the form yyyymmdd", s)
	}
	if _, err := time.Parse("20060102", s); err != nil {
		return fmt.Errorf("date %q is not a valid yyyymmdd date", s)
	}
	return nil
}

// Today returns now's date in UTC as yyyymmdd.
func Today(now time.Time) string { return now.UTC().Format("20060102") }
