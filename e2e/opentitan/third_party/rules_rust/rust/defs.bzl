"""STAND-IN for @rules_rust//rust:defs.bzl (see ../MODULE.bazel): compiles nothing."""

def _rust_library_impl(ctx):
    files = depset(ctx.files.srcs, transitive = [d[DefaultInfo].files for d in ctx.attr.deps])
    return [DefaultInfo(files = files)]

rust_library = rule(
    implementation = _rust_library_impl,
    doc = "STAND-IN: the sources of a Rust library and of its dependencies, uncompiled.",
    attrs = {
        "crate_name": attr.string(),
        "deps": attr.label_list(),
        "edition": attr.string(),
        "srcs": attr.label_list(allow_files = [".rs"], mandatory = True),
    },
)
