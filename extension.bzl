"""The module extension `extra`: the release archives that `skus/extras.json` names, as Bazel repositories.

[`skus/extras.json`](../skus/extras.json) lists OpenTitan's provisioning
artifacts (personalisation firmware and ROM_EXT, before and after the offline
signing ceremony) as release archives: a repository name, mirrors and a pinned
hash per entry. Its format is documented in [`skus/README.md`](../skus/README.md).
The extension declares one repository per entry, and the hub
`@provisioning_exts_extra` through which consumers reach them all.

OpenTitan's MODULE.bazel uses it exactly like this:

```starlark
provisioning_exts_extra = use_extension("@ot_provisioning_exts//:extension.bzl", "extra")
use_repo(provisioning_exts_extra, "provisioning_exts_extra")
```

BUILD and .bzl files then use the hub:

| label | what |
| --- | --- |
| `@provisioning_exts_extra//<name>/...` | the tree of entry `<name>`'s archive, as upstream lays it out |
| `@provisioning_exts_extra//:<name>` | alias to the archive's default target `:<name>` (present when its BUILD file declares it); an archive without a BUILD file gets one that exports all its files, with `:<name>` grouping them |
| `@provisioning_exts_extra//:extras.bzl` | `EXTRAS`, a dict of the configured entries with their URLs, hashes, `strip_prefix`, `type`, provenance and local path |

```starlark
load("@provisioning_exts_extra//:extras.bzl", "EXTRAS")

filegroup(
    name = "perso",
    srcs = ["@provisioning_exts_extra//:perso_release"] if "perso_release" in EXTRAS else [],
)
```

The hub is the only repository the extension reports as the root module's
direct dependency, so the `use_repo` above is exactly right: Bazel prints no
"incorrect imports" warning and `bazel mod tidy` changes nothing.

The extension watches extras.json, so an edit reaches the hub on the next
build with no clean and no sync, in every `--lockfile_mode`, also in a
checkout connected with `--override_module=ot_provisioning_exts=<path>`. It is
reproducible and adds nothing to MODULE.bazel.lock.

The helper that parses extras.json needs no Go and no rules_go (this module
adds no module to its consumers' graph). It is fetched only when something
needs the hub, with Bazel's own downloader (so the repository cache,
`--distdir`, `bazel vendor` and `--experimental_downloader_config` apply): the
prebuilt pinned in extensions/private/helper.lock.json for the host platform,
used only if the helper's sources are those it was built from. Otherwise it is
compiled from them with the Go named by
`--repo_env=PROVISIONING_EXTS_GO=<GOROOT>`, or else with the official Go
distribution pinned in the same lock; with neither, one error names the
platform and every remedy. PROVISIONING_EXTS_GO is the only environment
variable it reads.
"""

# buildifier: disable=bzl-visibility (this file is the public face of extensions/private)
load("//extensions/private:extras_ext.bzl", _extra = "extra")

extra = _extra
