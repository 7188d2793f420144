"""The repository rule `hook`: `@provisioning_exts`, this module's `skus/` tree.

OpenTitan's MODULE.bazel calls it exactly like this:

```starlark
provisioning_exts_hook = use_repo_rule("@ot_provisioning_exts//:hook.bzl", "hook")

provisioning_exts_hook(name = "provisioning_exts")
```

The repository links every child of `skus/`, and watches the tree: files added
to, removed from or changed under `skus/` (also in a checkout connected with
`--override_module=ot_provisioning_exts=<path>`) reach the next build with no
clean. Because the consumer's root module instantiates it, BUILD and .bzl files
under `skus/` resolve labels as the consumer does: `@lowrisc_opentitan//...`,
`@rules_pkg//...` and `@provisioning_exts//...`.

What OpenTitan loads from it on every build: `@provisioning_exts//:cfg.bzl`
(`EXT_EARLGREY_OTP_CFGS`, `EXT_EARLGREY_SKUS`, `EXT_EXEC_ENV_SILICON_ROM_EXT`),
and the targets `@provisioning_exts//:default_perso_fw_ext` and
`@provisioning_exts//:default_ft_ext_lib`. See skus/README.md.
"""

# buildifier: disable=bzl-visibility (this file is the public face of extensions/private)
load("//extensions/private:hook_repo.bzl", _hook = "hook")

hook = _hook
