package release

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/extrasfile"
)

// StateVersion is the version of the state file format.
const StateVersion = 3

// DefaultStatePath is where the state file lives in the release branch.
const DefaultStatePath = "release/state.json"

// State is the state file, release/state.json, committed on the release
// branch: what each half of the release did. Presign writes it in the
// commit that creates the branch; postsign reads its parameters from it
// and adds its own record.
type State struct {
	Version    int      `json:"version"`
	Artifacts  []string `json:"artifacts"`
	Date       string   `json:"date"` // yyyymmdd
	RC         int      `json:"rc"`
	Repository string   `json:"repository"` // owner/name
	Branch     string   `json:"branch"`
	Presign    *Half    `json:"presign,omitempty"`
	Postsign   *Half    `json:"postsign,omitempty"`
}

// Set returns the artifacts released.
func (s *State) Set() Set { return Set(s.Artifacts) }

// Half is what one half of the release did.
type Half struct {
	// Tag is the build tag (presign) or the release tag (postsign).
	Tag string `json:"tag"`
	// Commit is this checkout's commit that was built.
	Commit string `json:"commit"`
	// OpenTitan is the commit of the OpenTitan checkout Bazel ran in.
	// Presign pins it (also in the build tag's message, see [PinTrailer]);
	// every later step refuses to build with another.
	OpenTitan string `json:"opentitan"`
	// Labels and BazelArgs are what Bazel built.
	Labels    []string `json:"labels"`
	BazelArgs []string `json:"bazel_args,omitempty"`
	// Release is the GitHub release of the archives.
	Release *ReleaseRecord `json:"release,omitempty"`
	// Assets are the archives, one per artifact.
	Assets []AssetRecord `json:"assets,omitempty"`
	// Signatures (postsign) are the signature files of the signing
	// ceremony that the signed build used, with their sha256.
	Signatures []FileRecord `json:"signatures,omitempty"`
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
	Artifact string `json:"artifact"`
	Entry    string `json:"entry"` // the extras.json entry
	Name     string `json:"name"`  // the asset: the entry plus .tar.xz or .zip
	URL      string `json:"url"`
	SHA256   string `json:"sha256"`
	Size     int64  `json:"size"`
}

// Asset returns the record of artifact's asset, or nil.
func (h *Half) Asset(artifact string) *AssetRecord {
	if h == nil {
		return nil
	}
	for i := range h.Assets {
		if h.Assets[i].Artifact == artifact {
			return &h.Assets[i]
		}
	}
	return nil
}

// FileRecord is a committed file and the sha256 of its content.
type FileRecord struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
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
	StepPublish    = "publish"      // presign 2: release published with every archive
	StepBranch     = "branch"       // presign 3: release branch with the presign entries
	StepSignatures = "signatures"   // postsign 5: signature files complete, signature tests pass
	StepUpload     = "upload"       // postsign 6: draft release with every signed archive
	StepExtras     = "extras"       // postsign 7: release entries committed
	StepRelease    = "release"      // postsign 7: release tag pushed, release published and verified
	StepPull       = "pull-request" // postsign 8: pull request into the main branch
)

// PresignSteps and PostsignSteps are the steps of each half, in order.
var (
	PresignSteps  = []string{StepTag, StepPublish, StepBranch}
	PostsignSteps = []string{StepSignatures, StepUpload, StepExtras, StepRelease, StepPull}
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
		var probe struct {
			Version int `json:"version"`
		}
		if json.Unmarshal(data, &probe) == nil && probe.Version != StateVersion {
			return nil, fmt.Errorf("%s: version %d, this tool reads version %d; finish that release with the tool of its time", name, probe.Version, StateVersion)
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if s.Version != StateVersion {
		return nil, fmt.Errorf("%s: version %d, this tool reads version %d", name, s.Version, StateVersion)
	}
	if len(s.Artifacts) == 0 {
		return nil, fmt.Errorf("%s: no artifacts", name)
	}
	for _, a := range s.Artifacts {
		if !artifactName.MatchString(a) {
			return nil, fmt.Errorf("%s: artifact %q is not a valid name", name, a)
		}
	}
	if err := ParseDate(s.Date); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if s.RC < 0 || s.RC > 99 {
		return nil, fmt.Errorf("%s: rc %d is not in 0..99", name, s.RC)
	}
	if s.Presign == nil {
		return nil, fmt.Errorf("%s: no presign record", name)
	}
	if !commitPattern.MatchString(s.Presign.OpenTitan) {
		return nil, fmt.Errorf("%s: the presign record pins no OpenTitan commit (opentitan %q)", name, s.Presign.OpenTitan)
	}
	return &s, nil
}

// loadStateAt reads the state file at rev ("" and false if it has none).
func (r *Runner) loadStateAt(ctx context.Context, rev string) (*State, bool, error) {
	data, ok, err := r.git.Show(ctx, rev, r.cfg.StatePath)
	if err != nil || !ok {
		return nil, false, err
	}
	s, err := ParseState(rev+":"+r.cfg.StatePath, data)
	if err != nil {
		return nil, false, err
	}
	return s, true, nil
}

// writeState writes s to the state file of the working tree dir.
func (r *Runner) writeState(dir string, s *State) error {
	if err := r.refuseSecrets(r.cfg.StatePath, s.Encode()); err != nil {
		return err
	}
	p := filepath.Join(dir, filepath.FromSlash(r.cfg.StatePath))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return extrasfile.WriteAtomic(p, s.Encode())
}

// commitPattern matches a full commit SHA (SHA-1 or SHA-256 object names).
var commitPattern = regexp.MustCompile(`^([0-9a-f]{40}|[0-9a-f]{64})$`)
