"""STAND-IN for rules_rust's crate extension (see ../MODULE.bazel): @crate_index with empty crates."""

_CRATES = ["anyhow", "arrayvec", "log"]

def _crate_index_impl(rctx):
    rctx.file("BUILD.bazel", "".join([
        'filegroup(name = "%s", visibility = ["//visibility:public"])\n' % c
        for c in _CRATES
    ]))

_crate_index = repository_rule(implementation = _crate_index_impl)

def _crate_impl(mctx):
    _crate_index(name = "crate_index")
    return mctx.extension_metadata(reproducible = True)

crate = module_extension(implementation = _crate_impl)
