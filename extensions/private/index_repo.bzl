"""The repository @provisioning_exts_extra_index: the hub's extras.bzl, as the Go helper rendered it.

It is a repository of its own so that editing an entry of extras.json rewrites
one file here and leaves the hub, whose links and aliases depend only on the
entries' names, as it was: no process runs for it.
"""

def _extras_index_impl(rctx):
    rctx.file("extras.bzl", rctx.attr.extras_bzl)
    rctx.file("BUILD.bazel", 'exports_files(["extras.bzl"])\n')

extras_index = repository_rule(
    implementation = _extras_index_impl,
    doc = "Holds extras.bzl, which the hub links.",
    attrs = {
        "extras_bzl": attr.string(
            doc = "The content of extras.bzl, from the helper's plan.",
        ),
    },
)
