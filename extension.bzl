"""The module extension `extra`: the archives that `//skus:extras.json` names, as Bazel repositories.

OpenTitan's MODULE.bazel calls it exactly like this:

```starlark
provisioning_exts_extra = use_extension("@ot_provisioning_exts//:extension.bzl", "extra")
use_repo(provisioning_exts_extra, "provisioning_exts_extra")
```

It declares:

- one repository per entry of `@ot_provisioning_exts//skus:extras.json`: an
  `http_archive` pinned by the entry's hash (or a local directory, see
  "Local override" below). Consumers reach them through the hub only;
- the hub `@provisioning_exts_extra`: each entry's repository linked as a
  folder (`@provisioning_exts_extra//<name>/...`), an alias
  `@provisioning_exts_extra//:<name>` to its default target `:<name>`, and
  `@provisioning_exts_extra//:extras.bzl`, whose `EXTRAS` dict lists the
  configured entries and their provenance (kept in the internal repository
  `provisioning_exts_extra_index`, so that re-pointing an entry leaves the
  hub itself as it is).

The hub is the only repository it reports as the root module's direct
dependency, so the `use_repo` above is exactly right: Bazel prints no
"incorrect imports" warning and `bazel mod tidy` changes nothing.

The extension watches extras.json, so an edit, also in a checkout connected
with `--override_module=ot_provisioning_exts=<path>`, reaches the hub on the
next build, with no clean and no sync. It is reproducible and adds nothing to
MODULE.bazel.lock.

Local override: `--repo_env=PROVISIONING_EXTS_LOCAL=<name>=<dir>[,<name>=<dir>...]`
replaces entry `<name>`'s archive by the directory `<dir>` (absolute, or
relative to the root module), for example freshly signed binaries that are not
published yet. A directory without BUILD.bazel gets one that exports every
file. Drop the flag to go back to the archive.

The tag `extra.config` (root module only, at most once) reads another file,
for example in tests: `provisioning_exts_extra.config(file = "//:extras.json")`.
"""

# buildifier: disable=bzl-visibility (this file is the public face of extensions/private)
load("//extensions/private:extras_ext.bzl", _extra = "extra")

extra = _extra
