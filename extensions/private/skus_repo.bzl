"""The repository @provisioning_exts: this module's skus/ tree.

local_repository cannot do this: its path is taken from the root module, not
from this one. So link every entry of skus/ instead, and watch the tree so
that new entries appear.
"""

def _skus_repo_impl(rctx):
    skus = rctx.path(Label("//skus:BUILD.bazel")).dirname
    rctx.watch_tree(skus)
    for child in skus.readdir():
        rctx.symlink(child, child.basename)

skus_repo = repository_rule(
    implementation = _skus_repo_impl,
    doc = "Links every entry of ot_provisioning_exts' skus/ directory.",
)
