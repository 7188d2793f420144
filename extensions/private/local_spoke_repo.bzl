"""A local directory standing in for one entry's archive (PROVISIONING_EXTS_LOCAL)."""

def _local_spoke_impl(rctx):
    src = rctx.path(rctx.attr.path)
    if not src.is_dir:
        fail("%s: %s is not a directory" % (rctx.attr.name, src))

    # Watch the tree: files added to, removed from or changed in the
    # directory reach the build with no clean.
    rctx.watch_tree(src)
    names = []
    for child in src.readdir():
        rctx.symlink(child, child.basename)
        names.append(child.basename)
    if "BUILD.bazel" not in names:
        if "BUILD" in names:
            rctx.symlink(src.get_child("BUILD"), "BUILD.bazel")
        else:
            rctx.file("BUILD.bazel", rctx.attr.default_build_file_content)

local_spoke = repository_rule(
    implementation = _local_spoke_impl,
    doc = "Links the children of a local directory, adding a BUILD.bazel if it has none.",
    attrs = {
        "default_build_file_content": attr.string(
            doc = "The BUILD.bazel to write when the directory has no BUILD file.",
        ),
        "path": attr.string(
            doc = "The absolute path of the directory.",
            mandatory = True,
        ),
    },
)
