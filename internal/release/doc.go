// Package release carries out the two automated halves of the release
// process of the ot_provisioning_exts module (docs/release.md):
//
//   - [Runner.Presign], steps 1-3: tag the build (ARTIFACT_BUILD_<date>_rcNN),
//     build the pre-signing binaries and digests with Bazel, publish them as
//     the release asset presign_<artifact>.tar.xz, and create the release
//     branch with the presign_<artifact> entry of skus/extras.json;
//   - [Runner.Postsign], steps 5-8, after the signing ceremony's signatures
//     are merged into the release branch: check the signatures, build and
//     publish the signed binaries (<artifact>_release.tar.xz), update the
//     <artifact>_release entry, tag ARTIFACT_RELEASE_<date>_rcNN, and open a
//     pull request that brings the two entries into the main branch.
//
// Every step first looks at what exists (tags, branches, releases, assets,
// pull requests) and only does what is missing, so that running a half
// again after a failure resumes it. Nothing is ever overwritten: an
// existing tag, release or asset that does not match is an error. What a
// half did is recorded in the state file (release/state.json, [State])
// committed on the release branch; the second half reads its parameters
// from there.
//
// Git runs through the git binary (package gitcli), GitHub through package
// github, Bazel through the bazel binary.
package release
