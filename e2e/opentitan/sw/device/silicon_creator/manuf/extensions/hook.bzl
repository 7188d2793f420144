"""The dummy's `hook`: @provisioning_exts is the dummy's repo/ directory."""

def _hook_impl(rctx):
    repo = rctx.path(Label("//:MODULE.bazel")).dirname.get_child("repo")
    rctx.watch_tree(repo)
    for child in repo.readdir():
        rctx.symlink(child, child.basename)

hook = repository_rule(implementation = _hook_impl)
