"""Implementation of the repository rule `hook` (see //:hook.bzl).

local_repository cannot do this job: a consumer's root module would resolve
its path against the consumer, not against this module. So the rule links
every child of this module's skus/ directory into the new repository, and
watches the tree so that added, removed or edited files show up with no clean.
"""

def _hook_impl(rctx):
    # MODULE.bazel always exists at this module's root, in its own checkout
    # and under --override_module alike; skus/ sits beside it.
    skus = rctx.path(Label("//:MODULE.bazel")).dirname.get_child("skus")
    if not skus.is_dir:
        fail("%s: %s is not a directory; ot_provisioning_exts keeps its SKU tree there" % (rctx.attr.name, skus))
    rctx.watch_tree(skus)
    for child in skus.readdir():
        rctx.symlink(child, child.basename)

    # Not reproducible: the links point at this checkout, which only this
    # machine has, so the repo contents cache must not share the result.

hook = repository_rule(
    implementation = _hook_impl,
    doc = """Makes a repository of this module's `skus/` tree, in the consumer's root module.

Name it `provisioning_exts`, as OpenTitan does: the files under `skus/` refer
to one another as `@provisioning_exts//...`.

The repository links every child of `skus/` (beside this module's
MODULE.bazel: in a checkout connected with
`--override_module=ot_provisioning_exts=<path>`, that checkout's) and watches
the tree, so files added to, removed from or changed under `skus/` reach the
next build with no clean.

Because the consumer's root module instantiates it, BUILD and .bzl files under
`skus/` resolve labels as the consumer does: they can load
`@lowrisc_opentitan//...`, `@rules_cc//...`, `@rules_rust//...` and
`@provisioning_exts//...`, and use the archives through
`@provisioning_exts_extra//...`.
""",
)
