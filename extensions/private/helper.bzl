"""Runs the fetch-time Go helper (tools/extras_helper) from Starlark."""

HELPER = Label("@ot_provisioning_exts_helper//:extras_helper")

def run_helper(ctx, helper, args):
    """Runs the helper and returns its stdout, or fails with its stderr unchanged.

    Args:
      ctx: a module_ctx or repository_ctx.
      helper: the path of the helper binary.
      args: the helper's arguments.

    Returns:
      The helper's standard output.
    """
    res = ctx.execute([helper] + args)
    if res.return_code != 0:
        fail("\n" + res.stderr.rstrip("\n"))
    return res.stdout
