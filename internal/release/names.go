package release

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Artifacts lists the artifacts that can be released.
var Artifacts = []string{"perso", "rom_ext"}

// Artifact is one released artifact, such as "perso", and the names
// derived from it.
type Artifact string

// ParseArtifact checks that s is one of Artifacts.
func ParseArtifact(s string) (Artifact, error) {
	for _, a := range Artifacts {
		if s == a {
			return Artifact(s), nil
		}
	}
	return "", fmt.Errorf("unknown artifact %q; use one of %s", s, strings.Join(Artifacts, ", "))
}

// upper is the artifact in tag names: "PERSO", "ROM_EXT".
func (a Artifact) upper() string { return strings.ToUpper(string(a)) }

// BuildTag is the tag of the pre-signing build: PERSO_BUILD_20260513_rc00.
func (a Artifact) BuildTag(date string, rc int) string {
	return fmt.Sprintf("%s_BUILD_%s_rc%02d", a.upper(), date, rc)
}

// ReleaseTag is the tag of the signed release: PERSO_RELEASE_20260513_rc00.
func (a Artifact) ReleaseTag(date string, rc int) string {
	return fmt.Sprintf("%s_RELEASE_%s_rc%02d", a.upper(), date, rc)
}

// BuildTagGlob matches the build tags of one day.
func (a Artifact) BuildTagGlob(date string) string {
	return fmt.Sprintf("%s_BUILD_%s_rc*", a.upper(), date)
}

// ParseBuildTagRC returns the rc number of a build tag of date, or false
// if tag is not one.
func (a Artifact) ParseBuildTagRC(tag, date string) (int, bool) {
	m := rcPattern.FindStringSubmatch(tag)
	if m == nil || m[1] != a.upper()+"_BUILD_"+date {
		return 0, false
	}
	n, _ := strconv.Atoi(m[2])
	return n, true
}

var rcPattern = regexp.MustCompile(`^(.*)_rc([0-9]{2})$`)

// Branch is the release branch: release/perso_20260513_rc00.
func (a Artifact) Branch(date string, rc int) string {
	return fmt.Sprintf("release/%s_%s_rc%02d", a, date, rc)
}

// MergeBranch is the branch of the pull request that brings the release's
// extras.json entries into base.
func (a Artifact) MergeBranch(date string, rc int, base string) string {
	return a.Branch(date, rc) + "-to-" + base
}

// PresignEntry is the extras.json entry of the pre-signing archive.
func (a Artifact) PresignEntry() string { return "presign_" + string(a) }

// ReleaseEntry is the extras.json entry of the signed archive.
func (a Artifact) ReleaseEntry() string { return string(a) + "_release" }

// archiveSuffix is the type of every archive this package publishes.
const archiveSuffix = ".tar.xz"

// AssetName is the release asset of an entry: presign_perso.tar.xz.
func AssetName(entry string) string { return entry + archiveSuffix }

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
