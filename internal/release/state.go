package release

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
)

// StateVersion is the version of the state file format.
const StateVersion = 1

// DefaultStatePath is where the state file lives in the release branch.
const DefaultStatePath = "release/state.json"

// State is the state file, release/state.json, committed on the release
// branch: what each half of the release did. Presign writes it in the
// commit that creates the branch; postsign reads its parameters from it
// and adds its own record.
type State struct {
	Version    int    `json:"version"`
	Artifact   string `json:"artifact"`
	Date       string `json:"date"` // yyyymmdd
	RC         int    `json:"rc"`
	Repository string `json:"repository"` // owner/name
	Branch     string `json:"branch"`
	Presign    *Half  `json:"presign,omitempty"`
	Postsign   *Half  `json:"postsign,omitempty"`
}

// Half is what one half of the release did.
type Half struct {
	// Tag is the build tag (presign) or the release tag (postsign).
	Tag string `json:"tag"`
	// Commit is the commit that was built (presign: the tagged one).
	Commit string `json:"commit"`
	// Targets and BazelArgs are what Bazel built.
	Targets   []string `json:"targets"`
	BazelArgs []string `json:"bazel_args,omitempty"`
	// Release is the GitHub release of the archive.
	Release *ReleaseRecord `json:"release,omitempty"`
	// Asset is the archive.
	Asset *AssetRecord `json:"asset,omitempty"`
	// Digests (presign) are the digests in the archive that the signing
	// ceremony signs, each with the signature file it must return.
	Digests []Digest `json:"digests,omitempty"`
	// PullRequest (postsign) brings the entries into the main branch.
	PullRequest *PullRecord `json:"pull_request,omitempty"`
	// Done lists the steps completed, in order.
	Done []string `json:"done"`
}

// ReleaseRecord identifies a GitHub release.
type ReleaseRecord struct {
	ID  int64  `json:"id"`
	URL string `json:"url"`
}

// AssetRecord describes a published archive.
type AssetRecord struct {
	Name   string `json:"name"`
	URL    string `json:"url"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// Digest is one digest file of the pre-signing archive.
type Digest struct {
	Path      string `json:"path"`      // member path inside the archive
	SHA256    string `json:"sha256"`    // of the digest file
	Signature string `json:"signature"` // the signature file expected on the release branch
}

// PullRecord identifies the pull request into the main branch.
type PullRecord struct {
	Number int    `json:"number"`
	URL    string `json:"url"`
	Head   string `json:"head"`
	Base   string `json:"base"`
}

// The steps recorded in Half.Done.
const (
	StepTag        = "tag"          // presign 1: build tag created and pushed
	StepBuild      = "build"        // presign 2, postsign 6: Bazel build packaged
	StepPublish    = "publish"      // presign 2: release published with its asset
	StepBranch     = "branch"       // presign 3: release branch with the presign entry
	StepSignatures = "signatures"   // postsign 5: every digest has its signature
	StepUpload     = "upload"       // postsign 6: draft release with the signed archive
	StepExtras     = "extras"       // postsign 7: release entry committed
	StepRelease    = "release"      // postsign 7: release tag pushed, release published and verified
	StepPull       = "pull-request" // postsign 8: pull request into the main branch
)

// PresignSteps and PostsignSteps are the steps of each half, in order.
var (
	PresignSteps  = []string{StepTag, StepBuild, StepPublish, StepBranch}
	PostsignSteps = []string{StepSignatures, StepBuild, StepUpload, StepExtras, StepRelease, StepPull}
)

// Has reports whether step is done.
func (h *Half) Has(step string) bool { return h != nil && slices.Contains(h.Done, step) }

// Mark records step as done.
func (h *Half) Mark(step string) {
	if !h.Has(step) {
		h.Done = append(h.Done, step)
	}
}

// Complete reports whether every step of steps is done.
func (h *Half) Complete(steps []string) bool {
	for _, s := range steps {
		if !h.Has(s) {
			return false
		}
	}
	return h != nil
}

// Encode returns the file's content: indented JSON and a newline.
func (s *State) Encode() []byte {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil { // only strings, numbers and slices of them
		panic("release: encoding the state: " + err.Error())
	}
	return append(b, '\n')
}

// ParseState reads a state file; name is used in errors.
func ParseState(name string, data []byte) (*State, error) {
	var s State
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if s.Version != StateVersion {
		return nil, fmt.Errorf("%s: version %d, this tool reads version %d", name, s.Version, StateVersion)
	}
	if _, err := ParseArtifact(s.Artifact); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := ParseDate(s.Date); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if s.RC < 0 || s.RC > 99 {
		return nil, fmt.Errorf("%s: rc %d is not in 0..99", name, s.RC)
	}
	return &s, nil
}
