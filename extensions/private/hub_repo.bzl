"""The hub repository @provisioning_exts_extra, written by the Go helper."""

load(":helper.bzl", "HELPER", "run_helper")

def _extras_hub_impl(rctx):
    rctx.file("hub_spec.json", rctx.attr.spec)
    index = rctx.path(rctx.attr.index).dirname.get_child("extras.bzl")
    args = ["hub", "-spec", "hub_spec.json", "-extras_bzl", str(index), "-out", "."]
    for name, label in rctx.attr.spokes.items():
        # The helper reads each spoke's BUILD.bazel to decide on its alias:
        # watch it, so that a re-pointed archive with another BUILD file
        # rewrites the hub (a re-pointed one with the same BUILD file needs
        # nothing here: the link already leads to the new tree).
        build = rctx.path(label)
        rctx.watch(build)
        args.append("-spoke=%s=%s" % (name, build.dirname))
    run_helper(rctx, rctx.path(HELPER), args)
    rctx.delete("hub_spec.json")

extras_hub = repository_rule(
    implementation = _extras_hub_impl,
    doc = "Links each entry's repository into one hub, with aliases, and links extras.bzl from the index.",
    attrs = {
        "index": attr.label(
            doc = "The BUILD.bazel of the index repository, which holds extras.bzl.",
        ),
        "spec": attr.string(
            doc = "The hub spec from the helper's plan (the entries' names and their source), as JSON.",
        ),
        "spokes": attr.string_keyed_label_dict(
            doc = "Entry name to the BUILD.bazel at the root of its repository.",
        ),
    },
)
