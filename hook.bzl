"""The repository rule `hook`: `@provisioning_exts`, this module's `skus/` tree.

OpenTitan's MODULE.bazel uses it exactly like this:

```starlark
provisioning_exts_hook = use_repo_rule("@ot_provisioning_exts//:hook.bzl", "hook")

provisioning_exts_hook(name = "provisioning_exts")
```

What OpenTitan loads from it on every build ([`skus/README.md`](../skus/README.md)
has the details):

| label | what |
| --- | --- |
| `@provisioning_exts//:cfg.bzl` | `EXT_EARLGREY_OTP_CFGS`, `EXT_EARLGREY_SKUS`, `EXT_EXEC_ENV_SILICON_ROM_EXT`: the SKUs of this checkout (empty on main) |
| `@provisioning_exts//:default_perso_fw_ext`, `@provisioning_exts//:default_ft_ext_lib` | the default (no-op) device and host extensions |
| `@provisioning_exts//...` | the rest of the `skus/` tree: SKU packages |
"""

# buildifier: disable=bzl-visibility (this file is the public face of extensions/private)
load("//extensions/private:hook_repo.bzl", _hook = "hook")

hook = _hook
