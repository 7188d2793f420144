"""The `extras` module extension: the archives that extras.json names, as Bazel repositories.

In the consumer's MODULE.bazel (OpenTitan):

```starlark
bazel_dep(name = "ot_provisioning_exts", version = "...")

extras = use_extension("@ot_provisioning_exts//extensions:extras.bzl", "extras")
use_repo(extras, "provisioning_exts", "provisioning_exts_extra")
```

It declares:

- one repository per entry of `@ot_provisioning_exts//skus:extras.json`: an
  `http_archive` pinned by the entry's hash (or a local directory, see
  "Local override" below);
- the hub `@provisioning_exts_extra`: each entry's repository linked as a
  folder (`@provisioning_exts_extra//<name>/...`), an alias
  `@provisioning_exts_extra//:<name>` to its default target `:<name>`, and
  `@provisioning_exts_extra//:extras.bzl`, whose `EXTRAS` dict lists the
  configured entries and their provenance;
- `@provisioning_exts`: this module's `skus/` tree.

The extension watches extras.json, so an edit, also in a checkout connected
with `--override_module=ot_provisioning_exts=<path>`, reaches the hub on the
next build, with no clean and no sync. It is reproducible and adds nothing to
MODULE.bazel.lock.

Local override: `--repo_env=PROVISIONING_EXTS_LOCAL=<name>=<dir>[,<name>=<dir>...]`
replaces entry `<name>`'s archive by the directory `<dir>` (absolute, or
relative to the root module), for example freshly signed binaries that are not
published yet. A directory without BUILD.bazel gets one that exports every
file. Drop the flag to go back to the archive.
"""

load("//extensions/private:extras_ext.bzl", _extras = "extras")

extras = _extras
