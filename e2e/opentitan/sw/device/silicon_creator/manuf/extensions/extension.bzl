"""The dummy's `extra`: an empty hub @provisioning_exts_extra."""

def _empty_hub_impl(rctx):
    rctx.file("BUILD.bazel", "# The dummy's empty hub: no archives.\n")
    rctx.file("extras.bzl", '"""No archives in the dummy."""\n\nEXTRAS = {}\n')

_empty_hub = repository_rule(implementation = _empty_hub_impl)

def _extra_impl(mctx):
    _empty_hub(name = "provisioning_exts_extra")
    return mctx.extension_metadata(
        reproducible = True,
        root_module_direct_deps = ["provisioning_exts_extra"],
        root_module_direct_dev_deps = [],
    )

extra = module_extension(implementation = _extra_impl)
