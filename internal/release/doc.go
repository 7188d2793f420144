// Package release carries out the two automated halves of the release
// process of the ot_provisioning_exts module (docs/release.md), for a set
// of artifacts (perso, rom_ext) at once, as ot-sku's release flow does:
// Bazel runs in an OpenTitan checkout with this checkout as the module
// ot_provisioning_exts (--override_module) and --stamp, and each label's
// one .tar.xz or .zip output is published as built.
//
//   - [Runner.Presign], steps 1-3: tag the build (<SET>_BUILD_<date>_rcNN),
//     build each artifact's pre-signing archive, publish them as the
//     assets presign_<a>.tar.xz (or .zip) of a prerelease, and create the
//     release branch with the presign_<a> entries of skus/extras.json;
//   - [Runner.Postsign], steps 5-8, after the signing ceremony's signatures
//     are merged into the release branch: check the signature files against
//     the digests, run the signature tests, build and publish the signed
//     archives (<a>_release), set their entries, tag
//     <SET>_RELEASE_<date>_rcNN, and open a pull request that brings the
//     entries into the main branch;
//   - [Runner.PublishHelper]: publish the fetch-time helper's prebuilt
//     binaries (extensions/private/helper.lock.json) as the release
//     extras-helper-<digest>, and open the pull request that lists them.
//
// The labels, signature directories and suffixes of each artifact are
// data ([Settings], release/artifacts.json). Every step first looks at
// what exists (tags, branches, releases, assets, pull requests) and only
// does what is missing, so that running a half again after a failure
// resumes it. Nothing published is ever changed: an existing tag or
// published release that does not match is an error, and an asset of a
// published release is reused rather than rebuilt, because stamped builds
// need not be reproducible; a draft's asset from an earlier attempt is
// replaced when this run's build differs. What a half did is recorded in
// the state file (release/state.json, [State]) committed on the release
// branch; the second half reads its parameters from there, and checks the
// chain of custody (custody.go): the OpenTitan commit pinned by the build
// tag, the published digests, the presign entries, and the tags on GitHub
// before each release is published.
//
// Git runs through the git binary (package gitcli), GitHub through package
// github, Bazel through the bazel binary.
package release
